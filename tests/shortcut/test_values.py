"""Parameter values: each kind parses to its class and dumps back equal; malformed ones stay raw."""

from __future__ import annotations

import copy
import json
import os
import plistlib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.shortcuts import action, dictionary, text, workflow_dict
from workflowbench import read_shortcut
from workflowbench.examples.shortcuts import build_samples
from workflowbench.shortcut.controlflow import Defect
from workflowbench.shortcut.model import Workflow, canonical
from workflowbench.shortcut.values import (
    Aggrandizement,
    Array,
    Attachment,
    Dictionary,
    DictItem,
    PredicateTable,
    Quantity,
    Substitutable,
    Text,
    Unknown,
    Variable,
    dump_value,
    parse_value,
)
from workflowbench.shortcut.writer import to_bytes, write_shortcut

FFFC = "\ufffc"


def roundtrip(raw: Any) -> Any:
    """Parse ``raw``, check it dumps back equal (and leaves the input alone), return the model."""
    before = copy.deepcopy(raw)
    parsed = parse_value(raw)
    assert dump_value(parsed) == before
    assert raw == before
    return parsed


NAME = {"Type": "Variable", "VariableName": "Name"}
OUTPUT = {"Type": "ActionOutput", "OutputUUID": "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0", "OutputName": "Contents of URL"}


# --- text -----------------------------------------------------------------------------


def test_text_with_attachments() -> None:
    t = roundtrip(text(f"Hi {FFFC}, you have {FFFC} mails", {"{3, 1}": NAME, "{15, 1}": OUTPUT}))
    assert isinstance(t, Text)
    assert t.parts == [
        "Hi ", Attachment("Variable", variable_name="Name"), ", you have ",
        Attachment("ActionOutput", OUTPUT["OutputUUID"], "Contents of URL"), " mails",
    ]
    assert t.has_ranges is True
    assert t.string == f"Hi {FFFC}, you have {FFFC} mails"


def test_text_ranges_listed_out_of_order_are_placed_by_position() -> None:
    t = roundtrip(text(f"{FFFC}-{FFFC}", {"{2, 1}": OUTPUT, "{0, 1}": NAME}))
    assert [p.type if isinstance(p, Attachment) else p for p in t.parts] == ["Variable", "-", "ActionOutput"]


def test_text_without_ranges_and_with_empty_ranges_differ() -> None:
    without = roundtrip(text("plain"))
    empty = roundtrip(text("plain", {}))
    assert (without.parts, without.has_ranges) == (["plain"], False)
    assert (empty.parts, empty.has_ranges) == (["plain"], True)
    assert without != empty
    assert "attachmentsByRange" not in dump_value(without)["Value"]
    assert dump_value(empty)["Value"]["attachmentsByRange"] == {}


@pytest.mark.parametrize("ranges", [None, {}])
def test_empty_text(ranges: dict[str, Any] | None) -> None:
    t = roundtrip(text("", ranges))
    assert t.parts == []
    assert t.string == ""


def test_text_astral_characters_use_utf16_offsets() -> None:
    # 🎉 and 𝄞 are two UTF-16 units each but one Python character.
    string = f"🎉 {FFFC} and 𝄞{FFFC}!"
    t = roundtrip(text(string, {"{3, 1}": NAME, "{11, 1}": OUTPUT}))
    assert t.parts == ["🎉 ", Attachment("Variable", variable_name="Name"), " and 𝄞",
                       Attachment("ActionOutput", OUTPUT["OutputUUID"], "Contents of URL"), "!"]
    # Built from parts, the offsets are computed in UTF-16 units, not Python indices.
    built = Text(["👋🏽 ", Attachment("Clipboard"), "é", Attachment("CurrentDate")])
    assert dump_value(built)["Value"]["attachmentsByRange"] == {"{5, 1}": {"Type": "Clipboard"},
                                                                "{7, 1}": {"Type": "CurrentDate"}}


def test_text_with_lone_surrogate_from_json() -> None:
    raw = json.loads('{"WFSerializationType": "WFTextTokenString", '
                     '"Value": {"string": "\\ud83d \\ufffc", "attachmentsByRange": {"{2, 1}": {"Type": "Clipboard"}}}}')
    t = roundtrip(raw)
    assert t.parts == ["\ud83d ", Attachment("Clipboard")]


def test_text_synonyms_and_other_keys_are_kept() -> None:
    t = roundtrip(text("Look up a password", Synonyms=[{"string": ""}]))
    assert t.extra == {"Synonyms": [{"string": ""}]}
    t = roundtrip({"WFSerializationType": "WFTextTokenString",
                   "Value": {"string": "x", "attachmentsByRange": {}, "WFFormat": 2}})
    assert t.value_extra == {"WFFormat": 2}


def test_literal_fffc_without_range_stays_text() -> None:
    t = roundtrip(text(f"a{FFFC}b", {}))
    assert t.parts == [f"a{FFFC}b"]


# --- variables and aggrandizements ----------------------------------------------------------


AGGRANDIZEMENTS = [
    ({"Type": "WFDictionaryValueVariableAggrandizement", "DictionaryKey": "title"}, "DictionaryValue"),
    ({"Type": "WFCoercionVariableAggrandizement", "CoercionItemClass": "WFDictionaryContentItem"}, "Coercion"),
    ({"Type": "WFPropertyVariableAggrandizement", "PropertyName": "Name", "PropertyUserInfo": "WFItemName"},
     "Property"),
    ({"Type": "WFDateFormatVariableAggrandizement", "WFDateFormatStyle": "Custom", "WFISO8601IncludeTime": False,
      "WFDateFormat": "yyyy-MM-dd"}, "DateFormat"),
    ({"Type": "WFSomeFutureVariableAggrandizement", "Anything": [1, 2]}, "SomeFuture"),
]


@pytest.mark.parametrize(("agg", "kind"), AGGRANDIZEMENTS, ids=[k for _, k in AGGRANDIZEMENTS])
def test_variable_with_each_aggrandizement(agg: dict[str, Any], kind: str) -> None:
    raw = {"WFSerializationType": "WFTextTokenAttachment", "Value": {**OUTPUT, "Aggrandizements": [agg]}}
    v = roundtrip(raw)
    assert isinstance(v, Variable)
    assert v.attachment.output_uuid == OUTPUT["OutputUUID"]
    [parsed] = v.attachment.aggrandizements or []
    assert parsed == Aggrandizement(agg["Type"], {k: x for k, x in agg.items() if k != "Type"})
    assert parsed.kind == kind


def test_variable_attachment_kinds_and_extra_keys() -> None:
    for kind in ("ExtensionInput", "Ask", "Clipboard", "CurrentDate", "DeviceDetails", "Input"):
        v = roundtrip({"WFSerializationType": "WFTextTokenAttachment", "Value": {"Type": kind}})
        assert v.attachment == Attachment(kind)
    v = roundtrip({"WFSerializationType": "WFTextTokenAttachment",
                   "Value": {"Type": "Variable", "VariableName": 7, "Future": True, "Aggrandizements": [3]}})
    assert v.attachment.variable_name is None
    assert v.attachment.aggrandizements is None
    assert v.attachment.extra == {"VariableName": 7, "Future": True, "Aggrandizements": [3]}
    empty = roundtrip({"WFSerializationType": "WFTextTokenAttachment", "Value": {**NAME, "Aggrandizements": []}})
    assert empty.attachment.aggrandizements == []


# --- dictionaries and arrays ------------------------------------------------------------


ITEMS = [
    {"WFKey": text("name", {}), "WFItemType": 0, "WFValue": text(f"{FFFC}!", {"{0, 1}": NAME})},
    {"WFKey": text("count"), "WFItemType": 3, "WFValue": text("3")},
    {"WFKey": text("on"), "WFItemType": 4, "WFValue": {"WFSerializationType": "WFNumberSubstitutableState",
                                                      "Value": True}},
    {"WFKey": text("tags"), "WFItemType": 2, "WFValue": {"WFSerializationType": "WFArrayParameterState",
                                                        "Value": ["a", text("b")]}},
]


def test_dictionary_items() -> None:
    d = roundtrip(dictionary(*ITEMS))
    assert isinstance(d, Dictionary)
    assert [i.item_type for i in d.items] == [0, 3, 4, 2]
    assert d.items[0].key == Text(["name"])
    assert d.items[1].key == Text(["count"], has_ranges=False)
    assert d.items[2].value == Substitutable("WFNumberSubstitutableState", True)
    assert isinstance(d.items[3].value, Array)
    assert d.items[3].value.items == ["a", Text(["b"], has_ranges=False)]
    assert d.wrapped is False


def test_doubly_wrapped_dictionary() -> None:
    inner = {"WFDictionaryFieldValueItems": ITEMS[:2]}
    raw = {"WFSerializationType": "WFDictionaryFieldValue",
           "Value": {"WFSerializationType": "WFDictionaryFieldValue", "Value": inner}}
    d = roundtrip(dictionary({"WFKey": text("files"), "WFItemType": 1, "WFValue": raw}))
    nested = d.items[0].value
    assert isinstance(nested, Dictionary)
    assert nested.wrapped is True
    assert len(nested.items) == 2
    assert nested.items[1].value == Text(["3"], has_ranges=False)
    # Wrapped three times is not a shape we know: kept raw, with a reason.
    thrice = {"WFSerializationType": "WFDictionaryFieldValue", "Value": raw}
    assert isinstance(roundtrip(thrice), Unknown)
    assert "more than twice" in parse_value(thrice).problem


def test_dictionary_item_extras_and_missing_keys() -> None:
    d = roundtrip(dictionary({"WFKey": "k"}, {"WFItemType": 0, "WFValue": "v", "Future": 1}))
    assert d.items == [DictItem("k", None, None), DictItem(None, 0, "v", {"Future": 1})]
    d = roundtrip({"WFSerializationType": "WFDictionaryFieldValue",
                   "Value": {"WFDictionaryFieldValueItems": []}, "Extra": "x"})
    assert (d.items, d.extra) == ([], {"Extra": "x"})


def test_array() -> None:
    a = roundtrip({"WFSerializationType": "WFArrayParameterState",
                   "Value": ["one", {"WFItemType": 0, "WFValue": text("two", {})}, text("three")]})
    assert isinstance(a, Array)
    assert a.items[0] == "one"
    assert a.items[1] == {"WFItemType": 0, "WFValue": Text(["two"])}
    assert a.items[2] == Text(["three"], has_ranges=False)
    assert roundtrip({"WFSerializationType": "WFArrayParameterState", "Value": []}).items == []


# --- substitutables, quantities, predicates, unknown ------------------------------------------


@pytest.mark.parametrize("kind", ["WFNumberSubstitutableState", "WFStringSubstitutableState",
                                  "WFTokenAttachmentParameterState", "WFINSpeakableStringSubstitutableState"])
def test_each_substitutable(kind: str) -> None:
    literal = roundtrip({"WFSerializationType": kind, "Value": "Inbox"})
    assert literal == Substitutable(kind, "Inbox")
    assert literal.serialization_type == kind
    att = roundtrip({"WFSerializationType": kind, "Value": {"Type": "Ask"}})
    assert att.value == Attachment("Ask")
    wrapped = roundtrip({"WFSerializationType": kind, "Value": {"WFSerializationType": "WFTextTokenAttachment",
                                                                "Value": NAME}})
    assert wrapped.value == Variable(Attachment("Variable", variable_name="Name"))
    plain = roundtrip({"WFSerializationType": kind, "Value": {"Type": "NotAnAttachment", "x": 1}})
    assert plain.value == {"Type": "NotAnAttachment", "x": 1}


def test_quantity() -> None:
    q = roundtrip({"WFSerializationType": "WFQuantityFieldValue", "Value": {"Magnitude": "25", "Unit": "min"}})
    assert q == Quantity("25", "min")
    q = roundtrip({"WFSerializationType": "WFQuantityFieldValue", "Value": {"Magnitude": OUTPUT, "Unit": "B"}})
    assert q.magnitude == OUTPUT
    q = roundtrip({"WFSerializationType": "WFQuantityFieldValue",
                   "Value": {"Magnitude": text(FFFC, {"{0, 1}": NAME}), "Extra": 1}})
    assert isinstance(q.magnitude, Text)
    assert (q.unit, q.value_extra) == (None, {"Extra": 1})


def test_predicate_table() -> None:
    templates = [
        {"Operator": 4, "Values": {"Bool": True}, "Removable": True, "Property": "Is Favorite"},
        {"Operator": 4, "Values": {"Enumeration": {"WFSerializationType": "WFStringSubstitutableState",
                                                   "Value": "Groceries"}}, "Property": "List"},
    ]
    p = roundtrip({"WFSerializationType": "WFContentPredicateTableTemplate",
                   "Value": {"WFActionParameterFilterPrefix": 1, "WFActionParameterFilterTemplates": templates,
                             "WFContentPredicateBoundedDate": False}})
    assert isinstance(p, PredicateTable)
    assert p.prefix == 1
    assert p.value_extra == {"WFContentPredicateBoundedDate": False}
    assert p.templates[1]["Values"]["Enumeration"] == Substitutable("WFStringSubstitutableState", "Groceries")
    p = roundtrip({"WFSerializationType": "WFContentPredicateTableTemplate",
                   "Value": {"WFActionParameterFilterTemplates": []}})
    assert (p.prefix, p.templates) == (None, [])


def test_unknown_serialization_type_is_kept_raw() -> None:
    raw = {"WFSerializationType": "WFContactFieldValue", "Value": {"WFContactFieldValues": []}}
    u = roundtrip(raw)
    assert u == Unknown(raw)
    assert (u.serialization_type, u.problem) == ("WFContactFieldValue", "")
    # A serialization type that is not even a string (possible in JSON) must not break the parser.
    odd = roundtrip({"WFSerializationType": ["x"], "Value": 1})
    assert isinstance(odd, Unknown)
    assert odd.serialization_type == ""
    # Without a Value it is an ordinary dictionary.
    assert roundtrip({"WFSerializationType": "WFTextTokenString"}) == {"WFSerializationType": "WFTextTokenString"}


@pytest.mark.parametrize("scalar", ["", "text", 0, -3, 2**40, 1.5, True, False, b"\x00\xffdata", b"",
                                    datetime(2024, 2, 29, 13, 45, 10)])
def test_scalars_stay_python_values(scalar: Any) -> None:
    assert parse_value(scalar) is scalar
    assert dump_value(scalar) is scalar


def test_nested_plain_lists_and_dicts() -> None:
    raw = [{"a": [1, {"b": text(FFFC, {"{0, 1}": NAME})}]}, ["x", b"y"], {}]
    parsed = roundtrip(raw)
    assert isinstance(parsed[0]["a"][1]["b"], Text)
    assert parsed[1] is raw[1]  # nothing to parse: the list is reused, not copied


# --- malformed values ---------------------------------------------------------------------------

MALFORMED = {
    "range-not-at-fffc": (text("abc", {"{1, 1}": NAME}), "does not point at U+FFFC"),
    "range-not-at-fffc-astral": (text(f"🎉{FFFC}", {"{1, 1}": NAME}), "does not point at U+FFFC"),
    "range-past-end": (text(FFFC, {"{5, 1}": NAME}), "does not point at U+FFFC"),
    "range-length-2": (text(f"{FFFC}{FFFC}", {"{0, 2}": NAME}), "covers 2 characters"),
    "bad-range-key": (text(FFFC, {"{0,1}": NAME}), "is not '{loc, len}'"),
    "range-leading-zero": (text(f"a{FFFC}", {"{01, 1}": NAME}), "is not '{loc, len}'"),
    "ranges-not-dict": (text(FFFC, [NAME]), "attachmentsByRange is not a dictionary"),
    "text-value-not-dict": ({"WFSerializationType": "WFTextTokenString", "Value": "hello"}, "WFTextTokenString"),
    "text-no-string": ({"WFSerializationType": "WFTextTokenString", "Value": {"attachmentsByRange": {}}},
                       "has no string"),
    "attachment-not-dict": (text(FFFC, {"{0, 1}": "Clipboard"}), "attachment is str"),
    "variable-value-not-dict": ({"WFSerializationType": "WFTextTokenAttachment", "Value": ["x"]},
                                "attachment is list"),
    "items-not-list": ({"WFSerializationType": "WFDictionaryFieldValue",
                        "Value": {"WFDictionaryFieldValueItems": {"k": "v"}}}, "has no item list"),
    "item-not-dict": (dictionary("k"), "item is not a dictionary"),
    "item-type-not-int": (dictionary({"WFKey": "k", "WFItemType": "0"}), "WFItemType is not an integer"),
    "item-null-key": (dictionary({"WFKey": None, "WFItemType": 0}), "null"),
    "array-value-not-list": ({"WFSerializationType": "WFArrayParameterState", "Value": "a,b"}, "not a list"),
    "quantity-value-not-dict": ({"WFSerializationType": "WFQuantityFieldValue", "Value": 5}, "not a dictionary"),
    "quantity-null-unit": ({"WFSerializationType": "WFQuantityFieldValue", "Value": {"Magnitude": 1, "Unit": None}},
                           "null"),
    "predicates-value-not-dict": ({"WFSerializationType": "WFContentPredicateTableTemplate", "Value": []},
                                  "not a dictionary"),
    "predicates-prefix-not-int": ({"WFSerializationType": "WFContentPredicateTableTemplate",
                                   "Value": {"WFActionParameterFilterPrefix": "all",
                                             "WFActionParameterFilterTemplates": []}}, "wrong type"),
    "predicates-null-prefix": ({"WFSerializationType": "WFContentPredicateTableTemplate",
                                "Value": {"WFActionParameterFilterPrefix": None,
                                          "WFActionParameterFilterTemplates": []}}, "wrong type"),
    "predicates-no-templates": ({"WFSerializationType": "WFContentPredicateTableTemplate",
                                 "Value": {"WFActionParameterFilterPrefix": 1}}, "has no templates"),
}


def workflow_with(value: Any, key: str = "WFInput") -> dict[str, Any]:
    """A comment, a text, then ``value`` as parameter ``key`` of the third action."""
    return workflow_dict(action("comment", WFCommentActionText="fine"),
                         action("gettext", WFTextActionText=text("fine", {}), UUID="A"),
                         action("showresult", {key: value}))


@pytest.mark.parametrize(("raw", "problem"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_value_becomes_unknown_and_a_defect(raw: dict[str, Any], problem: str) -> None:
    parsed = roundtrip(raw)
    assert isinstance(parsed, Unknown)
    assert parsed.raw is raw
    assert problem in parsed.problem
    plist = workflow_with(raw)
    wf = Workflow.from_plist(copy.deepcopy(plist))
    assert wf.defects == [Defect("malformed-value", 2, None, parsed.problem)]
    assert wf.to_plist() == plist


@pytest.mark.parametrize("where", ["dict-key", "dict-value", "array", "aggrandizement", "substitutable", "list"])
def test_malformed_value_nested_anywhere_is_reported(where: str) -> None:
    bad = text("abc", {"{0, 1}": NAME})
    value = {
        "dict-key": dictionary({"WFKey": bad, "WFItemType": 0, "WFValue": "v"}),
        "dict-value": dictionary({"WFKey": "k", "WFItemType": 0, "WFValue": bad}),
        "array": {"WFSerializationType": "WFArrayParameterState", "Value": [bad]},
        "aggrandizement": {"WFSerializationType": "WFTextTokenAttachment",
                           "Value": {**NAME, "Aggrandizements": [{"Type": "WFDictionaryValueVariableAggrandizement",
                                                                  "DictionaryKey": bad}]}},
        "substitutable": {"WFSerializationType": "WFNumberSubstitutableState", "Value": bad},
        "list": [{"x": bad}],
    }[where]
    plist = workflow_with(value)
    wf = Workflow.from_plist(copy.deepcopy(plist))
    assert [(d.kind, d.index) for d in wf.defects] == [("malformed-value", 2)]
    assert wf.to_plist() == plist


# --- containers: every sample through every encoding -------------------------------------------

SAMPLES = build_samples()


@pytest.mark.parametrize("fmt", ["binary", "xml"])
@pytest.mark.parametrize("stem", SAMPLES)
def test_sample_roundtrips_through_plist(stem: str, fmt: str) -> None:
    wf = SAMPLES[stem]
    back = read_shortcut(to_bytes(wf, fmt), name=stem)
    expected = "xml" if fmt == "xml" else "wflow" if stem == "Burst to GIF" else "bplist"
    assert back.container == expected
    assert back.to_plist() == wf.to_plist()
    assert back == wf
    assert back.name == stem


@pytest.mark.parametrize("stem", SAMPLES)
def test_sample_roundtrips_through_json(stem: str) -> None:
    wf = SAMPLES[stem]
    data = to_bytes(wf, "json")
    back = read_shortcut(data, name=stem)
    assert back.container == "json"
    assert back.normalized() == wf.normalized()
    assert back.to_plist() == canonical(wf.to_plist())
    assert back.fingerprint() == wf.fingerprint()


def test_json_export_style() -> None:
    wf = SAMPLES["Burst to GIF"]
    data = to_bytes(wf, "json")
    assert data.startswith(b'{\n  "WFWorkflowActions": [\n    {\n')
    assert json.loads(data)["WFWorkflowIcon"]["WFWorkflowIconImageData"] == ""  # bytes become base64
    morning = to_bytes(SAMPLES["Morning Briefing"], "json")
    assert "🌅 Good morning!".encode() in morning  # UTF-8, not \\u escapes


def test_binary_and_xml_keep_bytes_and_dates() -> None:
    plist = {"WFWorkflowActions": [], "WFWorkflowIcon": {"WFWorkflowIconImageData": b"\x89PNG"},
             "Created": datetime(2023, 5, 1, 8, 30)}
    wf = Workflow.from_plist(plist)
    for fmt in ("binary", "xml"):
        assert read_shortcut(to_bytes(wf, fmt)).to_plist() == plist
    assert read_shortcut(to_bytes(wf, "json")).to_plist() == {
        "WFWorkflowActions": [], "WFWorkflowIcon": {"WFWorkflowIconImageData": "iVBORw=="},
        "Created": "2023-05-01T08:30:00"}


def test_plist_writer_keeps_key_order() -> None:
    plist = {"WFWorkflowActions": [{"WFWorkflowActionIdentifier": "is.workflow.actions.gettext",
                                    "WFWorkflowActionParameters": {"Z": 1, "A": 2}}], "B": 1, "A": 2}
    raw = plistlib.loads(to_bytes(Workflow.from_plist(plist), "xml"))
    assert list(raw) == ["WFWorkflowActions", "B", "A"]
    assert list(raw["WFWorkflowActions"][0]["WFWorkflowActionParameters"]) == ["Z", "A"]


@pytest.mark.parametrize("fmt", ["yaml", "", "BINARY", "plist"])
def test_unknown_format_is_refused(fmt: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown shortcut format"):
        to_bytes(Workflow(), fmt)
    with pytest.raises(ValueError):
        write_shortcut(Workflow(), tmp_path / "x.shortcut", fmt)
    assert list(tmp_path.iterdir()) == []


def test_write_shortcut_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "Tip Calculator.shortcut"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    result = write_shortcut(SAMPLES["Tip Calculator"], str(target), "xml")
    assert result == target
    assert target.read_bytes() == to_bytes(SAMPLES["Tip Calculator"], "xml")
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temp file left behind
    fresh = write_shortcut(SAMPLES["Word Count"], tmp_path / "Word Count.shortcut")
    assert fresh.read_bytes()[:8] == b"bplist00"


# --- absent keys vs present-but-empty ------------------------------------------------------------

SPARSE = {
    "WFWorkflowActions": [
        {"WFWorkflowActionIdentifier": "is.workflow.actions.exit"},
        {"WFWorkflowActionIdentifier": "is.workflow.actions.exit", "WFWorkflowActionParameters": {}},
        {"WFWorkflowActionIdentifier": "is.workflow.actions.gettext", "WFWorkflowActionParameters": {
            "WFTextActionText": text("no ranges"), "Other": text("empty ranges", {})}},
        {"WFWorkflowActionIdentifier": "is.workflow.actions.gettext", "SCPLData": {"line": 3}},
    ],
    "WFWorkflowImportQuestions": [],
    "WFWorkflowIcon": {},
    "WFWorkflowTypes": [],
}


@pytest.mark.parametrize("fmt", ["binary", "xml", "json"])
def test_absent_and_empty_keys_are_preserved(fmt: str) -> None:
    wf = Workflow.from_plist(copy.deepcopy(SPARSE))
    assert [a.has_parameters for a in wf.actions] == [False, True, True, False]
    assert wf.actions[3].extra == {"SCPLData": {"line": 3}}
    params = wf.actions[2].parameters
    assert (params["WFTextActionText"].has_ranges, params["Other"].has_ranges) == (False, True)
    assert wf.import_questions == []
    back = read_shortcut(to_bytes(wf, fmt))
    assert back.to_plist() == SPARSE
    assert "WFWorkflowMinimumClientVersion" not in back.to_plist()


def test_missing_action_list_is_not_invented() -> None:
    wf = Workflow.from_plist({"WFWorkflowName": "Empty"})
    assert (wf.has_actions, wf.actions, wf.name) == (False, [], "Empty")
    assert read_shortcut(to_bytes(wf, "binary")).to_plist() == {"WFWorkflowName": "Empty"}


def test_null_import_question_default_survives_json() -> None:
    plist = {"WFWorkflowActions": [], "WFWorkflowImportQuestions": [
        {"ActionIndex": 0, "Category": "Parameter", "ParameterKey": "WFInput", "Text": "?", "DefaultValue": None}]}
    back = read_shortcut(json.dumps(plist).encode())
    assert back.to_plist() == plist
