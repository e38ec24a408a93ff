"""Python literals for plist scalars, each a valid token whatever the value holds.

Strings are escaped here and nowhere else: quotes, backslashes, braces (inside f-strings), line
breaks other than ``\\n``, control and format characters and lone surrogates (JSON can carry them).
The fuzz tests in tests/test_literals.py check ``ast.literal_eval(quote(s)) == s`` over random text.
"""

from __future__ import annotations

import math
import re
from datetime import datetime

# Characters that may stay as they are in a single-quoted literal: printable ASCII but ' and \.
_PLAIN = re.compile(r"[ -&(-\[\]-~]*")
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))
_ZWJ = "\u200d"  # joins emoji sequences; escaping it would make every such emoji unreadable


def _escape(c: str) -> str:
    o = ord(c)
    if c == "\t":
        return "\\t"
    if c == "\r":
        return "\\r"
    if c == "\n":
        return "\\n"
    if o < 0x100:
        return f"\\x{o:02x}"
    if o < 0x10000:
        return f"\\u{o:04x}"
    return f"\\U{o:08x}"


# Long texts (base64 images, HTML) are common: escape with C-speed replace/sub, not a char loop.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # control characters but \t and \n
# A quote that could close a triple-quoted literal of that quote.
_AT_RISK = {"'": re.compile(r"'(?='|\Z)"), '"': re.compile(r'"(?="|\Z)')}
_nonprintable: re.Pattern[str] | None = None


def _controls(s: str) -> str:
    s = s.replace("\t", "\\t").replace("\r", "\\r")  # \r: CRLF text is common
    return _CONTROL.sub(lambda m: _escape(m.group()), s) if _CONTROL.search(s) else s


def _printable(s: str) -> str:
    """Escape what ``str.isprintable`` refuses (format characters, lone surrogates, odd spaces)."""
    if s.isprintable():
        return s
    global _nonprintable
    if _nonprintable is None:  # built once, on first need: every code point str.isprintable refuses
        ranges, start = [], None
        for o in range(0x110000):
            bad = not chr(o).isprintable() and o != 0x200D
            if bad and start is None:
                start = o
            elif not bad and start is not None:
                ranges.append((start, o - 1))
                start = None
        if start is not None:
            ranges.append((start, 0x10FFFF))
        _nonprintable = re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]")
    return _nonprintable.sub(lambda m: _escape(m.group()), s)


def _ascii_layout(s: str) -> bytes | None:
    """For ASCII text holding no control character but tab, line feed and carriage return: which of
    those three it holds (each once at most); None otherwise. One C-speed pass instead of regexes."""
    if not s.isascii():
        return None
    odd = s.encode("ascii").translate(None, _PRINTABLE_ASCII)
    if not odd:
        return odd
    if odd.translate(None, b"\t\n\r"):
        return None
    return bytes(c for c in b"\t\n\r" if c in odd)


def quote(s: str) -> str:
    """A single-quoted literal: the form of plain strings."""
    if len(s) < 64 and _PLAIN.fullmatch(s):  # short: the regex is the quicker test
        return "'" + s + "'"
    # Base64 images and HTML run to megabytes: skip replacements that find nothing.
    t = s.replace("\\", "\\\\") if "\\" in s else s
    if "'" in t:
        t = t.replace("'", "\\'")
    layout = _ascii_layout(s)
    if layout is not None:  # printable ASCII but for these: the same result as the general path
        if b"\n" in layout:
            t = t.replace("\n", "\\n")
        if b"\t" in layout:
            t = t.replace("\t", "\\t")
        if b"\r" in layout:
            t = t.replace("\r", "\\r")
        return f"'{t}'"
    t = t.replace("\n", "\\n")
    if t.isprintable():
        return f"'{t}'"
    return f"'{_printable(_controls(t))}'"


def can_quote_bare(s: str) -> bool:
    """Whether ``s`` needs no backslash in a single- or double-quoted literal (f-string expressions
    in Python 3.11 may not hold a backslash)."""
    return ((s.isprintable() or _printable(s) == s) and "\\" not in s and "'''" not in s
            and not ("'" in s and '"' in s))


def quote_bare(s: str) -> str:
    """A literal without backslashes, for use inside an f-string expression (see ``can_quote_bare``)."""
    return '"' + s + '"' if "'" in s else "'" + s + "'"


def triple_body(s: str, fstring: bool, quote: str = "'") -> str:
    """The inside of a ``'''...'''`` literal (``quote='"'``: a docstring) or of one literal part
    of an f-string, holding ``s``. Newlines stay newlines; a quote is escaped where it could end
    the literal."""
    if _PLAIN.fullmatch(s) and quote not in s and not (fstring and ("{" in s or "}" in s)):
        return s
    t = s.replace("\\", "\\\\") if "\\" in s else s
    layout = _ascii_layout(s)
    if layout is None:
        t = _controls(t)
    else:  # what _controls does, without its scan for control characters
        if b"\t" in layout:
            t = t.replace("\t", "\\t")
        if b"\r" in layout:
            t = t.replace("\r", "\\r")
    if fstring:
        t = t.replace("{", "{{").replace("}", "}}")
    if quote in t:
        t = _AT_RISK[quote].sub("\\\\" + quote, t)
    if layout is not None or t.isprintable():  # printable ASCII lines stay as they are
        return t
    return "\n".join(_printable(line) for line in t.split("\n"))  # newlines stay as they are


def number(v: int | float) -> str:
    if type(v) is int:
        return str(v)
    if math.isnan(v):
        return "float('nan')"
    if math.isinf(v):
        return "float('inf')" if v > 0 else "-float('inf')"
    return repr(v)


def date(v: datetime) -> str:
    fields = [v.year, v.month, v.day, v.hour, v.minute, v.second]
    if v.microsecond:
        fields.append(v.microsecond)
    return "datetime(" + ", ".join(map(str, fields)) + ")"
