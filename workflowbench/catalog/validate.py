"""Check real actions against the catalog: one ``Finding`` per problem, never an exception.

``validate_action`` takes the RAW plist parameters of one action (``WFWorkflowActionParameters``, as
``Action.to_plist`` writes them, i.e. model values passed through ``values.dump_value``), or a
``model.Action``, whose parameters it dumps that way. The schema of ``schema.json_schema`` decides
whether a value is acceptable; this module only says why not, with a reason slug:

- ``type``: the value has the wrong type (or is a variable where the parameter takes none);
- ``enum``: a value of the right kind that is not among the known enum values;
- ``required``: a required parameter is missing;
- ``unknown-key``: a key the catalog does not list (the structural keys in ``STRUCTURAL_KEYS`` aside);
- ``no-api``: the catalog has no action with this identifier.

Validators are built once per identifier (``validators``); checking the ~40k actions of the corpus
against the merged catalog takes one to two seconds. Two shortcuts keep it so, both exact: a variable
in a parameter that takes variables is accepted without the schema (``is_variable`` mirrors
``$defs/variable``), and scalars already found valid for a parameter are remembered per validator
(bounded), because the same few booleans, enum values and numbers make up most parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from ..shortcut.model import Action, canonical
from ..shortcut.values import dump_value
from .model import Api, Param
from .schema import VARIABLE_TYPES, enum_values, json_schema, uniform_type

REASONS = ("type", "enum", "required", "unknown-key", "no-api")
# Keys every action may carry whatever the catalog says: identity, control flow, output label.
STRUCTURAL_KEYS = frozenset({"UUID", "GroupingIdentifier", "WFControlFlowMode", "CustomOutputName"})
_ATTACHMENT_STATES = frozenset(VARIABLE_TYPES) - {"WFTextTokenString"}

Validator = Draft202012Validator


@dataclass(frozen=True, slots=True)
class Finding:
    identifier: str
    key: str | None  # None for findings about the whole action (no-api)
    reason: str  # one of REASONS
    detail: str = ""


def validator(api: Api) -> Validator:
    """A compiled validator for ``api``'s schema (the schema is known to be valid: no check here)."""
    return Draft202012Validator(json_schema(api))


def validators(apis: Iterable[Api] | Mapping[str, Api]) -> dict[str, Validator]:
    """identifier -> validator, built once; pass the result to every ``validate_action`` call."""
    items = apis.values() if isinstance(apis, Mapping) else apis
    return {api.identifier: validator(api) for api in items}


def is_variable(value: Any) -> bool:
    """Whether a raw value stands for a variable: an attachment, a substitutable state wrapping one,
    or a token string holding at least one. Mirrors ``$defs/variable`` of the schema exactly (a test
    checks it), so validation can skip the schema for the many variables in real files."""
    if type(value) is not dict or "Value" not in value:
        return False
    kind, inner = value.get("WFSerializationType"), value["Value"]
    if type(inner) is not dict:
        return False
    if kind == "WFTextTokenString":
        ranges = inner.get("attachmentsByRange")
        return type(ranges) is dict and bool(ranges) and type(inner.get("string", "")) is str
    return type(kind) is str and kind in _ATTACHMENT_STATES and _is_attachment(inner)


def _is_attachment(inner: dict[str, Any]) -> bool:
    """``$defs/attachment``: the known keys, when present, have their types."""
    for k in ("Type", "OutputUUID", "OutputName", "VariableName"):
        if k in inner and type(inner[k]) is not str:
            return False
    aggs = inner.get("Aggrandizements", [])
    return type(aggs) is list and all(type(a) is dict and "Type" in a for a in aggs)


def describe(value: Any) -> str:
    """A short name of a value's kind for finding details: its serialization type or JSON type."""
    if type(value) is dict and isinstance(value.get("WFSerializationType"), str):
        return value["WFSerializationType"]
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "dictionary",
            type(None): "null"}.get(type(value), type(value).__name__)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def fits(kind: str | None, value: Any) -> bool:
    """Whether a scalar is of an enum's JSON type (any scalar when the enum mixes types)."""
    if type(value) not in (str, int, float, bool):
        return False
    if kind is None:
        return True
    if kind == "boolean" or type(value) is bool:
        return kind == "boolean" and type(value) is bool
    if kind == "string":
        return type(value) is str
    return type(value) in (int, float)  # integer or number


def reason(param: Param, value: Any) -> tuple[str, str]:
    """Why ``value`` (JSON form) failed ``param``'s schema: (reason slug, detail)."""
    if not param.accepts_variables and is_variable(value):
        return "type", f"a variable ({describe(value)}), but this parameter takes no variables"
    if param.type == "enum":
        values = enum_values(param)
        if fits(uniform_type(values), value):
            shown = ", ".join(_short(v, 30) for v in values[:10]) + (", ..." if len(values) > 10 else "")
            return "enum", f"{_short(value)} is not one of {shown}"
        return "type", f"expected {uniform_type(values) or 'a scalar'} (enum), found {describe(value)}"
    return "type", f"expected {param.type}, found {describe(value)}"


# Scalars already found valid, per validator (kept alive here, so its id stays its own); most parameters
# are such scalars. Cleared when it grows past the limit.
_VALID: dict[int, tuple[Validator, set[tuple[str, type, Any]]]] = {}
_VALID_LIMIT = 200_000
_valid_size = 0


def _valid_set(schema_validator: Validator) -> set[tuple[str, type, Any]]:
    entry = _VALID.get(id(schema_validator))
    if entry is None:
        entry = _VALID[id(schema_validator)] = (schema_validator, set())
    return entry[1]


def _remember(seen: set[tuple[str, type, Any]], valid: list[tuple[str, type, Any]]) -> None:
    global _valid_size
    if _valid_size > _VALID_LIMIT:  # start over rather than grow without bound
        _VALID.clear()
        _valid_size = 0
    seen.update(valid)
    _valid_size += len(valid)


def _scalar_key(key: str, value: Any) -> tuple[str, type, Any] | None:
    kind = type(value)
    if kind in (str, int, float, bool) and (kind is not str or len(value) <= 200):
        return key, kind, value
    return None


def validate_action(api: Api | None, schema_validator: Validator | None, parameters: Mapping[str, Any] | Action,
                    identifier: str | None = None) -> list[Finding]:
    """Findings for one action, in the order of its keys (missing ones last).

    ``parameters`` are the action's raw plist parameters, or a ``model.Action`` whose parameters are
    dumped here. ``identifier`` names the action when ``api`` is None (an Action names itself);
    ``schema_validator`` is ``validators(...)[api.identifier]`` (built here when None: slow in a loop)."""
    if isinstance(parameters, Action):
        identifier = identifier or parameters.identifier
        parameters = {k: dump_value(v) for k, v in parameters.parameters.items()}
    if api is None:
        return [Finding(identifier or "", None, "no-api", "the catalog has no action with this identifier")]
    ident = api.identifier
    if schema_validator is None:
        schema_validator = validator(api)
    instance = canonical(dict(parameters))  # the schema describes the JSON form
    params: dict[str, Param] = {}
    for p in api.params:
        params.setdefault(p.key, p)  # the first definition of a key wins, as in the schema

    found: dict[str, Finding] = {}
    # Skip what is known to be fine, so most actions give the schema an almost empty instance.
    seen = _valid_set(schema_validator)
    todo: dict[str, Any] = {}
    scalars: list[tuple[str, type, Any]] = []
    for k, v in instance.items():
        p = params.get(k)
        if p is None:
            if k not in STRUCTURAL_KEYS:
                found[k] = Finding(ident, k, "unknown-key", f"a {describe(v)} under a key the catalog does not list")
            continue
        if p.accepts_variables and is_variable(v):
            continue  # every parameter that takes variables takes this one
        sk = _scalar_key(k, v)
        if sk is None or sk not in seen:
            todo[k] = v
            if sk is not None:
                scalars.append(sk)
    if todo:
        for error in schema_validator.iter_errors(todo):
            key = error.path[0] if error.path else None  # a 'required' error on the partial instance: see below
            if key is not None and key not in found:
                slug, detail = reason(params[key], todo[key])
                found[key] = Finding(ident, key, slug, detail)
        _remember(seen, [sk for sk in scalars if sk[0] not in found])

    findings = [found[k] for k in instance if k in found]
    findings += [Finding(ident, k, "required", "a required parameter is missing")
                 for k in schema_validator.schema.get("required", ()) if k not in instance]
    return findings


def check_action(action: Action, apis: Mapping[str, Api], compiled: Mapping[str, Validator]) -> list[Finding]:
    """``validate_action`` for a model action, looking its api and validator up by identifier."""
    return validate_action(apis.get(action.identifier), compiled.get(action.identifier), action)
