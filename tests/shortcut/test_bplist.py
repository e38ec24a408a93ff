"""The strict binary-plist decoder: plistlib's answer for every valid file, ``BplistError`` where sizes lie."""

from __future__ import annotations

import math
import plistlib
import random
import struct
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support import aea
from workflowbench.shortcut import bplist
from workflowbench.shortcut.bplist import BplistError

# --- random plist values --------------------------------------------------------------------------

INT_EDGES = [0, 1, -1, 14, 15, 16, 127, 128, 255, 256, -255, -256, 2**15, 2**16 - 1, 2**16, -(2**16),
             2**31 - 1, 2**31, 2**32 - 1, 2**32, -(2**31), -(2**32), 2**62, 2**63 - 1, -(2**63), 2**63, 2**64 - 1]
FLOAT_EDGES = [0.0, -0.0, 1.0, -1.5, 0.1, 1e308, -1e308, 5e-324, 2.5e-308, math.inf, -math.inf, math.nan,
               float(2**53), 3.4028234663852886e38]
ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.,:;-_/{}",  # ASCII: written as ASCII strings
    "éüßçñøåæ€£¥©®™ÀÉÎÕÛ",  # Latin-1 and BMP: UTF-16
    "漢字かなカナ한국어العربيةעברית",  # other BMP scripts
    "😀🎉🚀𝄞𐍈🀄🧬\U0010fffd",  # astral: surrogate pairs in UTF-16
    "\ufffc\u200b\u00a0\t\n\r",  # the attachment placeholder and other specials
]


def rand_string(rng: random.Random) -> str:
    length = rng.choice([0, 1, 5, 14, 15, 16, 40, 300])
    alphabet = rng.choice(ALPHABETS[:1] * 3 + ALPHABETS)  # mostly ASCII, as in real files
    if rng.random() < 0.3:
        alphabet = "".join(ALPHABETS)
    return "".join(rng.choice(alphabet) for _ in range(length))


def rand_int(rng: random.Random) -> int:
    if rng.random() < 0.5:
        return rng.choice(INT_EDGES)
    bits = rng.choice([4, 8, 16, 32, 63])
    value = rng.randrange(2**bits)
    return -value if rng.random() < 0.3 and value < 2**63 else value


def rand_scalar(rng: random.Random) -> Any:
    kind = rng.randrange(7)
    if kind == 0:
        return rand_string(rng)
    if kind == 1:
        return rand_int(rng)
    if kind == 2:
        return rng.choice(FLOAT_EDGES) if rng.random() < 0.4 else rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-30, 30)
    if kind == 3:
        return rng.random() < 0.5
    if kind == 4:
        return rng.randbytes(rng.choice([0, 1, 14, 15, 16, 100, 1000]))
    if kind == 5:
        return datetime(2001, 1, 1) + timedelta(seconds=rng.uniform(-3e9, 3e9))
    return rng.choice(["", "WFWorkflowActions", "is.workflow.actions.gettext", "\ufffc"])


def rand_value(rng: random.Random, budget: list[int], depth: int = 0, shared: list | None = None) -> Any:
    """A random value of at most about ``budget[0]`` nested values (the budget is shared and spent)."""
    budget[0] -= 1
    if depth >= 6 or budget[0] <= 0 or rng.random() < 0.45:
        return rand_scalar(rng)
    if shared and rng.random() < 0.1:  # the very same container twice: written once, referred to twice
        return rng.choice(shared)
    width = min(budget[0], rng.choice([0, 1, 2, 3, 5, 14, 15, 16, 20]))
    if rng.random() < 0.5:
        value: Any = [rand_value(rng, budget, depth + 1, shared) for _ in range(width)]
    else:
        value = {rand_string(rng): rand_value(rng, budget, depth + 1, shared) for _ in range(width)}
    if shared is not None:
        shared.append(value)
    return value


def rand_plist(seed: int) -> Any:
    rng = random.Random(seed)
    shared: list = []
    if seed % 10 == 0:  # many objects: two-byte object references and offsets
        return [rand_scalar(rng) for _ in range(rng.randint(260, 700))]
    if seed % 25 == 1:  # a big blob: offsets past 65535
        return {"blob": rng.randbytes(70_000), "after": [rand_scalar(rng) for _ in range(5)]}
    budget = [rng.choice([5, 30, 200, 600])]
    top = rand_value(rng, budget, 0, shared)
    return top if seed % 3 else {"WFWorkflowActions": [top, rand_value(rng, [50], 1, shared)]}


def same(a: Any, b: Any) -> bool:
    """Equal with types: True is not 1, 1.0 is not 1, NaN equals NaN, dictionary order counts."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return struct.pack(">d", a) == struct.pack(">d", b)
    if type(a) is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


@pytest.mark.parametrize("seed", range(320))
def test_matches_plistlib(seed: int) -> None:
    value = rand_plist(seed)
    data = plistlib.dumps(value, fmt=plistlib.FMT_BINARY, sort_keys=seed % 2 == 0)
    expected = plistlib.loads(data)
    assert same(bplist.loads(data), expected)


def test_generated_values_cover_the_encodings() -> None:
    """The random values above really exercise every object type and width the writer produces."""
    markers: set[int] = set()
    sizes: set[tuple[int, int]] = set()
    for seed in range(320):
        data = plistlib.dumps(rand_plist(seed), fmt=plistlib.FMT_BINARY)
        offset_size, ref_size, count, _, table = struct.unpack_from(">6xBBQQQ", data, len(data) - 32)
        sizes.add((offset_size, ref_size))
        for i in range(count):
            pos = int.from_bytes(data[table + i * offset_size : table + (i + 1) * offset_size], "big")
            markers.add(data[pos] if data[pos] >> 4 in (0x1, 0x2, 0x3) else data[pos] >> 4 << 4)
    for marker in (0x10, 0x11, 0x12, 0x13, 0x14, 0x23, 0x33, 0x40, 0x50, 0x60, 0xA0, 0xD0):
        assert marker in markers, hex(marker)
    assert {o for o, _ in sizes} >= {1, 2, 4} and {r for _, r in sizes} >= {1, 2}
    assert {True, False} <= {v for seed in range(50) for v in _walk(rand_plist(seed)) if type(v) is bool}


def _walk(value: Any) -> Any:
    yield value
    if type(value) is list:
        for v in value:
            yield from _walk(v)
    elif type(value) is dict:
        for v in value.values():
            yield from _walk(v)


def test_shared_containers_stay_shared() -> None:
    inner = [1, 2, 3]
    data = plistlib.dumps({"a": inner, "b": inner, "c": [inner]}, fmt=plistlib.FMT_BINARY)
    value = bplist.loads(data)
    assert value == {"a": [1, 2, 3], "b": [1, 2, 3], "c": [[1, 2, 3]]}
    assert value["a"] is value["b"] is value["c"][0]


@pytest.mark.parametrize("size", [3, 8])
def test_three_and_eight_byte_offsets_and_refs(size: int) -> None:
    """Sizes plistlib never writes (3) or writes only for huge files (8) still read as plistlib reads them."""
    objects = [aea.bp_dict([1, 3], [2, 4], size), aea.bp_ascii("key"), aea.bp_ascii("value"), aea.bp_ascii("list"),
               aea.bp_array([1, 2, 5], size), aea.bp_int(-7)]
    data = aea.raw_bplist(objects, ref_size=size, offset_size=size)
    assert same(bplist.loads(data), plistlib.loads(data))
    assert bplist.loads(data) == {"key": "value", "list": ["key", "value", -7]}


def test_children_before_parents() -> None:
    """Objects in any order: the decoder builds what a container needs first."""
    objects = [aea.bp_array([]), aea.bp_array([0, 0]), aea.bp_dict([3], [1]), aea.bp_ascii("k")]
    data = aea.raw_bplist(objects, top=2)
    assert bplist.loads(data) == plistlib.loads(data) == {"k": [[], []]}


def test_depth_limit_where_the_decoder_recurses() -> None:
    depth = 300
    objects = [aea.bp_array([], 2)] + [aea.bp_array([i], 2) for i in range(depth)]
    data = aea.raw_bplist(objects, top=depth, ref_size=2)
    with pytest.raises(RecursionError):
        bplist.loads(data, max_depth=100)
    value = bplist.loads(data, max_depth=1000)
    for _ in range(depth):
        (value,) = value
    assert value == []


# --- sizes that lie ----------------------------------------------------------------------------------


def _trailer(data: bytes, **fields: int) -> bytes:
    """``data`` with trailer fields (offset_size, ref_size, count, top, table) replaced."""
    names = ("offset_size", "ref_size", "count", "top", "table")
    values = dict(zip(names, struct.unpack_from(">6xBBQQQ", data, len(data) - 32)))
    values.update(fields)
    return data[:-32] + bytes(6) + struct.pack(">BBQQQ", *(values[n] for n in names))


KEY = aea.bp_ascii("k")
GOOD = aea.raw_bplist([aea.bp_dict([1], [2]), KEY, aea.bp_ascii("value")])


def _with_value(obj: bytes, *extra: bytes) -> bytes:
    """{"k": obj} as a hand-made binary plist (``extra`` objects follow, numbered from 3)."""
    return aea.raw_bplist([aea.bp_dict([1], [2]), KEY, obj, *extra])


def _cut_table_entry(data: bytes, offset: int) -> bytes:
    """``data`` (1-byte offsets) with the last object offset set to ``offset``."""
    return data[:-33] + bytes([offset]) + data[-32:]


LIES = {
    "empty": b"",
    "magic-only": b"bplist00",
    "short": GOOD[:39],
    "bad-magic": b"bplist01" + GOOD[8:],
    "offset-size-0": _trailer(GOOD, offset_size=0),
    "offset-size-5": _trailer(GOOD, offset_size=5),
    "offset-size-16": _trailer(GOOD, offset_size=16),
    "ref-size-0": _trailer(GOOD, ref_size=0),
    "ref-size-9": _trailer(GOOD, ref_size=9),
    "count-0": _trailer(GOOD, count=0),
    "count-past-table": _trailer(GOOD, count=4),
    "count-2**62": _trailer(GOOD, count=2**62),
    "count-2**64-1": _trailer(GOOD, count=2**64 - 1),
    "top-equals-count": _trailer(GOOD, top=3),
    "top-2**64-1": _trailer(GOOD, top=2**64 - 1),
    "table-0": _trailer(GOOD, table=0),
    "table-7": _trailer(GOOD, table=7),
    "table-past-end": _trailer(GOOD, table=len(GOOD)),
    "table-2**63": _trailer(GOOD, table=2**63),
    "object-offset-in-table": _cut_table_entry(GOOD, len(GOOD) - 32 - 3),
    "object-offset-in-header": _cut_table_entry(GOOD, 3),
    "object-offset-255": _cut_table_entry(GOOD, 255),
    "ascii-length-past-end": _with_value(aea.bp_marker(0x5, 200)),
    "ascii-length-2**62": _with_value(aea.bp_marker(0x5, 2**62)),
    "ascii-long-length-cut": _with_value(b"\x5f\x13\x00\x00"),
    "utf16-length-past-end": _with_value(aea.bp_marker(0x6, 100)),
    "utf16-length-2**63-1": _with_value(aea.bp_marker(0x6, 2**63 - 1)),
    "utf16-odd-bytes": _with_value(b"\x61\x00"),
    "data-length-past-end": _with_value(aea.bp_marker(0x4, 100)),
    "data-length-2**40": _with_value(aea.bp_marker(0x4, 2**40)),
    "array-count-past-end": _with_value(aea.bp_marker(0xA, 100)),
    "array-count-2**62": _with_value(aea.bp_marker(0xA, 2**62)),
    "dict-count-past-end": _with_value(aea.bp_marker(0xD, 100)),
    "dict-count-2**62": _with_value(aea.bp_marker(0xD, 2**62)),
    "length-marker-not-int": _with_value(b"\x5f\x23" + bytes(8)),
    "length-marker-16-bytes": _with_value(b"\x5f\x14" + bytes(16)),
    "length-marker-at-end": _with_value(b"\x5f"),
    "int-32-bytes": _with_value(b"\x15" + bytes(32)),
    "int-cut": _with_value(b"\x13\x00\x00"),
    "real-2-bytes": _with_value(b"\x21\x00\x00"),
    "real-16-bytes": _with_value(b"\x24" + bytes(16)),
    "real-cut": _with_value(b"\x23\x00\x00"),
    "date-cut": _with_value(b"\x33\x00"),
    "date-out-of-range": _with_value(b"\x33" + struct.pack(">d", 1e300)),
    "date-nan": _with_value(b"\x33" + struct.pack(">d", math.nan)),
    "uid-cut": _with_value(b"\x83\x00"),
    "unknown-marker-0x70": _with_value(b"\x70"),
    "unknown-marker-set": _with_value(b"\xc1\x01"),
    "unknown-marker-0xf0": _with_value(b"\xf0"),
    "ascii-not-ascii": _with_value(b"\x52\xc3\xa9"),
    "utf16-lone-surrogate": _with_value(b"\x61\xd8\x00"),
    "ref-to-missing-object": _with_value(aea.bp_array([9])),
    "dict-key-ref-missing": aea.raw_bplist([aea.bp_dict([7], [1]), KEY]),
    "array-contains-itself": _with_value(aea.bp_array([2])),
    "dict-contains-itself": aea.raw_bplist([aea.bp_dict([1], [0]), KEY]),
    "mutual-containment": _with_value(aea.bp_array([3]), aea.bp_array([2])),
    "key-int": aea.raw_bplist([aea.bp_dict([1], [2]), aea.bp_int(1), KEY]),
    "key-data": aea.raw_bplist([aea.bp_dict([1], [2]), b"\x41x", KEY]),
    "key-float": aea.raw_bplist([aea.bp_dict([1], [2]), b"\x23" + struct.pack(">d", 1.5), KEY]),
    "key-bool": aea.raw_bplist([aea.bp_dict([1], [2]), b"\x09", KEY]),
    "key-list": aea.raw_bplist([aea.bp_dict([1], [2]), aea.bp_array([2]), KEY]),
    "key-dict-later": aea.raw_bplist([aea.bp_dict([2], [1]), KEY, aea.bp_dict([1], [1])]),
    "key-none": aea.raw_bplist([aea.bp_dict([1], [2]), b"\x00", KEY]),
}


def test_good_is_good() -> None:
    assert bplist.loads(GOOD) == plistlib.loads(GOOD) == {"k": "value"}


@pytest.mark.timeout(10)
@pytest.mark.parametrize("name", sorted(LIES))
def test_lies_raise_bplist_error(name: str) -> None:
    with pytest.raises(BplistError):
        bplist.loads(LIES[name])
    assert issubclass(BplistError, ValueError)


@pytest.mark.timeout(30)
def test_truncated_and_flipped_files_raise_only_bplist_errors() -> None:
    """Cut or damaged copies of random valid files: a value or BplistError (or RecursionError), nothing else."""
    rng = random.Random("bplist-damage")
    for seed in range(40):
        data = plistlib.dumps(rand_plist(seed * 7 + 3), fmt=plistlib.FMT_BINARY)
        cuts = rng.sample(range(len(data)), min(30, len(data)))
        damaged = [data[:n] for n in cuts]
        for _ in range(30):
            out = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                out[rng.randrange(len(out))] = rng.randrange(256)
            damaged.append(bytes(out))
        for blob in damaged:
            try:
                bplist.loads(blob, 200)
            except (BplistError, RecursionError):
                pass
