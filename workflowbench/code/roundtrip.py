"""The normalisation under which ``from_code(to_code(wf))`` is compared with ``wf``.

Output ids become the index of the action producing them (or ``@missing``), unused output ids are
dropped, block group ids are numbered in order, ``VariableUUID`` (an editor id of a named variable,
which the code does not keep) is dropped, and implicit inputs are written out as the code shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..shortcut.model import Workflow, canonical
from ..shortcut.values import dump_value
from .to_code import IF, plan


def comparable(wf: Workflow, *, input_keys: Mapping[str, str] | None = None,
               labels: Callable[[str], str | None] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(identifier, normalised parameters) for each action."""
    p = plan(wf, input_keys, labels)
    groups: dict[str, str] = {}
    out = []
    for i, a in enumerate(wf.actions):
        params = {k: _ids(dump_value(v), p.producer) for k, v in a.parameters.items()}
        if i in p.bound:  # an output handed on implicitly gets an id once the hand-over is written out
            params["UUID"] = "@out"
        elif isinstance(params.get("UUID"), str):
            del params["UUID"]
        group = params.get("GroupingIdentifier")
        if isinstance(group, str):
            params["GroupingIdentifier"] = groups.setdefault(group, f"@g{len(groups)}")
        hand = p.implicit.get(i)
        if hand is not None:
            key, producer = hand
            ref: dict[str, Any] = {"Type": "ActionOutput", "OutputUUID": f"@{producer}"}
            if p.labels.get(producer) is not None:
                ref["OutputName"] = p.labels[producer]
            var = {"WFSerializationType": "WFTextTokenAttachment", "Value": ref}
            params[key] = {"Type": "Variable", "Variable": var} if a.identifier == IF else var
        out.append((a.identifier, canonical(params)))
    return out


def _ids(v: Any, producer: dict[str, int]) -> Any:
    if type(v) is dict:
        out = {k: _ids(x, producer) for k, x in v.items() if k != "VariableUUID"}
        if out.get("Type") == "ActionOutput" and isinstance(out.get("OutputUUID"), str):
            i = producer.get(out["OutputUUID"])
            out["OutputUUID"] = "@missing" if i is None else f"@{i}"
        return out
    if type(v) is list:
        return [_ids(x, producer) for x in v]
    return v
