"""Split a seed's code into pieces that fit a token budget, at action lines, and put comments into
code. Tokens are estimated as characters / 4, which errs on the safe side for code."""

from __future__ import annotations

from dataclasses import dataclass

CHARS_PER_TOKEN = 4
LINE_LIMIT = 600  # characters of one line a prompt shows; embedded images and long texts are elided
RUN_LIMIT = 24  # lines between two action lines (a long multi-line text) a prompt shows in full
RUN_KEEP = (16, 4)  # of a longer run: the first and last lines shown
COMMENT_ROOM = 80  # characters kept free per action line for its comment


@dataclass(frozen=True)
class Chunk:
    first: int  # 1-based code lines, inclusive
    last: int
    lines: tuple[int, ...]  # the action lines inside, to be commented
    hidden: frozenset[int] = frozenset()  # lines a prompt leaves out (the middle of a very long text)


def _hidden(count: int, starts: set[int]) -> set[int]:
    hidden: set[int] = set()
    run: list[int] = []
    for n in [*range(1, count + 1), 0]:  # 0 closes the last run
        if n in starts or n == 0:
            if len(run) > RUN_LIMIT:
                hidden.update(run[RUN_KEEP[0]:len(run) - RUN_KEEP[1]])
            run = []
        else:
            run.append(n)
    return hidden


def split(code: str, action_lines: list[int], budget_tokens: int) -> list[Chunk]:
    """Consecutive pieces of ``code`` of at most ~``budget_tokens`` each as a prompt shows them (a
    single longer statement stays whole), each starting at an action line except the first; every
    action line is in one piece."""
    text = source_lines(code)
    budget = max(1, budget_tokens) * CHARS_PER_TOKEN
    starts = set(action_lines)
    hidden = _hidden(len(text), starts)
    chunks: list[Chunk] = []
    first, size, inside = 1, 0, []

    def close(last: int) -> None:
        chunks.append(Chunk(first, last, tuple(inside), frozenset(n for n in hidden if first <= n <= last)))

    for n, line in enumerate(text, start=1):
        width = 0 if n in hidden else min(len(line), LINE_LIMIT + 40) + 1
        width += COMMENT_ROOM if n in starts else 0  # the plan prompt shows the comments too
        if n in starts and inside and size + width > budget:
            close(n - 1)
            first, size, inside = n, 0, []
        size += width
        if n in starts:
            inside.append(n)
    if text:
        close(len(text))
    return chunks


def _shown_lines(numbered_lines: list[tuple[int, str]], hidden: frozenset[int]) -> list[str]:
    out: list[str] = []
    skipped = 0
    for n, line in numbered_lines:
        if n in hidden:
            skipped += 1
            continue
        if skipped:
            out.append(f"      …[{skipped:,} more lines of the same text left out]…")
            skipped = 0
        out.append(line)
    return out


def numbered(code: str, chunk: Chunk) -> str:
    lines = source_lines(code)[chunk.first - 1:chunk.last]
    return "\n".join(_shown_lines([(n, f"{n:>5}| {shown(line)}") for n, line in enumerate(lines, start=chunk.first)],
                                  chunk.hidden))


def shown(line: str, limit: int = LINE_LIMIT) -> str:
    """A line as a prompt shows it: a very long one keeps its start and end (where the call and its
    other arguments are) and says how much was left out, so a base64 image does not fill a request."""
    if len(line) <= limit:
        return line
    head, tail = line[: limit * 2 // 3], line[-(limit // 3):]
    return f"{head} …[{len(line) - len(head) - len(tail):,} characters left out]… {tail}"


def view(code: str, comments: dict[int, str], chunk: Chunk) -> str:
    """The chunk's lines with their comments, long lines and texts shortened (for a prompt only)."""
    lines = source_lines(code)
    out: list[tuple[int, str]] = []
    for n in range(chunk.first, chunk.last + 1):
        if comments.get(n):
            out.append((-n, shown(comment_line(lines[n - 1], comments[n]))))
        out.append((n, shown(lines[n - 1])))
    return "\n".join(_shown_lines(out, chunk.hidden))


def with_comments(code: str, comments: dict[int, str], first: int = 1, last: int | None = None) -> str:
    """``code`` (or lines first..last of it) with ``# comment`` before each commented line, indented
    like that line. Comments never change what the code parses to."""
    out: list[str] = []
    lines = source_lines(code)
    for n, line in enumerate(lines[first - 1:last], start=first):
        note = comments.get(n)
        if note:
            out.append(comment_line(line, note))
        out.append(line)
    return "\n".join(out) + ("\n" if out else "")


def comment_line(line: str, note: str) -> str:
    """``# note`` indented like ``line``, to go just before it."""
    return f"{line[: len(line) - len(line.lstrip())]}# {one_line(note)}"


def one_line(text: str) -> str:
    """A comment's text on one line, with no characters that would end or break a comment."""
    if text.isprintable() and "  " not in text and not text.startswith(("#", " ")) and not text.endswith(" "):
        return text  # printable: its only whitespace is single spaces inside, as the line below leaves it
    return " ".join(text.replace("\x00", " ").split()).lstrip("#").strip()


def source_lines(code: str) -> list[str]:
    """Lines as Python counts them (``str.splitlines`` also breaks at characters Python does not)."""
    lines = code.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
