"""Detect a shortcut's container by its bytes and unwrap it to the workflow dictionary.

Containers: signed ``AEA1`` (Apple Encrypted Archive, profile 0, holding an
Apple Archive whose ``Shortcut.wflow`` entry is a binary plist), binary plist,
XML plist, JSON export. Every size and offset read from the file is checked
against the bytes that are really there before it is used.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import plistlib
import struct
import xml.parsers.expat
from dataclasses import dataclass
from typing import Any

import lzfse

from . import bplist
from .errors import BadStructure, Corrupt, TooDeep, TooLarge, UnknownFormat, Unsupported

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for one file; every reader entry point takes one."""

    max_input_bytes: int = 64 * MiB
    max_decompressed_bytes: int = 256 * MiB
    max_depth: int = 200


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Signing:
    """How a signed shortcut was signed (the signature itself is not verified)."""

    kind: str  # "unsigned", "icloud" (SigningCertificateChain) or "contact" (AppleIDCertificateChain)
    auth_keys: tuple[str, ...] = ()
    compression: str = ""


UNSIGNED = Signing("unsigned")

# Exceptions the stdlib parsers raise on malformed input; anything else is a bug.
_PARSE_ERRORS = (
    plistlib.InvalidFileException,
    xml.parsers.expat.ExpatError,
    ValueError,
    TypeError,
    LookupError,  # KeyError, IndexError, and an unknown encoding in an XML declaration
    OverflowError,
    struct.error,
    UnicodeDecodeError,
    AttributeError,
)


def detect(data: bytes) -> str:
    """Name the container of ``data``: signed, bplist, xml or json ('' if none)."""
    if data[:4] == b"AEA1":
        return "signed"
    if data[:6] == b"bplist":
        return "bplist"
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] == b"<":
        return "xml"
    if head[:1] == b"{":
        return "json"
    return ""


def unwrap(data: bytes, source: str, limits: Limits = DEFAULT_LIMITS) -> tuple[str, dict[str, Any], Signing]:
    """Return (container, workflow dictionary, signing) for the bytes of one file."""
    if len(data) > limits.max_input_bytes:
        raise TooLarge(source, f"input is {len(data)} bytes, limit {limits.max_input_bytes}")
    container = detect(data)
    signing = UNSIGNED
    parsed = data
    if container == "signed":
        payload, signing = unwrap_aea(data, source, limits)
        parsed = extract_wflow(payload, source)
        plist = parse_plist(parsed, source, binary=True, limits=limits)
    elif container == "bplist":
        plist = parse_plist(data, source, binary=True, limits=limits)
        if "WFWorkflowClientRelease" in plist if isinstance(plist, dict) else False:
            container = "wflow"  # Workflow-app era file, before Shortcuts 2.0
    elif container == "xml":
        plist = parse_plist(data, source, binary=False)
    elif container == "json":
        plist = parse_json(data, source)
    else:
        raise UnknownFormat(source, f"not a shortcut container (starts with {data[:8]!r})")
    check_shape(plist, source, limits.max_depth, len(parsed))
    if not isinstance(plist, dict):
        raise BadStructure(source, f"top level is {type(plist).__name__}, expected a dictionary")
    return container, plist, signing


# Values a parsed file may expand to, per byte of it. XML and JSON hold at most one value per byte;
# Apple's binary plist writer shares equal containers, which in the real files still stays under
# 0.2 values per byte. A hand-made binary plist can share without limit: 100 bytes that stand for
# 2**40 values would hang every later walk of them.
_VALUES_PER_BYTE = 16


def check_shape(value: Any, source: str, max_depth: int, size: int) -> None:
    """Refuse values nesting deeper than ``max_depth`` (the top level is depth 0), or expanding, through
    shared containers, to more than ``_VALUES_PER_BYTE`` values per byte of the ``size`` bytes parsed.

    The binary decoder bounds depth only where it recurses, so depth is checked here for every container.
    """
    budget = _VALUES_PER_BYTE * size
    level = [value] if type(value) is dict or type(value) is list else []
    depth = seen = 0
    while level:
        if depth > max_depth:
            raise TooDeep(source, f"values nest deeper than {max_depth}")
        below: list[Any] = []
        append = below.append
        for v in level:
            if type(v) is dict:
                v = v.values()
            seen += len(v)
            if seen > budget:
                raise TooLarge(source, f"shared containers expand to more than {budget} values")
            for child in v:
                if type(child) is dict or type(child) is list:
                    append(child)
        level = below
        depth += 1


def parse_plist(data: bytes, source: str, *, binary: bool, limits: Limits = DEFAULT_LIMITS) -> Any:
    if binary:
        if data[:6] != b"bplist":
            raise Corrupt(source, f"not a binary plist (starts with {data[:8]!r})")
        if data[:8] != b"bplist00":
            raise Unsupported(source, f"binary plist version {data[6:8]!r} (only bplist00 is defined)")
        fmt = plistlib.FMT_BINARY
    else:
        # plistlib refuses entity declarations too; checking first gives a clearer reason.
        # Expat also reads UTF-16 without a byte-order mark, which the detector lets through.
        if b"<!ENTITY" in data or "<!ENTITY".encode("utf-16-le") in data:
            raise Unsupported(source, "XML entity declarations are refused", reason="xml-entities")
        fmt = plistlib.FMT_XML
    try:
        return bplist.loads(data, limits.max_depth) if binary else plistlib.loads(data, fmt=fmt)
    except RecursionError:
        raise TooDeep(source, "plist nests too deeply (or refers to itself)") from None
    except _PARSE_ERRORS as exc:
        raise Corrupt(source, f"{'binary' if binary else 'XML'} plist does not parse: {exc}") from None


def parse_json(data: bytes, source: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except RecursionError:
        raise TooDeep(source, "JSON nests too deeply") from None
    except _PARSE_ERRORS as exc:
        raise Corrupt(source, f"JSON does not parse: {exc}") from None


# --- Apple Encrypted Archive (signed shortcuts) -------------------------------------

_ROOT_HEADER = struct.Struct("<QQIIBB")
_CHECKSUM_BYTES = {0: 0, 1: 8, 2: 32}
_COMPRESSION = {ord("-"): "none", ord("e"): "lzfse"}
_NAMED_COMPRESSION = {ord("4"): "LZ4", ord("b"): "LZBITMAP", ord("x"): "LZMA", ord("z"): "zlib"}
_MAC = 32


def _need(data: bytes, offset: int, size: int, what: str, source: str) -> None:
    if size < 0 or offset + size > len(data):
        raise Corrupt(source, f"{what} needs bytes {offset}..{offset + size}, file has {len(data)}", reason="truncated")


def unwrap_aea(data: bytes, source: str, limits: Limits) -> tuple[bytearray, Signing]:
    """Return the decompressed Apple Archive payload of a signed shortcut."""
    _need(data, 0, 8, "AEA prologue", source)
    profile = int.from_bytes(data[4:7], "little")
    if profile != 0:
        raise Unsupported(source, f"AEA profile {profile} is encrypted; only profile 0 (signed) can be read",
                          reason="encrypted")
    _need(data, 0, 12, "AEA prologue", source)
    (auth_len,) = struct.unpack_from("<I", data, 8)
    _need(data, 12, auth_len, "AEA auth data", source)
    signing = _signing(data[12 : 12 + auth_len], source)
    offset = 12 + auth_len + 128 + 32 + 32 + _MAC  # signature, key, salt, root-header MAC
    _need(data, offset, _ROOT_HEADER.size, "AEA root header", source)
    original, encrypted, segment_size, per_cluster, compression, checksum = _ROOT_HEADER.unpack_from(data, offset)
    offset += 48 + _MAC  # root header, first-cluster MAC
    if encrypted != len(data):
        raise Corrupt(source, f"AEA header says the archive is {encrypted} bytes, file has {len(data)}",
                      reason="truncated" if encrypted > len(data) else "corrupt")
    if original > limits.max_decompressed_bytes:
        raise TooLarge(source, f"declared payload {original} bytes, limit {limits.max_decompressed_bytes}")
    if compression not in _COMPRESSION:
        name = _NAMED_COMPRESSION.get(compression, repr(chr(compression)))
        raise Unsupported(source, f"AEA compression {name} (only LZFSE and raw are read)", reason="compression")
    if checksum not in _CHECKSUM_BYTES:
        raise Corrupt(source, f"AEA checksum type {checksum} is undefined")
    if segment_size == 0 or per_cluster == 0:
        raise Corrupt(source, "AEA segment size or segments per cluster is zero")
    seg_header = 8 + _CHECKSUM_BYTES[checksum]
    # First walk every segment header and LZFSE block header, so that sizes which lie are refused
    # before the output buffer (as large as the header claims) is allocated.
    plan: list[tuple[int, int, int, bytes]] = []  # (offset, raw size, packed size, checksum)
    view_in = memoryview(data)
    declared = 0
    while declared < original:
        _need(data, offset, per_cluster * seg_header + _MAC + per_cluster * _MAC, "AEA cluster header", source)
        segments = []
        for i in range(per_cluster):
            raw_size, packed_size = struct.unpack_from("<II", data, offset + i * seg_header)
            if packed_size == 0:
                break
            digest = data[offset + i * seg_header + 8 : offset + (i + 1) * seg_header]
            segments.append((raw_size, packed_size, digest))
        offset += per_cluster * seg_header + _MAC + per_cluster * _MAC
        if not segments:
            break
        for raw_size, packed_size, digest in segments:
            if raw_size > segment_size or packed_size > raw_size:
                raise Corrupt(source, f"AEA segment sizes {packed_size}->{raw_size} exceed segment size {segment_size}")
            if declared + raw_size > original:
                raise Corrupt(source, f"AEA segments hold more than the declared {original} bytes")
            _need(data, offset, packed_size, "AEA segment", source)
            if packed_size != raw_size:
                blocks = lzfse_size(view_in[offset : offset + packed_size], source)  # no copy
                if blocks != raw_size:
                    raise Corrupt(source, f"LZFSE blocks declare {blocks} bytes, segment header {raw_size}")
            plan.append((offset, raw_size, packed_size, digest))
            offset += packed_size
            declared += raw_size
        if len(segments) < per_cluster:
            break
    if declared != original:
        raise Corrupt(source, f"AEA segments hold {declared} bytes, header declares {original}", reason="truncated")
    # Decode every segment in place into one buffer (one spare byte lets the decoder show overrun).
    out = bytearray(original + 1)
    view = memoryview(out)
    produced = 0
    for at, raw_size, packed_size, digest in plan:
        if packed_size == raw_size:
            out[produced : produced + raw_size] = data[at : at + packed_size]
        else:
            _lzfse(data, at, packed_size, out, produced, raw_size, source)
        if checksum == 2 and hashlib.sha256(view[produced : produced + raw_size]).digest() != digest:
            raise Corrupt(source, "AEA segment checksum does not match", reason="checksum")
        produced += raw_size
    view.release()
    del out[original:]
    return out, signing


def _signing(auth: bytes, source: str) -> Signing:
    try:
        info = plistlib.loads(auth, fmt=plistlib.FMT_BINARY)
    except (RecursionError, *_PARSE_ERRORS) as exc:
        raise Corrupt(source, f"AEA auth data is not a binary plist: {exc}") from None
    if not isinstance(info, dict):
        raise Corrupt(source, "AEA auth data is not a dictionary")
    keys = tuple(sorted(str(k) for k in info))
    if "SigningCertificateChain" in info:
        kind = "icloud"
    elif "AppleIDCertificateChain" in info:
        kind = "contact"
    else:
        kind = "unknown"
    return Signing(kind, keys, "lzfse")


def lzfse_size(block: bytes | memoryview, source: str) -> int:
    """Sum the raw sizes the LZFSE block headers declare, walking the stream without decoding.

    Lets us refuse a decompression bomb before the decoder allocates anything.
    """
    pos, total, end = 0, 0, len(block)
    while True:
        if pos + 4 > end:
            raise Corrupt(source, "LZFSE stream ends without an end-of-stream block", reason="truncated")
        magic = block[pos : pos + 4]
        if magic == b"bvx$":
            return total
        if pos + 8 > end:
            raise Corrupt(source, "LZFSE block header truncated", reason="truncated")
        (raw,) = struct.unpack_from("<I", block, pos + 4)
        if magic == b"bvx-":
            size = 8 + raw
        elif magic == b"bvxn":
            if pos + 12 > end:
                raise Corrupt(source, "LZVN block header truncated", reason="truncated")
            size = 12 + struct.unpack_from("<I", block, pos + 8)[0]
        elif magic == b"bvx2":
            if pos + 32 > end:
                raise Corrupt(source, "LZFSE v2 block header truncated", reason="truncated")
            f0, f1, f2 = struct.unpack_from("<QQQ", block, pos + 8)
            literal_bytes = (f0 >> 20) & 0xFFFFF
            lmd_bytes = (f1 >> 40) & 0xFFFFF
            header = f2 & 0xFFFFFFFF
            if header < 32:
                raise Corrupt(source, "LZFSE v2 block header size is too small")
            size = header + literal_bytes + lmd_bytes
        elif magic == b"bvx1":
            raise Unsupported(source, "LZFSE v1 blocks are not read", reason="compression")
        else:
            raise Corrupt(source, f"unknown LZFSE block magic {bytes(magic)!r}")
        total += raw
        pos += size


def _decoder() -> Any:
    """The reference decoder inside the ``lzfse`` extension, called with an exact-size buffer.

    ``lzfse.decompress`` sizes its buffer from the first block, and when the output fills it
    exactly (always, for a one-block segment) it doubles the buffer and decodes again.
    """
    try:
        fn = ctypes.CDLL(lzfse.__file__).lzfse_decode_buffer
    except (OSError, AttributeError):
        return None
    fn.restype = ctypes.c_size_t
    fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p]
    return fn


_DECODE = _decoder()


def _lzfse(data: bytes, at: int, size: int, out: bytearray, to: int, raw_size: int, source: str) -> None:
    """Decode ``data[at:at+size]`` into ``out[to:to+raw_size]``; the caller has checked with ``lzfse_size``
    that the block headers declare exactly ``raw_size`` bytes."""
    chunk = data[at : at + size]
    if _DECODE is not None:
        dst = (ctypes.c_char * (raw_size + 1)).from_buffer(out, to)
        n = _DECODE(dst, raw_size + 1, chunk, size, None)
        del dst
    else:
        try:
            decoded = lzfse.decompress(chunk)
        except lzfse.error as exc:
            raise Corrupt(source, f"LZFSE data does not decode: {exc}") from None
        n = len(decoded)
        if n == raw_size:
            out[to : to + n] = decoded
    if n != raw_size:
        raise Corrupt(source, f"LZFSE segment decoded to {n} bytes, header declares {raw_size}")


# --- Apple Archive (the payload of a signed shortcut) -------------------------------

_FIXED = {"1": 1, "2": 2, "4": 4, "8": 8, "F": 4, "G": 20, "H": 32, "I": 48, "J": 64, "S": 8, "T": 12}
_BLOB = {"A": 2, "B": 4, "C": 8}


def extract_wflow(payload: bytes | bytearray, source: str) -> bytes:
    """Return the ``DAT`` blob of the ``Shortcut.wflow`` entry of an Apple Archive."""
    pos, end = 0, len(payload)
    while pos < end:
        if pos + 6 > end:
            raise Corrupt(source, "Apple Archive record header truncated", reason="truncated")
        if payload[pos : pos + 4] not in (b"AA01", b"YAA1"):
            raise Corrupt(source, f"Apple Archive record magic {payload[pos : pos + 4]!r} at {pos}")
        (header_size,) = struct.unpack_from("<H", payload, pos + 4)
        if header_size < 6 or pos + header_size > end:
            raise Corrupt(source, f"Apple Archive header size {header_size} at {pos} is out of bounds",
                          reason="truncated")
        path, blobs = _aa_fields(payload[pos + 6 : pos + header_size], source)
        pos += header_size
        data = None
        for key, size in blobs:
            if pos + size > end:
                raise Corrupt(source, f"Apple Archive blob {key} of {size} bytes runs past the payload",
                              reason="truncated")
            if key == "DAT":
                data = bytes(payload[pos : pos + size])
            pos += size
        if path == "Shortcut.wflow" and data is not None:
            return data
    raise Corrupt(source, "Apple Archive has no Shortcut.wflow entry", reason="no-workflow")


def _aa_fields(header: bytes, source: str) -> tuple[str | None, list[tuple[str, int]]]:
    i, end = 0, len(header)
    path: str | None = None
    blobs: list[tuple[str, int]] = []
    while i < end:
        if i + 4 > end:
            raise Corrupt(source, "Apple Archive field key truncated", reason="truncated")
        key = header[i : i + 3].decode("latin-1")
        kind = chr(header[i + 3])
        i += 4
        if kind == "*":
            continue
        if kind in _FIXED:
            i += _FIXED[kind]
        elif kind == "P":
            if i + 2 > end:
                raise Corrupt(source, "Apple Archive string length truncated", reason="truncated")
            (n,) = struct.unpack_from("<H", header, i)
            if key == "PAT":
                path = header[i + 2 : i + 2 + n].decode("utf-8", "replace")
            i += 2 + n
        elif kind in _BLOB:
            n = _BLOB[kind]
            if i + n > end:
                raise Corrupt(source, "Apple Archive blob size truncated", reason="truncated")
            blobs.append((key, int.from_bytes(header[i : i + n], "little")))
            i += n
        else:
            raise Corrupt(source, f"Apple Archive field {key!r} has unknown type {kind!r}")
        if i > end:
            raise Corrupt(source, f"Apple Archive field {key!r} runs past its header", reason="truncated")
    return path, blobs
