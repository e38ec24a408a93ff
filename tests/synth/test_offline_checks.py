"""The shortcuts of the offline library: a schema checked parameter by parameter (remembered) says
what the whole schema says, a fragment copied through its template is ``_replace``'s copy, and
fresh output ids are ``uuid4``'s text."""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator

from tests.support.shortcuts import action, text, workflow
from workflowbench.catalog.model import Api, Param
from workflowbench.catalog.schema import json_schema
from workflowbench.shortcut.model import canonical
from workflowbench.synth import offline
from workflowbench.synth.offline import STRUCTURAL_KEYS, ApiSpec, Library, _Builder, _replace, _Template
from workflowbench.synth.specs import Spec

ATTACHMENT = {"WFSerializationType": "WFTextTokenAttachment", "Value": {"Type": "ActionOutput", "OutputUUID": "A"}}
VALUES: list[Any] = [
    1, 1.5, 2.0, -3, "x", "", "5", "2,5", " ", True, False, 0, None, [], {}, [1, "a"], {"a": 1}, ATTACHMENT,
    {"WFSerializationType": "WFTextTokenAttachment", "Value": {"Type": 5}},
    {"WFSerializationType": "WFTextTokenAttachment", "Value": {"Type": "Variable", "Aggrandizements": [{}]}},
    text("plain"), text("a\ufffc", {"{1, 1}": {"Type": "Clipboard"}}), text("bad", {}),
    {"WFSerializationType": "WFNumberSubstitutableState", "Value": 3},
    {"WFSerializationType": "WFNumberSubstitutableState", "Value": "abc"},
    {"WFSerializationType": "WFQuantityFieldValue", "Value": {"Unit": "min", "Magnitude": 3}},
    {"WFSerializationType": "WFDictionaryFieldValue", "Value": {"WFDictionaryFieldValueItems": []}},
    {"WFSerializationType": "WFArrayParameterState", "Value": [1]},
    {"WFSerializationType": "WFStringSubstitutableState", "Value": "s"},
]
PARAMS = [
    Param("s", type="string", required=True), Param("n", type="number"), Param("i", type="integer"),
    Param("b", type="boolean", accepts_variables=False), Param("e", type="enum", enum=["a", "b", 1]),
    Param("d", type="dictionary"), Param("l", type="list", required=True), Param("f", type="file"),
    Param("o", type="object", accepts_variables=False), Param("t", type="date"),
]


def _api(ident: str, params: list[Param]) -> ApiSpec:
    schema = json_schema(Api(ident, "com.x", params=params))
    return ApiSpec(ident, "third-party", "com.x", schema, ())


def test_a_schema_checked_by_parameter_says_what_the_whole_schema_says() -> None:
    rng = random.Random(3)
    odd = {"type": "object", "anyOf": [{"required": ["a"]}, {"required": ["b"]}]}  # checked whole
    apis = {"com.x.All": _api("com.x.All", PARAMS), "com.x.Odd": ApiSpec("com.x.Odd", "third-party", "com.x", odd, ())}
    lib = Library(apis, {})
    whole = {k: Draft202012Validator(dict(v.schema)) for k, v in apis.items()}
    checked = 0
    for _ in range(3000):
        ident = rng.choice(list(apis))
        keys = [p.key for p in PARAMS] + ["a", "b", "UUID", "CustomOutputName", "Other"]
        params = {k: rng.choice(VALUES) for k in rng.sample(keys, rng.randint(0, 6))}
        raw = {"WFWorkflowActionIdentifier": ident, "WFWorkflowActionParameters": params}
        expected = whole[ident].is_valid(canonical({k: v for k, v in params.items() if k not in STRUCTURAL_KEYS}))
        for _ in range(2):  # the second time from what was remembered
            assert lib.valid(raw) == expected, (ident, params)
        checked += expected
    assert 100 < checked < 2900  # both verdicts are exercised
    assert lib._validators["com.x.All"].parts is not None and lib._validators["com.x.Odd"].parts is None


def test_remembered_verdicts_are_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(offline, "SEEN_LIMIT", 5)
    lib = Library({"com.x.All": _api("com.x.All", PARAMS)}, {})
    for n in range(50):
        lib.valid({"WFWorkflowActionIdentifier": "com.x.All", "WFWorkflowActionParameters": {"s": str(n), "l": []}})
    assert len(lib._seen) <= 5


def test_a_copy_through_a_template_is_replaces_copy() -> None:
    wf = workflow(
        action("gettext", {"UUID": "U1", "WFTextActionText": text("a\ufffc", {"{1, 1}": {
            "Type": "ActionOutput", "OutputUUID": "U0", "OutputName": "X"}})}),
        action("showresult", {"UUID": "U2", "Text": {"WFSerializationType": "WFTextTokenAttachment",
                                                     "Value": {"Type": "ActionOutput", "OutputUUID": "U1"}},
                              "List": ["U1", {"k": "U2"}, 1.5, b"\x00", None, True]}),
        action("comment", {"WFCommentActionText": "U1"}),
    )
    raws = [a.to_plist() for a in wf.actions]
    ids = {"U1": "N1", "U2": "N2"}
    template = _Template(raws)
    assert template.blob is not None
    copy = template.copy(ids)
    assert copy == _replace(raws, ids) and copy[1]["WFWorkflowActionParameters"]["List"][1] == {"k": "N2"}
    assert copy[0] is not raws[0] and copy[1]["WFWorkflowActionParameters"]["List"] is not \
        raws[1]["WFWorkflowActionParameters"]["List"]
    dated = [{"WFWorkflowActionIdentifier": "x",
              "WFWorkflowActionParameters": {"UUID": "U1", "D": datetime(2020, 1, 1)}}]
    assert _Template(dated).copy(ids) is None  # marshal takes no dates: _replace copies those


def test_swapping_ids_in_the_template_bytes_is_replaces_copy() -> None:
    old = [str(uuid.UUID(int=n)).upper() for n in (1, 2)]
    new = {o: str(uuid.UUID(int=n)).upper() for o, n in zip(old, (7, 8))}
    raws = [{"WFWorkflowActionIdentifier": "is.workflow.actions.gettext",
             "WFWorkflowActionParameters": {"UUID": old[0], "WFTextActionText": "hello"}},
            {"WFWorkflowActionIdentifier": "is.workflow.actions.showresult",
             "WFWorkflowActionParameters": {"UUID": old[1], "Text": {
                 "WFSerializationType": "WFTextTokenAttachment",
                 "Value": {"Type": "ActionOutput", "OutputUUID": old[0]}}, "List": [old[0], old[1]]}}]
    template = _Template(raws)
    assert template.swap is not None  # the ids stand only at their spots: bytes are swapped
    assert template.copy(new) == _replace(raws, new)
    # An id that is also a key, or part of a longer text, must stay there: copied by its spots.
    for odd in ({old[0]: 1}, f"see {old[0]}"):
        tricky = [*raws, {"WFWorkflowActionIdentifier": "x", "WFWorkflowActionParameters": {"Odd": odd}}]
        t = _Template(tricky)
        assert t.swap is None and t.copy(new) == _replace(tricky, new)
    assert _Template(raws).copy({old[0]: "short"}) == _replace(raws, {old[0]: "short"})  # not an id's length


def test_fresh_ids_are_uuid4_text() -> None:
    b = _Builder(Library({}, {}), Spec("s", 0, 0, "Tools", "easy", (), (), 0, ()))
    twin = random.Random()
    twin.setstate(b.ids.getstate())
    for _ in range(2000):
        assert b.fresh() == str(uuid.UUID(int=twin.getrandbits(128), version=4)).upper()
