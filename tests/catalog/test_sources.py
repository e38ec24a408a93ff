"""Catalog readers and merge: small catalogs in the real shapes, then the real ones in ../shared."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, SHARED
from tests.support.shortcuts import action, output, text, token, workflow
from workflowbench import Workflow, read_shortcut
from workflowbench.catalog.merge import apps, merge, merged_required
from workflowbench.catalog.model import Api, Param
from workflowbench.catalog.sources import (
    corpus_app_names,
    enum_values,
    observe,
    read_catalogs,
    shortcutsbench_type,
    wf_class_type,
    workflowllm_type,
)

CATALOGS = SHARED / "catalogs"

# --- small catalogs in the real shapes ------------------------------------------------------------

DOWNLOAD = "is.workflow.actions.downloadurl"
DRAFT = "com.agiletortoise.Drafts5.SetDraftIntent"
SHELL = "AsheKube.app.a-Shell-mini.GetFileIntent"

WFACTIONS = [{
    DOWNLOAD: {
        "ActionClass": "WFDownloadURLAction", "Name": "Get Contents of URL",
        "Description": {"DescriptionSummary": "Gets the contents of URLs.", "DescriptionNote": "Multipart: Form."},
        "Input": {"Multiple": True, "Required": True, "Types": ["WFURLContentItem"]},
        "Output": {"Multiple": True, "OutputName": "Contents of URL", "Types": ["public.data"]},
        "Parameters": [
            {"Class": "WFExpandingParameter", "Key": "Advanced", "Label": "Advanced"},
            {"Class": "WFEnumerationParameter", "DefaultValue": "GET", "Description": "The HTTP method to use.",
             "Items": ["GET", "POST", "PUT", "PATCH", "DELETE"], "Key": "WFHTTPMethod", "Label": "Method"},
            {"Class": "WFEnumerationParameter", "DefaultValue": "JSON", "DisallowedVariableTypes": ["Ask", "Variable"],
             "Items": ["JSON", "Form", "File"], "Key": "WFHTTPBodyType", "Label": "Request Body"},
            {"Class": "WFDictionaryParameter", "Key": "WFHTTPHeaders", "Label": "Headers"},
            {"Class": "WFStepperParameter", "DefaultValue": 3, "Key": "WFRetries", "Label": "Retries"},
            {"Class": "WFSwitchParameter", "DefaultValue": False, "Key": "WFQuiet", "Label": "Quiet"},
        ],
    },
    "com.apple.mobilephone.call": {
        "Name": "Call", "AppIdentifier": "com.apple.mobilephone",
        "Parameters": [{"Class": "WFIntentAppPickerParameter", "Key": "IntentAppIdentifier", "Label": "App"}],
    },
    "is.workflow.actions.properties.articles": {"Name": "Get Details of Articles", "Parameters": None},
    "is.workflow.actions.broken": "not an action",
}]
OUTACTIONS = {
    "is.workflow.actions.properties.articles": {"Name": "Get Details of Articles", "Parameters": [
        {"Class": "WFEnumerationParameter", "Key": "WFContentItemPropertyName", "Label": "Get",
         "Items": ["Name", "Title", "Author"]}]},
}
APP_IDENTIFIERS = [{
    "4GU63N96WE.com.p5sys.jumpdesktop": {"Name": "Jump Desktop", "URLSchemes": ["jump"]},
    "com.agiletortoise.Drafts4": {"Name": "Drafts", "BundleIdentifiers": {
        "Pad": "com.agiletortoise.Drafts5", "Phone": "com.agiletortoise.Drafts5"}},
    "com.nameless.app": {"URLSchemes": []},
}]
SB_INFO = {
    DOWNLOAD: (
        f'{DOWNLOAD}(WFURL: String, WFHTTPMethod: Enum = "GET", ShowHeaders: Bool) -> Contents of URL: '
        'public.data(Object)\nParameters:\n    WFURL:  URL.\n'
        '    WFHTTPMethod:  Method. The HTTP method to use.. The value of this Enum must be one of the following '
        'values (The text in parentheses describes the value): "GET", "POST", "HEAD".\n'
        '    ShowHeaders:  Headers.\nReturn Value:\n    Contents of URL: The fetched data\n'
        'Description:\n    Get Contents of URL: Gets the contents of URLs passed into the action.\n'
        'ParameterSummary: Get contents of ${WFURL}\n'),
    DRAFT: (
        f'{DRAFT}(mode: Mode(Enum) = "append", flagged: Bool = True, count: Float = "10", tags: array(String)) '
        '-> Draft: ShortcutDraft(Object)\nParameters:\n'
        '    mode:  Mode. How to change the draft.. The value of this Enum must be one of the following values '
        '(The text in parentheses describes the value): "unknown"(No Change), "replace"(Replace (all)), '
        '"append"(Append).\n'
        '    flagged:  Flagged.\n'
        '    count:  Count. How many. This value depends on the value of mode. This parameter is only valid '
        'when the value of "mode" is "append".\n'
        '    tags:  Tags.\nReturn Value:\n    Draft: \n'
        'Description:\n    Update Draft: Update the content of an existing draft.\nNote: keeps the UUID.\n'
        'ParameterSummary: Update ${mode}\n'),
}
SB_TYPES = {
    DOWNLOAD: {"WFURL": "String", "WFHTTPMethod": 'Enum = "GET"', "ShowHeaders": "Bool",
               "ThisIsReturnValue:Contents of URL": "public.data(Object)"},
    DRAFT: {"mode": 'Mode(Enum) = "append"', "flagged": "Bool = True", "count": 'Float = "10"',
            "tags": "array(String)", "ThisIsReturnValue:Draft": "ShortcutDraft(Object)"},
}
SB_APPS = [
    {"AppName": "com.agiletortoise", "APIs": [{"APIName": DRAFT, "iOS_or_macOS": "iOS"},
                                              {"APIName": "com.agiletortoise.Drafts5.QueryDraftsIntent",
                                               "iOS_or_macOS": "iOS"}]},
    {"AppName": "com.adguard", "APIs": [{"APIName": "com.adguard.ios.AdGuardVPN.VpnStateIntent", "macOrIos": "iOS"}]},
]
WL_DOCS = {
    DOWNLOAD: [[DOWNLOAD, {
        "description": "Gets the contents of URLs (WorkflowLLM).", "name": DOWNLOAD,
        "optional_parameters": [
            {"description": "URL", "name": "WFURL", "type": "WFTextInputParameter"},
            {"description": "Method", "name": "WFHTTPMethod", "type": "WFEnumerationParameter"}],
        "required_parameters": [
            {"description": "Headers", "name": "WFHTTPHeaders", "type": "WFDictionaryParameter"}],
        "return_data": [{"description": "Output data.", "name": "Contents of URL"}]}]],
    SHELL: [SHELL, {
        "description": "Get file from a-Shell", "name": SHELL,
        "optional_parameters": [{"description": "Error if not found", "name": "errorIfNotFound", "type": "BOOLEAN"}],
        "required_parameters": [{"description": "file name", "name": "fileName", "type": "STRING"},
                                {"description": "mode", "name": "mode", "type": "ENUM"}],
        "return_data": [{"description": "File", "name": "file"}]}],
}
WL_CATEGORIES = {"is_workflow_actions_downloadurl": ["Tools", "Data"],
                 "AsheKube_app_a-Shell-mini_GetFileIntent": ["Storage"]}
WL_KEY_PARAMS = {"is_workflow_actions_downloadurl": "WFURL"}
WL_WITH_OUTPUT = ["is_workflow_actions_downloadurl", "AsheKube_app_a-Shell-mini_GetFileIntent"]


def write_catalogs(root: Path) -> Path:
    files: dict[str, Any] = {
        "scpl/WFActions_Shortcuts_2.2.json": WFACTIONS, "scpl/OutActions.json": OUTACTIONS,
        "scpl/App_Identifiers.json": APP_IDENTIFIERS,
        "shortcutsbench/all_api2info.json": SB_INFO, "shortcutsbench/all_api2paraname2paratype.json": SB_TYPES,
        "shortcutsbench/2_all_detailed_identifiers.json": SB_APPS,
        "workflowllm/api_docs.json": WL_DOCS, "workflowllm/api_categories.json": WL_CATEGORIES,
        "workflowllm/api_key_params.json": WL_KEY_PARAMS, "workflowllm/apis_with_output.json": WL_WITH_OUTPUT,
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(json.dumps(data))
    return root


@pytest.fixture
def small(tmp_path: Path) -> tuple[dict[str, list[Api]], dict[str, str], list[str]]:
    return read_catalogs(write_catalogs(tmp_path / "catalogs"))


def by_id(apis: list[Api]) -> dict[str, Api]:
    return {a.identifier: a for a in apis}


# --- readers ------------------------------------------------------------------------------------


def test_wfactions_reader(small: tuple) -> None:
    by_source, _, problems = small
    apis = by_id(by_source["wfactions"])
    dl = apis[DOWNLOAD]
    assert (dl.app, dl.name, dl.description) == ("shortcuts", "Get Contents of URL", "Gets the contents of URLs.")
    assert (dl.output_name, dl.output_type) == ("Contents of URL", "public.data")
    method = dl.param("WFHTTPMethod")
    assert method is not None
    assert (method.type, method.default, method.enum[:2]) == ("enum", "GET", ["GET", "POST"])
    assert method.provenance == dict.fromkeys(("label", "type", "default", "enum", "description"), "wfactions")
    body = dl.param("WFHTTPBodyType")
    assert body is not None and body.accepts_variables is False and body.provenance["accepts_variables"] == "wfactions"
    assert [(p.key, p.type, p.default) for p in dl.params if p.key in ("Advanced", "WFRetries", "WFQuiet")] == [
        ("Advanced", "boolean", None), ("WFRetries", "integer", 3), ("WFQuiet", "boolean", False)]
    quiet = dl.param("WFQuiet")
    assert quiet is not None and quiet.provenance["default"] == "wfactions"  # False is a stated default
    # The input's key comes from WorkflowLLM; WFActions says the input is required.
    url = dl.param("WFURL")
    assert url is not None and url.required and url.provenance["required"] == "wfactions"
    assert dl.input_key is None and "input_key" not in dl.provenance
    assert apis["com.apple.mobilephone.call"].app == "com.apple.mobilephone"
    assert apis["com.apple.mobilephone.call"].provenance["app"] == "wfactions"
    # OutActions fills the parameters WFActions leaves empty.
    articles = apis["is.workflow.actions.properties.articles"]
    assert [(p.key, p.enum) for p in articles.params] == [("WFContentItemPropertyName", ["Name", "Title", "Author"])]
    assert "is.workflow.actions.broken" not in apis
    assert any("is.workflow.actions.broken" in str(p) and "WFActions" in str(p) for p in problems)


def test_shortcutsbench_reader(small: tuple) -> None:
    apis = by_id(small[0]["shortcutsbench"])
    draft = apis[DRAFT]
    assert draft.name == "Update Draft"
    assert draft.description == "Update the content of an existing draft.\nNote: keeps the UUID."
    assert (draft.output_name, draft.output_type, draft.app) == ("Draft", "ShortcutDraft", "com.agiletortoise.Drafts5")
    assert "app" not in draft.provenance  # guessed from the identifier, not stated
    mode, flagged, count, tags = draft.params
    assert (mode.type, mode.default, mode.enum) == ("enum", "append", ["unknown", "replace", "append"])
    assert (mode.label, mode.description) == ("Mode", "How to change the draft.")
    assert (flagged.type, flagged.default) == ("boolean", True)
    assert (count.type, count.default, count.description) == ("number", 10, "How many.")
    assert tags.type == "list"
    method = apis[DOWNLOAD].param("WFHTTPMethod")
    assert method is not None and method.enum == ["GET", "POST", "HEAD"]
    # The app lists name identifiers that have no detail: bare records.
    assert set(apis) == {DOWNLOAD, DRAFT, "com.agiletortoise.Drafts5.QueryDraftsIntent",
                         "com.adguard.ios.AdGuardVPN.VpnStateIntent"}
    assert apis["com.adguard.ios.AdGuardVPN.VpnStateIntent"].provenance == {}


def test_workflowllm_reader(small: tuple) -> None:
    apis = by_id(small[0]["workflowllm"])
    dl, shell = apis[DOWNLOAD], apis[SHELL]  # both doc shapes: [[id, doc]] and [id, doc]
    assert (dl.tags, dl.input_key, dl.output_name) == (["Tools", "Data"], "WFURL", "Contents of URL")
    assert shell.tags == ["Storage"]  # keyed by a function name that keeps '-'
    assert shell.output_name is None  # 'file' is WorkflowLLM's own property name
    assert [(p.key, p.type, p.required) for p in shell.params] == [
        ("fileName", "string", True), ("mode", "enum", True), ("errorIfNotFound", "boolean", False)]
    assert dl.param("WFHTTPHeaders").required  # type: ignore[union-attr]  # stated; merge decides


def test_app_names(small: tuple) -> None:
    names, problems = small[1], small[2]
    assert names["com.p5sys.jumpdesktop"] == "Jump Desktop"  # team id dropped
    assert names["com.agiletortoise.Drafts5"] == "Drafts"  # from the entry's bundle ids
    assert any("com.nameless.app" in str(p) for p in problems)


@pytest.mark.parametrize(("cls", "kind"), [
    ("WFTextInputParameter", "string"), ("WFNumberFieldParameter", "number"), ("WFSliderParameter", "number"),
    ("WFStepperParameter", "integer"), ("WFSwitchParameter", "boolean"), ("WFEnumerationParameter", "enum"),
    ("WFDateFieldParameter", "date"), ("WFDictionaryParameter", "dictionary"), ("WFArrayParameter", "list"),
    ("WFVariablePickerParameter", "object"), ("WFHealthActionStartDateFieldParameter", "date"),
    ("WFMediaRoutePickerParameter", "object"), ("WFSpeakTextLanguagePickerParameter", "string"),
    ("Whatever", "unknown"),
])
def test_wf_class_types(cls: str, kind: str) -> None:
    assert wf_class_type(cls) == kind


@pytest.mark.parametrize(("text", "expected"), [
    ("String", ("string", None, False)),
    ("Bool = True", ("boolean", True, True)),
    ("Integer = 25", ("integer", 25, True)),
    ('Float = "10"', ("number", 10, True)),
    ('Float = "2.5"', ("number", 2.5, True)),
    ('Enum = "GET"', ("enum", "GET", True)),
    ('PlistFormat(Enum) = "xml"', ("enum", "xml", True)),
    ("Workspace(Object)", ("object", None, False)),
    ("File(Object)", ("file", None, False)),
    ("WFDictionaryParameter(Object)", ("dictionary", None, False)),
    ("array(TagAppEntity(Object))", ("list", None, False)),
    ("WFContentArrayParameter(Object) = ['One', 'Two']", ("list", ["One", "Two"], True)),
    ("WFIntentAppPickerParameter(Object) = {'BundleIdentifier': 'x'}", ("object", {"BundleIdentifier": "x"}, True)),
    ("None", ("unknown", None, False)),
    ("Double", ("number", None, False)),
])
def test_shortcutsbench_types(text: str, expected: tuple) -> None:
    assert shortcutsbench_type(text) == expected


@pytest.mark.parametrize(("name", "kind"), [
    ("STRING", "string"), ("NUMBER", "number"), ("FLOAT", "number"), ("INTEGER", "integer"),
    ("BOOLEAN", "boolean"), ("ENUM", "enum"), ("DATETIME", "date"), ("FILE", "file"), ("ENTITY", "object"),
    ("object", "object"), ("WFSwitchParameter", "boolean"),
])
def test_workflowllm_types(name: str, kind: str) -> None:
    assert workflowllm_type(name) == kind


def test_enum_values_with_labels() -> None:
    assert enum_values('"a"(A (x)), "b"(B), "c".') == ["a", "b", "c"]
    assert enum_values('"GET", "POST". This value depends on "x"') == ["GET", "POST"]
    assert enum_values("no values") == []


def test_missing_catalogs(tmp_path: Path) -> None:
    by_source, names, problems = read_catalogs(tmp_path / "absent")
    assert by_source == {"wfactions": [], "shortcutsbench": [], "workflowllm": []} and names == {}
    assert len(problems) == 1 and "absent" in str(problems[0]) and problems[0].reason == "missing"
    assert read_catalogs(None) == ({"wfactions": [], "shortcutsbench": [], "workflowllm": []}, {}, [])
    # One file present, the rest missing; a file that is not JSON is a problem, not an exception.
    (tmp_path / "one" / "workflowllm").mkdir(parents=True)
    (tmp_path / "one" / "workflowllm" / "api_docs.json").write_text(json.dumps(WL_DOCS))
    (tmp_path / "one" / "workflowllm" / "api_categories.json").write_text("{not json")
    by_source, _, problems = read_catalogs(tmp_path / "one")
    assert len(by_source["workflowllm"]) == 2 and by_source["wfactions"] == []
    assert any(str(p).startswith("scpl/WFActions_Shortcuts_2.2.json: missing") for p in problems)
    assert any(str(p).startswith("workflowllm/api_categories.json: unreadable") for p in problems)


# --- merge --------------------------------------------------------------------------------------


def test_merge_precedence_and_provenance() -> None:
    wf = Api("x.y.Do", "x.y", name="Do", params=[Param("k", type="enum", enum=["a", "b"], provenance={
        "type": "wfactions", "enum": "wfactions"})], provenance={"name": "wfactions"})
    sb = Api("x.y.Do", "x.y", name="Do it", description="Does it.", params=[
        Param("k", label="K", type="string", enum=["b", "c"], default="a",
              provenance={"label": "shortcutsbench", "type": "shortcutsbench", "enum": "shortcutsbench",
                          "default": "shortcutsbench"})],
        provenance={"name": "shortcutsbench", "description": "shortcutsbench"})
    wl = Api("x.y.Do", "x.y", description="WorkflowLLM says.", tags=["Tools"], input_key="k",
             params=[Param("k", required=True, provenance={"required": "workflowllm"}), Param("extra")])
    corpus = Api("x.y.Do", "com.x.y", params=[Param("k", required=True, enum=["d"], provenance={"enum": "corpus"})],
                 provenance={"app": "corpus"}, uses=7)
    other = Api("a.b.Other", "a.b", name="Other")
    [first, merged] = merge({"corpus": [corpus], "workflowllm": [wl], "shortcutsbench": [sb, other], "wfactions": [wf]})
    assert first.identifier == "a.b.Other"  # sorted by identifier
    assert (merged.name, merged.description, merged.tags, merged.uses) == ("Do", "Does it.", ["Tools"], 7)
    assert (merged.app, merged.input_key) == ("com.x.y", "k")
    assert merged.provenance == {"app": "corpus", "name": "wfactions", "description": "shortcutsbench",
                                 "input_key": "workflowllm", "tags": "workflowllm"}
    k = merged.param("k")
    assert k is not None
    assert (k.type, k.label, k.default, k.enum) == ("enum", "K", "a", ["a", "b", "c", "d"])
    assert k.required  # WorkflowLLM and the corpus agree
    assert k.provenance == {"type": "wfactions", "label": "shortcutsbench", "default": "shortcutsbench",
                            "enum": "wfactions", "enum:c": "shortcutsbench", "enum:d": "corpus",
                            "required": "workflowllm+corpus"}
    assert [p.key for p in merged.params] == ["k", "extra"]


def test_merge_keeps_enum_only_for_enum_types() -> None:
    text = Api("t.Do", "t", params=[Param("k", type="string", provenance={"type": "wfactions"})])
    guess = Api("t.Do", "t", params=[Param("k", type="enum", enum=["a", "b"], provenance={"type": "corpus"})])
    [merged] = merge({"wfactions": [text], "corpus": [guess]})
    assert merged.params[0].type == "string" and merged.params[0].enum == []


def test_required_rule() -> None:
    wl = Param("k", required=True, provenance={"required": "workflowllm"})
    assert merged_required([("workflowllm", wl)]) == (False, None)  # one source is not enough
    assert merged_required([("wfactions", Param("k", required=True)), ("workflowllm", Param("k"))]) == (
        True, "wfactions")
    assert merged_required([("shortcutsbench", Param("k", required=True)), ("workflowllm", wl)]) == (
        True, "shortcutsbench+workflowllm")


def test_merge_small_catalogs(small: tuple) -> None:
    merged = by_id(merge(small[0]))
    dl = merged[DOWNLOAD]
    assert (dl.description, dl.input_key, dl.tags) == ("Gets the contents of URLs.", "WFURL", ["Tools", "Data"])
    method = dl.param("WFHTTPMethod")
    assert method is not None
    # WFActions' values survive WorkflowLLM's value-less enum; ShortcutsBench adds one.
    assert method.enum == ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
    assert method.provenance["enum:HEAD"] == "shortcutsbench"
    headers, url = dl.param("WFHTTPHeaders"), dl.param("WFURL")
    assert headers is not None and not headers.required  # only WorkflowLLM says so
    assert url is not None and url.required and url.provenance["required"] == "wfactions"
    shell = merged[SHELL]
    assert [p.required for p in shell.params] == [False, False, False]
    rows = {a.bundle_id: a for a in apps(list(merged.values()), small[1])}
    assert rows["shortcuts"].kind == "built-in" and rows["shortcuts"].api_count == 2
    assert (rows["com.apple.mobilephone"].kind, rows["com.agiletortoise.Drafts5"].name) == ("apple", "Drafts")
    assert rows["com.agiletortoise.Drafts5"].kind == "third-party"
    assert sum(r.api_count for r in rows.values()) == len(merged)


# --- observe ------------------------------------------------------------------------------------


def observed_workflows() -> list[Workflow]:
    intent = "com.example.Thing.DoIntent"
    descriptor = {"BundleIdentifier": "com.example.thing", "Name": "Thing", "AppIntentIdentifier": "DoIntent"}
    first = workflow(
        action("gettext", {"UUID": "A1", "WFTextActionText": text("hello", {})}),
        action(DOWNLOAD, {"UUID": "A2", "WFURL": text("\ufffc", {"{0, 1}": output("A1", "Text")}),
                          "WFHTTPMethod": "POST", "ShowHeaders": True, "WFRetries": 2}),
        action("showresult", {"Text": token(output("A2", "Contents of URL"))}),
        action(intent, {"AppIntentDescriptor": descriptor, "count": 3, "GroupingIdentifier": "G"}),
        action(intent, {"AppIntentDescriptor": descriptor, "count": 2.5}),
    )
    second = workflow(
        action(DOWNLOAD, {"UUID": "B1", "WFHTTPMethod": "GET", "WFRetries": 2.5, "CustomOutputName": "Page"}),
        action(DOWNLOAD, {"UUID": "B2", "WFHTTPMethod": "GET", "WFRetries": token(output("B1", "Page"))}),
        action(DOWNLOAD, {"WFHTTPMethod": "POST", "WFURL": "https://example.com"}),
        action("showresult", {"Text": token(output("B1", "Page"))}),  # a renamed output: not its label
        action("showresult", {"Text": text("\ufffc", {"{0, 1}": output("B2", "Contents of URL")})}),
    )
    return [first, second]


def test_observe() -> None:
    apis = by_id(observe(observed_workflows()))
    assert list(apis) == sorted(apis)
    dl = apis[DOWNLOAD]
    assert (dl.uses, dl.output_name, dl.provenance) == (4, "Contents of URL", {"output_name": "corpus"})
    method, url, retries = dl.param("WFHTTPMethod"), dl.param("WFURL"), dl.param("WFRetries")
    assert method is not None and url is not None and retries is not None
    # 4 uses, 2 distinct plain strings, each seen twice: an enum, marked as the corpus's.
    assert (method.type, method.enum, method.provenance["enum"]) == ("enum", ["GET", "POST"], "corpus")
    assert method.required and method.provenance["required"] == "corpus"  # present in every use
    assert (url.type, url.enum, url.accepts_variables) == ("string", [], True)  # text and a variable
    assert retries.type == "number"  # integers and floats widen; the variable says nothing
    assert dl.param("ShowHeaders").type == "boolean"  # type: ignore[union-attr]
    intent = apis["com.example.Thing.DoIntent"]
    assert (intent.app, intent.provenance["app"], intent.name) == ("com.example.thing", "corpus", None)
    assert [p.key for p in intent.params] == ["AppIntentDescriptor", "count"]  # no GroupingIdentifier
    assert intent.param("count").type == "number"  # type: ignore[union-attr]
    assert apis["is.workflow.actions.gettext"].output_name == "Text"
    assert corpus_app_names(observed_workflows()) == {"com.example.thing": "Thing"}


def test_observe_leaves_free_text_and_rare_values_alone() -> None:
    notes = [action("comment", {"WFCommentActionText": f"note {i}"}) for i in range(6)]
    modes = [action("round", {"WFRoundMode": m}) for m in ("Normal", "Always Round Up") * 2]
    rare = [action("number", {"WFNumberActionNumber": v}) for v in ("1", "2", "1", "2")]
    once = [action("ask", {"WFInputType": v}) for v in ("Text", "Number", "URL")]
    typed = [action("gettext", {"WFTextActionText": text(v, {})}) for v in ("a", "a", "a", "a")]
    apis = by_id(observe([workflow(*notes, *modes, *rare, *once, *typed)]))
    assert apis["is.workflow.actions.round"].params[0].enum == ["Always Round Up", "Normal"]  # repeated choices
    assert apis["is.workflow.actions.comment"].params[0].enum == []  # free text does not repeat
    assert apis["is.workflow.actions.number"].params[0].enum == []  # numerals: a number field
    assert apis["is.workflow.actions.ask"].params[0].enum == []  # no value repeats
    assert apis["is.workflow.actions.gettext"].params[0].enum == []  # token strings are text


# --- the real catalogs and corpus (../shared) ------------------------------------------------------


@pytest.fixture(scope="module")
def real_catalogs() -> tuple[dict[str, list[Api]], dict[str, str], list[str]]:
    if not CATALOGS.is_dir():
        pytest.skip(f"the public catalogs are not present at {CATALOGS} (../shared is only in CI and dev sessions)")
    return read_catalogs(CATALOGS)


@pytest.fixture(scope="module")
def corpus_workflows(manifest: list[dict]) -> list[Workflow]:
    return [read_shortcut(CORPUS / r["path"]) for r in manifest if r["representative"]]


@pytest.fixture(scope="module")
def real_merged(real_catalogs: tuple, corpus_workflows: list[Workflow]) -> list[Api]:
    return merge({**real_catalogs[0], "corpus": observe(corpus_workflows)})


def test_real_catalogs(real_catalogs: tuple) -> None:
    by_source, names, problems = real_catalogs
    counts = {source: len(apis) for source, apis in by_source.items()}
    merged = merge(by_source)
    rows = apps(merged, names)
    described = sum(1 for a in merged if a.description)
    print(f"\ncatalogs: {counts}; merged {len(merged)} APIs ({described} described) over {len(rows)} apps "
          f"({Counter(r.kind for r in rows)}); {len(names)} app names; {len(problems)} problems")
    assert problems == []
    assert counts["workflowllm"] == 1503 and counts["wfactions"] >= 271 and counts["shortcutsbench"] >= 1414
    assert len(merged) >= 1503 and described >= 1503
    assert len({a.app for a in merged}) >= 83
    # Enums: WorkflowLLM's docs type parameters as enums but list no values; the merge keeps the values.
    wl_enum = [p for a in by_source["workflowllm"] for p in a.params if p.type == "enum"]
    with_values = [p for a in merged for p in a.params if p.enum]
    print(f"enum params: WorkflowLLM docs {len(wl_enum)} typed enum, {sum(1 for p in wl_enum if p.enum)} with values; "
          f"merged {len(with_values)} with values "
          f"({Counter(p.provenance['enum'] for p in with_values)})")
    assert sum(1 for p in wl_enum if p.enum) == 0 and len(with_values) > len(wl_enum)
    tags = {t for a in merged for t in a.tags}
    assert len(tags) == 44


def test_real_corpus_coverage(real_catalogs: tuple, corpus_workflows: list[Workflow], real_merged: list[Api]) -> None:
    observed = observe(corpus_workflows)
    uses = Counter({a.identifier: a.uses for a in observed})
    total = sum(uses.values())
    assert total == sum(len(wf.actions) for wf in corpus_workflows)
    described = {a.identifier for a in real_merged if a.description}
    covered = sum(n for ident, n in uses.items() if ident in described)
    share = covered / total
    uncovered = [(ident, n) for ident, n in uses.most_common() if ident not in described]
    print(f"\ncorpus: {total} action occurrences of {len(uses)} identifiers; {share:.2%} have a described API; "
          f"{len(uncovered)} identifiers ({total - covered} occurrences) do not")
    print("top uncovered:", uncovered[:20])
    assert share >= 0.99


def test_observe_covers_every_corpus_identifier(corpus_workflows: list[Workflow]) -> None:
    """Its speed is measured by ``python -m benchmarks.bench_catalog``."""
    seen = {api.identifier for api in observe(corpus_workflows)}
    assert seen == {a.identifier for wf in corpus_workflows for a in wf.actions}
