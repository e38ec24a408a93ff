"""Wrong-typed values: an action's output handed straight to a parameter that can never take it (an
image as a number, a location as a date), by the catalog's output and parameter types
(``workflowbench.catalog.kinds``). Only a direct reference is judged (a variable, not a text with
variables in it, which is text); a coercion on the reference counts instead of the producer's
type; a property of the value, or a producer of no known kind, is never judged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Protocol

from ..catalog.kinds import coerced, output_kinds, wrong_type
from ..shortcut.model import Workflow
from ..shortcut.values import dump_value


class ApiSpec(Protocol):
    """What is read of an API (``synth.offline.ApiSpec``): its parameters' (key, type, ...) and its
    output type."""

    @property
    def params(self) -> Sequence[tuple[Any, ...]]: ...
    @property
    def output_type(self) -> str | None: ...

_DIRECT = frozenset({"WFTextTokenAttachment", "WFTokenAttachmentParameterState", "WFNumberSubstitutableState",
                     "WFStringSubstitutableState"})


@lru_cache(maxsize=4096)
def kinds_of(output_type: str | None) -> frozenset[str]:
    return output_kinds(output_type)


def direct_reference(raw: Any) -> dict[str, Any] | None:
    """The reference a raw parameter value is, when it is exactly one variable."""
    if type(raw) is not dict:
        return None
    if raw.get("Type") == "Variable" and "Variable" in raw:  # an If's input
        return direct_reference(raw["Variable"])
    inner = raw.get("Value")
    if raw.get("WFSerializationType") in _DIRECT and type(inner) is dict and isinstance(inner.get("Type"), str):
        return inner
    return None


def wrong_types(wf: Workflow, apis: Mapping[str, ApiSpec], params: Sequence[Mapping[str, Any]] | None = None
                ) -> dict[int, str]:
    """Action position -> why its first wrong-typed parameter is wrong. ``params``: each action's
    parameters as plist values (``dump_value``), when the caller has them."""
    made: dict[str, int] = {}
    out: dict[int, str] = {}
    param_types: dict[str, dict[Any, Any]] = {}  # identifier -> its parameters' types (a workflow repeats its APIs)
    for i, action in enumerate(wf.actions):
        api = apis.get(action.identifier)
        if api is not None and action.parameters:
            types = param_types.get(action.identifier)
            if types is None:
                types = param_types[action.identifier] = {p[0]: p[1] for p in api.params}
            for key, value in action.parameters.items():
                if types.get(key) not in (None, "string", "unknown", "object", "list", "file"):
                    ref = direct_reference(dump_value(value) if params is None else params[i][key])
                    problem = _judge(ref, types[key], made, wf, apis) if ref is not None else None
                    if problem:
                        out[i] = f"{key}: {problem}"
                        break
        output = action.uuid
        if output:
            made[output] = i
    return out


def _judge(ref: dict[str, Any], param_type: str, made: Mapping[str, int], wf: Workflow,
           apis: Mapping[str, ApiSpec]) -> str | None:
    if ref.get("Type") != "ActionOutput":
        return None
    at = made.get(str(ref.get("OutputUUID")))
    if at is None:
        return None  # undefined: another rule's business
    judgeable, kinds = coerced(ref.get("Aggrandizements") or [])
    if not judgeable:
        return None
    if kinds is None:
        producer = apis.get(wf.actions[at].identifier)
        kinds = kinds_of(producer.output_type) if producer is not None else frozenset()
    if not wrong_type(kinds, param_type):
        return None
    return f"takes {param_type}, given {' or '.join(sorted(kinds))} from action {at}"
