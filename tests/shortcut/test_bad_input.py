"""Bad input of every kind: each case either reads or raises one ``ShortcutError``, never anything else.

Cases are generated (with seeded randomness, so every run is the same) from small valid shortcuts in
every container: binary plist, XML plist, JSON, and signed files with LZFSE and raw segments. Each case
is a recipe, built when its test runs, so collecting thousands of cases costs little memory.

``CASES`` is the full list; ``len(CASES)`` and ``CATEGORY_COUNTS`` give the numbers to report.
"""

from __future__ import annotations

import json
import os
import plistlib
import random
import re
import struct
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from tests.support import aea
from tests.support.shortcuts import action, text
from workflowbench import read_shortcut
from workflowbench.shortcut.containers import DEFAULT_LIMITS, Limits, extract_wflow, unwrap_aea
from workflowbench.shortcut.errors import (
    BadStructure,
    Corrupt,
    ShortcutError,
    TooDeep,
    TooLarge,
    UnknownFormat,
    Unsupported,
)

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
MEMORY_CEILING = 64 << 20  # a refused file must not make the reader allocate more than this
ANY = "any"  # outcome: a Workflow or a ShortcutError, both fine
ERROR = "error"  # outcome: some ShortcutError
OK = "ok"  # outcome: a Workflow

# --- the small valid inputs -----------------------------------------------------------------------

UUID_TEXT = "8A5B1E9C-0D3F-4C2A-9B7E-1F2D3C4B5A69"
GROUP = "0F4C1B7A-2E3D-4A5B-8C9D-6E7F8091A2B3"


def base_workflow(extra_actions: int = 0) -> dict:
    """A tiny workflow: text, a variable, an if block, text with a variable, a dictionary."""
    greeting = {"Type": "Variable", "VariableName": "greeting"}
    actions = [
        action("gettext", UUID=UUID_TEXT, WFTextActionText="Hello"),
        action("setvariable", WFVariableName="greeting", WFInput={
            "Value": {"OutputUUID": UUID_TEXT, "Type": "ActionOutput", "OutputName": "Text"},
            "WFSerializationType": "WFTextTokenAttachment"}),
        action("conditional", GroupingIdentifier=GROUP, WFControlFlowMode=0, WFCondition=4,
                WFConditionalActionString="Hello",
                WFInput={"Type": "Variable", "Variable": {"Value": greeting,
                                                          "WFSerializationType": "WFTextTokenAttachment"}}),
        action("showresult", Text=text("Got \ufffc, ok 😀", {"{4, 1}": greeting}, value_first=True)),
        action("conditional", GroupingIdentifier=GROUP, WFControlFlowMode=2),
        action("dictionary", WFItems={"Value": {"WFDictionaryFieldValueItems": [
            {"WFItemType": 0, "WFKey": text("name", value_first=True), "WFValue": text("Zoë", value_first=True)},
            {"WFItemType": 3, "WFKey": text("count", value_first=True), "WFValue": text("3", value_first=True)},
        ]}, "WFSerializationType": "WFDictionaryFieldValue"}),
    ]
    for i in range(extra_actions):
        actions.append(action("comment", WFCommentActionText=f"note {i}: " + "abcdefghij"[i % 10] * (i % 37)))
    return {
        "WFWorkflowMinimumClientVersionString": "900",
        "WFWorkflowMinimumClientVersion": 900,
        "WFWorkflowClientVersion": "2302.0.4",
        "WFWorkflowIcon": {"WFWorkflowIconStartColor": 4282601983, "WFWorkflowIconGlyphNumber": 59511},
        "WFWorkflowTypes": ["NCWidget", "WatchKit"],
        "WFWorkflowInputContentItemClasses": ["WFStringContentItem", "WFURLContentItem"],
        "WFWorkflowOutputContentItemClasses": [],
        "WFWorkflowImportQuestions": [],
        "WFWorkflowHasOutputFallback": False,
        "WFWorkflowActions": actions,
    }


def encode(wf: object, container: str) -> bytes:
    """``wf`` as one container: bplist, xml, json or signed (LZFSE, SHA-256, 256 segments per cluster)."""
    if container == "bplist":
        return plistlib.dumps(wf, fmt=plistlib.FMT_BINARY)
    if container == "xml":
        return plistlib.dumps(wf, fmt=plistlib.FMT_XML)
    if container == "json":
        return json.dumps(wf, ensure_ascii=False).encode("utf-8")
    if container == "signed":
        return aea.make_signed(plistlib.dumps(wf, fmt=plistlib.FMT_BINARY))
    raise ValueError(container)


SMALL = base_workflow()
BIG = base_workflow(extra_actions=60)  # > 4 KiB as a binary plist: LZFSE writes bvx2 blocks for it
SMALL_BPLIST = encode(SMALL, "bplist")
BIG_BPLIST = encode(BIG, "bplist")

# name -> (bytes, aea.Signed or None)
SIGNED = {
    "signed-lzfse": aea.build_signed(SMALL_BPLIST),
    "signed-raw": aea.build_signed(SMALL_BPLIST, compression="none"),
    "signed-lzfse-nocheck": aea.build_signed(BIG_BPLIST, segment_size=4096, checksum=0),
    "signed-raw-nocheck": aea.build_signed(SMALL_BPLIST, compression="none", checksum=0),
    "signed-multi": aea.build_signed(BIG_BPLIST, segment_size=1024, per_cluster=2, checksum=1),
}
BASES: dict[str, bytes] = {
    "bplist": SMALL_BPLIST,
    "xml": encode(SMALL, "xml"),
    "json": encode(SMALL, "json"),
    **{name: s.data for name, s in SIGNED.items()},
}


# --- cases --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    build: Callable[[], bytes]
    outcome: str = ANY  # ANY, ERROR, OK
    errors: tuple[type[ShortcutError], ...] = ()  # when given, the error must be one of these
    reason: str | None = None  # when given, the error's reason
    defect: str | None = None  # when given, a Workflow must come back with this defect kind
    limits: Limits = DEFAULT_LIMITS
    memory: bool = False  # measure the peak allocation while reading


CASES: list[Case] = []


def add(id: str, category: str, data: bytes | Callable[[], bytes], **kw: object) -> None:
    build = data if callable(data) else partial(bytes, data)
    CASES.append(Case(id, category, build, **kw))  # type: ignore[arg-type]


def _truncate(data: bytes, n: int) -> bytes:
    return data[:n]


def _truncate_fixed(signed: aea.Signed, n: int) -> bytes:
    """Truncate a signed file and make its encrypted-size field agree, so the reader looks further."""
    cut = bytearray(signed.data[:n])
    at = signed.offsets["encrypted_size"]
    if n >= at + 8:
        struct.pack_into("<Q", cut, at, n)
    return bytes(cut)


def _flip(data: bytes, changes: tuple[tuple[int, int], ...]) -> bytes:
    out = bytearray(data)
    for pos, value in changes:
        out[pos] = value
    return bytes(out)


def _splice(data: bytes, at: int, junk: bytes) -> bytes:
    return data[:at] + junk + data[at + len(junk) :]


def _live_ranges(signed: aea.Signed) -> list[range]:
    """Bytes of a signed file the reader actually interprets (not MACs, signature or unused slots)."""
    o = signed.offsets
    hdr = 8 + aea.CHECKSUM_BYTES[signed.data[o["checksum_type"]]]
    live = [range(0, o["signature"]), range(o["root_header"], o["root_header"] + 26)]
    for seg in signed.segments:
        live.append(range(seg["raw_size"], seg["raw_size"] + hdr))
        live.append(range(seg["data"], seg["data"] + seg["packed"]))
    return live


def _truncation_offsets(n: int, rng: random.Random) -> list[int]:
    if n <= 1200:
        return list(range(n))
    edges = set(range(64)) | set(range(n - 64, n))
    rest = sorted(set(range(n)) - edges)
    return sorted(edges | set(rng.sample(rest, 300 - len(edges))))


def truncation_cases() -> None:
    for name, data in BASES.items():
        rng = random.Random(f"truncate-{name}")
        for n in _truncation_offsets(len(data), rng):
            # Cutting only trailing whitespace (XML's final newline) leaves a valid file.
            outcome = ANY if not data[n:].strip() else ERROR
            add(f"truncate-{name}-{n}", "truncation", partial(_truncate, data, n), outcome=outcome)
        signed = SIGNED.get(name)
        if signed is not None:
            # Truncations whose encrypted-size field is made to agree: every later check gets its turn.
            live = sorted({p for r in _live_ranges(signed) for p in r} | {len(data) - 1})
            for n in sorted(set(rng.sample(live, min(200, len(live))))):
                add(f"truncate-fixed-{name}-{n}", "truncation", partial(_truncate_fixed, signed, n), outcome=ERROR)


def flip_cases() -> None:
    for name, data in BASES.items():
        rng = random.Random(f"flip-{name}")
        signed = SIGNED.get(name)
        live = [p for r in _live_ranges(signed) for p in r] if signed else None
        for i in range(300):
            count = rng.randint(1, 8)
            # Signed files are mostly MACs and unused slots: aim half the flips at bytes that are read.
            pool = live if live and i % 2 else None
            positions = [rng.choice(pool) if pool else rng.randrange(len(data)) for _ in range(count)]
            changes = tuple((p, rng.choice([rng.randrange(256), data[p] ^ (1 << rng.randrange(8))]))
                            for p in positions)
            add(f"flip-{name}-{i}", "byte-flip", partial(_flip, data, changes))


def garbage_cases() -> None:
    rng = random.Random("garbage")
    for i in range(40):
        add(f"garbage-random-{i}", "garbage", rng.randbytes(rng.choice([1, 7, 64, 1000, 5000])))
    prefixes = [b"AEA1", b"AEA1\x00\x00\x00\x00", b"bplist00", b"bplist", b"<?xml", b"<plist>", b"{", b"\xef\xbb\xbf{",
                b"  \n<", b"YAA1"]
    for prefix in prefixes:
        for i in range(6):
            tail = rng.randbytes(rng.choice([0, 3, 40, 400, 4000]))
            add(f"garbage-prefix-{prefix.hex()}-{i}", "garbage", prefix + tail)
    for name, data in BASES.items():
        for i in range(10):
            at = rng.randrange(len(data))
            add(f"garbage-splice-{name}-{i}", "garbage", partial(_splice, data, at, rng.randbytes(rng.randint(1, 64))))


# --- AEA headers that lie -------------------------------------------------------------------------------


def _rebuild(segments: list[aea.Segment], signed: aea.Signed, **kw: object) -> bytes:
    """Re-assemble ``signed`` with other segments (same header values unless overridden)."""
    o, d = signed.offsets, signed.data
    args = {
        "original_size": struct.unpack_from("<Q", d, o["original_size"])[0],
        "compression_byte": d[o["compression"]],
        "checksum": d[o["checksum_type"]],
        "segment_size": struct.unpack_from("<I", d, o["segment_size"])[0],
        "per_cluster": struct.unpack_from("<I", d, o["segments_per_cluster"])[0],
        "auth": d[o["auth"] : o["signature"]],
    }
    args.update(kw)
    return aea.assemble(segments, **args).data  # type: ignore[arg-type]


def _signed_with_auth(auth: bytes) -> bytes:
    return aea.build_signed(SMALL_BPLIST, auth=auth).data


def aea_lie_cases() -> None:
    s = SIGNED["signed-lzfse"]
    raw = SIGNED["signed-raw"]
    o, d = s.offsets, s.data
    n = len(d)
    auth_len = o["signature"] - o["auth"]
    original = struct.unpack_from("<Q", d, o["original_size"])[0]
    seg = s.segments[0]

    def lie(id: str, fmt: str, where: int, value: int, *, base: aea.Signed = s, **kw: object) -> None:
        kw.setdefault("outcome", ERROR)
        kw.setdefault("memory", True)
        add(f"aea-{id}", "aea-lie", partial(aea.patch, base.data, where, fmt, value), **kw)  # type: ignore[arg-type]

    for value in (0, 1, auth_len - 1, auth_len + 1, n - 12, n, 2**31, 2**32 - 1):
        lie(f"auth-length-{value}", "I", o["auth_length"], value, errors=(Corrupt,))
    add("aea-auth-garbage", "aea-lie", _splice(d, o["auth"], random.Random("auth").randbytes(auth_len)),
        outcome=ERROR, errors=(Corrupt,))
    add("aea-auth-xml", "aea-lie", partial(_signed_with_auth, plistlib.dumps(aea.DEFAULT_AUTH)),
        outcome=ERROR, errors=(Corrupt,))
    add("aea-auth-list", "aea-lie", partial(_signed_with_auth, plistlib.dumps([1, 2], fmt=plistlib.FMT_BINARY)),
        outcome=ERROR, errors=(Corrupt,))
    add("aea-auth-empty", "aea-lie", partial(_signed_with_auth, b""), outcome=ERROR, errors=(Corrupt,))
    add("aea-auth-deep", "aea-lie", partial(_signed_with_auth, deep_bplist(10_000)), outcome=ERROR,
        errors=(Corrupt,))
    add("aea-auth-unknown-keys", "aea-lie", partial(_signed_with_auth, aea.auth_data({"Other": 1})), outcome=OK)
    add("aea-auth-contact", "aea-lie", partial(_signed_with_auth, aea.auth_data({
        "AppleIDCertificateChain": [b"c"], "AppleIDValidationRecord": b"r", "SigningPublicKey": b"k",
        "SigningPublicKeySignature": b"s"})), outcome=OK)

    for value in (0, n - 1, n + 1, 2 * n, 2**63, 2**64 - 1):
        lie(f"encrypted-size-{value}", "Q", o["encrypted_size"], value, errors=(Corrupt,))
    for value in (0, original - 1, original + 1, 2 * original, 200 << 20, (256 << 20) + 1, 2**40, 2**64 - 1):
        errors = (TooLarge,) if value > DEFAULT_LIMITS.max_decompressed_bytes else (Corrupt,)
        lie(f"original-size-{value}", "Q", o["original_size"], value, errors=errors)
    lie("original-size-over-limit", "Q", o["original_size"], original, errors=(TooLarge,),
        limits=Limits(max_decompressed_bytes=original - 1))
    for value in (0, 1, seg["raw"] - 1):
        lie(f"segment-size-{value}", "I", o["segment_size"], value, errors=(Corrupt,))
    for value in (seg["raw"], 2**32 - 1):  # a segment size at or above every segment's size is no lie
        lie(f"segment-size-{value}", "I", o["segment_size"], value, outcome=OK)
    for value in (0, 1, 2, 255, 257, 1 << 20, 2**31, 2**32 - 1):
        lie(f"per-cluster-{value}", "I", o["segments_per_cluster"], value, errors=(Corrupt,))
    for char in "4bxz":
        lie(f"compression-{char}", "B", o["compression"], ord(char), errors=(Unsupported,), reason="compression")
    for value in (0, ord("E"), 0xFF):
        lie(f"compression-{value:#x}", "B", o["compression"], value, errors=(Unsupported,), reason="compression")
    for value in (0, 1, 3, 0xFF):
        lie(f"checksum-type-{value}", "B", o["checksum_type"], value, errors=(Corrupt,))
    for profile in (1, 2, 3, 4, 5, 0x100, 0xFFFFFF):
        lie(f"profile-{profile}", "I", o["profile"], profile | (d[o["scrypt"]] << 24), errors=(Unsupported,),
            reason="encrypted")
    lie("scrypt-byte", "B", o["scrypt"], 7, outcome=ANY)

    # Segment headers: raw and compressed sizes bigger than the data or than the segment size.
    for base in (s, raw):
        tag = "lzfse" if base is s else "raw"
        sg = base.segments[0]
        for value in (0, sg["raw"] - 1, sg["raw"] + 1, 1 << 20, (1 << 20) + 1, 2**32 - 1):
            lie(f"{tag}-segment-raw-{value}", "I", sg["raw_size"], value, base=base, errors=(Corrupt,))
        for value in sorted({1, sg["packed"] - 1, sg["packed"] + 1, sg["raw"], sg["raw"] + 1, 2**32 - 1}):
            if value != sg["packed"]:
                lie(f"{tag}-segment-packed-{value}", "I", sg["packed_size"], value, base=base, errors=(Corrupt,))
        lie(f"{tag}-segment-packed-0", "I", sg["packed_size"], 0, base=base, errors=(Corrupt,), reason="truncated")
        lie(f"{tag}-checksum-mismatch", "B", sg["checksum"], base.data[sg["checksum"]] ^ 1, base=base,
            errors=(Corrupt,), reason="checksum")
        lie(f"{tag}-data-flip", "B", sg["data"] + sg["packed"] // 2, base.data[sg["data"] + sg["packed"] // 2] ^ 0x10,
            base=base, errors=(Corrupt,))
    # Multi-cluster file: a lie in the second cluster.
    m = SIGNED["signed-multi"]
    third = m.segments[2]
    lie("multi-second-cluster-raw", "I", third["raw_size"], third["raw"] + 1, base=m, errors=(Corrupt,))
    lie("multi-second-cluster-packed", "I", third["packed_size"], third["packed"] + 5, base=m, errors=(Corrupt,))
    lie("multi-second-cluster-end", "I", third["packed_size"], 0, base=m, errors=(Corrupt,), reason="truncated")


# LZFSE block headers that lie. Segments keep their true raw sizes and SHA-256 checksums, so a
# decoder that produced wrong bytes would still be caught; the lies are in the compressed stream.


def _lzfse_lie(payload: bytes, segment_size: int, mutate: Callable[[bytes], bytes], index: int = 0,
               consistent: int = 0) -> bytes:
    """A signed file whose segment ``index`` has its LZFSE stream passed through ``mutate``.

    ``consistent`` (a byte count) is added to that segment's raw size and to the original size, for lies
    that agree with the headers around them.
    """
    segs = aea.segments_of(payload, segment_size=segment_size, checksum=2)
    target = segs[index]
    segs[index] = aea.Segment(target.raw_size + consistent, mutate(target.packed), target.checksum)
    original = len(payload) + consistent
    return aea.assemble(segs, original_size=original, segment_size=max(segment_size, target.raw_size + consistent),
                        auth=aea.auth_data()).data


def _set(fmt: str, at: int, value: int) -> Callable[[bytes], bytes]:
    def mutate(block: bytes) -> bytes:
        out = bytearray(block)
        struct.pack_into(fmt, out, at, value)
        return bytes(out)
    return mutate


def _set_bits(at: int, shift: int, width: int, value: int) -> Callable[[bytes], bytes]:
    """Set ``width`` bits at ``shift`` of the little-endian u64 at ``at`` (bvx2 packed fields)."""
    def mutate(block: bytes) -> bytes:
        out = bytearray(block)
        (word,) = struct.unpack_from("<Q", out, at)
        mask = ((1 << width) - 1) << shift
        struct.pack_into("<Q", out, at, (word & ~mask) | ((value << shift) & mask))
        return bytes(out)
    return mutate


def _get_bits(block: bytes, at: int, shift: int, width: int) -> int:
    return (struct.unpack_from("<Q", block, at)[0] >> shift) & ((1 << width) - 1)


def _replace(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    return lambda block: block.replace(old, new)


def _raw_block(n_raw: int) -> Callable[[bytes], bytes]:
    """Replace the stream with one uncompressed ``bvx-`` block of the true bytes, declaring ``n_raw``."""
    def mutate(block: bytes) -> bytes:
        return b"bvx-" + struct.pack("<I", n_raw) + RAW_BLOCK_BYTES + b"bvx$"
    return mutate


RAW_BLOCK_BYTES = b""  # set below: the archive bytes of the small payload


def lzfse_lie_cases() -> None:
    global RAW_BLOCK_BYTES
    small = aea.apple_archive(SMALL_BPLIST).data
    big = aea.apple_archive(BIG_BPLIST).data
    RAW_BLOCK_BYTES = small
    vn = aea.segments_of(small)[0].packed
    v2 = aea.segments_of(big, segment_size=8192)[0].packed
    assert vn[:4] == b"bvxn" and v2[:4] == b"bvx2", (vn[:4], v2[:4])
    size = 1 << 20

    def case(id: str, payload: bytes, mutate: Callable[[bytes], bytes], outcome: str = ERROR,
             segment_size: int = size, consistent: int = 0, **kw: object) -> None:
        kw.setdefault("errors", (Corrupt,) if outcome == ERROR else ())
        build = partial(_lzfse_lie, payload, segment_size, mutate, consistent=consistent)
        add(f"lzfse-{id}", "lzfse-lie", build, outcome=outcome, memory=True, **kw)  # type: ignore[arg-type]

    n_raw_vn = struct.unpack_from("<I", vn, 4)[0]
    n_payload_vn = struct.unpack_from("<I", vn, 8)[0]
    for value in (0, 1, n_raw_vn - 1, n_raw_vn + 1, 2 * n_raw_vn, 2**31, 2**32 - 1):
        case(f"bvxn-n-raw-{value}", small, _set("<I", 4, value))
    for value in (0, 1, n_payload_vn - 1, n_payload_vn + 1, 2**31, 2**32 - 1):
        case(f"bvxn-n-payload-{value}", small, _set("<I", 8, value))
    n_raw_v2 = struct.unpack_from("<I", v2, 4)[0]
    for value in (0, 1, n_raw_v2 - 1, n_raw_v2 + 1, 2**32 - 1):
        case(f"bvx2-n-raw-{value}", big, _set("<I", 4, value), segment_size=8192)
    # bvx2 packed header: f0 = n_literals:20 | n_literal_payload_bytes:20 | n_matches:20 | literal_bits:3,
    # f1 = literal_state:4x10 | n_lmd_payload_bytes:20 | lmd_bits:3, f2 = header_size:32 | states...
    fields = {"n-literals": (8, 0, 20), "literal-bytes": (8, 20, 20), "n-matches": (8, 40, 20),
              "lmd-bytes": (16, 40, 20), "header-size": (24, 0, 32)}
    for name, (at, shift, width) in fields.items():
        true = _get_bits(v2, at, shift, width)
        for value in sorted({0, 1, 31, true - 1, true + 1, (1 << width) - 1} - {true}):
            # Counts inside a block only the decoder sees; it may round them (literals come in fours), and
            # whatever it produces is still held to the segment's SHA-256.
            outcome = ANY if name in ("n-literals", "n-matches") else ERROR
            case(f"bvx2-{name}-{value}", big, _set_bits(at, shift, width, value), outcome, segment_size=8192)
    case("bvx1-magic", small, _replace(b"bvxn", b"bvx1"), errors=(Unsupported,), reason="compression")
    case("bad-magic", small, _replace(b"bvxn", b"bvxQ"))
    case("no-end-marker", small, lambda b: b[:-4])
    case("end-marker-only", small, lambda b: b"bvx$")
    case("empty-stream", small, lambda b: b"")
    case("end-marker-first", small, lambda b: b"bvx$" + b)
    case("twice", small, lambda b: b + b, outcome=ANY, errors=())
    case("trailing-junk", small, lambda b: b + b"\x00junk", outcome=ANY, errors=())
    case("header-cut", small, lambda b: b[:6])
    # A bvx- block is always longer than its bytes, so the segment header's packed > raw must refuse it.
    for value in (len(small), len(small) - 1, len(small) + 1, 0, 2**32 - 1):
        case(f"bvx--n-raw-{value}", small, _raw_block(value))
    # Lies the headers around them agree with: only the decoder itself can notice these.
    for delta in (1, 64, 4096):
        case(f"bvxn-consistent-{delta}", small, _set("<I", 4, n_raw_vn + delta), consistent=delta)
        case(f"bvx2-consistent-{delta}", big, _set("<I", 4, n_raw_v2 + delta), segment_size=8192,
             consistent=delta)
    for delta in (-1, -64):
        case(f"bvxn-consistent-{delta}", small, _set("<I", 4, n_raw_vn + delta), consistent=delta)
        case(f"bvx2-consistent-{delta}", big, _set("<I", 4, n_raw_v2 + delta), segment_size=8192,
             consistent=delta)


# --- Apple Archive lies ----------------------------------------------------------------------------------


def _signed_archive(archive: bytes | Callable[[], bytes]) -> bytes:
    payload = archive() if callable(archive) else archive
    return aea.build_signed(b"", archive=payload, compression="none").data


def archive_lie_cases() -> None:
    arc = aea.apple_archive(SMALL_BPLIST)
    a, o = arc.data, arc.offsets
    hdr = o["blob"] - o["file_record"]
    blob_len = len(SMALL_BPLIST)

    def case(id: str, payload: bytes, outcome: str = ERROR, **kw: object) -> None:
        kw.setdefault("errors", (Corrupt,) if outcome == ERROR else ())
        add(f"archive-{id}", "archive-lie", partial(_signed_archive, payload), outcome=outcome, memory=True,
            **kw)  # type: ignore[arg-type]

    for value in (0, 5, 6, 7, hdr - 1, hdr + 1, 0xFFFF):
        case(f"header-size-{value}", aea.patch(a, o["file_header_size"], "H", value))
    for value in (0, 1, blob_len - 1, blob_len + 1, 0xFFFF):
        case(f"blob-size-{value}", aea.patch(a, o["dat_size"], "H", value))
    for kind, width, value in (("B", 4, 2**32 - 1), ("C", 8, 2**64 - 1), ("C", 8, 2**40), ("B", 4, blob_len + 1)):
        case(f"blob-size-{kind}-{value}", aea.patch(aea.apple_archive(SMALL_BPLIST, blob_type=kind).data,
                                                     o["dat_size"], "Q" if width == 8 else "I", value))
    case("blob-type-B", aea.apple_archive(SMALL_BPLIST, blob_type="B").data, outcome=OK)
    case("blob-type-C", aea.apple_archive(SMALL_BPLIST, blob_type="C").data, outcome=OK)
    case("unknown-field-type", aea.patch_bytes(a, o["typ"], b"TYPQ"))
    case("unknown-field-type-dir", aea.patch_bytes(a, 6, b"TYPQ"))
    case("path-length-past-header", aea.patch(a, o["path_length"], "H", 0xFFFF))
    case("path-length-short", aea.patch(a, o["path_length"], "H", 3))
    case("fixed-field-past-header", aea.apple_archive(SMALL_BPLIST, extra_fields=b"MTMT\x01\x02")
         .data[: o["blob"]] + SMALL_BPLIST)
    for path in ("Other.wflow", "shortcut.wflow", "Shortcut.wflow/", ""):
        case(f"missing-wflow-{path or 'empty'}", aea.apple_archive(SMALL_BPLIST, path=path).data,
             reason="no-workflow")
    case("directory-only", a[: o["file_record"]], reason="no-workflow")
    case("empty-archive", b"", reason="no-workflow")
    case("no-dat-field", aea.patch_bytes(a, o["dat_key"], b"XYZA"), reason="no-workflow")
    case("bad-magic", aea.patch_bytes(a, o["file_record"], b"AA02"))
    case("yaa1-magic", aea.apple_archive(SMALL_BPLIST, magic=b"YAA1").data, outcome=OK)
    case("record-header-cut", a[: o["file_record"] + 5])
    case("field-key-cut", aea.apple_archive(SMALL_BPLIST, extra_fields=b"XY").data)
    case("trailing-junk", a + b"\x00" * 10, outcome=OK)
    case("second-record-junk", a + b"AA01\xff\xff", outcome=OK)
    case("wflow-garbage", aea.apple_archive(random.Random("wflow").randbytes(300)).data,
         errors=(Corrupt, Unsupported))
    case("wflow-xml", aea.apple_archive(encode(SMALL, "xml")).data, errors=(Corrupt, Unsupported))
    case("wflow-bplist15", aea.apple_archive(b"bplist15" + SMALL_BPLIST[8:]).data, errors=(Unsupported,))
    case("wflow-empty", aea.apple_archive(b"").data)


# --- huge declared sizes ---------------------------------------------------------------------------------


def shared_bplist(levels: int, where: str) -> bytes:
    """A binary plist of ~``3 * levels`` bytes standing for ``2**levels`` values: each list holds the next twice.

    ``where`` is a top-level key, or ``parameter`` for an action parameter.
    """
    if where == "parameter":
        objects = [aea.bp_dict([1], [2]), aea.bp_ascii("WFWorkflowActions"), aea.bp_array([3]),
                   aea.bp_dict([4, 5], [6, 7]), aea.bp_ascii("WFWorkflowActionIdentifier"),
                   aea.bp_ascii("WFWorkflowActionParameters"), aea.bp_ascii("x"), aea.bp_dict([8], [9]),
                   aea.bp_ascii("p")]
    else:
        objects = [aea.bp_dict([1, 3], [2, 4]), aea.bp_ascii("WFWorkflowActions"), aea.bp_array([]),
                   aea.bp_ascii(where)]
    first = len(objects)
    objects += [aea.bp_array([first + i + 1] * 2) for i in range(levels)] + [aea.bp_array([])]
    return aea.raw_bplist(objects)


def wide_shared_bplist(width: int) -> bytes:
    """{"WFWorkflowActions": [], "X": [L, L, ...]} with ``width`` references to one list L of ``width`` items."""
    ref = 2
    objects = [aea.bp_dict([1, 3], [2, 4], ref), aea.bp_ascii("WFWorkflowActions"), aea.bp_array([], ref),
               aea.bp_ascii("X"), aea.bp_array([5] * width, ref), aea.bp_array([6] * width, ref), aea.bp_int(7)]
    return aea.raw_bplist(objects, ref_size=ref)


def _bad_offset(data: bytes, offset: int) -> bytes:
    """A binary plist (8-byte offsets) whose last object offset is ``offset``."""
    return data[: len(data) - 40] + offset.to_bytes(8, "big") + data[len(data) - 32 :]


def huge_cases() -> None:
    def case(id: str, data: bytes, errors: tuple[type[ShortcutError], ...] = (Corrupt, TooLarge)) -> None:
        add(f"huge-bplist-{id}", "huge-size", data, outcome=ERROR, errors=errors, memory=True)
        add(f"huge-signed-{id}", "huge-size", partial(aea.make_signed, data), outcome=ERROR, errors=errors,
            memory=True)

    top = [aea.bp_dict([1], [2])]
    key = aea.bp_ascii("WFWorkflowActions")
    case("object-count", aea.raw_bplist([*top, key, aea.bp_array([])], count=2**62))
    case("object-count-2**32", aea.raw_bplist([*top, key, aea.bp_array([])], count=2**32))
    case("table-past-end", aea.raw_bplist([*top, key, aea.bp_array([])], table=2**40))
    case("table-2**64-1", aea.raw_bplist([*top, key, aea.bp_array([])], table=2**64 - 1))
    for high, label in ((0x5, "ascii"), (0x6, "utf16"), (0x4, "data"), (0xA, "array"), (0xD, "dict")):
        for n in (2**30, 2**40, 2**62, 2**63 - 1):
            case(f"{label}-length-{n}", aea.raw_bplist([*top, key, aea.bp_marker(high, n)]))
    case("int-width-2**15", aea.raw_bplist([*top, key, b"\x1f"]))
    for offset in (2**31, 2**63, 2**64 - 1):
        case(f"object-offset-{offset}", _bad_offset(aea.raw_bplist([*top, key, aea.bp_array([])], offset_size=8),
                                                     offset))
    case("ref-size-8-past-end", aea.raw_bplist([aea.bp_dict([1], [2]), key, aea.bp_array([])], ref_size=8))
    # Shared containers: a few hundred bytes standing for 2**64 values must not be walked.
    for levels in (24, 40, 64):
        for where in ("parameter", "WFWorkflowTypes", "X"):
            case(f"shared-{levels}-{where}", shared_bplist(levels, where), errors=(TooLarge,))
    case("shared-wide", wide_shared_bplist(2000), errors=(TooLarge,))
    shared = [1, "two", {"three": 3.0}]
    add("huge-shared-legit", "huge-size", plistlib.dumps({"WFWorkflowActions": [], "X": [shared, shared, shared]},
                                                        fmt=plistlib.FMT_BINARY), outcome=OK)
    add("huge-shared-legit-signed", "huge-size", partial(aea.make_signed, shared_bplist(3, "X")), outcome=OK)
    add("huge-json-integer", "huge-size", b'{"WFWorkflowActions": [], "n": ' + b"9" * 100_000 + b"}",
        outcome=ERROR, errors=(Corrupt,), memory=True)
    add("huge-xml-integer", "huge-size", plistlib.dumps({"n": 1}).replace(b">1<", b">" + b"9" * 100_000 + b"<"),
        outcome=ERROR, errors=(Corrupt,), memory=True)


# --- profiles, compression, entities, nesting --------------------------------------------------------------


def deep_bplist(depth: int, *, where: str = "WFWorkflowTypes", children_first: bool = False) -> bytes:
    """{"WFWorkflowActions": [], where: [[[...]]]} nested ``depth`` deep, as a hand-made binary plist."""
    objects = [aea.bp_dict([1, 3], [2, 4], ref_size=2), aea.bp_ascii("WFWorkflowActions"), aea.bp_array([], 2),
               aea.bp_ascii(where)]
    first = len(objects)
    if children_first:  # the innermost list first: the decoder must recurse to build the outer ones
        last = first + depth - 1
        objects[0] = aea.bp_dict([1, 3], [2, last], ref_size=2)
        objects.append(aea.bp_array([], 2))
        objects += [aea.bp_array([first + i - 1], 2) for i in range(1, depth)]
    else:
        objects += [aea.bp_array([first + i + 1], 2) for i in range(depth - 1)] + [aea.bp_array([], 2)]
    return aea.raw_bplist(objects, ref_size=2)


def _nest_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def _nest_xml(depth: int) -> str:
    return "<array>" * depth + "</array>" * depth


def nesting_cases() -> None:
    depth = 10_000
    places = {
        "top-unknown": lambda v: {"WFWorkflowActions": [], "X": v},
        "top-types": lambda v: {"WFWorkflowActions": [], "WFWorkflowTypes": v},
        "top-no-input-behavior": lambda v: {"WFWorkflowActions": [], "WFWorkflowNoInputBehavior": {"a": v}},
        "parameter": lambda v: {"WFWorkflowActions": [{"WFWorkflowActionIdentifier": "x",
                                                       "WFWorkflowActionParameters": {"p": v}}]},
        "question-default": lambda v: {"WFWorkflowActions": [], "WFWorkflowImportQuestions": [{"DefaultValue": v}]},
        "icon": lambda v: {"WFWorkflowActions": [], "WFWorkflowIcon": {"WFWorkflowIconStartColor": v}},
    }
    marker = "__DEEP__"
    for place, wrap in places.items():
        skeleton = wrap(marker)
        as_json = json.dumps(skeleton).replace(json.dumps(marker), _nest_json(depth)).encode()
        as_xml = plistlib.dumps(skeleton).replace(f"<string>{marker}</string>".encode(), _nest_xml(depth).encode())
        add(f"deep-json-{place}", "nesting", as_json, outcome=ERROR, errors=(TooDeep,), reason="too-deep")
        add(f"deep-xml-{place}", "nesting", as_xml, outcome=ERROR, errors=(TooDeep,), reason="too-deep")
    for where in ("WFWorkflowTypes", "X", "WFWorkflowNoInputBehavior"):
        for children_first in (False, True):
            tag = f"{where}-{'children-first' if children_first else 'parents-first'}"
            data = deep_bplist(depth, where=where, children_first=children_first)
            add(f"deep-bplist-{tag}", "nesting", data, outcome=ERROR, errors=(TooDeep,), reason="too-deep")
            add(f"deep-signed-{tag}", "nesting", partial(aea.make_signed, data), outcome=ERROR, errors=(TooDeep,))
    # Just over and just under the configured depth, in every container.
    limit = DEFAULT_LIMITS.max_depth
    for d, outcome in ((limit - 5, OK), (limit + 5, ERROR)):
        skeleton = {"WFWorkflowActions": [], "WFWorkflowTypes": "__DEEP__"}
        add(f"depth-{d}-json", "nesting", json.dumps(skeleton).replace('"__DEEP__"', _nest_json(d)).encode(),
            outcome=outcome)
        add(f"depth-{d}-xml", "nesting", plistlib.dumps(skeleton).replace(b"<string>__DEEP__</string>",
                                                                       _nest_xml(d).encode()), outcome=outcome)
        add(f"depth-{d}-bplist", "nesting", deep_bplist(d), outcome=outcome)
    # Dictionary keys that are not strings (plists have none; code downstream sorts and serializes keys).
    for label, key_object in (("int", aea.bp_int(5)), ("data", b"\x41x"), ("bool", b"\x09"), ("none", b"\x00"),
                              ("list", aea.bp_array([]))):
        data = aea.raw_bplist([aea.bp_dict([1, 3], [2, 4]), aea.bp_ascii("WFWorkflowActions"), aea.bp_array([]),
                               key_object, aea.bp_ascii("v")])
        add(f"key-bplist-{label}", "wrong-type", data, outcome=ERROR, errors=(Corrupt,))
        add(f"key-signed-{label}", "wrong-type", partial(aea.make_signed, data), outcome=ERROR, errors=(Corrupt,))
    # Containers that contain themselves: an array holding itself, a dict and array holding each other.
    key = aea.bp_ascii("WFWorkflowActions")
    self_array = aea.raw_bplist([aea.bp_dict([1], [2]), key, aea.bp_array([2])])
    mutual = aea.raw_bplist([aea.bp_dict([1], [2]), key, aea.bp_array([3]), aea.bp_dict([1], [2])])
    top_self = aea.raw_bplist([aea.bp_dict([1], [0]), key])
    for name, data in (("self-array", self_array), ("mutual", mutual), ("top-self", top_self)):
        add(f"cycle-bplist-{name}", "nesting", data, outcome=ERROR, errors=(Corrupt, TooDeep))
        add(f"cycle-signed-{name}", "nesting", partial(aea.make_signed, data), outcome=ERROR,
            errors=(Corrupt, TooDeep))


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE plist [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<plist version="1.0"><dict><key>WFWorkflowActions</key><array/><key>X</key><string>&lol9;</string></dict></plist>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE plist [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<plist version="1.0"><dict><key>WFWorkflowActions</key><array/><key>X</key><string>&xxe;</string></dict></plist>
"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE plist [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<plist version="1.0"><dict><key>WFWorkflowActions</key><array/></dict></plist>
"""


def format_cases() -> None:
    s = SIGNED["signed-lzfse"]
    for profile in range(1, 6):
        add(f"profile-built-{profile}", "profile-compression", partial(aea.make_signed, SMALL_BPLIST, profile=profile),
            outcome=ERROR, errors=(Unsupported,), reason="encrypted")
    for char in "4bxz":
        add(f"compression-{char}", "profile-compression", aea.patch(s.data, s.offsets["compression"], "B", ord(char)),
            outcome=ERROR, errors=(Unsupported,), reason="compression")
    for name, data in (("billion-laughs", BILLION_LAUGHS), ("external", EXTERNAL_ENTITY),
                       ("parameter", PARAMETER_ENTITY),
                       ("billion-laughs-utf16", BILLION_LAUGHS.decode().encode("utf-16-le")),
                       ("external-utf16", EXTERNAL_ENTITY.decode().encode("utf-16-le"))):
        add(f"xml-entities-{name}", "xml-entities", data, outcome=ERROR, errors=(Unsupported,), reason="xml-entities")
    add("xml-external-dtd", "xml-entities", b'<?xml version="1.0"?><!DOCTYPE plist SYSTEM "file:///etc/passwd">'
        b"<plist><dict><key>WFWorkflowActions</key><array/></dict></plist>", outcome=OK)
    for encoding in ("bogus", "base64", "zlib", "rot13", "utf-32", "utf-7", "shift_jis"):
        add(f"xml-encoding-{encoding}", "garbage", f'<?xml version="1.0" encoding="{encoding}"?>'.encode()
            + plistlib.dumps({"WFWorkflowActions": []}).split(b"?>", 1)[1], outcome=ANY)


# --- wrong types -------------------------------------------------------------------------------------------


def _with(mutator: Callable[[dict], object]) -> object:
    wf = json.loads(json.dumps(SMALL))
    return mutator(wf) or wf


def _set_key(path: tuple, value: object) -> Callable[[dict], None]:
    def mutate(wf: dict) -> None:
        target = wf
        for p in path[:-1]:
            target = target[p]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return mutate


DELETE = object()
ACTIONS = "WFWorkflowActions"
PARAMS = "WFWorkflowActionParameters"


def wrong_type_cases() -> None:
    bad: dict[str, Callable[[dict], object]] = {
        "actions-dict": _set_key((ACTIONS,), {"a": 1}),
        "actions-string": _set_key((ACTIONS,), "actions"),
        "actions-int": _set_key((ACTIONS,), 3),
        "action-list": _set_key((ACTIONS, 0), ["is.workflow.actions.gettext"]),
        "action-string": _set_key((ACTIONS, 1), "is.workflow.actions.gettext"),
        "parameters-list": _set_key((ACTIONS, 0, PARAMS), [1, 2]),
        "parameters-string": _set_key((ACTIONS, 0, PARAMS), "x"),
        "identifier-missing": _set_key((ACTIONS, 2, "WFWorkflowActionIdentifier"), DELETE),
        "identifier-int": _set_key((ACTIONS, 2, "WFWorkflowActionIdentifier"), 7),
        "identifier-list": _set_key((ACTIONS, 2, "WFWorkflowActionIdentifier"), ["x"]),
        "top-list": lambda wf: [wf],
        "top-string": lambda wf: "workflow",
        "top-int": lambda wf: 1,
    }
    malformed: dict[str, Callable[[dict], object]] = {
        "text-value-list": _set_key((ACTIONS, 3, PARAMS, "Text", "Value"), ["Got", "x"]),
        "text-value-string": _set_key((ACTIONS, 3, PARAMS, "Text", "Value"), "Got"),
        "text-string-int": _set_key((ACTIONS, 3, PARAMS, "Text", "Value", "string"), 5),
        "attachments-list": _set_key((ACTIONS, 3, PARAMS, "Text", "Value", "attachmentsByRange"), [{"a": 1}]),
        "attachments-empty-list": _set_key((ACTIONS, 3, PARAMS, "Text", "Value", "attachmentsByRange"), []),
        "attachment-range-bogus": _set_key((ACTIONS, 3, PARAMS, "Text", "Value", "attachmentsByRange"),
                                           {"{400, 1}": {"Type": "Variable", "VariableName": "v"}}),
        "dictionary-items-string": _set_key((ACTIONS, 5, PARAMS, "WFItems", "Value", "WFDictionaryFieldValueItems"),
                                            "items"),
        "dictionary-item-list": _set_key((ACTIONS, 5, PARAMS, "WFItems", "Value", "WFDictionaryFieldValueItems",
                                          0), ["k"]),
        "dictionary-item-type-string": _set_key((ACTIONS, 5, PARAMS, "WFItems", "Value",
                                                 "WFDictionaryFieldValueItems", 0, "WFItemType"), "0"),
    }
    for container in ("bplist", "xml", "json", "signed"):
        for name, mutate in bad.items():
            # JSON is recognised by its opening brace: a top-level list or scalar is no known container.
            top = name.startswith("top-") and container == "json"
            add(f"wrong-type-{container}-{name}", "wrong-type", partial(encode, _with(mutate), container),
                outcome=ERROR, errors=(UnknownFormat,) if top else (BadStructure,))
        for name, mutate in malformed.items():
            add(f"malformed-{container}-{name}", "wrong-type", partial(encode, _with(mutate), container),
                outcome=OK, defect="malformed-value")
        add(f"control-flow-{container}-unclosed", "wrong-type",
            partial(encode, _with(_set_key((ACTIONS, 4), {"WFWorkflowActionIdentifier": "x"})), container),
            outcome=OK, defect="unclosed")


# --- limits and empty input ---------------------------------------------------------------------------------


def limit_cases() -> None:
    for name, data in BASES.items():
        add(f"limit-input-{name}", "limits", data, outcome=ERROR, errors=(TooLarge,), reason="too-large",
            limits=Limits(max_input_bytes=len(data) - 1))
        add(f"limit-input-exact-{name}", "limits", data, outcome=OK, limits=Limits(max_input_bytes=len(data)))
        add(f"limit-depth-{name}", "limits", data, outcome=ERROR, errors=(TooDeep,), limits=Limits(max_depth=2))
    for name, signed in SIGNED.items():
        original = len(signed.payload)
        add(f"limit-payload-{name}", "limits", signed.data, outcome=ERROR, errors=(TooLarge,), reason="too-large",
            limits=Limits(max_decompressed_bytes=original - 1))
        add(f"limit-payload-exact-{name}", "limits", signed.data, outcome=OK,
            limits=Limits(max_decompressed_bytes=original))
    for label, data in (("empty", b""), ("space", b"   \n"), ("bom", b"\xef\xbb\xbf"), ("nul", b"\x00")):
        add(f"empty-{label}", "empty", data, outcome=ERROR, errors=(UnknownFormat,))
    for label, data in (("aea1", b"AEA1"), ("bplist00", b"bplist00"), ("xml", b"<?xml"), ("json", b"{"),
                        ("plist-tag", b"<plist>")):
        add(f"empty-{label}", "empty", data, outcome=ERROR, errors=(Corrupt,))


truncation_cases()
flip_cases()
garbage_cases()
aea_lie_cases()
lzfse_lie_cases()
archive_lie_cases()
huge_cases()
nesting_cases()
format_cases()
wrong_type_cases()
limit_cases()

CATEGORY_COUNTS = Counter(case.category for case in CASES)


# --- the checks -----------------------------------------------------------------------------------------------


def check(case: Case, source: bytes | str | os.PathLike[str], label: str) -> None:
    """Read ``source``: a Workflow that works, or a ShortcutError naming the source with a slug reason."""
    try:
        wf = read_shortcut(source, name=label, limits=case.limits)
    except ShortcutError as exc:
        assert label in str(exc), f"error does not name the source: {exc}"
        assert isinstance(exc.reason, str) and SLUG.fullmatch(exc.reason), f"reason {exc.reason!r} is no slug"
        assert exc.source == label
        assert case.outcome != OK, f"expected a workflow, got {exc!r}"
        if case.errors:
            assert isinstance(exc, case.errors), f"expected {case.errors}, got {exc!r}"
        if case.reason:
            assert exc.reason == case.reason, f"expected reason {case.reason}, got {exc!r}"
        return
    wf.to_plist()
    kinds = {d.kind for d in wf.defects}
    assert case.outcome != ERROR, f"expected an error, got a workflow (defects {sorted(kinds)})"
    if case.defect:
        assert case.defect in kinds, f"expected a {case.defect} defect, got {sorted(kinds)}"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case: Case) -> None:
    data = case.build()
    label = f"case:{case.id}"
    if not case.memory:
        check(case, data, label)
        return
    tracemalloc.start()
    try:
        check(case, data, label)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_CEILING, f"reading allocated {peak >> 20} MiB"


def test_case_count() -> None:
    assert len(CASES) >= 5000, CATEGORY_COUNTS
    assert len({case.id for case in CASES}) == len(CASES), "case ids repeat"
    for category in ("truncation", "byte-flip", "garbage", "aea-lie", "lzfse-lie", "archive-lie", "huge-size",
                     "nesting", "profile-compression", "xml-entities", "wrong-type", "limits", "empty"):
        assert CATEGORY_COUNTS[category] > 0, category
    for name in BASES:  # at least 200 truncations and 300 flips of every container
        assert sum(case.id.startswith(f"truncate-{name}-") for case in CASES) >= 200, name
        assert sum(case.id.startswith(f"flip-{name}-") for case in CASES) >= 300, name


def test_bases_are_valid() -> None:
    """Every mutation starts from a valid file that reads back to the workflow it was made from."""
    for name, data in BASES.items():
        wf = read_shortcut(data, name=name)
        expected = BIG if name in ("signed-lzfse-nocheck", "signed-multi") else SMALL
        assert wf.to_plist() == expected, name
        assert not wf.defects, (name, wf.defects)
    assert SIGNED["signed-lzfse"].segments[0]["packed"] < SIGNED["signed-lzfse"].segments[0]["raw"]
    assert SIGNED["signed-raw"].segments[0]["packed"] == SIGNED["signed-raw"].segments[0]["raw"]
    assert len({seg["cluster"] for seg in SIGNED["signed-multi"].segments}) > 1


# --- paths ----------------------------------------------------------------------------------------------------


@pytest.mark.timeout(20)
def test_paths(tmp_path: Path) -> None:
    missing = tmp_path / "missing.shortcut"
    for path in (tmp_path, missing, str(missing), str(tmp_path / "nul\x00.shortcut")):
        with pytest.raises(ShortcutError) as info:
            read_shortcut(path)
        assert info.value.reason == "io-error"
        assert str(path) in str(info.value)
    big = tmp_path / "big.shortcut"
    big.write_bytes(BASES["signed-lzfse"])
    with pytest.raises(TooLarge) as too_large:
        read_shortcut(big, limits=Limits(max_input_bytes=100))
    assert str(big) in str(too_large.value)
    assert read_shortcut(big).name == "big"
    empty = tmp_path / "empty.plist"
    empty.write_bytes(b"")
    with pytest.raises(UnknownFormat):
        read_shortcut(empty)


@pytest.mark.timeout(20)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_named_pipe_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.shortcut"
    os.mkfifo(fifo)
    with pytest.raises(ShortcutError) as info:
        read_shortcut(fifo)
    assert info.value.reason == "io-error"


# --- the builder against a real signed file -------------------------------------------------------------------


def _real_signed_files(count: int) -> list[Path]:
    manifest = CORPUS / "MANIFEST.jsonl"
    if not manifest.exists():
        return []
    rows = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    signed = sorted((r for r in rows if r.get("format") == "signed"), key=lambda r: (r["bytes"], r["path"]))
    return [CORPUS / r["path"] for r in signed[:: max(1, len(signed) // count)][:count]]


@pytest.mark.skipif(not _real_signed_files(1), reason=f"real-shortcut corpus not present at {CORPUS}")
def test_builder_matches_real_signed_files() -> None:
    for path in _real_signed_files(6):
        real = path.read_bytes()
        expected = read_shortcut(real).to_plist()
        payload, _ = unwrap_aea(real, str(path), DEFAULT_LIMITS)
        inner = extract_wflow(payload, str(path))
        for kwargs in ({}, {"compression": "none"}, {"segment_size": 1000, "per_cluster": 2, "checksum": 1}):
            rebuilt = aea.build_signed(inner, **kwargs)
            assert read_shortcut(rebuilt.data).to_plist() == expected, (path, kwargs)
        # Same layout as the real file: re-wrap its own payload and auth data raw, and every header field
        # the builder reports sits where the real file has it.
        auth_len = struct.unpack_from("<I", real, 8)[0]
        same = aea.build_signed(b"", archive=bytes(payload), auth=real[12 : 12 + auth_len])
        o = same.offsets
        assert real[: o["signature"]] == same.data[: o["signature"]]
        for name, fmt in (("original_size", "Q"), ("segment_size", "I"), ("segments_per_cluster", "I"),
                          ("compression", "B"), ("checksum_type", "B")):
            assert struct.unpack_from("<" + fmt, real, o[name]) == struct.unpack_from("<" + fmt, same.data, o[name])
        assert struct.unpack_from("<Q", real, o["encrypted_size"])[0] == len(real)
        for seg in same.segments:
            raw_size, _ = struct.unpack_from("<II", real, seg["raw_size"])
            assert raw_size == seg["raw"]
            assert real[seg["checksum"] : seg["checksum"] + 32] == same.data[seg["checksum"] : seg["checksum"] + 32]
        # The encoders differ, so compressed sizes may too; the first segment's data starts at the same offset.
        first = same.segments[0]
        assert real[first["data"] : first["data"] + 4] in (b"bvx2", b"bvxn", b"bvx-")
        assert len(real) - sum(struct.unpack_from("<II", real, g["raw_size"])[1] for g in same.segments) == \
            len(same.data) - sum(g["packed"] for g in same.segments)
