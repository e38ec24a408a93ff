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


def quote(s: str) -> str:
    """A single-quoted literal: the form of plain strings."""
    if _PLAIN.fullmatch(s):
        return "'" + s + "'"
    out = ["'"]
    for c in s:
        if c == "'" or c == "\\":
            out.append("\\" + c)
        elif c.isprintable() or c == _ZWJ:
            out.append(c)
        else:
            out.append(_escape(c))
    out.append("'")
    return "".join(out)


def can_quote_bare(s: str) -> bool:
    """Whether ``s`` needs no backslash in a single- or double-quoted literal (f-string expressions
    in Python 3.11 may not hold a backslash)."""
    return all((c.isprintable() or c == _ZWJ) and c != "\\" for c in s) and not ("'" in s and '"' in s)


def quote_bare(s: str) -> str:
    """A literal without backslashes, for use inside an f-string expression (see ``can_quote_bare``)."""
    return '"' + s + '"' if "'" in s else "'" + s + "'"


def triple_body(s: str, fstring: bool) -> str:
    """The inside of a ``'''...'''`` literal (or one literal part of an f-string) holding ``s``.
    Newlines stay newlines; a quote is escaped where it could end the literal."""
    if _PLAIN.fullmatch(s) and not (fstring and ("{" in s or "}" in s)):
        return s
    out: list[str] = []
    last = len(s) - 1
    for i, c in enumerate(s):
        if c == "'":
            out.append("\\'" if i == last or s[i + 1] == "'" else "'")
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\n")
        elif fstring and (c == "{" or c == "}"):
            out.append(c + c)
        elif c.isprintable() or c == _ZWJ:
            out.append(c)
        else:
            out.append(_escape(c))
    return "".join(out)


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
