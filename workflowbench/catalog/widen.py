"""Schemas widened by what working shortcuts store.

The public catalogs are incomplete: an enum misses a value ('Title' of a podcast's properties), a
parameter documented as one URL holds a list of them, a list parameter holds one item, a number
field holds a ``WFQuantityFieldValue``, a parameter said to take no variables holds one. A value a
real shortcut stores is a value the Shortcuts app accepts, so a schema that refuses it is wrong,
and a gate built on it would drop real seeds for the catalog's gap.

``widen`` checks every corpus action against its API's schema and, for each value refused, widens
that parameter as little as covers it:

- a variable where the parameter took none: ``accepts_variables`` becomes true;
- an enum value of the enum's type: the value joins the enum;
- a list where the parameter took none: lists of what the parameter takes (or of anything, when
  the items do not all fit);
- a serialized wrapper (``WFSerializationType`` X): that wrapper, whatever its value;
- any other value: its JSON type (a scalar outside an enum's type: that value alone).

Each widening is an extra alternative in ``Param.shapes`` (or the enum value / variable flag), with
``provenance['widened']`` saying what and from how many uses; each refused value becomes a
``catalog_findings`` row with reason ``widened`` naming what the documented schema said
(``findings``), so the gap stays visible.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator

from ..shortcut.model import Action, Workflow, canonical
from ..shortcut.values import dump_value
from .model import Api, Param
from .schema import DEFS, enum_values, literal_schemas, uniform_type
from .validate import Finding, check_action, describe, fits, is_variable, validate_action, validators

WIDENED = "widened"


def _json_type(value: Any) -> str:
    return describe(value) if not isinstance(value, dict) else "object"


def shape(param: Param, value: Any) -> dict[str, Any] | None:
    """The alternative that admits ``value`` (JSON form, not a variable) for ``param``; None when
    the value should join the enum instead."""
    if param.type == "enum" and type(value) in (str, int, float, bool):
        if fits(uniform_type(enum_values(param)), value):
            return None  # of the enum's type (or the enum mixes types): the value joins it
        return {"const": value}
    if isinstance(value, list):
        items = literal_schemas(param)
        if items and all(_admits(items, v, param.accepts_variables) for v in value):
            return {"type": "array", "items": {"anyOf": [*items, {"$ref": "#/$defs/variable"}]}
                    if param.accepts_variables else {"anyOf": items}}
        return {"type": "array"}
    if isinstance(value, dict) and isinstance(value.get("WFSerializationType"), str):
        return {"type": "object", "required": ["WFSerializationType"],
                "properties": {"WFSerializationType": {"const": value["WFSerializationType"]}}}
    return {"type": _json_type(value)} if not isinstance(value, dict) else {"type": "object"}


def _admits(alternatives: list[dict[str, Any]], value: Any, variables: bool) -> bool:
    if variables and is_variable(value):
        return True
    return Draft202012Validator({"anyOf": alternatives, "$defs": DEFS}).is_valid(value)


def _apply(param: Param, value: Any) -> str:
    """Widen ``param`` to take ``value``; returns what was done, for the provenance."""
    if is_variable(value):
        if not param.accepts_variables:
            param.accepts_variables = True
            param.provenance["accepts_variables"] = "corpus"
        return "variables"
    found = shape(param, value)
    if found is None:
        param.enum.append(value)
        param.provenance[f"enum:{value}"] = "corpus"
        return f"enum value {value!r}"[:80]
    if found not in param.shapes:
        param.shapes.append(found)
    if "const" in found:
        return f"value {value!r}"[:80]
    return "lists" if found["type"] == "array" else f"{describe(value)} values"


def widen(apis: list[Api], workflows: Iterable[Workflow]) -> dict[str, Api]:
    """Widen ``apis``' parameters (in place) to take every value the workflows store. Returns the
    APIs it changed as they were documented (identifier -> a copy from before), for ``findings``."""
    by_id = {a.identifier: a for a in apis}
    checks = validators(apis)
    refused: list[tuple[Finding, Any]] = []
    for wf in workflows:
        for action in wf.actions:
            for f in check_action(action, by_id, checks):
                if f.reason in ("type", "enum") and f.key in action.parameters:
                    refused.append((f, canonical(dump_value(action.parameters[f.key]))))
    documented = {f.identifier: copy.deepcopy(by_id[f.identifier]) for f, _ in refused}
    done: dict[tuple[str, str], dict[str, int]] = {}
    for f, value in refused:
        param = by_id[f.identifier].param(f.key or "")
        if param is not None:
            what = _apply(param, value)
            counts = done.setdefault((f.identifier, param.key), {})
            counts[what] = counts.get(what, 0) + 1
    for (ident, key), counts in done.items():
        param = by_id[ident].param(key)
        if param is not None:
            param.provenance[WIDENED] = "corpus: " + "; ".join(f"{w} ({n} use{'s' * (n > 1)})"
                                                               for w, n in sorted(counts.items()))
    return documented


def findings(action: Action, documented: Mapping[str, Api], compiled: Mapping[str, Draft202012Validator],
             now: list[Finding]) -> list[Finding]:
    """``now`` (the action's findings against the widened catalog) plus a ``widened`` finding for
    each value only the documented schema refused, saying what it said."""
    api = documented.get(action.identifier)
    if api is None:
        return now
    keys = {f.key for f in now}
    before = validate_action(api, compiled.get(action.identifier), action)
    return now + [Finding(f.identifier, f.key, WIDENED, f"documented schema: {f.reason}: {f.detail}")
                  for f in before if f.reason in ("type", "enum") and f.key not in keys]
