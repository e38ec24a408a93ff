"""Split a seed's code into pieces that fit a token budget, at action lines, and put comments into
code. Tokens are estimated as characters / 4, which errs on the safe side for code."""

from __future__ import annotations

from dataclasses import dataclass

CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Chunk:
    first: int  # 1-based code lines, inclusive
    last: int
    lines: tuple[int, ...]  # the action lines inside, to be commented


def split(code: str, action_lines: list[int], budget_tokens: int) -> list[Chunk]:
    """Consecutive pieces of ``code`` of at most ~``budget_tokens`` each (a single longer line stays
    whole), each starting at an action line except the first; every action line is in one piece."""
    text = source_lines(code)
    budget = max(1, budget_tokens) * CHARS_PER_TOKEN
    starts = set(action_lines)
    chunks: list[Chunk] = []
    first, size, inside = 1, 0, []
    for n, line in enumerate(text, start=1):
        if n in starts and inside and size + len(line) + 1 > budget:
            chunks.append(Chunk(first, n - 1, tuple(inside)))
            first, size, inside = n, 0, []
        size += len(line) + 1
        if n in starts:
            inside.append(n)
    if text:
        chunks.append(Chunk(first, len(text), tuple(inside)))
    return chunks


def numbered(code: str, chunk: Chunk) -> str:
    lines = source_lines(code)[chunk.first - 1:chunk.last]
    return "\n".join(f"{n:>5}| {line}" for n, line in enumerate(lines, start=chunk.first))


def with_comments(code: str, comments: dict[int, str], first: int = 1, last: int | None = None) -> str:
    """``code`` (or lines first..last of it) with ``# comment`` before each commented line, indented
    like that line. Comments never change what the code parses to."""
    out: list[str] = []
    lines = source_lines(code)
    for n, line in enumerate(lines[first - 1:last], start=first):
        note = comments.get(n)
        if note:
            pad = line[: len(line) - len(line.lstrip())]
            out.append(f"{pad}# {one_line(note)}")
        out.append(line)
    return "\n".join(out) + ("\n" if out else "")


def one_line(text: str) -> str:
    """A comment's text on one line, with no characters that would end or break a comment."""
    return " ".join(text.replace("\x00", " ").split()).lstrip("#").strip()


def source_lines(code: str) -> list[str]:
    """Lines as Python counts them (``str.splitlines`` also breaks at characters Python does not)."""
    lines = code.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
