"""The round-trip rules over every file in ../shared/corpus.

- to_code output parses with ast (and compiles: analysis only, nothing runs) and is a fixpoint;
- from_code(to_code(wf)) has the same action identifiers as wf;
- at least 99% of actions have identical parameters after normalisation (workflowbench.roundtrip);
- no action's output id appears in code; compiled back to a shortcut, the code reads back the same.
"""

from __future__ import annotations

import ast
import json
from collections import Counter
from dataclasses import dataclass, field

import libcst
import pytest

from tests.conftest import CORPUS, SHARED
from workflowbench import from_code, read_shortcut, to_code
from workflowbench.code.compile import with_defaults
from workflowbench.code.from_code import function_map
from workflowbench.code.roundtrip import comparable
from workflowbench.shortcut.writer import to_bytes


@dataclass
class Outcome:
    files: int = 0
    codes: int = 0
    invalid: list[str] = field(default_factory=list)
    not_fixpoint: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    uuids_in_code: list[str] = field(default_factory=list)
    compiled: list[str] = field(default_factory=list)  # codes whose compiled shortcut reads back otherwise
    actions: int = 0
    differing: Counter = field(default_factory=Counter)  # (identifier, keys) -> actions


@pytest.fixture(scope="module")
def outcome(manifest: list[dict]) -> Outcome:
    out = Outcome()
    done: set[str] = set()
    workflows = [(row, read_shortcut(CORPUS / row["path"])) for row in manifest]
    # Identifiers the plain rule cannot give back come from a catalog; here, the corpus's own.
    functions = function_map({a.identifier for _, wf in workflows for a in wf.actions})
    for row, wf in workflows:
        code = to_code(wf)
        out.files += 1
        if code in done:  # the same shortcut in another encoding: the same code, the same results
            continue
        done.add(code)
        out.codes += 1
        out.uuids_in_code += [f"{row['path']}: {a.uuid}" for a in wf.actions if a.uuid and a.uuid in code]
        try:
            ast.parse(code)
            compile(code, row["path"], "exec")
            libcst.parse_module(code)
        except (SyntaxError, libcst.ParserSyntaxError) as exc:
            out.invalid.append(f"{row['path']}: {exc}")
            continue
        back = from_code(code, source=row["path"], functions=functions)
        if to_code(back) != code:
            out.not_fixpoint.append(row["path"])
        # Compiled to an unsigned binary plist and read again, the shortcut gives the same code.
        if to_code(read_shortcut(to_bytes(with_defaults(back)))) != code:
            out.compiled.append(row["path"])
        before, after = comparable(wf), comparable(back)
        if [i for i, _ in before] != [i for i, _ in after]:
            out.identifiers.append(row["path"])
            continue
        for (ident, a), (_, b) in zip(before, after, strict=True):
            out.actions += 1
            if a != b:
                keys = tuple(sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k)))
                out.differing[(ident, keys)] += 1
    return out


def test_every_output_is_valid_python(outcome: Outcome) -> None:
    assert outcome.files >= 1_000
    assert outcome.invalid == []


def test_no_output_id_appears_in_code(outcome: Outcome) -> None:
    assert outcome.uuids_in_code == []


def test_compiled_shortcuts_read_back_to_the_same_code(outcome: Outcome) -> None:
    assert outcome.compiled == []


def test_every_output_is_a_fixpoint(outcome: Outcome) -> None:
    assert outcome.not_fixpoint == []


def test_action_identifiers_survive(outcome: Outcome) -> None:
    assert outcome.identifiers == []


def test_parameters_survive_for_99_percent_of_actions(outcome: Outcome) -> None:
    differing = sum(outcome.differing.values())
    share = 1 - differing / outcome.actions
    print(f"\n{outcome.files} files, {outcome.codes} distinct codes, {outcome.actions} actions, "
          f"{differing} with differing parameters ({share:.4%} identical)")
    for (ident, keys), n in outcome.differing.most_common():
        print(f"  {n:4d}  {ident}  {', '.join(keys)}")
    assert outcome.actions > 39_000
    assert share >= 0.99


def test_reads_the_workflowbench_samples_that_are_python(manifest: list[dict]) -> None:
    """The original samples are mostly not valid Python; those that are, read in our style."""
    samples = json.loads((SHARED / "reference" / "workflowllm" / "data_samples.json").read_text())
    python = []
    for sample in samples:
        try:
            ast.parse(sample["annotated_code"])
        except SyntaxError:
            continue
        python.append(sample["annotated_code"])
    assert 0 < len(python) < len(samples)
    for code in python:
        wf = from_code(code)
        assert wf.actions
        assert to_code(from_code(to_code(wf))) == to_code(wf)
