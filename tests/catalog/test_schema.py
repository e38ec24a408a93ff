"""The catalog's JSON Schemas, validation findings, prompt stubs and shortcut categories.

Apis are built by hand; fuzzed ones come from seeded randomness, so every run is the same. One test
reads ../shared/catalogs when it is present (skipped otherwise).
"""

from __future__ import annotations

import ast
import copy
import json
import random
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from workflowbench.catalog.categories import (
    APP_WEIGHT,
    CATEGORIES,
    FALLBACK,
    PRECEDENCE,
    TAGS,
    app_category,
    categorize,
    explain,
)
from workflowbench.catalog.model import TYPES, Api, Param
from workflowbench.catalog.schema import DEFS, DRAFT, json_schema
from workflowbench.catalog.stub import param_names, stub
from workflowbench.catalog.validate import (
    REASONS,
    STRUCTURAL_KEYS,
    Finding,
    check_action,
    is_variable,
    validate_action,
    validator,
    validators,
)
from workflowbench.shortcut.model import Action, canonical
from workflowbench.shortcut.values import parse_value

FFFC = "\ufffc"
CATALOGS = Path(__file__).resolve().parents[2].parent / "shared" / "catalogs"

# --- raw values as shortcuts store them -----------------------------------------------------------

ATTACHMENT = {"Type": "ActionOutput", "OutputUUID": "A1", "OutputName": "Text"}
VARIABLES = {
    "token attachment": {"WFSerializationType": "WFTextTokenAttachment", "Value": ATTACHMENT},
    "named variable": {"WFSerializationType": "WFTextTokenAttachment",
                       "Value": {"Type": "Variable", "VariableName": "x",
                                 "Aggrandizements": [{"Type": "WFCoercionVariableAggrandizement"}]}},
    "ask each time": {"WFSerializationType": "WFTextTokenAttachment", "Value": {"Type": "Ask"}},
    "text with a variable": {"WFSerializationType": "WFTextTokenString",
                             "Value": {"string": f"a {FFFC}", "attachmentsByRange": {"{2, 1}": ATTACHMENT}}},
    "parameter state": {"WFSerializationType": "WFTokenAttachmentParameterState", "Value": ATTACHMENT},
    "number state": {"WFSerializationType": "WFNumberSubstitutableState", "Value": {"Type": "Clipboard"}},
    "string state": {"WFSerializationType": "WFStringSubstitutableState", "Value": ATTACHMENT},
}
NOT_VARIABLES = [
    "text", 5, None, [], {},
    {"WFSerializationType": "WFTextTokenString", "Value": {"string": "plain", "attachmentsByRange": {}}},
    {"WFSerializationType": "WFTextTokenString", "Value": {"string": "plain"}},
    {"WFSerializationType": "WFTextTokenString", "Value": {"string": 5, "attachmentsByRange": {"{0, 1}": {}}}},
    {"WFSerializationType": "WFNumberSubstitutableState", "Value": 5},
    {"WFSerializationType": "WFTextTokenAttachment"},
    {"WFSerializationType": "WFTextTokenAttachment", "Value": "x"},
    {"WFSerializationType": "WFTextTokenAttachment", "Value": {"Type": 5}},
    {"WFSerializationType": "WFTextTokenAttachment", "Value": {"Type": "Variable", "Aggrandizements": [{}]}},
    {"WFSerializationType": "WFDictionaryFieldValue", "Value": {"WFDictionaryFieldValueItems": []}},
    {"Type": "Variable", "VariableName": "x"},
]
TEXT = {"WFSerializationType": "WFTextTokenString", "Value": {"string": "hello", "attachmentsByRange": {}}}
DICTIONARY = {"WFSerializationType": "WFDictionaryFieldValue", "Value": {"WFDictionaryFieldValueItems": [
    {"WFItemType": 0, "WFKey": "k", "WFValue": TEXT}]}}
ARRAY = {"WFSerializationType": "WFArrayParameterState", "Value": ["a", "b"]}
QUANTITY = {"WFSerializationType": "WFQuantityFieldValue", "Value": {"Magnitude": "5", "Unit": "min"}}


def one_param(kind: str, accepts_variables: bool = True, **fields: Any) -> Api:
    return Api("com.example.Act", "com.example", params=[Param("p", type=kind, accepts_variables=accepts_variables,
                                                             **fields)])


def valid(api: Api, value: Any) -> bool:
    return Draft202012Validator(json_schema(api)).is_valid({"p": value})


# --- schema ---------------------------------------------------------------------------------------

# type -> (valid values, invalid values), variables aside
CASES: dict[str, tuple[list[Any], list[Any]]] = {
    "string": (["x", "", TEXT, {"WFSerializationType": "WFStringSubstitutableState", "Value": "x"}],
               [5, True, [], DICTIONARY, ARRAY]),
    "number": ([5, 2.5, -1, "5", "2.5", "2,5", " 7 ", "", "1e3", QUANTITY,
                {"WFSerializationType": "WFNumberSubstitutableState", "Value": 3}],
               ["five", True, [], TEXT, "5 apples"]),
    "integer": ([5, 5.0, "5", "-3", "", QUANTITY], [2.5, "2.5", "x", False, TEXT]),
    "boolean": ([True, False, 0, 1, {"WFSerializationType": "WFNumberSubstitutableState", "Value": True}],
                [2, "true", "", [], TEXT]),
    "date": (["tomorrow at 9", "2024-01-02T03:04:05", TEXT], [5, [], DICTIONARY]),
    "dictionary": ([DICTIONARY, {"WFSerializationType": "WFDictionaryFieldValue", "Value": DICTIONARY}, {"a": 1}],
                   ["x", [], ARRAY, TEXT, {"WFSerializationType": "WFDictionaryFieldValue", "Value": []}]),
    "list": ([[], ["a", 1], ARRAY], ["a", 5, DICTIONARY, {"WFSerializationType": "WFArrayParameterState",
                                                           "Value": "a"}]),
    "file": ([5, "x", [], {}, DICTIONARY, None], []),
    "object": ([5, "x", [], {}, DICTIONARY, None], []),
    "unknown": ([5, "x", [], {}, DICTIONARY, None], []),
    "enum": (["GET", "POST"], ["get", "PUT", 5, TEXT]),
}


def test_cases_cover_every_type() -> None:
    assert set(CASES) == set(TYPES)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_schema_per_type(kind: str) -> None:
    api = one_param(kind, enum=["GET", "POST"] if kind == "enum" else [])
    schema = json_schema(api)
    Draft202012Validator.check_schema(schema)
    good, bad = CASES[kind]
    for value in good:
        assert valid(api, value), (kind, value)
    for value in bad:
        assert not valid(api, value), (kind, value)


def test_schema_shape() -> None:
    api = Api("is.workflow.actions.x", "shortcuts", name="Do X", description="Does x.", input_key="WFInput", params=[
        Param("WFInput", type="string", required=True),
        Param("WFName", label="Name", type="string", required=True, description="The name.", default="Bob"),
        Param("WFName", type="number", required=True),  # a repeated key: the first one counts
        Param("WFMode", label="Mode", type="enum", enum=["a", "b", "a"], default="a"),
        Param("WFWhen", type="date", default=datetime(2024, 1, 2, 3, 4, 5)),
        Param("WFData", type="file", default=b"\x00\x01"),
        Param("WFOdd", type="number", default=float("nan")),
    ])
    schema = json_schema(api)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == DRAFT == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "Do X" and schema["description"] == "Does x."
    assert schema["type"] == "object" and schema["additionalProperties"] is True
    assert schema["required"] == ["WFName"]  # the input is taken from the previous action when absent
    assert list(schema["properties"]) == ["WFInput", "WFName", "WFMode", "WFWhen", "WFData", "WFOdd"]
    name = schema["properties"]["WFName"]
    assert (name["title"], name["description"], name["default"]) == ("Name", "The name.", "Bob")
    assert schema["properties"]["WFMode"]["anyOf"][0] == {"type": "string", "enum": ["a", "b"]}
    assert schema["properties"]["WFWhen"]["default"] == "2024-01-02T03:04:05"  # the JSON form
    assert schema["properties"]["WFData"]["default"] == "AAE="
    assert "default" not in schema["properties"]["WFOdd"]  # NaN has no JSON form
    assert set(schema["$defs"]) == set(DEFS)
    json.dumps(schema, allow_nan=False)
    assert Draft202012Validator(schema).is_valid({"WFName": "x", "Unlisted": {"any": "thing"}})
    schema["$defs"]["variable"] = {}  # a caller's edit does not leak into the next schema
    assert json_schema(api)["$defs"]["variable"] == DEFS["variable"]


def test_enum_schemas() -> None:
    assert json_schema(one_param("enum", enum=[1, 2]))["properties"]["p"]["anyOf"][0] == {
        "type": "integer", "enum": [1, 2]}
    assert json_schema(one_param("enum", enum=[1, 2.5]))["properties"]["p"]["anyOf"][0]["type"] == "number"
    mixed = one_param("enum", accepts_variables=False, enum=["a", 1, True, 1])
    assert json_schema(mixed)["properties"]["p"] == {"enum": ["a", 1, True]}  # no shared type; 1 and True differ
    assert valid(mixed, True) and valid(mixed, 1) and not valid(mixed, False) and not valid(mixed, 0)
    empty = one_param("enum")
    assert json_schema(empty)["properties"]["p"] == {} and valid(empty, "anything")


def test_numeric_strings() -> None:
    number, integer = one_param("number"), one_param("integer")
    for text in ["0", "-1", "+2", "3.", ".5", "2,5", "1e-3", "  12  ", ""]:
        assert valid(number, text), text
    for text in ["1.2.3", "5 km", "0x10", "e5", "--1", "NaN"]:
        assert not valid(number, text), text
    assert valid(integer, "12") and valid(integer, "12.0") and not valid(integer, "12.5")


@pytest.mark.parametrize("kind", sorted(TYPES))
def test_variables_where_accepted(kind: str) -> None:
    takes, refuses = one_param(kind, enum=["a"]), one_param(kind, accepts_variables=False, enum=["a"])
    for name, value in VARIABLES.items():
        assert valid(takes, value), (kind, name)
        assert not valid(refuses, value), (kind, name)


def test_is_variable_mirrors_the_schema() -> None:
    schema_variable = Draft202012Validator({"$ref": "#/$defs/variable", "$defs": DEFS})
    for value in [*VARIABLES.values(), *NOT_VARIABLES]:
        assert is_variable(value) == schema_variable.is_valid(value), value
    assert all(is_variable(v) for v in VARIABLES.values())
    assert not any(is_variable(v) for v in NOT_VARIABLES)
    rng = random.Random("variables")
    for _ in range(300):  # mutated variables: a key dropped or a value replaced
        value = copy.deepcopy(rng.choice(list(VARIABLES.values())))
        inner = value["Value"]
        target = rng.choice([value, inner, inner.get("attachmentsByRange", inner)])
        key = rng.choice(sorted(target, key=str) or ["Type"])
        if rng.random() < 0.3:
            target.pop(key, None)
        else:
            target[key] = canonical(fuzz_value(rng))
        assert is_variable(value) == schema_variable.is_valid(value), value


# --- fuzzed Apis: every schema passes the metaschema, every stub compiles --------------------------

ODD_TEXT = ["", "x", "Show-text", "class", "None", "__debug__", "_", "1st", "a b", "ключ", "数量", "ﬁle", "fi",
            "é", "'", '"', '"""', "'''", "\\", "\\n", "a\\", "\n", "\r\n", "\t", "\x00", "\ud800", "\u2028",
            "\U0001f600", '"x"', "x'''y", 'y"""', "{}", "def", "print", "match", "self", "WFInput", "p_2", "p-2"]


def fuzz_value(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.randrange(9 if depth < 2 else 6)
    if pick == 0:
        return rng.choice(ODD_TEXT) + rng.choice(ODD_TEXT)
    if pick == 1:
        return rng.choice([0, 1, -7, 2**70, 2.5, float("nan"), float("inf"), True, False])
    if pick == 2:
        return None
    if pick == 3:
        return datetime(2024, 1, 2, 3, 4, 5, rng.choice([0, 7]))
    if pick == 4:
        return bytes(rng.randrange(256) for _ in range(3))
    if pick == 5:
        return rng.choice(list(VARIABLES.values()))
    if pick == 6:
        return [fuzz_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    if pick == 7:
        return {rng.choice(ODD_TEXT): fuzz_value(rng, depth + 1) for _ in range(rng.randrange(3))}
    return (rng.choice(ODD_TEXT),)


def fuzz_text(rng: random.Random) -> str | None:
    if rng.random() < 0.1:
        return None
    return "".join(rng.choice(ODD_TEXT) for _ in range(rng.randrange(6)))


def fuzz_api(rng: random.Random) -> Api:
    params = []
    for _ in range(rng.randrange(7)):
        kind = rng.choice(TYPES)
        params.append(Param(
            key=rng.choice(ODD_TEXT) + rng.choice(["", "", rng.choice(ODD_TEXT)]),
            label=fuzz_text(rng), type=kind, required=rng.random() < 0.4,
            default=fuzz_value(rng) if rng.random() < 0.6 else None,
            enum=[fuzz_value(rng) for _ in range(rng.randrange(4))] if kind == "enum" else [],
            accepts_variables=rng.random() < 0.7, description=fuzz_text(rng),
        ))
    return Api(
        identifier=fuzz_text(rng) or "", app="x", name=fuzz_text(rng), description=fuzz_text(rng), params=params,
        input_key=rng.choice([None, *(p.key for p in params)]), output_name=fuzz_text(rng),
        output_type=rng.choice([None, "string", "WFStringContentItem", "WFOdd", ""]),
    )


def test_fuzzed_schemas_pass_the_metaschema() -> None:
    rng = random.Random("schemas")
    for _ in range(40):
        api = fuzz_api(rng)
        schema = json_schema(api)
        Draft202012Validator.check_schema(schema)
        json.dumps(schema, allow_nan=False)
        validate_action(api, None, {p.key: fuzz_value(rng) for p in api.params})  # never raises


def test_fuzzed_stubs_compile() -> None:
    rng = random.Random("stubs")
    for _ in range(400):
        api = fuzz_api(rng)
        code = stub(api)
        tree = ast.parse(code)
        compile(code, "<stub>", "exec")  # duplicate or reserved argument names fail only here
        assert code == stub(api)
        (fn,) = tree.body
        assert isinstance(fn, ast.FunctionDef) and len(fn.body) == 1
        names = [a.arg for a in fn.args.args]
        assert sorted(names) == sorted(param_names(api)) and len(set(names)) == len(names)
        assert all(n.isascii() and n.isidentifier() for n in names)
        required = [p.required for p in api.params]
        assert len(fn.args.defaults) == required.count(False)
        doc = ast.get_docstring(fn, clean=False)
        assert doc is not None
        for p, name in zip(api.params, param_names(api)):
            assert f"- {name} (" in doc
            if name != p.key:
                assert "Stored under the key" in doc


# --- stubs ----------------------------------------------------------------------------------------

GREET = Api(
    "com.example.app-x.Greet", "com.example.app-x", name="Greet", description="Says hello.",
    params=[
        Param("Show-text", "Show Text", "boolean", default=True),
        Param("name", "Name", "string", required=True, description="Who to greet"),
        Param("style", "Style", "enum", enum=["plain", "loud"], default="plain", accepts_variables=False),
        Param("count", type="integer"),
    ],
    output_name="Greeting", output_type="string",
)
GREET_STUB = '''def com_example_app_x_Greet(
    name: str,
    Show_text: bool = True,
    style: str = 'plain',
    count: int = None,
) -> str:
    """Greet

    Says hello.

    Parameters:
    - name (str): Name. Who to greet.
    - Show_text (bool): Show Text. Stored under the key 'Show-text'. Default: True.
    - style (str): Style. One of: 'plain', 'loud'. Default: 'plain'. Takes no variables.
    - count (int)

    Returns:
    - Greeting (str)
    """
'''


def test_stub_exact() -> None:
    assert stub(GREET) == GREET_STUB


def test_stub_without_params_or_output() -> None:
    assert stub(Api("is.workflow.actions.nothing", "shortcuts")) == (
        'def is_workflow_actions_nothing() -> None:\n    """nothing\n    """\n')


def test_param_names() -> None:
    api = Api("x", "x", params=[Param(k) for k in ["Show-text", "Show_text", "class", "数量", "ok", "ok", "__debug__"]])
    assert param_names(api) == ["Show_text_2", "Show_text", "class_", "param", "ok", "ok_2", "debug"]


def test_stub_escapes_text() -> None:
    nasty = 'say """hi""" \\ to \'\'\' and "\ud800\x00\x7f"'
    api = Api("a.b", "a", name=nasty, description=nasty + "\nline two", output_name=nasty, params=[
        Param("k", label=nasty, description=nasty, type="enum", enum=[nasty], default=nasty)])
    code = stub(api)
    fn = ast.parse(code).body[0]
    assert isinstance(fn, ast.FunctionDef)
    doc = ast.get_docstring(fn, clean=False) or ""
    assert doc.startswith(f"{nasty}\n\n    {nasty}\n    line two\n")  # the text comes back as it was
    assert ast.literal_eval(fn.args.defaults[0]) == nasty


# --- validation -----------------------------------------------------------------------------------

API = Api("is.workflow.actions.example", "shortcuts", params=[
    Param("WFText", type="string", required=True),
    Param("WFCount", type="number"),
    Param("WFMode", type="enum", enum=["One", "Two"]),
    Param("WFFlag", type="boolean", accepts_variables=False),
    Param("WFWhen", type="date"),
])


def reasons(findings: list[Finding]) -> list[tuple[str | None, str]]:
    return [(f.key, f.reason) for f in findings]


def test_each_reason() -> None:
    check = validator(API)
    assert validate_action(API, check, {"WFText": "x", "WFCount": "5", "WFMode": "Two", "WFFlag": 1, "UUID": "U",
                                        "GroupingIdentifier": "G", "WFControlFlowMode": 0,
                                        "CustomOutputName": "o", "WFWhen": datetime(2024, 1, 1)}) == []
    assert reasons(validate_action(API, check, {"WFText": 5})) == [("WFText", "type")]
    assert reasons(validate_action(API, check, {"WFText": "x", "WFMode": "Three"})) == [("WFMode", "enum")]
    assert reasons(validate_action(API, check, {"WFText": "x", "WFMode": 3})) == [("WFMode", "type")]
    assert reasons(validate_action(API, check, {"WFText": "x", "WFFlag": VARIABLES["token attachment"]})) == [
        ("WFFlag", "type")]
    assert reasons(validate_action(API, check, {})) == [("WFText", "required")]
    assert reasons(validate_action(API, check, {"WFText": "x", "Odd": 1})) == [("Odd", "unknown-key")]
    assert reasons(validate_action(None, None, {"a": 1}, "com.x.Y")) == [(None, "no-api")]
    assert validate_action(None, None, {}, "com.x.Y")[0].identifier == "com.x.Y"
    findings = validate_action(API, check, {"Odd": 1, "WFMode": "Three", "WFCount": "many"})
    assert reasons(findings) == [("Odd", "unknown-key"), ("WFMode", "enum"), ("WFCount", "type"),
                                 ("WFText", "required")]
    assert {f.reason for f in findings} | {"no-api"} <= set(REASONS)
    assert all(f.identifier == API.identifier and f.detail for f in findings)
    assert STRUCTURAL_KEYS == {"UUID", "GroupingIdentifier", "WFControlFlowMode", "CustomOutputName"}


def test_variables_are_valid_where_accepted() -> None:
    check = validator(API)
    for value in VARIABLES.values():
        assert validate_action(API, check, {"WFText": value, "WFCount": value, "WFMode": value, "WFWhen": value}) == []
        assert reasons(validate_action(API, check, {"WFText": "x", "WFFlag": value})) == [("WFFlag", "type")]


def test_actions_and_raw_parameters_agree() -> None:
    raw = {"WFText": VARIABLES["text with a variable"], "WFMode": "Three", "WFFlag": VARIABLES["number state"],
           "Extra": [TEXT]}
    action = Action(API.identifier, {k: parse_value(v) for k, v in raw.items()})
    compiled = validators([API])
    assert set(compiled) == {API.identifier} and set(validators({API.identifier: API})) == {API.identifier}
    from_raw = validate_action(API, compiled[API.identifier], raw)
    assert validate_action(API, compiled[API.identifier], action) == from_raw
    assert check_action(action, {API.identifier: API}, compiled) == from_raw
    assert reasons(from_raw) == [("WFMode", "enum"), ("WFFlag", "type"), ("Extra", "unknown-key")]
    assert reasons(check_action(Action("com.x.Y"), {}, {})) == [(None, "no-api")]


def test_remembered_values_stay_per_validator() -> None:
    strict = one_param("enum", enum=["a"])
    loose = one_param("enum", enum=["a", "b"])  # same identifier, other schema
    for _ in range(2):
        assert validate_action(loose, validator(loose), {"p": "b"}) == []
        assert reasons(validate_action(strict, validator(strict), {"p": "b"})) == [("p", "enum")]
    check = validator(strict)
    assert validate_action(strict, check, {"p": "a"}) == validate_action(strict, check, {"p": "a"}) == []
    assert reasons(validate_action(strict, check, {"p": 1})) == [("p", "type")]  # 1 is not remembered as 'a'
    assert reasons(validate_action(strict, check, {"p": True})) == [("p", "type")]


def test_validation_of_real_looking_actions() -> None:
    """Real-looking actions (mostly valid values: literals of the right type, variables, a few wrong
    ones): an action gets a finding exactly when one of its values is wrong. Its speed is measured
    by ``python -m benchmarks.bench_catalog``."""
    rng = random.Random("speed")
    apis = [Api(f"com.example.A{i}", "com.example", params=[
        Param(f"K{j}", type=rng.choice(TYPES), enum=["GET", "POST"]) for j in range(6)]) for i in range(50)]
    compiled = validators(apis)
    variables = list(VARIABLES.values())

    def value(p: Param) -> tuple[Any, bool]:
        good, bad = CASES[p.type]
        if rng.random() < 0.3:
            return rng.choice(variables), False
        if bad and rng.random() < 0.05:
            return rng.choice(bad), True
        return rng.choice(good), False

    wrong = 0
    for _ in range(10_000):
        api = rng.choice(apis)
        chosen = {p.key: value(p) for p in api.params if rng.random() < 0.7}
        params = {"UUID": "u", **{k: v for k, (v, _) in chosen.items()}}
        bad = {k for k, (_, is_bad) in chosen.items() if is_bad}
        assert {key for key, _ in reasons(validate_action(api, compiled[api.identifier], params))} == bad, params
        wrong += bool(bad)
    assert 500 < wrong < 3000


# --- categories -----------------------------------------------------------------------------------

WORKFLOWLLM_TAGS = [
    "Tools", "Communication", "Business", "Devices", "Data", "Music", "Weather", "Sports", "Media", "Entertainment",
    "Text Analysis", "Social", "Events", "Storage", "Finance", "Location", "Search", "Visual Recognition",
    "Video, Images", "Education", "Health and Fitness", "Monitoring", "Gaming", "Transportation", "Mapping",
    "Artificial Intelligence/Machine Learning", "Database", "News, Media", "Cybersecurity", "Payments", "eCommerce",
    "Cryptography", "Commerce", "Email", "Energy", "SMS", "Reward", "Other", "Science", "Travel", "Movies",
    "Translation", "Financial", "Logistics",
]


def test_the_taxonomy() -> None:
    assert len(CATEGORIES) == len(set(CATEGORIES)) == 28
    assert sorted(PRECEDENCE) == sorted(CATEGORIES) and FALLBACK == "Utilities" == PRECEDENCE[-1]
    assert len(WORKFLOWLLM_TAGS) == len(set(WORKFLOWLLM_TAGS)) == 44
    assert set(TAGS) == set(WORKFLOWLLM_TAGS)
    assert all(category in CATEGORIES and weight > 0 for category, weight in TAGS.values())
    for tag in WORKFLOWLLM_TAGS:
        assert categorize({tag: 1}, []) == TAGS[tag][0] or tag in ("Weather", "Sports", "Music")


def test_categorize() -> None:
    assert categorize({}, []) == FALLBACK and explain({}, []).rule == "fallback"
    assert categorize({"Not a tag": 9}, ["shortcuts"]) == FALLBACK
    assert categorize({"Weather": 2, "Tools": 3}, ["shortcuts"]) == "Weather"
    assert categorize({"Tools": 5, "Music": 1}, []) == "Utilities"  # generic tags weigh less, but they add up
    # the Weather/Sports/Music noise: what the three share does not count
    assert categorize({"Weather": 3, "Sports": 3, "Music": 3, "Tools": 1}, []) == "Utilities"
    assert categorize({"Weather": 5, "Sports": 3, "Music": 3, "Tools": 1}, []) == "Weather"
    # an app outweighs a few generic tags
    assert categorize({"Tools": 4}, ["shortcuts", "com.apple.Health"]) == "Health & Fitness"
    assert explain({}, ["com.apple.Health", "com.apple.Health"]).scores == {"Health & Fitness": APP_WEIGHT}


def test_categorize_ties_and_determinism() -> None:
    assert PRECEDENCE.index("Games") < PRECEDENCE.index("Travel")
    assert categorize({"Gaming": 1, "Transportation": 1}, []) == "Games"
    assert categorize({"Transportation": 1, "Gaming": 1}, []) == "Games"
    assert categorize({"Email": 2}, ["com.example.weatherapp"]) == "Weather"  # 2 vs 2: Weather comes first
    rng = random.Random("categories")
    for _ in range(200):
        tags = {t: rng.randrange(4) for t in rng.sample(WORKFLOWLLM_TAGS, rng.randrange(8))}
        apps = rng.sample(["shortcuts", "com.apple.Music", "net.whatsapp.WhatsApp", "com.example.x"], 2)
        got = categorize(tags, apps)
        assert got in CATEGORIES
        assert categorize(dict(reversed(list(tags.items()))), iter(list(reversed(apps)))) == got


def test_app_category() -> None:
    assert app_category("shortcuts") is None and app_category("") is None
    assert app_category("com.apple.Music") == "Music"
    assert app_category("net.whatsapp.WhatsApp") == "Communication"
    assert app_category("com.agiletortoise.Drafts5") == "Writing"
    assert app_category("com.appliedphasor.working-copy") == "Developer"
    assert app_category("com.example.textastic") == "Developer"  # the longer keyword wins over 'text'
    assert app_category("com.culturedcode.ThingsiPad") == "Productivity"
    assert app_category("music.example.app") is None  # the first word is the domain
    assert app_category("com.example.unrelated") is None


# --- the public catalogs (when ../shared is present) ---------------------------------------------


@pytest.mark.skipif(not (CATALOGS / "workflowllm" / "api_docs.json").exists(),
                    reason=f"the public catalogs are not present at {CATALOGS}")
def test_workflowllm_catalog() -> None:
    """Every WorkflowLLM API as a bare Api (parameters and tags only): stubs compile, schemas are
    valid (a sample: the metaschema check takes ~30 ms each), every tag is mapped."""
    docs = json.loads((CATALOGS / "workflowllm" / "api_docs.json").read_text())
    tags = json.loads((CATALOGS / "workflowllm" / "api_categories.json").read_text())
    assert {t for ts in tags.values() for t in ts} == set(TAGS)
    kinds = {"STRING": "string", "NUMBER": "number", "INTEGER": "integer", "BOOLEAN": "boolean"}
    apis = []
    for identifier, entry in docs.items():  # identifier -> [identifier, doc]
        doc = next((x for x in entry if isinstance(x, dict)), {}) if isinstance(entry, list) else entry
        groups = ((True, doc.get("required_parameters")), (False, doc.get("optional_parameters")))
        params = [Param(p["name"], type=kinds.get(p.get("type"), "unknown"), required=required,
                        description=p.get("description"))
                  for required, group in groups for p in group or []]
        returns = doc.get("return_data") or [{}]
        apis.append(Api(identifier, "x", description=doc.get("description"), params=params,
                        output_name=returns[0].get("name")))
    for api in apis:
        compile(stub(api), "<stub>", "exec")
    for api in apis[::60]:
        Draft202012Validator.check_schema(json_schema(api))
    assert len(validators(apis)) == len({a.identifier for a in apis})
