"""A strict binary-plist decoder that returns what ``plistlib.loads`` returns for valid files.

plistlib reads objects through ``BytesIO``, where a size that runs past the data silently
yields a short string or blob. This decoder checks every offset, size and reference against
the bytes really there (objects must end before the offset table) and raises ``BplistError``
otherwise, at the same speed. Shared objects are decoded once and shared, as plistlib does; a
container that contains itself is refused instead of becoming a cyclic object, and so is a
dictionary key that is not a string (plists have no other keys; plistlib writes no other).
"""

from __future__ import annotations

import struct
from datetime import datetime, timedelta
from plistlib import UID
from typing import Any

_EPOCH = datetime(2001, 1, 1)
_UNPACK = {1: "B", 2: "H", 4: "L", 8: "Q"}


class BplistError(ValueError):
    """The bytes are not a well-formed binary plist."""


class _Decoder:
    __slots__ = ("active", "data", "end", "max_depth", "objs", "offsets", "ref_size", "top")

    def __init__(self, data: bytes, max_depth: int) -> None:
        self.data = data
        self.objs: list[Any] = []
        self.active: set[int] = set()
        self.max_depth = max_depth
        n = len(data)
        if n < 8 + 32 or data[:8] != b"bplist00":
            raise BplistError("not a bplist00 file or too short for a trailer")
        offset_size, ref_size, count, top, table = struct.unpack_from(">6xBBQQQ", data, n - 32)
        if offset_size not in (1, 2, 3, 4, 8) or ref_size not in (1, 2, 3, 4, 8):
            raise BplistError(f"trailer sizes {offset_size}/{ref_size} are invalid")
        if count == 0 or top >= count:
            raise BplistError(f"top object {top} not among {count} objects")
        if table < 8 or table + count * offset_size > n - 32:
            raise BplistError("offset table runs past the trailer")
        self.ref_size = ref_size
        self.end = table  # objects lie between the header and the offset table
        self.offsets = self._ints(table, count, offset_size)
        for off in self.offsets:
            if not 8 <= off < table:
                raise BplistError(f"object offset {off} outside the object area")
        self.top = top

    def _ints(self, at: int, count: int, size: int) -> list[int] | tuple[int, ...]:
        if size == 3:
            d = self.data
            return [int.from_bytes(d[at + 3 * i : at + 3 * i + 3], "big") for i in range(count)]
        return struct.unpack_from(f">{count}{_UNPACK[size]}", self.data, at)

    def _size(self, low: int, pos: int) -> tuple[int, int]:
        """Length from a marker's low nibble, or from the int object that follows it."""
        if low != 0xF:
            return low, pos
        d = self.data
        if pos >= self.end:
            raise BplistError("length marker runs past the object area")
        marker = d[pos]
        if marker & 0xF0 != 0x10 or marker & 0x0F > 3:
            raise BplistError(f"bad length marker {marker:#x} at {pos}")
        width = 1 << (marker & 0x0F)
        end = pos + 1 + width
        if end > self.end:
            raise BplistError("length runs past the object area")
        return int.from_bytes(d[pos + 1 : end], "big"), end

    def _need(self, pos: int, size: int) -> None:
        if pos + size > self.end:
            raise BplistError(f"object at {pos} needs {size} bytes past the object area")

    def scalar(self, marker: int, pos: int) -> Any:
        """Decode a non-container object (strings are handled inline by ``decode_all``)."""
        d = self.data
        high, low = marker >> 4, marker & 0x0F
        if high == 0x6:  # UTF-16 string
            n, pos = (low, pos) if low != 0xF else self._size(low, pos)
            self._need(pos, 2 * n)
            return d[pos : pos + 2 * n].decode("utf-16be")
        if high == 0x1:
            if low > 4:
                raise BplistError(f"integer of 2**{low} bytes")
            width = 1 << low
            self._need(pos, width)
            return int.from_bytes(d[pos : pos + width], "big", signed=low >= 3)
        if marker == 0x08:
            return False
        if marker == 0x09:
            return True
        if high == 0x2:
            if low == 2:
                self._need(pos, 4)
                return struct.unpack_from(">f", d, pos)[0]
            if low == 3:
                self._need(pos, 8)
                return struct.unpack_from(">d", d, pos)[0]
            raise BplistError(f"real of 2**{low} bytes")
        if high == 0x4:
            n, pos = (low, pos) if low != 0xF else self._size(low, pos)
            self._need(pos, n)
            return d[pos : pos + n]
        if marker == 0x33:
            self._need(pos, 8)
            try:
                return _EPOCH + timedelta(seconds=struct.unpack_from(">d", d, pos)[0])
            except (OverflowError, ValueError):  # ValueError: NaN seconds
                raise BplistError("date out of range") from None
        if high == 0x8:
            if low > 7:
                raise BplistError(f"UID of {low + 1} bytes (at most 8)")
            self._need(pos, low + 1)
            return UID(int.from_bytes(d[pos : pos + low + 1], "big"))
        if marker == 0x00:
            return None
        raise BplistError(f"unsupported object marker {marker:#x}")

    def decode_all(self) -> Any:
        """Decode every scalar in one flat pass, then build containers.

        Writers emit a container before its children, so building containers from the last
        to the first finds the children ready; ``build`` recurses for the rare other order.
        """
        d = self.data
        end = self.end
        objs: list[Any] = []
        append = objs.append
        containers: list[int] = []
        scalar = self.scalar
        for pos in self.offsets:
            marker = d[pos]
            if 0x50 <= marker < 0x5F:  # short ASCII string: by far the most common object
                pos += 1
                stop = pos + marker - 0x50
                if stop > end:
                    self._need(pos, marker - 0x50)
                append(d[pos:stop].decode("ascii"))
            elif marker == 0x5F:  # ASCII string with its length in an int object
                if d[pos + 1] == 0x10 and pos + 3 <= end:  # a one-byte length, the usual one
                    n, pos = d[pos + 2], pos + 3
                else:
                    n, pos = self._size(0xF, pos + 1)
                if pos + n > end:
                    self._need(pos, n)
                append(d[pos : pos + n].decode("ascii"))
            elif 0xA0 <= marker < 0xB0 or 0xD0 <= marker < 0xE0:
                containers.append(len(objs))
                append(_PENDING)
            else:
                append(scalar(marker, pos + 1))
        self.objs = objs
        # The common case inlined (this loop runs once per container); ``build`` handles the rest
        # and raises the precise error when something does not hold.
        offsets, rs, code = self.offsets, self.ref_size, _UNPACK.get(self.ref_size)
        get = objs.__getitem__
        unpackers: dict[int, Any] = {}  # count -> unpack_from of that many refs
        for i in reversed(containers):
            if objs[i] is not _PENDING:
                continue
            pos = offsets[i]
            marker = d[pos]
            n = marker & 0x0F
            if n == 0xF or code is None:
                self.build(i, 0)
                continue
            count = 2 * n if marker >= 0xD0 else n
            if pos + 1 + count * rs > end:
                self.build(i, 0)
                continue
            unpack = unpackers.get(count)
            if unpack is None:
                unpack = unpackers[count] = struct.Struct(f">{count}{code}").unpack_from
            try:
                values = list(map(get, unpack(d, pos + 1)))
            except IndexError:
                raise BplistError(f"object {i} refers to a missing object") from None
            if _PENDING in values:
                self.build(i, 0)
            elif marker >= 0xD0:
                keys = values[:n]
                try:
                    "".join(keys)  # the cheapest way to insist that every key is a string
                except TypeError:
                    raise BplistError(f"dictionary {i} has a key that is not a string") from None
                objs[i] = dict(zip(keys, values[n:]))
            else:
                objs[i] = values
        return objs[self.top]

    def build(self, ref: int, depth: int) -> Any:
        if ref in self.active:
            raise BplistError(f"object {ref} contains itself")
        if depth > self.max_depth:
            raise RecursionError("binary plist nests too deeply")
        d, objs = self.data, self.objs
        pos = self.offsets[ref]
        marker = d[pos]
        low = marker & 0x0F
        n, pos = (low, pos + 1) if low != 0xF else self._size(low, pos + 1)
        is_dict = marker >> 4 == 0xD
        count = 2 * n if is_dict else n
        self._need(pos, count * self.ref_size)
        refs = self._ints(pos, count, self.ref_size)
        try:
            values = [objs[r] for r in refs]
        except IndexError:
            raise BplistError(f"object {ref} refers to a missing object") from None
        if _PENDING in values:
            self.active.add(ref)
            values = [self.build(r, depth + 1) if v is _PENDING else v for r, v in zip(refs, values)]
            self.active.discard(ref)
        if is_dict:
            keys = values[:n]
            try:
                "".join(keys)
            except TypeError:
                raise BplistError(f"dictionary {ref} has a key that is not a string") from None
            result: Any = dict(zip(keys, values[n:]))
        else:
            result = values
        objs[ref] = result
        return result


class _Pending:
    __slots__ = ()


_PENDING = _Pending()


def loads(data: bytes, max_depth: int = 10_000) -> Any:
    """Decode a binary plist; raises ``BplistError`` (a ValueError) or ``RecursionError``."""
    decoder = _Decoder(data, max_depth)
    try:
        return decoder.decode_all()
    except UnicodeDecodeError as exc:
        raise BplistError(f"string does not decode: {exc.reason}") from None
    except (IndexError, struct.error) as exc:
        raise BplistError(str(exc)) from None
