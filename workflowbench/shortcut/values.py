"""Typed parameter values, each able to write back exactly the dictionary it came from.

Plain plist scalars (str, int, float, bool, bytes, datetime) stay Python values;
plain lists and dictionaries stay lists and dicts of values. Dictionaries that
carry a ``WFSerializationType`` become the classes below. A class keeps keys it
does not model in ``extra`` so that ``dump_value(parse_value(x)) == x`` always
holds; a known serialization type whose shape is wrong is kept whole as
``Unknown`` with a ``problem`` note instead of being guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Union

from .errors import TooDeep

Value = Union[str, int, float, bool, bytes, datetime, list, dict, "Serialized"]

OBJECT_REPLACEMENT = "\ufffc"


@dataclass(slots=True)
class Aggrandizement:
    """One step applied to a variable: a dictionary key, a property, a coercion, a date format."""

    type: str  # e.g. WFDictionaryValueVariableAggrandizement
    fields: dict[str, Value] = field(default_factory=dict)  # every key but Type

    @property
    def kind(self) -> str:
        return self.type.removeprefix("WF").removesuffix("VariableAggrandizement")


@dataclass(slots=True)
class Attachment:
    """A variable reference: action output, named variable, shortcut input, clipboard, ..."""

    type: str | None  # ActionOutput, Variable, ExtensionInput, Ask, Clipboard, CurrentDate, DeviceDetails, Input
    output_uuid: str | None = None
    output_name: str | None = None
    variable_name: str | None = None
    aggrandizements: list[Aggrandizement] | None = None
    extra: dict[str, Value] = field(default_factory=dict)


class Serialized:
    """Base of the ``{WFSerializationType: ..., Value: ...}`` wrappers."""

    __slots__ = ()
    serialization_type: str = ""


@dataclass(slots=True)
class Text(Serialized):
    """WFTextTokenString: ordered parts, each a literal string or an attachment."""

    parts: list[str | Attachment]
    has_ranges: bool = True  # whether attachmentsByRange was present (it may be absent when empty)
    value_extra: dict[str, Value] = field(default_factory=dict)
    extra: dict[str, Value] = field(default_factory=dict)
    serialization_type = "WFTextTokenString"

    @property
    def string(self) -> str:
        return "".join(p if isinstance(p, str) else OBJECT_REPLACEMENT for p in self.parts)


@dataclass(slots=True)
class Variable(Serialized):
    """WFTextTokenAttachment: exactly one variable."""

    attachment: Attachment
    extra: dict[str, Value] = field(default_factory=dict)
    serialization_type = "WFTextTokenAttachment"


@dataclass(slots=True)
class DictItem:
    key: Value | None
    item_type: int | None
    value: Value | None
    extra: dict[str, Value] = field(default_factory=dict)


@dataclass(slots=True)
class Dictionary(Serialized):
    """WFDictionaryFieldValue: ordered key/value items with item types (0 text ... 4 boolean)."""

    items: list[DictItem]
    value_extra: dict[str, Value] = field(default_factory=dict)
    extra: dict[str, Value] = field(default_factory=dict)
    # Nested dictionary items are sometimes wrapped twice: Value is itself a WFDictionaryFieldValue.
    wrapped: bool = False
    wrapper_extra: dict[str, Value] = field(default_factory=dict)
    serialization_type = "WFDictionaryFieldValue"


@dataclass(slots=True)
class Array(Serialized):
    """WFArrayParameterState: a list of values."""

    items: list[Value]
    extra: dict[str, Value] = field(default_factory=dict)
    serialization_type = "WFArrayParameterState"


@dataclass(slots=True)
class Substitutable(Serialized):
    """WFNumberSubstitutableState, WFStringSubstitutableState, WFTokenAttachmentParameterState, ...:
    a literal or an attachment standing in for one parameter value."""

    type: str
    value: Value | Attachment
    extra: dict[str, Value] = field(default_factory=dict)

    @property
    def serialization_type(self) -> str:  # type: ignore[override]
        return self.type


@dataclass(slots=True)
class Quantity(Serialized):
    """WFQuantityFieldValue: a magnitude (number, text or variable) and a unit."""

    magnitude: Value | None
    unit: Value | None
    value_extra: dict[str, Value] = field(default_factory=dict)
    extra: dict[str, Value] = field(default_factory=dict)
    serialization_type = "WFQuantityFieldValue"


@dataclass(slots=True)
class PredicateTable(Serialized):
    """WFContentPredicateTableTemplate: filter rules joined by any (0) or all (1)."""

    prefix: int | None
    templates: list[Value]
    value_extra: dict[str, Value] = field(default_factory=dict)
    extra: dict[str, Value] = field(default_factory=dict)
    serialization_type = "WFContentPredicateTableTemplate"


@dataclass(slots=True)
class Unknown(Serialized):
    """A serialization type this model does not know (or a known one of the wrong shape), kept raw."""

    raw: dict[str, Any]
    problem: str = ""

    @property
    def serialization_type(self) -> str:  # type: ignore[override]
        kind = self.raw.get("WFSerializationType")
        return kind if isinstance(kind, str) else ""


class _Malformed(Exception):
    """Internal: a known serialization type whose shape is wrong."""


_SUBSTITUTABLE = {
    "WFNumberSubstitutableState",
    "WFStringSubstitutableState",
    "WFTokenAttachmentParameterState",
    "WFINSpeakableStringSubstitutableState",
}
ATTACHMENT_TYPES = frozenset(
    {"ActionOutput", "Variable", "ExtensionInput", "Ask", "Clipboard", "CurrentDate", "DeviceDetails", "Input"}
)
SCALARS = frozenset({str, int, float, bool, bytes, datetime})
# No leading zeros: "{01, 1}" would be written back as "{1, 1}".
_RANGE = re.compile(r"\{(0|[1-9]\d*), (0|[1-9]\d*)\}")


# --- parsing ------------------------------------------------------------------------


def parse_value(raw: Any, depth: int = 0, max_depth: int = 200) -> Value:
    """Turn one plist value into the model; never raises except ``TooDeep`` (as RecursionError-free)."""
    kind = type(raw)
    if kind in SCALARS:
        return raw
    if depth > max_depth:
        raise TooDeep("", f"values nest deeper than {max_depth}")
    if kind is list:
        return parse_items(raw, range(len(raw)), depth, max_depth)
    if kind is dict:
        st = raw.get("WFSerializationType")
        if st is not None and "Value" in raw:
            parser = _PARSERS.get(st) if isinstance(st, str) else None
            if parser is None and isinstance(st, str) and st in _SUBSTITUTABLE:
                parser = _parse_substitutable
            if parser is None:
                return Unknown(raw)
            try:
                return parser(raw, depth + 1, max_depth)
            except _Malformed as exc:
                return Unknown(raw, str(exc))
        return parse_items(raw, raw, depth, max_depth)
    # None (JSON null) and anything else a parser may hand us stays as it is.
    return raw


def parse_items(raw: Any, keys: Any, depth: int, max_depth: int) -> Any:
    """Parse the values of a plain list or dict, reusing it when every value stays as it is
    (most do: they are scalars), so the common case copies nothing."""
    out = None
    for k in keys:
        v = raw[k]
        if type(v) in SCALARS:
            continue
        parsed = parse_value(v, depth + 1, max_depth)
        if parsed is not v:
            if out is None:
                out = raw.copy()
            out[k] = parsed
    return raw if out is None else out


def _rest(raw: dict[str, Any], known: frozenset[str], depth: int, max_depth: int) -> dict[str, Value]:
    if raw.keys() <= known:
        return {}  # the common case: nothing beyond the modelled keys
    return {k: parse_value(v, depth, max_depth) for k, v in raw.items() if k not in known}


_WRAPPER = frozenset({"WFSerializationType", "Value"})
_ATTACHMENT_KEYS = {"Type": str, "OutputUUID": str, "OutputName": str, "VariableName": str}


def parse_attachment(raw: Any, depth: int, max_depth: int) -> Attachment:
    if type(raw) is not dict:
        raise _Malformed(f"attachment is {type(raw).__name__}, expected a dictionary")
    get = raw.get
    kind, uuid, name, var = get("Type"), get("OutputUUID"), get("OutputName"), get("VariableName")
    att = Attachment(
        kind if type(kind) is str else None,
        uuid if type(uuid) is str else None,
        name if type(name) is str else None,
        var if type(var) is str else None,
    )
    aggs = get("Aggrandizements")
    if type(aggs) is list:
        parsed = []
        for a in aggs:
            if type(a) is not dict or type(a.get("Type")) is not str:
                break
            parsed.append(Aggrandizement(a["Type"], {ak: parse_value(av, depth + 1, max_depth)
                                                     for ak, av in a.items() if ak != "Type"}))
        else:
            att.aggrandizements = parsed
    taken = ((att.type is not None) + (att.output_uuid is not None) + (att.output_name is not None)
             + (att.variable_name is not None) + (att.aggrandizements is not None))
    if taken != len(raw):
        # Keys we do not model, or modelled keys of an unexpected type, are kept as they are.
        att.extra = {k: parse_value(v, depth + 1, max_depth) for k, v in raw.items()
                     if not ((k == "Aggrandizements" and att.aggrandizements is not None)
                             or type(v) is _ATTACHMENT_KEYS.get(k))}
    return att


def _parse_text(raw: dict[str, Any], depth: int, max_depth: int) -> Text:
    value = raw["Value"]
    if type(value) is not dict or type(value.get("string", "")) is not str:
        raise _Malformed("WFTextTokenString value is not {string, attachmentsByRange}")
    string: str = value.get("string", "")
    ranges = value.get("attachmentsByRange")
    has_ranges = "attachmentsByRange" in value
    value_extra = _rest(value, _TEXT_KEYS, depth, max_depth)
    if "string" not in value:
        raise _Malformed("WFTextTokenString has no string")
    extra = _rest(raw, _WRAPPER, depth, max_depth)
    if not ranges:
        if has_ranges and type(ranges) is not dict:
            raise _Malformed("attachmentsByRange is not a dictionary")
        return Text([string] if string else [], has_ranges, value_extra, extra)
    if type(ranges) is not dict:
        raise _Malformed("attachmentsByRange is not a dictionary")
    # Offsets are UTF-16 code units; map them to Python indices only when needed.
    ascii_only = string.isascii()
    # surrogatepass: JSON can carry lone surrogates, which still count as one UTF-16 unit.
    units = None if ascii_only else string.encode("utf-16-le", "surrogatepass")
    spots: list[tuple[int, Attachment]] = []
    for key, att in ranges.items():
        m = _RANGE.fullmatch(key) if type(key) is str else None
        if m is None:
            raise _Malformed(f"attachment range {key!r} is not '{{loc, len}}'")
        loc, length = int(m[1]), int(m[2])
        if length != 1:
            raise _Malformed(f"attachment range {key} covers {length} characters, expected 1")
        if units is None:
            if loc >= len(string) or string[loc] != OBJECT_REPLACEMENT:
                raise _Malformed(f"attachment range {key} does not point at U+FFFC")
            index = loc
        else:
            if units[2 * loc : 2 * loc + 2] != b"\xfc\xff":
                raise _Malformed(f"attachment range {key} does not point at U+FFFC")
            index = len(units[: 2 * loc].decode("utf-16-le", "surrogatepass"))
        spots.append((index, parse_attachment(att, depth + 1, max_depth)))
    spots.sort(key=lambda s: s[0])
    parts: list[str | Attachment] = []
    start = 0
    for index, att_model in spots:
        if index > start:
            parts.append(string[start:index])
        parts.append(att_model)
        start = index + 1
    if start < len(string):
        parts.append(string[start:])
    return Text(parts, has_ranges, value_extra, extra)


def _parse_variable(raw: dict[str, Any], depth: int, max_depth: int) -> Variable:
    return Variable(parse_attachment(raw["Value"], depth, max_depth), _rest(raw, _WRAPPER, depth, max_depth))


def _parse_dictionary(raw: dict[str, Any], depth: int, max_depth: int) -> Dictionary:
    value = raw["Value"]
    if type(value) is dict and value.get("WFSerializationType") == "WFDictionaryFieldValue" and "Value" in value:
        inner = _parse_dictionary(value, depth + 1, max_depth)
        if inner.wrapped:
            raise _Malformed("dictionary wrapped more than twice")
        return Dictionary(inner.items, inner.value_extra, _rest(raw, _WRAPPER, depth, max_depth),
                          True, inner.extra)
    if type(value) is not dict or type(value.get("WFDictionaryFieldValueItems")) is not list:
        raise _Malformed("WFDictionaryFieldValue has no item list")
    items = []
    for item in value["WFDictionaryFieldValueItems"]:
        if type(item) is not dict:
            raise _Malformed("dictionary item is not a dictionary")
        if any(item.get(k, 0) is None for k in _ITEM_KEYS):  # a JSON null would be dropped on writing
            raise _Malformed("dictionary item has a null WFKey, WFItemType or WFValue")
        item_type = item.get("WFItemType")
        if item_type is not None and type(item_type) is not int:
            raise _Malformed("WFItemType is not an integer")
        items.append(DictItem(
            parse_value(item["WFKey"], depth + 1, max_depth) if "WFKey" in item else None,
            item_type,
            parse_value(item["WFValue"], depth + 1, max_depth) if "WFValue" in item else None,
            _rest(item, _ITEM_KEYS, depth + 1, max_depth),
        ))
    return Dictionary(items, _rest(value, _ITEMS_KEY, depth, max_depth),
                      _rest(raw, _WRAPPER, depth, max_depth))


def _parse_array(raw: dict[str, Any], depth: int, max_depth: int) -> Array:
    value = raw["Value"]
    if type(value) is not list:
        raise _Malformed("WFArrayParameterState value is not a list")
    return Array([parse_value(x, depth + 1, max_depth) for x in value], _rest(raw, _WRAPPER, depth, max_depth))


def _parse_substitutable(raw: dict[str, Any], depth: int, max_depth: int) -> Substitutable:
    value = raw["Value"]
    parsed: Value | Attachment
    if type(value) is dict and type(value.get("Type")) is str and value["Type"] in ATTACHMENT_TYPES:
        parsed = parse_attachment(value, depth, max_depth)
    else:
        parsed = parse_value(value, depth, max_depth)
    return Substitutable(raw["WFSerializationType"], parsed, _rest(raw, _WRAPPER, depth, max_depth))


def _parse_quantity(raw: dict[str, Any], depth: int, max_depth: int) -> Quantity:
    value = raw["Value"]
    if type(value) is not dict:
        raise _Malformed("WFQuantityFieldValue value is not a dictionary")
    if value.get("Magnitude", 0) is None or value.get("Unit", 0) is None:  # a JSON null would be dropped
        raise _Malformed("WFQuantityFieldValue has a null Magnitude or Unit")
    return Quantity(
        parse_value(value["Magnitude"], depth, max_depth) if "Magnitude" in value else None,
        parse_value(value["Unit"], depth, max_depth) if "Unit" in value else None,
        _rest(value, _QUANTITY_KEYS, depth, max_depth),
        _rest(raw, _WRAPPER, depth, max_depth),
    )


def _parse_predicates(raw: dict[str, Any], depth: int, max_depth: int) -> PredicateTable:
    value = raw["Value"]
    if type(value) is not dict:
        raise _Malformed("WFContentPredicateTableTemplate value is not a dictionary")
    prefix = value.get("WFActionParameterFilterPrefix")
    templates = value.get("WFActionParameterFilterTemplates", [])
    if ("WFActionParameterFilterPrefix" in value and type(prefix) is not int) or type(templates) is not list:
        raise _Malformed("predicate table prefix or templates have the wrong type")
    if "WFActionParameterFilterTemplates" not in value:
        raise _Malformed("predicate table has no templates")
    return PredicateTable(
        prefix,
        [parse_value(t, depth + 1, max_depth) for t in templates],
        _rest(value, _PREDICATE_KEYS, depth, max_depth),
        _rest(raw, _WRAPPER, depth, max_depth),
    )


_TEXT_KEYS = frozenset({"string", "attachmentsByRange"})
_ITEM_KEYS = frozenset({"WFKey", "WFItemType", "WFValue"})
_ITEMS_KEY = frozenset({"WFDictionaryFieldValueItems"})
_QUANTITY_KEYS = frozenset({"Magnitude", "Unit"})
_PREDICATE_KEYS = frozenset({"WFActionParameterFilterPrefix", "WFActionParameterFilterTemplates"})

_PARSERS = {
    "WFTextTokenString": _parse_text,
    "WFTextTokenAttachment": _parse_variable,
    "WFDictionaryFieldValue": _parse_dictionary,
    "WFArrayParameterState": _parse_array,
    "WFQuantityFieldValue": _parse_quantity,
    "WFContentPredicateTableTemplate": _parse_predicates,
}


_LEAVES = frozenset({*SCALARS, type(None)})


def attachments(value: object) -> Iterator[Attachment]:
    """Every attachment in a parameter value, in document order (a raw attachment dictionary, as in
    an unparsed or general value, is yielded as an ``Attachment`` of its type, id and label)."""
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t in _LEAVES:  # most values: one set lookup instead of the chain below
            continue
        if t is Attachment:
            yield v
            for g in v.aggrandizements or ():
                stack.extend(reversed(g.fields.values()))
        elif t is dict:
            if v.get("Type") == "ActionOutput" and type(v.get("OutputUUID")) is str:  # a raw attachment
                label = v.get("OutputName")
                yield Attachment("ActionOutput", v["OutputUUID"], label if type(label) is str else None)
            stack.extend(reversed(v.values()))
        elif t is list:
            stack.extend(reversed(v))
        elif t is Text:
            stack.extend(reversed(v.parts))
        elif t is Variable:
            stack.append(v.attachment)
        elif t is Dictionary:
            for item in reversed(v.items):
                stack.extend((item.value, item.key))
        elif t is Array:
            stack.extend(reversed(v.items))
        elif t is Substitutable:
            stack.append(v.value)
        elif t is Quantity:
            stack.extend((v.unit, v.magnitude))
        elif t is PredicateTable:
            stack.extend(reversed(v.templates))
        elif t is Unknown:
            stack.append(v.raw)


# --- writing back -------------------------------------------------------------------


def dump_value(value: Any) -> Any:
    """Inverse of ``parse_value``."""
    kind = type(value)
    if kind in SCALARS:
        return value
    if kind is list:
        return [dump_value(x) for x in value]
    if kind is dict:
        return {k: dump_value(v) for k, v in value.items()}
    dumper = _DUMPERS.get(kind)
    return dumper(value) if dumper is not None else value


def _extra(extra: dict[str, Value]) -> dict[str, Any]:
    return {k: dump_value(v) for k, v in extra.items()}


def dump_attachment(att: Attachment) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if att.type is not None:
        out["Type"] = att.type
    if att.output_uuid is not None:
        out["OutputUUID"] = att.output_uuid
    if att.output_name is not None:
        out["OutputName"] = att.output_name
    if att.variable_name is not None:
        out["VariableName"] = att.variable_name
    if att.aggrandizements is not None:
        out["Aggrandizements"] = [{"Type": a.type, **_extra(a.fields)} for a in att.aggrandizements]
    out.update(_extra(att.extra))
    return out


def _dump_text(t: Text) -> dict[str, Any]:
    chunks: list[str] = []
    ranges: dict[str, Any] = {}
    loc = 0  # in UTF-16 code units
    for part in t.parts:
        if isinstance(part, str):
            chunks.append(part)
            loc += len(part) if part.isascii() else len(part.encode("utf-16-le", "surrogatepass")) // 2
        else:
            chunks.append(OBJECT_REPLACEMENT)
            ranges[f"{{{loc}, 1}}"] = dump_attachment(part)
            loc += 1
    value: dict[str, Any] = {"string": "".join(chunks)}
    if ranges or t.has_ranges:
        value["attachmentsByRange"] = ranges
    value.update(_extra(t.value_extra))
    return {"WFSerializationType": t.serialization_type, "Value": value, **_extra(t.extra)}


def _dump_variable(v: Variable) -> dict[str, Any]:
    return {"WFSerializationType": v.serialization_type, "Value": dump_attachment(v.attachment), **_extra(v.extra)}


def _dump_dictionary(d: Dictionary) -> dict[str, Any]:
    items = []
    for item in d.items:
        out: dict[str, Any] = {}
        if item.key is not None:
            out["WFKey"] = dump_value(item.key)
        if item.item_type is not None:
            out["WFItemType"] = item.item_type
        if item.value is not None:
            out["WFValue"] = dump_value(item.value)
        out.update(_extra(item.extra))
        items.append(out)
    value = {"WFDictionaryFieldValueItems": items, **_extra(d.value_extra)}
    if d.wrapped:
        value = {"WFSerializationType": d.serialization_type, "Value": value, **_extra(d.wrapper_extra)}
    return {"WFSerializationType": d.serialization_type, "Value": value, **_extra(d.extra)}


def _dump_array(a: Array) -> dict[str, Any]:
    return {"WFSerializationType": a.serialization_type, "Value": [dump_value(x) for x in a.items],
            **_extra(a.extra)}


def _dump_substitutable(s: Substitutable) -> dict[str, Any]:
    value = dump_attachment(s.value) if isinstance(s.value, Attachment) else dump_value(s.value)
    return {"WFSerializationType": s.type, "Value": value, **_extra(s.extra)}


def _dump_quantity(q: Quantity) -> dict[str, Any]:
    value: dict[str, Any] = {}
    if q.magnitude is not None:
        value["Magnitude"] = dump_value(q.magnitude)
    if q.unit is not None:
        value["Unit"] = dump_value(q.unit)
    value.update(_extra(q.value_extra))
    return {"WFSerializationType": q.serialization_type, "Value": value, **_extra(q.extra)}


def _dump_predicates(p: PredicateTable) -> dict[str, Any]:
    value: dict[str, Any] = {}
    if p.prefix is not None:
        value["WFActionParameterFilterPrefix"] = p.prefix
    value["WFActionParameterFilterTemplates"] = [dump_value(t) for t in p.templates]
    value.update(_extra(p.value_extra))
    return {"WFSerializationType": p.serialization_type, "Value": value, **_extra(p.extra)}


_DUMPERS: dict[type, Any] = {
    Text: _dump_text,
    Variable: _dump_variable,
    Dictionary: _dump_dictionary,
    Array: _dump_array,
    Substitutable: _dump_substitutable,
    Quantity: _dump_quantity,
    PredicateTable: _dump_predicates,
    Unknown: lambda u: u.raw,
}
