"""Duplicates among samples, on their code: exact after the comments are removed and the names
canonicalised (variables renamed ``v1, v2, …`` in order of first use; action and helper names kept,
``canonical``), and near with MinHash LSH (``rensa``) over shingles of that canonical code's tokens.

The first sample in the given order wins (the caller puts seeds first, then the earliest); every
later one that is an exact or near duplicate of a winner names it. Code that does not tokenize is
never a duplicate (the rules drop code that does not parse)."""

from __future__ import annotations

import hashlib
import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rensa import RMinHash, RMinHashLSH

from ..code.names import HELPERS

TOKEN = re.compile(r"\w+|[^\w\s]")
SEED = 20241105  # the MinHash seed: fixed, so signatures and verdicts are the same on every run


# One token of Python source: a string (an f-string's opening quote alone: its expressions hold names),
# a comment, a name, a number or an operator.
_TOKENS = re.compile(
    r"(?P<s>(?i:[rbu]{0,2})(?:'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^\"\\]|\\.|\"(?!\"\"))*\"\"\""
    r"|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"))"
    r"|(?P<f>(?i:[rb]?f[rb]?)(?:'''|\"\"\"|'|\"))"
    r"|(?P<c>\#[^\n]*)|(?P<n>[^\W\d]\w*)|(?P<o>\d[\w.]*|==|!=|<=|>=|:=|\*\*|//|->|[-+*/%&|^]=|[^\w\s])", re.S)
_KEEP = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | HELPERS
_F_PARTS: dict[str, re.Pattern[str]] = {}
_OPEN, _CLOSE, _QUOTES = frozenset("([{"), frozenset(")]}"), frozenset("'\"")


class _Unbalanced(ValueError):
    """An unterminated string or a bracket never closed: not code."""


def _tokens(code: str, pos: int, out: list[tuple[str, str]], until_brace: bool = False) -> int:
    """Tokens of ``code`` from ``pos`` appended to ``out``; with ``until_brace``, up to the ``}``
    that closes an f-string's expression (returns the position after it)."""
    depth = 0
    # A scanner goes on from its last match by itself: no position to pass per token. It starts
    # again after an f-string, which is read by its own pattern.
    search = _TOKENS.scanner(code, pos).search
    append = out.append
    while True:
        m = search()
        if m is None:
            if until_brace:
                raise _Unbalanced("an f-string expression never closed")
            return len(code)
        kind, text = m.lastgroup, m.group()
        if kind == "o":
            if text in _QUOTES:  # a quote no string regex matched: never closed
                raise _Unbalanced("a string never closed")
            if text in _OPEN:
                depth += 1
            elif text in _CLOSE:
                if until_brace and depth == 0 and text == "}":
                    return m.end()
                depth -= 1
        elif kind == "f":
            search = _TOKENS.scanner(code, _fstring(code, text, m.end(), out)).search
            continue
        elif kind == "c":
            continue
        append((kind or "", text))


def _fstring(code: str, opener: str, pos: int, out: list[tuple[str, str]]) -> int:
    """An f-string from ``pos`` (after its opening quote): its literal pieces as string tokens, its
    expressions as tokens between braces. Returns the position after its closing quote."""
    quote = opener.lstrip("rRbBfF")
    stop = _F_PARTS.get(quote)
    if stop is None:
        stop = _F_PARTS[quote] = re.compile(r"\{\{|\}\}|\{|\\.|" + re.escape(quote), re.S)
    piece = [opener]
    while True:
        m = stop.search(code, pos)
        if m is None:
            raise _Unbalanced("an f-string never closed")
        piece.append(code[pos:m.start()])
        part, pos = m.group(), m.end()
        if part == quote:
            piece.append(part)
            out.append(("s", "".join(piece)))
            return pos
        if part != "{":
            piece.append(part)
            continue
        out.append(("s", "".join(piece)))
        piece = []
        out.append(("o", "{"))
        pos = _tokens(code, pos, out, until_brace=True)
        out.append(("o", "}"))


def canonical(code: str) -> str | None:
    """The code's tokens without its comments, one space apart, with canonical names: variables
    renamed ``v1, v2, …`` in order of first use; names that are called anywhere (actions, helpers),
    keywords, attributes and keyword-argument names kept. None when the code does not tokenize (an
    unterminated string, a bracket never closed). Python's tokens, read by one regular expression
    rather than a parse: the same for every layout and comment of the same code, and fast."""
    toks: list[tuple[str, str]] = []
    try:
        _tokens(code, 0, toks)
    except _Unbalanced:
        return None
    called = {toks[i][1] for i in range(len(toks) - 1) if toks[i][0] == "n" and toks[i + 1] == ("o", "(")}
    names: dict[str, str] = {}
    out = []
    depth = 0
    last = len(toks) - 1
    for i, (kind, text) in enumerate(toks):
        if kind == "o":
            if text in _OPEN:
                depth += 1
            elif text in _CLOSE:
                depth -= 1
        elif kind == "n" and text not in _KEEP and text not in called:
            attribute = i > 0 and toks[i - 1][1] == "."
            keyword_argument = depth > 0 and i < last and toks[i + 1][1] == "="
            if not attribute and not keyword_argument:
                text = names.setdefault(text, f"v{len(names) + 1}")
        out.append(text)
    return " ".join(out) if depth == 0 else None


def shingles(text: str, size: int) -> list[str]:
    tokens = TOKEN.findall(text)
    if len(tokens) <= size:
        return [" ".join(tokens)] if tokens else []
    # each window as a tuple from zip rather than a fresh slice: the same shingles, less copying
    return list(map(" ".join, zip(*(tokens[k:] for k in range(size)))))


@dataclass(frozen=True)
class Duplicate:
    sample_id: str
    of: str  # the sample it duplicates
    kind: str  # exact-duplicate | near-duplicate
    similarity: float


def bands_for(threshold: float, num_perm: int) -> int:
    """The band count whose LSH threshold (1/b)^(1/r) is closest to ``threshold``, b dividing num_perm."""
    choices = [b for b in range(1, num_perm + 1) if num_perm % b == 0]
    return min(choices, key=lambda b: abs((1 / b) ** (b / num_perm) - threshold))


def duplicates(samples: Iterable[tuple[str, str]], threshold: float = 0.8, num_perm: int = 128,
               shingle: int = 5) -> list[Duplicate]:
    """The duplicates among ``(sample_id, code)`` in order: each names the first sample it repeats."""
    exact: dict[str, str] = {}
    keys: list[str] = []
    kept: list[RMinHash] = []
    lsh = RMinHashLSH(threshold=threshold, num_perm=num_perm, num_bands=bands_for(threshold, num_perm))
    out = []
    for sample_id, code in samples:
        text = canonical(code)
        if text is None:
            continue
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        first = exact.setdefault(digest, sample_id)
        if first != sample_id:
            out.append(Duplicate(sample_id, first, "exact-duplicate", 1.0))
            continue
        [mh] = RMinHash.from_token_sets([shingles(text, shingle)], num_perm=num_perm, seed=SEED)
        near = _nearest(mh, lsh.query(mh), kept, threshold)
        if near is not None:
            out.append(Duplicate(sample_id, keys[near[0]], "near-duplicate", near[1]))
            continue
        lsh.insert(len(keys), mh)
        keys.append(sample_id)
        kept.append(mh)
    return out


def _nearest(mh: RMinHash, candidates: Sequence[int], kept: Sequence[RMinHash], threshold: float
             ) -> tuple[int, float] | None:
    best = None
    for k in sorted(candidates):  # the earliest of equals wins
        similarity = mh.jaccard(kept[k])
        if similarity >= threshold and (best is None or similarity > best[1]):
            best = (k, similarity)
    return best
