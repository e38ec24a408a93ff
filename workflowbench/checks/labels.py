"""Step labels from static analysis: one per action, +1 (a correct step that advances the task), 0
(neutral: a step with no effect on the result, or when unsure) or -1 (wrong).

An action is wrong when its API is not in the catalog, a parameter is invalid against the API's
schema, it refers to something nothing before it defines, it hands a parameter a value of a kind
the parameter can never take (``workflowbench.checks.types``: an image as a number), or it repeats
a step already found wrong. After a -1, every step that takes a value from it through the data flow
(``workflowbench.checks.flow``, transitively) is -1 too (error propagation as in
AgentProcessBench); steps that do not depend on it keep their own label. A comment is 0, and so is
an action whose output nothing refers to and that is not the last (unsure: it may be an implicit
input of the next one, or dead).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..shortcut.model import Action, Workflow, canonical
from .rules import Catalog, Facts, facts_of

NO_EFFECT = frozenset({"is.workflow.actions.comment", "is.workflow.actions.nothing"})
IGNORED = frozenset({"UUID", "GroupingIdentifier", "CustomOutputName"})


@dataclass(frozen=True)
class Label:
    position: int
    line: int | None
    label: int  # 1 | 0 | -1
    reason: str
    source: str = "static"


def _key(action: Action, params: dict[str, object]) -> str:
    """The action's identifier and parameters as text (``params``: its parameters dumped)."""
    given = params if action.has_parameters else {}
    return action.identifier + json.dumps(canonical({k: v for k, v in given.items() if k not in IGNORED}),
                                          sort_keys=True, default=str)


def step_labels(wf: Workflow, catalog: Catalog, lines: list[int | None] | None = None,
                facts: Facts | None = None) -> list[Label]:
    """A label per action. ``facts``: the rules' ``Facts`` of ``wf``, when the caller has them."""
    facts = facts_of(wf, catalog, facts)
    steps = facts.flow
    errors = facts.errors
    typed = facts.typed
    referenced: set[int] = set()
    for step in steps:
        referenced |= step.uses
    wrong: dict[int, str] = {}
    failed: set[str] = set()
    out = []
    last = len(wf.actions) - 1
    for i, action in enumerate(wf.actions):
        line = lines[i] if lines is not None and i < len(lines) else None
        key = None  # the step's parameters as text: only needed once a step was wrong
        reason = None
        if action.identifier not in catalog.apis:
            reason = "unknown-api"
        elif i in errors:
            reason = f"invalid-parameter: {errors[i]}"
        elif steps[i].undefined:
            reason = f"undefined-reference: {steps[i].undefined[0]}"
        elif i in typed:
            reason = f"wrong-type: {typed[i]}"
        elif failed and (key := _key(action, facts.params[i])) in failed:
            reason = "repeats-a-wrong-step"
        if reason is None and wrong:
            bad = sorted(u for u in steps[i].uses if u in wrong)
            if bad:
                reason = f"depends-on-wrong-step: {bad[0]}"
        if reason is not None:
            wrong[i] = reason
            failed.add(key or _key(action, facts.params[i]))
            out.append(Label(i, line, -1, reason[:300]))
            continue
        api = catalog.apis[action.identifier]
        if action.identifier in NO_EFFECT:
            out.append(Label(i, line, 0, "no-effect"))
        elif api.output_name and i not in referenced and i != last and action.mode is None:
            out.append(Label(i, line, 0, "output-unused"))
        else:
            out.append(Label(i, line, 1, "ok"))
    return out
