"""The static rules a kept sample must meet, each a function of one sample that returns keep
(``None``), a ``Drop`` with its reason slug, or ``Unknown`` when it cannot be checked. Nothing is
run: the code is parsed, read into a workflow with ``from_code`` and the workflow is analysed.

Rules (``RULES``, in order): ``code-maps`` (the code parses and maps to a workflow), ``known-apis``
(every action is a catalog API or a construct of the code format, which are catalog built-ins),
``valid-parameters`` (every parameter valid against its API's JSON Schema; a variable is allowed
where the API accepts one), ``defined-before-use`` (every reference is to something made earlier,
``workflowbench.checks.flow``), ``spec-apis`` (a synthetic sample uses every API of its spec),
``no-placeholders`` (no blob placeholder, cut marker, byte literal or long base64 left),
``clean-query`` (the query names no identifier: the thoughts stage's leak check), ``size``
(actions and tokens within bounds) and ``plan-steps`` (the plan's step count is plausible for the
code's block structure).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from ..code.from_code import from_code
from ..code.syntax import parse
from ..code.to_code import blocks
from ..code.view import BASE64_RUN, BLOB_CHARS
from ..shortcut.controlflow import BLOCK_ACTIONS
from ..shortcut.errors import ShortcutError
from ..shortcut.model import Action, Workflow, canonical
from ..shortcut.values import dump_value
from ..stages.gate import Drop, Unknown, Verdict
from ..synth.annotate import plan_steps
from ..synth.offline import STRUCTURAL_KEYS, ApiSpec, Library
from ..thoughts.base import ApiDoc
from ..thoughts.query import code_words, named_code
from .flow import Step, data_flow
from .types import wrong_types

PLACEHOLDER = re.compile(r"<(?:base64 |data URL: )?[\w .+/-]{1,40}, [\d,.]+ (?:bytes|KB|MB)>"
                         r"|…\[[\d,]+ more characters cut\]|<…[\d,]+ more items>")
# A b' or b" that no word character or quote comes right before: maybe a byte literal. (The look
# behind comes after the b, so the search skips from b to b instead of trying every position.)
BYTES_PREFIX = re.compile(r"b(?<![\w'\"]b)['\"]")
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Bounds:
    min_actions: int = 1
    max_actions: int = 300
    max_tokens: int = 16_000  # of the whole sample (query, plan, code), at 4 characters a token


@dataclass
class Catalog:
    """What the rules need of the catalog: each API's schema, function names and docs."""

    apis: Mapping[str, ApiSpec]
    docs: Mapping[str, ApiDoc]
    functions: Mapping[str, str]  # function name -> identifier
    _validators: dict[str, Draft202012Validator] = field(default_factory=dict)

    @cached_property
    def library(self) -> Library:
        """The schema checks with their memory of parameter values (``synth.offline.Library.valid``)."""
        return Library(self.apis, {})

    @cached_property
    def swappable(self) -> tuple[list[str], dict[str, list[str]]]:
        """The function names a call may be swapped to (catalog APIs, no block actions), sorted: all
        of them, and by app (the negatives' wrong-API corruption draws from these for every sample)."""
        everything = sorted(f for f, i in self.functions.items() if i in self.apis and i not in BLOCK_ACTIONS)
        by_app: dict[str, list[str]] = {}
        for f in everything:  # still sorted
            by_app.setdefault(self.apis[self.functions[f]].app, []).append(f)
        return everything, by_app

    def parameter_errors(self, wf: Workflow, params: Sequence[Mapping[str, Any]] | None = None) -> dict[int, str]:
        """Action position -> its first parameter error, for the actions of catalog APIs. Each action
        is checked parameter by parameter with the verdicts remembered (``Library.valid``, the same
        schema); the error of one that fails is then found with the whole schema. ``params``: each
        action's parameters as plist values (``dump_value``), when the caller has them."""
        out = {}
        for i, action in enumerate(wf.actions):
            api = self.apis.get(action.identifier)
            if api is None:
                continue
            raw = action.to_plist() if params is None else _plist(action, params[i])
            if self.library.valid(raw):
                continue
            check = self._validators.get(api.identifier)
            if check is None:
                check = self._validators[api.identifier] = Draft202012Validator(dict(api.schema))
            given = raw.get("WFWorkflowActionParameters") or {}
            error = best_match(check.iter_errors(canonical({k: v for k, v in given.items()
                                                            if k not in STRUCTURAL_KEYS})))
            if error is not None:
                where = "/".join(str(p) for p in error.absolute_path) or "(parameters)"
                out[i] = f"{where}: {error.message[:160]}"
        return out


def _plist(action: Action, params: Mapping[str, Any]) -> dict[str, Any]:
    """What ``parameter_errors`` reads of ``action.to_plist()``, from its parameters already dumped."""
    if not action.has_parameters:
        return {"WFWorkflowActionIdentifier": action.identifier}
    return {"WFWorkflowActionIdentifier": action.identifier, "WFWorkflowActionParameters": params}


class Facts:
    """What the rules and the step labels both read of one workflow, each worked out once (at first
    use): the actions' parameters as plist values, the data flow, the parameter errors and the
    wrong-typed values."""

    def __init__(self, wf: Workflow, catalog: Catalog) -> None:
        self.workflow = wf
        self.catalog = catalog

    @cached_property
    def params(self) -> list[dict[str, Any]]:
        return [{k: dump_value(v) for k, v in a.parameters.items()} for a in self.workflow.actions]

    @cached_property
    def flow(self) -> list[Step]:
        return data_flow(self.workflow, self.params)

    @cached_property
    def errors(self) -> dict[int, str]:
        return self.catalog.parameter_errors(self.workflow, self.params)

    @cached_property
    def typed(self) -> dict[int, str]:
        return wrong_types(self.workflow, self.catalog.apis, self.params)


def facts_of(wf: Workflow, catalog: Catalog, known: Facts | None = None) -> Facts:
    """``known`` when it is of this workflow and catalog, else new facts."""
    if known is not None and known.workflow is wf and known.catalog is catalog:
        return known
    return Facts(wf, catalog)


@dataclass(frozen=True)
class Subject:
    """One ok sample as the rules see it: its row, and its code read back (or why it could not be)."""

    row: Mapping[str, Any]
    workflow: Workflow | None
    problem: Drop | None = None  # why the code does not map: syntax | unmapped
    tree: ast.Module | None = None  # Python's parse of the code, shared by whoever reads it
    facts: Facts | None = field(default=None, compare=False, repr=False)  # the workflow's, against its catalog

    @property
    def sample_id(self) -> str:
        return str(self.row["sample_id"])


def read(row: Mapping[str, Any], catalog: Catalog) -> Subject:
    code = row.get("workflow_code") or ""
    try:
        tree = parse(code)
    except SyntaxError as exc:
        return Subject(row, None, Drop("syntax", f"line {exc.lineno}: {exc.msg}"))
    except (ValueError, RecursionError, MemoryError):
        tree = None  # from_code says why
    try:
        wf = from_code(code, source=str(row["sample_id"]), functions=catalog.functions, tree=tree)
    except (ShortcutError, RecursionError) as exc:
        return Subject(row, None, Drop("unmapped", str(exc)[:300]), tree)
    return Subject(row, wf, tree=tree, facts=Facts(wf, catalog))


Rule = Callable[[Subject, Catalog, Bounds, Mapping[str, Sequence[str]]], Verdict]


def _needs_workflow(rule: Callable[..., Verdict]) -> Rule:
    def checked(s: Subject, c: Catalog, b: Bounds, specs: Mapping[str, Sequence[str]]) -> Verdict:
        if s.workflow is None:
            return Unknown("no-workflow", "the code does not map to a workflow (rule code-maps)")
        return rule(s, s.workflow, c, b, specs)
    return checked


def code_maps(s: Subject, c: Catalog, b: Bounds, specs: Mapping[str, Sequence[str]]) -> Verdict:
    if s.problem is not None:
        return s.problem
    if s.workflow is not None and not s.workflow.actions:
        return Drop("no-actions", "the code has no actions")
    return None


@_needs_workflow
def known_apis(s: Subject, wf: Workflow, c: Catalog, b: Bounds, specs: Mapping[str, Sequence[str]]) -> Verdict:
    unknown = sorted({a.identifier for a in wf.actions if a.identifier not in c.apis})
    return Drop("unknown-api", ", ".join(unknown[:5])) if unknown else None


@_needs_workflow
def valid_parameters(s: Subject, wf: Workflow, c: Catalog, b: Bounds, specs: Mapping[str, Sequence[str]]
                     ) -> Verdict:
    errors = facts_of(wf, c, s.facts).errors
    if not errors:
        return None
    i, error = next(iter(errors.items()))
    return Drop("invalid-parameter", f"action {i} ({wf.actions[i].identifier}): {error}"
                + (f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""))


@_needs_workflow
def defined_before_use(s: Subject, wf: Workflow, c: Catalog, b: Bounds, specs: Mapping[str, Sequence[str]]
                       ) -> Verdict:
    bad = [(step.position, u) for step in facts_of(wf, c, s.facts).flow for u in step.undefined]
    if not bad:
        return None
    return Drop("undefined-reference", f"action {bad[0][0]}: {bad[0][1]}" + (
        f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""))


@_needs_workflow
def typed_values(s: Subject, wf: Workflow, c: Catalog, b: Bounds, specs: Mapping[str, Sequence[str]]) -> Verdict:
    bad = facts_of(wf, c, s.facts).typed
    if not bad:
        return None
    i, why = next(iter(bad.items()))
    return Drop("wrong-type", f"action {i} ({wf.actions[i].identifier}): {why}"
                + (f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""))


@_needs_workflow
def spec_apis(s: Subject, wf: Workflow, c: Catalog, b: Bounds, specs: Mapping[str, Sequence[str]]) -> Verdict:
    spec = s.row.get("spec_id")
    if not spec:
        return None  # a seed has no spec
    if spec not in specs:
        return Unknown("no-spec", f"spec {spec} is not in the warehouse")
    used = {a.identifier for a in wf.actions}
    missing = [a for a in specs[spec] if a not in used]
    return Drop("missing-spec-api", ", ".join(missing[:5])) if missing else None


def _has_bytes(code: str, tree: ast.Module | None) -> bool:
    try:
        return any(type(n) is ast.Constant and type(n.value) is bytes for n in ast.walk(tree or parse(code)))
    except (SyntaxError, ValueError, RecursionError):
        return True  # code-maps says why; a byte literal cannot be ruled out


def no_placeholders(s: Subject, c: Catalog, b: Bounds, specs: Mapping[str, Sequence[str]]) -> Verdict:
    code = s.row.get("workflow_code") or ""
    found = PLACEHOLDER.search(code)
    if found:
        return Drop("placeholder", found.group()[:80])
    if BYTES_PREFIX.search(code) and _has_bytes(code, s.tree):  # not "'!b'" in a comment
        return Drop("blob", "a byte literal")
    run = BASE64_RUN.search(code) if _has_long_word(code) else None
    return Drop("blob", f"{len(run.group())} characters of base64") if run else None


def _has_long_word(code: str) -> bool:
    """Whether some run of characters with no space between them is long enough to be a base64
    blob: the blob search tries every position of a code, and most codes have no such run. Only a
    line that long can hold one."""
    return any(max(map(len, line.split()), default=0) >= BLOB_CHARS
               for line in code.split("\n") if len(line) >= BLOB_CHARS)


@_needs_workflow
def clean_query(s: Subject, wf: Workflow, c: Catalog, b: Bounds, specs: Mapping[str, Sequence[str]]) -> Verdict:
    query = s.row.get("query") or ""
    if not query.strip():
        return Drop("no-query", "")
    # each identifier and app once: a workflow repeats them, and the words are a set
    apps = dict.fromkeys(a.app for a in wf.actions)
    apps.pop("shortcuts", None)
    named = named_code(query, code_words(dict.fromkeys(a.identifier for a in wf.actions), apps, c.docs))
    return Drop("query-leak", ", ".join(named[:5])) if named else None


@_needs_workflow
def size(s: Subject, wf: Workflow, c: Catalog, b: Bounds, specs: Mapping[str, Sequence[str]]) -> Verdict:
    n = len(wf.actions)
    if n < b.min_actions:
        return Drop("too-small", f"{n} actions, fewer than {b.min_actions}")
    if n > b.max_actions:
        return Drop("too-large", f"{n} actions, more than {b.max_actions}")
    chars = sum(len(s.row.get(k) or "") for k in ("query", "task_plan", "workflow_code"))
    if chars // CHARS_PER_TOKEN > b.max_tokens:
        return Drop("too-long", f"about {chars // CHARS_PER_TOKEN:,} tokens, more than {b.max_tokens:,}")
    return None


@_needs_workflow
def plan_steps_fit(s: Subject, wf: Workflow, c: Catalog, b: Bounds, specs: Mapping[str, Sequence[str]]
                   ) -> Verdict:
    steps = len(plan_steps(s.row.get("task_plan") or ""))
    if steps == 0:
        return Drop("no-plan", "")
    n = len(wf.actions)
    if steps > n + 1:  # a step per action, a summary at most
        return Drop("plan-longer-than-code", f"{steps} steps for {n} actions")
    units = len(blocks(wf)[0])  # top-level actions and blocks
    if units >= 6 and steps == 1:
        return Drop("plan-too-coarse", f"1 step for {units} top-level actions and blocks")
    return None


RULES: dict[str, Rule] = {
    "code-maps": code_maps, "known-apis": known_apis, "valid-parameters": valid_parameters,
    "defined-before-use": defined_before_use, "typed-values": typed_values, "spec-apis": spec_apis,
    "no-placeholders": no_placeholders,
    "clean-query": clean_query, "size": size, "plan-steps": plan_steps_fit,
}
