"""Which code lines start an action: the lines a comment goes before."""

from __future__ import annotations

from ..code.to_code import Transpiled


def action_lines(code: Transpiled) -> dict[int, int]:
    """Code line -> the action that starts there (the first mapping per line), for lines that are not
    already comments. An implicit block end maps to the last line of its body, which may be ``pass``;
    that starts no action."""
    return commentable(*code_map(code))


def commentable(lines: list[str], pairs: list[tuple[int, int]]) -> dict[int, int]:
    """``action_lines`` of code already split by ``code_map``."""
    out: dict[int, int] = {}
    seen: set[int] = set()
    for line, index in pairs:
        if line in seen:
            continue
        seen.add(line)
        text = lines[line - 1].lstrip()
        if text and not text.startswith("#") and text != "pass":
            out[line] = index
    return out


def code_map(code: Transpiled) -> tuple[list[str], list[tuple[int, int]]]:
    """The code's lines, and ``code.lines`` (code line, action index)."""
    lines = code.code.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines, [(n, index) for n, index in code.lines if 0 < n <= len(lines)]
