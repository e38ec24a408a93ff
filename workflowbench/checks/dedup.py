"""Duplicates among samples, on their code: exact after the comments are removed and the names
canonicalised (variables renamed ``v1, v2, …`` in order of first use; action and helper names kept,
``canonical``), and near with MinHash LSH over shingles of that canonical code's tokens (``rensa``'s
signatures; ``NearIndex`` bands them, as signatures read back from the warehouse's ``sketches``).

The first sample in the given order wins (the caller puts seeds first, then the earliest); every
later one that is an exact or near duplicate of a winner names it. Code that does not tokenize is
never a duplicate (the rules drop code that does not parse)."""

from __future__ import annotations

import hashlib
import keyword
import operator
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rensa import RMinHash

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
class Sketch:
    """What the duplicate checks compare of one code: the hash of its canonical form (exact
    duplicates) and its MinHash signature, ``num_perm`` little-endian uint32 values (near ones)."""

    exact: str
    minhash: bytes


def sketch(code: str, num_perm: int = 128, shingle: int = 5) -> Sketch | None:
    """The code's sketch; None when it does not tokenize (never a duplicate)."""
    return sketches([code], num_perm, shingle)[0]


def sketches(codes: Sequence[str], num_perm: int = 128, shingle: int = 5) -> list[Sketch | None]:
    """``sketch`` of each code, the signatures made in one call (rensa's bulk digest)."""
    texts = [canonical(c) for c in codes]
    made = [t for t in texts if t is not None]
    digests = iter(RMinHash.digests_from_token_sets((shingles(t, shingle) for t in made), num_perm=num_perm,
                                                    seed=SEED))  # shingles made as consumed: one code's at a time
    return [None if t is None else Sketch(hashlib.sha256(t.encode("utf-8", "surrogatepass")).hexdigest(),
                                          _packed(next(digests))) for t in texts]


def _packed(values: Sequence[int]) -> bytes:
    return struct.pack(f"<{len(values)}I", *values)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures: the share of equal values (rensa's ``jaccard``)."""
    n = len(a) // 4
    return sum(map(operator.eq, struct.unpack(f"<{n}I", a), struct.unpack(f"<{n}I", b))) / n


class NearIndex:
    """MinHash LSH over stored signatures: ``bands_for`` bands of consecutive values, a candidate
    shares one band exactly. The candidates of rensa's ``RMinHashLSH`` (tests/checks/test_dedup.py),
    which cannot take a signature read back from the warehouse."""

    def __init__(self, threshold: float, num_perm: int) -> None:
        self.width = 4 * num_perm // bands_for(threshold, num_perm)  # bytes per band
        self.size = 4 * num_perm
        self.buckets: list[dict[bytes, list[int]]] = [{} for _ in range(0, self.size, self.width)]

    def candidates(self, minhash: bytes) -> list[int]:
        found: set[int] = set()
        for k, at in enumerate(range(0, self.size, self.width)):
            found.update(self.buckets[k].get(minhash[at:at + self.width], ()))
        return sorted(found)

    def add(self, key: int, minhash: bytes) -> None:
        for k, at in enumerate(range(0, self.size, self.width)):
            self.buckets[k].setdefault(minhash[at:at + self.width], []).append(key)


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


def duplicates(samples: Iterable[tuple[str, Sketch | None]], threshold: float = 0.8, num_perm: int = 128
               ) -> list[Duplicate]:
    """The duplicates among ``(sample_id, sketch)`` in order: each names the first sample it repeats.
    Holds one signature per distinct sample, never the code."""
    exact: dict[str, str] = {}
    keys: list[str] = []
    kept: list[bytes] = []
    index = NearIndex(threshold, num_perm)
    out = []
    for sample_id, sk in samples:
        if sk is None:
            continue
        first = exact.setdefault(sk.exact, sample_id)
        if first != sample_id:
            out.append(Duplicate(sample_id, first, "exact-duplicate", 1.0))
            continue
        near = _nearest(sk.minhash, index.candidates(sk.minhash), kept, threshold)
        if near is not None:
            out.append(Duplicate(sample_id, keys[near[0]], "near-duplicate", near[1]))
            continue
        index.add(len(keys), sk.minhash)
        keys.append(sample_id)
        kept.append(sk.minhash)
    return out


def _nearest(minhash: bytes, candidates: Sequence[int], kept: Sequence[bytes], threshold: float
             ) -> tuple[int, float] | None:
    best = None
    for k in candidates:  # sorted: the earliest of equals wins
        s = similarity(minhash, kept[k])
        if s >= threshold and (best is None or s > best[1]):
            best = (k, s)
    return best
