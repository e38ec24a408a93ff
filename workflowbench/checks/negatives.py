"""Contrastive negatives for process reward models: a kept sample's code with one step corrupted,
and a label on every step that says where it went wrong.

Corruptions, each made on the code's text at one single-line action statement (its comment stays,
as a model's wrong step would keep the plan's wording): ``wrong-api`` (the call names another
catalog API), ``missing-parameter`` (a required parameter is removed), ``broken-reference`` (an
argument refers to a value nothing makes) and ``redundant-step`` (the statement is repeated right
after itself, its output unused). The corrupted step is -1 with the corruption as its reason,
every step that takes a value from it through the data flow is -1, and the rest keep the labels
the static analysis gives them. The corrupted code must still map to a workflow; a sample with no
statement a corruption applies to gets none of that kind."""

from __future__ import annotations

import ast
import random
from collections.abc import Sequence
from dataclasses import dataclass

from ..code.from_code import collector_paused, from_code
from ..code.syntax import parse
from ..shortcut.controlflow import BLOCK_ACTIONS
from ..shortcut.errors import ShortcutError
from ..shortcut.model import Workflow
from .flow import data_flow
from .labels import Label, step_labels
from .lines import action_lines
from .rules import Catalog

KINDS = ("wrong-api", "missing-parameter", "broken-reference", "redundant-step")
MISSING = "value_never_made"


@dataclass(frozen=True)
class Negative:
    kind: str
    position: int  # the corrupted action
    code: str
    workflow: Workflow
    labels: tuple[Label, ...]


def _statements(code: str, catalog: Catalog, tree: ast.Module | None = None) -> list[tuple[ast.stmt, ast.Call]]:
    """Single-line statements that are one catalog action call (``x = f(...)`` or ``f(...)``).
    ``tree``: ``parse(code)``, when the caller has it."""
    out = []
    for node in ast.walk(parse(code) if tree is None else tree):  # statements only: the calls are what they hold
        if isinstance(node, (ast.Assign, ast.Expr)) and node.lineno == node.end_lineno:
            call = node.value
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in catalog.functions \
                    and catalog.functions[call.func.id] not in BLOCK_ACTIONS:  # a block's end is not a step to swap
                out.append((node, call))
    return sorted(out, key=lambda p: p[0].lineno)


def _replace(lines: list[str], line: int, start: int, end: int, text: str) -> str:
    got = list(lines)
    row = got[line - 1].encode("utf-8")
    got[line - 1] = (row[:start] + text.encode("utf-8") + row[end:]).decode("utf-8")
    return "".join(got)


def corrupt(code: str, kind: str, catalog: Catalog, rng: random.Random,
            statements: Sequence[tuple[ast.stmt, ast.Call]] | None = None) -> tuple[str, int] | None:
    """The code with one step corrupted by ``kind`` and the corrupted statement's line, or None
    when no statement allows it. ``statements``: ``_statements(code, catalog)``, when the caller has
    them (a sample is corrupted several ways)."""
    lines = code.splitlines(keepends=True)
    candidates = list(statements) if statements is not None else _statements(code, catalog)
    rng.shuffle(candidates)
    for node, call in candidates:
        func = call.func
        assert isinstance(func, ast.Name)
        ident = catalog.functions[func.id]
        if kind == "wrong-api":
            everything, by_app = catalog.swappable
            usable = [f for f in everything if catalog.functions[f] != ident]
            if not usable:
                continue
            others = [f for f in by_app.get(catalog.apis[ident].app, ()) if catalog.functions[f] != ident] or usable
            swapped = _replace(lines, func.lineno, func.col_offset, func.end_col_offset or 0, rng.choice(others))
            return swapped, node.lineno
        if kind == "missing-parameter":
            required = {key for key, _, req, *_ in catalog.apis[ident].params if req}
            given = [k for k in call.keywords if k.arg in required]
            if not given:
                continue
            k = rng.choice(given)
            row = lines[node.lineno - 1].encode("utf-8")
            start, end = k.col_offset, k.end_col_offset or 0
            tail = row[end:]
            if tail.lstrip().startswith(b","):  # 'a=1, b=2' -> 'b=2'
                end += len(tail) - len(tail.lstrip()) + 1
                end += len(row[end:]) - len(row[end:].lstrip())
            elif row[:start].rstrip().endswith(b","):  # the last one: drop the comma before it
                start = len(row[:start].rstrip()) - 1
            return _replace(lines, node.lineno, start, end, ""), node.lineno
        if kind == "broken-reference":
            names = [n for n in ast.walk(call) if isinstance(n, ast.Name) and n is not func
                     and n.id not in catalog.functions]
            if not names:
                continue
            n = rng.choice(names)
            return _replace(lines, n.lineno, n.col_offset, n.end_col_offset or 0, MISSING), node.lineno
        if kind == "redundant-step":
            text = lines[node.lineno - 1]
            if isinstance(node, ast.Assign):  # the copy's output goes nowhere
                target = node.targets[0]
                if not isinstance(target, ast.Name):
                    continue
                text = text.replace(target.id, f"{target.id}_again", 1)
            above = lines[node.lineno - 2] if node.lineno >= 2 else ""
            comment = [above] if above.lstrip().startswith("#") else []  # one comment per action, the copy too
            got = list(lines)
            got[node.lineno:node.lineno] = [*comment, text if text.endswith("\n") else text + "\n"]
            return "".join(got), node.lineno + 1 + len(comment)
    return None


def negatives(code: str, catalog: Catalog, sample_id: str, kinds: Sequence[str] = KINDS) -> list[Negative]:
    # Each kind parses and reads a whole copy of the code: the collector is off meanwhile, as in
    # from_code, since the trees hold no cycles and collections would walk them over and over.
    with collector_paused():
        return _negatives(code, catalog, sample_id, kinds)


def _negatives(code: str, catalog: Catalog, sample_id: str, kinds: Sequence[str]) -> list[Negative]:
    out: list[Negative] = []
    kept: list[Label] | None = None  # the original's labels, which the untouched steps keep
    try:
        original = parse(code)
        statements = _statements(code, catalog, original)
    except (SyntaxError, ValueError, RecursionError):
        return out
    for kind in kinds:
        rng = random.Random(f"{sample_id}:{kind}")
        try:
            bad = corrupt(code, kind, catalog, rng, statements)
        except (ValueError, RecursionError):
            return out
        if bad is None:
            continue
        text, line = bad
        try:
            tree = parse(text)
            wf = from_code(text, functions=catalog.functions, tree=tree)
        except (ShortcutError, SyntaxError, ValueError, RecursionError):
            continue
        lines = action_lines(text, len(wf.actions), lambda name: name in catalog.functions, tree)
        at = [i for i, n in enumerate(lines) if n == line]
        if not at:  # the lines could not be matched to the actions: no known label, no negative
            continue
        if kept is None:
            try:
                kept = step_labels(from_code(code, functions=catalog.functions, tree=original), catalog)
            except (ShortcutError, SyntaxError, RecursionError):
                return out
        if len(wf.actions) != len(kept) + (kind == "redundant-step"):  # the corruption changed more than a step
            continue
        out.append(Negative(kind, at[-1], text, wf, tuple(_labels(wf, kept, lines, at[-1], kind))))
    return out


def _labels(wf: Workflow, original: Sequence[Label], lines: list[int | None], bad: int, kind: str) -> list[Label]:
    wrong = {bad}
    for step in data_flow(wf):
        if step.position > bad and step.uses & wrong:
            wrong.add(step.position)
    out = []
    for i in range(len(wf.actions)):
        if i == bad:
            out.append(Label(i, lines[i], -1, f"corrupted: {kind}", "corruption"))
        elif i in wrong:
            out.append(Label(i, lines[i], -1, f"depends-on-wrong-step: {bad}", "corruption"))
        else:  # untouched: the original's label (a repeat shifts the steps after it by one)
            was = original[i - 1 if kind == "redundant-step" and i > bad else i]
            out.append(Label(i, lines[i], was.label, was.reason, was.source))
    return out
