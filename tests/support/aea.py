"""Build signed (``AEA1``) shortcuts for tests.

The layout follows the format notes (little-endian throughout):

- ``AEA1``, 3-byte profile, scrypt byte, ``u32`` auth-data length, auth data (a binary plist);
- 128 bytes signature, 32 key, 32 salt, 32 root-header MAC (dummy bytes here);
- 48-byte root header: original size ``u64``, encrypted size ``u64`` (the file length), segment size
  ``u32``, segments per cluster ``u32``, compression byte, checksum type byte, zero padding;
- 32-byte first-cluster MAC, then per cluster: one header per segment slot (raw size ``u32``,
  compressed size ``u32``, checksum), 32-byte next-cluster MAC, 32 bytes per segment MAC, the
  segment data.

The payload is an Apple Archive: a directory record and a file record (``AA01``, ``u16`` header size,
``TYP1`` ``F``, ``PATP`` + ``u16`` length + path, ``DATA``/``DATB``/``DATC`` blob size), then the blob.

Nothing is signed or MAC'd for real: the reader does not verify signatures, only sizes and the
SHA-256 segment checksums (type 2), which are real here. Murmur checksums (type 1) are zero bytes.

``build_signed`` returns the bytes together with the offsets of every interesting field, so a test
can lie about one size with ``patch``; ``make_signed`` returns just the bytes.
"""

from __future__ import annotations

import hashlib
import plistlib
import struct
from dataclasses import dataclass, field
from typing import Any

import lzfse

MAC = 32
CHECKSUM_BYTES = {0: 0, 1: 8, 2: 32}
COMPRESSION_BYTE = {"lzfse": ord("e"), "none": ord("-")}
DEFAULT_AUTH: dict[str, Any] = {"SigningCertificateChain": [b"test certificate 1", b"test certificate 2"]}
ROOT_HEADER = struct.Struct("<QQIIBB")
ROOT_HEADER_SIZE = 48


# --- Apple Archive ------------------------------------------------------------------


@dataclass
class Archive:
    """An Apple Archive payload and the offsets (within the payload) of its fields."""

    data: bytes
    offsets: dict[str, int]


def _record(fields: list[bytes], magic: bytes = b"AA01") -> tuple[bytes, int]:
    body = b"".join(fields)
    size = 6 + len(body)
    return magic + struct.pack("<H", size) + body, size


def apple_archive(
    blob: bytes,
    *,
    path: str = "Shortcut.wflow",
    blob_type: str | None = None,
    directory: bool = True,
    magic: bytes = b"AA01",
    extra_fields: bytes = b"",
) -> Archive:
    """A directory record and one file record whose ``DAT`` blob is ``blob``.

    ``blob_type`` is ``A``/``B``/``C`` (2/4/8-byte size); by default the smallest that fits,
    as real files do. Offsets: ``dir_record``, ``file_record``, ``file_header_size``, ``typ``,
    ``path_length``, ``path``, ``dat_key``, ``dat_size``, ``dat_size_width``, ``blob``.
    """
    out = bytearray()
    offsets: dict[str, int] = {}
    if directory:
        offsets["dir_record"] = 0
        rec, _ = _record([b"TYP1D", b"PATP" + struct.pack("<H", 0), b"MOD2" + struct.pack("<H", 0o755)], magic)
        out += rec
    if blob_type is None:
        blob_type = "A" if len(blob) < 1 << 16 else "B" if len(blob) < 1 << 32 else "C"
    width = {"A": 2, "B": 4, "C": 8}[blob_type]
    encoded_path = path.encode("utf-8")
    start = len(out)
    offsets["file_record"] = start
    offsets["file_header_size"] = start + 4
    offsets["typ"] = start + 6
    offsets["path_length"] = start + 6 + 5 + 3 + 1
    offsets["path"] = offsets["path_length"] + 2
    fields = [
        b"TYP1F",
        b"PATP" + struct.pack("<H", len(encoded_path)) + encoded_path,
        b"MOD2" + struct.pack("<H", 0o644),
        extra_fields,
    ]
    prefix = sum(len(f) for f in fields)
    offsets["dat_key"] = start + 6 + prefix
    offsets["dat_size"] = offsets["dat_key"] + 4
    offsets["dat_size_width"] = width
    fields.append(b"DAT" + blob_type.encode("ascii") + len(blob).to_bytes(width, "little"))
    rec, size = _record(fields, magic)
    out += rec
    offsets["blob"] = start + size
    out += blob
    return Archive(bytes(out), offsets)


# --- segments -----------------------------------------------------------------------


@dataclass
class Segment:
    raw_size: int
    packed: bytes
    checksum: bytes


def checksum_of(raw: bytes, checksum: int) -> bytes:
    if checksum == 2:
        return hashlib.sha256(raw).digest()
    return bytes(CHECKSUM_BYTES.get(checksum, 0))


def segments_of(payload: bytes, *, compression: str = "lzfse", segment_size: int = 1 << 20,
                checksum: int = 2) -> list[Segment]:
    """Cut ``payload`` into segments; LZFSE-compress each unless that does not make it smaller."""
    if compression not in COMPRESSION_BYTE:
        raise ValueError(f"compression must be one of {sorted(COMPRESSION_BYTE)}")
    out = []
    for at in range(0, len(payload), segment_size):
        raw = payload[at : at + segment_size]
        packed = raw
        if compression == "lzfse":
            squeezed = lzfse.compress(raw)
            if len(squeezed) < len(raw):
                packed = squeezed
        out.append(Segment(len(raw), packed, checksum_of(raw, checksum)))
    return out


# --- the AEA container --------------------------------------------------------------


@dataclass
class Signed:
    """A built signed shortcut.

    ``offsets`` holds absolute file offsets of: ``profile`` (3 bytes), ``scrypt``, ``auth_length``,
    ``auth``, ``signature``, ``root_header``, ``original_size`` (u64), ``encrypted_size`` (u64),
    ``segment_size`` (u32), ``segments_per_cluster`` (u32), ``compression`` (byte), ``checksum_type``
    (byte), ``first_cluster_mac``, ``first_cluster``. ``segments`` holds one dict per segment with
    ``raw_size`` / ``packed_size`` (u32 field offsets), ``checksum`` (offset), ``data`` (offset),
    ``raw`` / ``packed`` (the sizes) and ``cluster``.
    """

    data: bytes
    offsets: dict[str, int]
    segments: list[dict[str, int]] = field(default_factory=list)
    payload: bytes = b""


def assemble(
    segments: list[Segment],
    *,
    original_size: int,
    compression_byte: int = ord("e"),
    checksum: int = 2,
    segment_size: int = 1 << 20,
    per_cluster: int = 256,
    auth: bytes = b"",
    profile: int = 0,
    scrypt: int = 0,
) -> Signed:
    """Lay out a signed file from ready segments (the low level; ``build_signed`` is the usual entry)."""
    out = bytearray(b"AEA1")
    offsets: dict[str, int] = {"profile": 4, "scrypt": 7, "auth_length": 8, "auth": 12}
    out += profile.to_bytes(3, "little") + bytes([scrypt]) + struct.pack("<I", len(auth)) + auth
    offsets["signature"] = len(out)
    out += b"\x5a" * 128 + b"\x6b" * 32 + b"\x7c" * 32 + b"\x8d" * MAC  # signature, key, salt, root-header MAC
    root = len(out)
    offsets.update(root_header=root, original_size=root, encrypted_size=root + 8, segment_size=root + 16,
                   segments_per_cluster=root + 20, compression=root + 24, checksum_type=root + 25)
    out += bytes(ROOT_HEADER_SIZE)  # filled in at the end, when the length is known
    offsets["first_cluster_mac"] = len(out)
    out += b"\x9e" * MAC
    offsets["first_cluster"] = len(out)
    header_size = 8 + CHECKSUM_BYTES[checksum]
    placed: list[dict[str, int]] = []
    clusters = [segments[i : i + per_cluster] for i in range(0, len(segments), per_cluster)] or [[]]
    for number, cluster in enumerate(clusters):
        headers_at = len(out)
        for seg in cluster:
            placed.append({"cluster": number, "raw_size": len(out), "packed_size": len(out) + 4,
                           "checksum": len(out) + 8, "raw": seg.raw_size, "packed": len(seg.packed)})
            out += struct.pack("<II", seg.raw_size, len(seg.packed)) + seg.checksum
        out += bytes(headers_at + per_cluster * header_size - len(out))  # unused slots: all zero
        out += b"\xaf" * MAC  # next-cluster MAC
        out += b"\xb0" * (MAC * per_cluster)  # segment MACs
        for seg, where in zip(cluster, placed[len(placed) - len(cluster) :]):
            where["data"] = len(out)
            out += seg.packed
    ROOT_HEADER.pack_into(out, root, original_size, len(out), segment_size, per_cluster, compression_byte, checksum)
    return Signed(bytes(out), offsets, placed)


def auth_data(auth: dict[str, Any] | bytes | None = None) -> bytes:
    """The auth-data block: ``auth`` as a binary plist (bytes are taken as they are)."""
    if isinstance(auth, bytes):
        return auth
    return plistlib.dumps(DEFAULT_AUTH if auth is None else auth, fmt=plistlib.FMT_BINARY)


def build_signed(
    inner_plist_bytes: bytes,
    *,
    compression: str = "lzfse",
    segment_size: int = 1 << 20,
    checksum: int = 2,
    auth: dict[str, Any] | bytes | None = None,
    profile: int = 0,
    per_cluster: int = 256,
    archive: bytes | None = None,
) -> Signed:
    """A signed shortcut holding ``inner_plist_bytes`` as ``Shortcut.wflow``, with field offsets.

    ``archive`` replaces the whole Apple Archive payload (then ``inner_plist_bytes`` is ignored);
    ``auth`` may be a dictionary (written as a binary plist) or the raw auth-data bytes.
    """
    payload = apple_archive(inner_plist_bytes).data if archive is None else archive
    segs = segments_of(payload, compression=compression, segment_size=segment_size, checksum=checksum)
    signed = assemble(segs, original_size=len(payload), compression_byte=COMPRESSION_BYTE[compression],
                      checksum=checksum, segment_size=segment_size, per_cluster=per_cluster,
                      auth=auth_data(auth), profile=profile)
    signed.payload = payload
    return signed


def make_signed(
    inner_plist_bytes: bytes,
    *,
    compression: str = "lzfse",
    segment_size: int = 1 << 20,
    checksum: int = 2,
    auth: dict[str, Any] | bytes | None = None,
    profile: int = 0,
) -> bytes:
    """The bytes of a valid signed shortcut holding ``inner_plist_bytes`` (see ``build_signed``)."""
    return build_signed(inner_plist_bytes, compression=compression, segment_size=segment_size,
                        checksum=checksum, auth=auth, profile=profile).data


def field_offsets(inner_plist_bytes: bytes, **kwargs: Any) -> dict[str, int]:
    """Absolute offsets of the header fields ``build_signed`` would write for these arguments."""
    return build_signed(inner_plist_bytes, **kwargs).offsets


def patch(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    """``data`` with the little-endian ``struct`` field ``fmt`` at ``offset`` set to ``value``."""
    out = bytearray(data)
    struct.pack_into("<" + fmt, out, offset, value)
    return bytes(out)


def patch_bytes(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new) :]


# --- hand-made binary plists (for sizes and shapes plistlib will not write) ---------


def bp_marker(high: int, n: int) -> bytes:
    """An object marker with count ``n``: in the low nibble, or 0xF and a following int object."""
    if n < 15:
        return bytes([high << 4 | n])
    width = 0 if n < 1 << 8 else 1 if n < 1 << 16 else 2 if n < 1 << 32 else 3
    return bytes([high << 4 | 0xF, 0x10 | width]) + n.to_bytes(1 << width, "big")


def bp_ascii(text: str) -> bytes:
    return bp_marker(0x5, len(text)) + text.encode("ascii")


def bp_int(value: int) -> bytes:
    return b"\x13" + value.to_bytes(8, "big", signed=True)


def bp_array(refs: list[int], ref_size: int = 1) -> bytes:
    return bp_marker(0xA, len(refs)) + b"".join(r.to_bytes(ref_size, "big") for r in refs)


def bp_dict(keys: list[int], values: list[int], ref_size: int = 1) -> bytes:
    return bp_marker(0xD, len(keys)) + b"".join(r.to_bytes(ref_size, "big") for r in [*keys, *values])


def raw_bplist(objects: list[bytes], *, top: int = 0, ref_size: int = 1, offset_size: int | None = None,
               count: int | None = None, table: int | None = None) -> bytes:
    """``bplist00``, the encoded objects in order, the offset table and the trailer.

    ``count`` and ``table`` override what the trailer declares (to lie about them).
    """
    body = bytearray(b"bplist00")
    offsets = []
    for obj in objects:
        offsets.append(len(body))
        body += obj
    table_at = len(body)
    if offset_size is None:
        offset_size = 1 if table_at < 1 << 8 else 2 if table_at < 1 << 16 else 4
    for off in offsets:
        body += off.to_bytes(offset_size, "big")
    body += bytes(6) + bytes([offset_size, ref_size])
    body += struct.pack(">QQQ", len(objects) if count is None else count, top, table_at if table is None else table)
    return bytes(body)
