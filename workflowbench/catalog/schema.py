"""JSON Schema (draft 2020-12) of an action's parameters as a shortcut stores them.

The schema describes the raw plist parameters in their JSON form (``model.canonical``: dates become
ISO text, data becomes base64 text), not the typed model values: it is meant for any consumer of
the files, and ``validate`` checks real actions against it.

What real files hold, and the schema therefore allows:

- a parameter that accepts variables may hold a variable instead of a literal (``$defs/variable``):
  a ``WFTextTokenAttachment``, a substitutable state (``WFTokenAttachmentParameterState``,
  ``WFNumberSubstitutableState``, ...) wrapping an attachment, or a ``WFTextTokenString`` with at
  least one attachment;
- text fields store literal text as a plain string or a ``WFTextTokenString`` without attachments;
- number fields store numbers as text ('5', '2,5') about as often as numbers, and an empty field as '';
  a number with a unit is a ``WFQuantityFieldValue``;
- switches are booleans, in older files 0 or 1;
- dictionaries are ``WFDictionaryFieldValue`` (sometimes wrapped twice) or plain dictionaries;
- lists are plain arrays or ``WFArrayParameterState``.

``additionalProperties`` stays true: real files carry keys no catalog lists (UUID, CustomOutputName,
app descriptors); ``validate`` reports them as findings instead of failing the action.
An action's input parameter (``Api.input_key``) is never required: when it is absent the action
takes the previous action's output.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

from ..shortcut.model import canonical
from .model import Api, Param

DRAFT = "https://json-schema.org/draft/2020-12/schema"

# Serialization types whose Value may be an attachment (one variable).
VARIABLE_TYPES = (
    "WFTextTokenAttachment",
    "WFTextTokenString",  # only with attachments, see $defs/variable
    "WFTokenAttachmentParameterState",
    "WFNumberSubstitutableState",
    "WFStringSubstitutableState",
    "WFINSpeakableStringSubstitutableState",
)
_NUMERIC = r"^\s*$|^\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*$"  # '' is an empty field
_INTEGER = r"^\s*$|^\s*[-+]?\d+([.,]0*)?\s*$"


def _serialized(kind: str | list[str], value: dict[str, Any]) -> dict[str, Any]:
    """A ``{WFSerializationType, Value}`` wrapper; other keys are allowed, as everywhere in plists."""
    st = {"const": kind} if isinstance(kind, str) else {"enum": kind}
    return {"type": "object", "required": ["WFSerializationType", "Value"],
            "properties": {"WFSerializationType": st, "Value": value}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


DEFS: dict[str, Any] = {
    # {Type, OutputUUID, OutputName, VariableName, Aggrandizements}: what a variable points at.
    "attachment": {
        "type": "object",
        "properties": {
            "Type": {"type": "string"},
            "OutputUUID": {"type": "string"},
            "OutputName": {"type": "string"},
            "VariableName": {"type": "string"},
            "Aggrandizements": {"type": "array", "items": {"type": "object", "required": ["Type"]}},
        },
    },
    "variable": {
        "type": "object",
        "required": ["WFSerializationType", "Value"],
        "properties": {"WFSerializationType": {"enum": list(VARIABLE_TYPES)}},
        # A token string is a variable only when it holds one; the other wrappers hold an attachment.
        "if": {"properties": {"WFSerializationType": {"const": "WFTextTokenString"}}},
        "then": {"properties": {"Value": {
            "type": "object", "required": ["attachmentsByRange"],
            "properties": {"string": {"type": "string"}, "attachmentsByRange": {"type": "object", "minProperties": 1}},
        }}},
        "else": {"properties": {"Value": _ref("attachment")}},
    },
    # Literal text in a text field: a token string without attachments.
    "text": _serialized("WFTextTokenString", {
        "type": "object", "required": ["string"],
        "properties": {"string": {"type": "string"}, "attachmentsByRange": {"type": "object", "maxProperties": 0}},
    }),
    "stringState": _serialized(["WFStringSubstitutableState", "WFINSpeakableStringSubstitutableState"],
                               {"type": "string"}),
    "numberState": _serialized("WFNumberSubstitutableState", {"anyOf": [
        {"type": ["number", "boolean"]}, {"type": "string", "pattern": _NUMERIC}]}),
    # A number with a unit (durations, distances): number parameters of App Intents store these.
    "quantity": _serialized("WFQuantityFieldValue", {"type": "object", "properties": {"Unit": {"type": "string"}}}),
    "numericString": {"type": "string", "pattern": _NUMERIC},
    "integerString": {"type": "string", "pattern": _INTEGER},
    "dictionary": _serialized("WFDictionaryFieldValue", {"anyOf": [
        {"type": "object", "required": ["WFDictionaryFieldValueItems"],
         "properties": {"WFDictionaryFieldValueItems": {"type": "array", "items": {"type": "object"}}}},
        _ref("dictionary"),  # wrapped twice
    ]}),
    "plainDictionary": {"type": "object", "not": {"required": ["WFSerializationType"]}},
    "array": _serialized("WFArrayParameterState", {"type": "array"}),
}

# The literal forms of each parameter type (before variables are added).
_LITERALS: dict[str, list[dict[str, Any]]] = {
    "string": [{"type": "string"}, _ref("text"), _ref("stringState")],
    "date": [{"type": "string"}, _ref("text")],
    "number": [{"type": "number"}, _ref("numericString"), _ref("numberState"), _ref("quantity")],
    "integer": [{"type": "integer"}, _ref("integerString"), _ref("numberState"), _ref("quantity")],
    "boolean": [{"type": "boolean"}, {"enum": [0, 1]}, _ref("numberState")],
    "dictionary": [_ref("dictionary"), _ref("plainDictionary")],
    "list": [{"type": "array"}, _ref("array")],
}


def json_value(value: Any) -> tuple[bool, Any]:
    """(True, the JSON form) for a value a schema may hold, (False, None) otherwise (NaN, odd types)."""
    try:
        return True, json.loads(json.dumps(canonical(value), allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        return False, None


def enum_values(param: Param) -> list[Any]:
    """The param's enum values in JSON form, deduplicated (1, 1.0 and True stay apart) in their order."""
    seen: set[tuple[str, str]] = set()
    out = []
    for v in param.enum:
        ok, j = json_value(v)
        if not ok:
            continue
        key = (type(j).__name__, json.dumps(j, sort_keys=True))
        if key not in seen:
            seen.add(key)
            out.append(j)
    return out


def uniform_type(values: list[Any]) -> str | None:
    """The JSON type all values share ('number' for a mix of ints and floats), or None."""
    kinds = {_json_type(v) for v in values}
    if kinds == {"integer", "number"}:
        return "number"
    return kinds.pop() if len(kinds) == 1 else None


def _json_type(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "integer" if math.isfinite(v) and v.is_integer() else "number"
    if isinstance(v, str):
        return "string"
    if v is None:
        return "null"
    return "array" if isinstance(v, list) else "object"


def literal_schemas(param: Param) -> list[dict[str, Any]]:
    """The alternatives a literal value of this param may take; [] means anything."""
    if param.type == "enum":
        values = enum_values(param)
        if not values:
            return []  # an enum nobody listed: nothing to check against
        schema: dict[str, Any] = {"enum": values}
        kind = uniform_type(values)
        if kind is not None:
            schema = {"type": kind, **schema}
        return [schema]
    return copy.deepcopy(_LITERALS.get(param.type, []))  # each schema owns its dictionaries


def param_schema(param: Param) -> dict[str, Any]:
    """The schema of one parameter's stored value, with its label, description and default, and the
    shapes real shortcuts showed it takes (``widen``)."""
    alternatives = literal_schemas(param)
    if alternatives and param.shapes:
        alternatives += copy.deepcopy(param.shapes)
    if not alternatives:
        # file, object, unknown (and an empty enum): any value, or any value but a variable.
        schema: dict[str, Any] = {} if param.accepts_variables else {"not": _ref("variable")}
    else:
        if param.accepts_variables:
            alternatives.append(_ref("variable"))
        schema = dict(alternatives[0]) if len(alternatives) == 1 else {"anyOf": alternatives}
    if isinstance(param.label, str) and param.label:
        schema["title"] = param.label
    if isinstance(param.description, str) and param.description:
        schema["description"] = param.description
    if param.default is not None:
        ok, default = json_value(param.default)
        if ok:
            schema["default"] = default
    return schema


def required_keys(api: Api) -> list[str]:
    """Required params but the input one, without repeats (the metaschema wants unique items)."""
    out: list[str] = []
    for p in api.params:
        if p.required and p.key != api.input_key and p.key not in out:
            out.append(p.key)
    return out


def json_schema(api: Api) -> dict[str, Any]:
    """The JSON Schema of ``api``'s stored parameters; passes ``Draft202012Validator.check_schema``."""
    schema: dict[str, Any] = {"$schema": DRAFT, "title": api.name or api.identifier}
    if isinstance(api.description, str) and api.description:
        schema["description"] = api.description
    schema["type"] = "object"
    # A repeated key keeps its first definition, as Api.param does.
    properties: dict[str, Any] = {}
    for p in api.params:
        properties.setdefault(p.key, param_schema(p))
    schema["properties"] = properties
    required = required_keys(api)
    if required:
        schema["required"] = required
    schema["additionalProperties"] = True
    schema["$defs"] = copy.deepcopy(DEFS)  # callers may edit their schema; DEFS stays as it is
    return schema
