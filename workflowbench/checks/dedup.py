"""Duplicates among samples, on their code: exact after the comments are removed and the names
canonicalised (variables renamed ``v1, v2, …`` in order of first use; action and helper names kept),
and near with MinHash LSH (``rensa``) over shingles of that canonical code's tokens.

The first sample in the given order wins (the caller puts seeds first, then the earliest); every
later one that is an exact or near duplicate of a winner names it. Code that does not parse is
never a duplicate (another rule drops it)."""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rensa import RMinHash, RMinHashLSH

from ..code.names import HELPERS

TOKEN = re.compile(r"\w+|[^\w\s]")
SEED = 20241105  # the MinHash seed: fixed, so signatures and verdicts are the same on every run


class _Canonical(ast.NodeTransformer):
    """Variables renamed in order of first use; called names (actions, helpers) kept."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.called: set[str] = set()

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.called or node.id in HELPERS:
            return node
        return ast.copy_location(ast.Name(self.names.setdefault(node.id, f"v{len(self.names) + 1}"), node.ctx), node)


def canonical(code: str) -> str | None:
    """The code without comments and with canonical names, or None when it does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return None
    namer = _Canonical()
    for node in ast.walk(tree):  # called names first, wherever they are
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            namer.called.add(node.func.id)
    try:
        return ast.unparse(namer.visit(tree))
    except RecursionError:
        return None


def shingles(text: str, size: int) -> list[str]:
    tokens = TOKEN.findall(text)
    if len(tokens) <= size:
        return [" ".join(tokens)] if tokens else []
    return [" ".join(tokens[i:i + size]) for i in range(len(tokens) - size + 1)]


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
