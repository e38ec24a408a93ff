"""The training view: blobs become placeholders (recorded), UI-only and stale parameters go,
labels follow the catalog's defaults, names are reused once free; it reads back with ``from_code``
to the same actions, over every corpus shortcut too."""

from __future__ import annotations

import ast
import base64
import hashlib
import io
import tokenize
from typing import Any

import pytest

from tests.conftest import CORPUS
from workflowbench import from_code, read_shortcut, to_code
from workflowbench.code.from_code import function_map
from workflowbench.code.names import identifier
from workflowbench.code.roundtrip import comparable
from workflowbench.code.to_code import transpile
from workflowbench.code.view import DEFAULT_CONDITION, FOREIGN, LEGACY_FLAGS, TEXT_LIMIT, UI_ONLY_PREFIX, training_view
from workflowbench.shortcut.model import Workflow

P = "is.workflow.actions."
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def action(identifier: str, **params: Any) -> dict[str, Any]:
    return {"WFWorkflowActionIdentifier": P + identifier, "WFWorkflowActionParameters": params}


def output(uuid: str, name: str) -> dict[str, Any]:
    return {"WFSerializationType": "WFTextTokenAttachment",
            "Value": {"Type": "ActionOutput", "OutputUUID": uuid, "OutputName": name}}


def text(s: str, **attachments: dict[str, Any]) -> dict[str, Any]:
    return {"WFSerializationType": "WFTextTokenString",
            "Value": {"string": s, "attachmentsByRange": {k: v["Value"] for k, v in attachments.items()}}}


def workflow(*actions: dict[str, Any]) -> Workflow:
    return Workflow.from_plist({"WFWorkflowActions": list(actions)})


def strings(code: str) -> list[str]:
    return [t.string for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type == tokenize.STRING]


def test_blobs_become_recorded_placeholders_and_long_text_is_cut() -> None:
    long = "word " * 400
    wf = workflow(
        action("image.resize", UUID="A", WFImage=PNG),
        action("gettext", UUID="B", WFTextActionText=base64.b64encode(PNG).decode()),
        action("url", WFURLActionURL="data:image/png;base64," + base64.b64encode(PNG).decode()),
        action("gettext", UUID="C", WFTextActionText=text("Hi \ufffc " + long, **{"{3, 1}": output("B", "Text")})),
        action("showresult", Text=output("C", "Text")),
    )
    view = training_view(wf)
    code = view.code.code
    assert not [s for s in strings(code) if s[:2].lower() in ("b'", 'b"')]  # no byte literals
    assert max(len(s) for s in strings(code)) < TEXT_LIMIT + 100
    assert "'<PNG image, 10 KB>'" in code and "<base64 PNG image, 10 KB>" in code
    assert "<data URL: PNG image, 10 KB>" in code and "more characters cut]" in code
    assert "{text}" in code  # the variable inside the cut text stays
    kinds = {(p.position, p.kind): p for p in view.placeholders}
    assert set(kinds) == {(0, "PNG image"), (1, "base64 PNG image"), (2, "data URL PNG image"), (3, "text")}
    assert kinds[0, "PNG image"].sha256 == hashlib.sha256(PNG).hexdigest() and kinds[0, "PNG image"].size == len(PNG)
    assert kinds[0, "PNG image"].path == "WFImage" and kinds[1, "base64 PNG image"].size == len(PNG)
    assert kinds[3, "text"].path.startswith("WFTextActionText/Value/string/")
    # the original is where the placeholder says, in the lossless workflow
    assert wf.actions[0].parameters[kinds[0, "PNG image"].path] == PNG
    back = from_code(code)
    assert [a.identifier for a in back.actions] == [a.identifier for a in wf.actions]


def test_words_are_not_base64_and_short_data_still_goes() -> None:
    prose = "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor " * 3
    wf = workflow(action("gettext", WFTextActionText=prose.strip()), action("setclipboard", WFInput=b"\x01\x02"))
    view = training_view(wf)
    assert "Lorem ipsum" in view.code.code and "<data, 2 bytes>" in view.code.code
    assert [p.kind for p in view.placeholders] == ["data"]


def test_ui_only_legacy_and_stale_parameters_go_and_conditions_read_plainly() -> None:
    wf = workflow(
        action("ask", UUID="A", **{"Show-WFInput": True}),
        action("conditional", GroupingIdentifier="G", WFControlFlowMode=0, WFCondition=4,
               WFInput={"Type": "Variable", "Variable": output("A", "Provided Input")},
               WFConditionalActionString="yes", WFNumberValue="", WFConditionalLegacyComparisonBehavior=True),
        action("alert", WFAlertActionMessage="ok"),
        action("conditional", GroupingIdentifier="G", WFControlFlowMode=2),
        action("conditional", GroupingIdentifier="H", WFControlFlowMode=0, WFCondition=99,
               WFInput={"Type": "Variable", "Variable": output("A", "Provided Input")},
               WFConditionalActionString="y", WFNumberValue=3),
        action("conditional", GroupingIdentifier="H", WFControlFlowMode=2),
    )
    lossless, view = to_code(wf), training_view(wf)
    assert "is_workflow_actions_conditional(" in lossless and "Show-WFInput" in lossless
    code = view.code.code
    assert "if provided_input == '''yes''':" in code or "if provided_input == 'yes':" in code, code
    assert "in provided_input:" in code and "is_workflow_actions_conditional" not in code
    assert "Show-" not in code and "Legacy" not in code
    assert set(view.dropped) == {(0, "Show-WFInput"), (1, "WFNumberValue"), (4, "WFNumberValue"),
                                 (1, "WFConditionalLegacyComparisonBehavior")}
    assert all(k.startswith(UI_ONLY_PREFIX) or k in LEGACY_FLAGS or k in ("WFNumberValue", "WFConditionalActionString",
                                                                          "WFAnotherNumber") for _, k in view.dropped)


def test_equality_keeps_both_operands_only_when_they_differ() -> None:
    def equality(text: str, number: object, code: object = 4) -> Workflow:
        return workflow(
            action("ask", UUID="A"),
            action("conditional", GroupingIdentifier="G", WFControlFlowMode=0, WFCondition=code,
                   WFInput={"Type": "Variable", "Variable": output("A", "Provided Input")},
                   WFConditionalActionString=text, WFNumberValue=number),
            action("conditional", GroupingIdentifier="G", WFControlFlowMode=2),
        )

    differ = training_view(equality("5", 6))
    assert differ.dropped == () and "WFNumberValue" in differ.code.code  # which one counts depends on the input
    same = training_view(equality("1242", "1242.0", "Equals"))  # and a legacy condition name
    assert same.dropped == ((1, "WFNumberValue"),)
    assert "if provided_input == '1242':" in same.code.code, same.code.code
    assert same.workflow.actions[1].parameters["WFCondition"] == 4


def coerced(uuid: str, name: str, item_class: str) -> dict[str, Any]:
    out = output(uuid, name)
    out["Value"]["Aggrandizements"] = [{"Type": "WFCoercionVariableAggrandizement", "CoercionItemClass": item_class}]
    return out


def named(name: str) -> dict[str, Any]:
    return {"WFSerializationType": "WFTextTokenAttachment", "Value": {"Type": "Variable", "VariableName": name}}


def test_a_boolean_is_true_and_a_size_compares_with_a_quantity_in_both_codes() -> None:
    wf = workflow(
        action("getvalueforkey", UUID="A", WFDictionaryKey="skip"),
        action("conditional", GroupingIdentifier="G", WFControlFlowMode=0, WFCondition=4,
               WFInput={"Type": "Variable", "Variable": coerced("A", "Dictionary Value", "WFBooleanContentItem")}),
        action("conditional", GroupingIdentifier="G", WFControlFlowMode=2),
        action("conditional", GroupingIdentifier="H", WFControlFlowMode=0, WFCondition=5,
               WFInput={"Type": "Variable", "Variable": coerced("A", "Dictionary Value", "WFBooleanContentItem")}),
        action("conditional", GroupingIdentifier="H", WFControlFlowMode=2),
        action("conditional", GroupingIdentifier="K", WFControlFlowMode=0, WFCondition=2,
               WFInput={"Type": "Variable", "Variable": output("A", "Dictionary Value")},
               WFMeasurement={"WFSerializationType": "WFQuantityFieldValue",
                              "Value": {"Magnitude": "1", "Unit": "MB"}}),
        action("conditional", GroupingIdentifier="K", WFControlFlowMode=2),
        action("conditional", GroupingIdentifier="L", WFControlFlowMode=0, WFCondition=4,  # not a Boolean: no reading
               WFInput={"Type": "Variable", "Variable": output("A", "Dictionary Value")}),
        action("conditional", GroupingIdentifier="L", WFControlFlowMode=2),
    )
    for code in (to_code(wf), training_view(wf).code.code):
        assert "coercion_class='WFBooleanContentItem') is True:" in code, code
        assert "coercion_class='WFBooleanContentItem') is not True:" in code
        assert "if dictionary_value > quantity('1', 'MB'):" in code
        assert code.count("is_workflow_actions_conditional(") == 1
        back = from_code(code)
        assert [a.parameters.get("WFCondition") for a in back.actions if a.mode == 0] == [4, 5, 2, 4]
        assert "WFNumberValue" not in back.actions[1].parameters and "WFMeasurement" in back.actions[5].parameters
    with pytest.raises(Exception, match="'is' compares a Boolean with True"):
        from_code("x = is_workflow_actions_gettext()\nif x is False:\n    pass\n")


def test_implicit_inputs_and_the_default_condition_are_written_out() -> None:
    wf = workflow(
        action("getdevicedetails", UUID="D", WFDeviceDetail="Device Model"),
        action("setvariable", WFVariableName="model", WFInput=output("D", "Device Details")),
        # no input: the If reads what Set Variable handed on, the variable it set
        action("conditional", GroupingIdentifier="G", WFControlFlowMode=0, WFCondition=4,
               WFConditionalActionString="iPad"),
        action("alert", WFAlertActionMessage="tablet"),
        action("conditional", GroupingIdentifier="G", WFControlFlowMode=1),
        # first in the Otherwise branch: the outer If's input; no condition: the default, Contains
        action("conditional", GroupingIdentifier="H", WFControlFlowMode=0, WFConditionalActionString="iPhone"),
        action("alert", WFAlertActionMessage="phone"),
        action("conditional", GroupingIdentifier="H", WFControlFlowMode=2),
        action("conditional", GroupingIdentifier="G", WFControlFlowMode=2),
        # an input handed on from the action before: the code shows it; an else-if chain reads it too
        action("gettext", WFTextActionText="a"),
        action("conditional", GroupingIdentifier="J", WFControlFlowMode=0, WFCondition=4,
               WFConditionalActionString="a"),
        action("conditional", GroupingIdentifier="J", WFControlFlowMode=1),
        action("conditional", GroupingIdentifier="K", WFControlFlowMode=0, WFCondition=4,
               WFConditionalActionString="b"),
        action("conditional", GroupingIdentifier="K", WFControlFlowMode=1),
        action("conditional", GroupingIdentifier="M", WFControlFlowMode=0, WFCondition=4,
               WFConditionalActionString="c"),
        action("conditional", GroupingIdentifier="M", WFControlFlowMode=2),
        action("conditional", GroupingIdentifier="K", WFControlFlowMode=2),
        action("conditional", GroupingIdentifier="J", WFControlFlowMode=2),
    )
    assert to_code(wf).count("is_workflow_actions_conditional(") == 4  # the lossless code says only what is stored
    view = training_view(wf)
    code = view.code.code
    assert "if model == 'iPad':" in code and "if 'iPhone' in model:" in code, code
    assert "if gettext == 'a':" in code and "if gettext == 'b':" in code and "if gettext == 'c':" in code
    assert "is_workflow_actions_conditional" not in code
    assert set(view.filled) == {(2, "WFInput"), (5, "WFInput"), (5, "WFCondition"), (12, "WFInput"), (14, "WFInput")}
    assert view.workflow.actions[5].parameters["WFCondition"] == DEFAULT_CONDITION
    back = from_code(code)
    assert comparable(back) == comparable(view.workflow)


def test_foreign_parameters_go_and_a_coerced_input_picks_its_operand() -> None:
    wf = workflow(
        action("gettext", UUID="A", WFTextActionText="5"),
        action("conditional", GroupingIdentifier="G", WFControlFlowMode=0, WFCondition=4, WFShowWorkflow=False,
               WFInput={"Type": "Variable", "Variable": coerced("A", "Text", "WFStringContentItem")},
               WFConditionalActionString="Vimeo", WFNumberValue=2),
        action("conditional", GroupingIdentifier="G", WFControlFlowMode=2, WFShowWorkflow=False),
        action("conditional", GroupingIdentifier="H", WFControlFlowMode=0, WFCondition=5,
               WFInput={"Type": "Variable", "Variable": coerced("A", "Text", "WFNumberContentItem")},
               WFConditionalActionString="7", WFNumberValue=6),
        action("conditional", GroupingIdentifier="H", WFControlFlowMode=2),
        action("conditional", GroupingIdentifier="K", WFControlFlowMode=0, WFCondition=4,  # no coercion: both stay
               WFInput={"Type": "Variable", "Variable": named("Width")}, WFConditionalActionString="1488",
               WFNumberValue="2208"),
        action("conditional", GroupingIdentifier="K", WFControlFlowMode=2),
    )
    view = training_view(wf)
    code = view.code.code
    assert "coercion_class='WFStringContentItem') == 'Vimeo':" in code, code
    assert "coercion_class='WFNumberContentItem') != 6:" in code
    assert "if is_workflow_actions_conditional(Width == '1488', WFNumberValue='2208'):" in code
    assert "WFShowWorkflow" not in code
    assert set(view.dropped) == {(1, "WFShowWorkflow"), (2, "WFShowWorkflow"), (1, "WFNumberValue"),
                                 (3, "WFConditionalActionString")}


def test_labels_follow_the_catalog_and_names_are_reused_once_free() -> None:
    wf = workflow(
        action("gettext", UUID="A", WFTextActionText="one"),
        action("showresult", Text=output("A", "Text")),
        action("gettext", UUID="B", WFTextActionText="two"),
        action("gettext", UUID="C", WFTextActionText="three"),
        action("showresult", Text=text("\ufffc \ufffc", **{"{0, 1}": output("B", "Text"),
                                                            "{2, 1}": output("C", "Text")})),
    )
    lossless = to_code(wf)
    assert "text_3" in lossless and ": 'Text'" in lossless
    view = training_view(wf, labels=lambda ident: "Text" if ident == P + "gettext" else None)
    code = view.code.code
    assert ": 'Text'" not in code  # the catalog's default label is not written
    assert code.count("text = ") == 2 and "text_2 = " in code and "text_3" not in code, code
    back = from_code(code, labels=lambda ident: "Text" if ident == P + "gettext" else None)
    assert transpile(back, labels=lambda ident: "Text" if ident == P + "gettext" else None,
                     reuse_names=True).code == code
    shown = back.actions[4].parameters["Text"]
    assert [a.output_uuid for a in shown.parts if not isinstance(a, str)] == [back.actions[2].uuid,
                                                                              back.actions[3].uuid]


def test_a_name_referred_to_above_its_binding_is_never_handed_on() -> None:
    wf = workflow(
        action("gettext", UUID="A", WFTextActionText="one"),
        action("showresult", Text=output("A", "Text")),
        action("showresult", Text=output("B", "Text")),  # refers to an output further down
        action("gettext", UUID="B", WFTextActionText="two"),
    )
    code = training_view(wf).code.code
    back = from_code(code)
    assert back.actions[2].parameters["Text"].attachment.output_uuid == back.actions[3].uuid, code


@pytest.fixture(scope="module")
def corpus_views(manifest: list[dict]) -> dict[str, Any]:
    workflows = {}
    for row in manifest:
        wf = read_shortcut(CORPUS / row["path"])
        workflows.setdefault(wf.fingerprint(), (row["path"], wf))
    functions = function_map({a.identifier for _, wf in workflows.values() for a in wf.actions})
    out: dict[str, Any] = {"shortcuts": 0, "lossless": 0, "view": 0, "invalid": [], "identifiers": [],
                           "not_fixpoint": [], "bytes": [], "long": 0, "placeholders": 0, "dropped": set(),
                           "not_meaning": [], "undocumented": [], "filled": set()}
    for path, wf in workflows.values():
        view = training_view(wf)
        code = view.code.code
        out["shortcuts"] += 1
        out["lossless"] += len(to_code(wf))
        out["view"] += len(code)
        out["placeholders"] += len(view.placeholders)
        out["dropped"] |= {k for _, k in view.dropped}
        try:
            ast.parse(code)
        except SyntaxError as exc:
            out["invalid"].append(f"{path}: {exc}")
            continue
        found = strings(code)
        out["bytes"] += [path for s in found if s[:2].lower() in ("b'", 'b"', "rb", "br")]
        out["long"] += sum(len(s) for s in found if len(s) >= 1000)
        back = from_code(code, source=path, functions=functions)
        if [a.identifier for a in back.actions] != [a.identifier for a in wf.actions]:
            out["identifiers"].append(path)
        if transpile(back, reuse_names=True).code != code:
            out["not_fixpoint"].append(path)
        if _plain_names(comparable(back)) != _plain_names(comparable(view.workflow)):
            out["not_meaning"].append(path)
        out["undocumented"] += [f"{path}: {d}" for d in _changes(wf, view)]
        out["filled"] |= {k for _, k in view.filled}
    return out


def _plain_names(v: Any) -> Any:
    """``v`` with variable names as the code writes them: a variable that is read but never set
    keeps only that name (``'Name Var'`` reads back as ``'Name_Var'``), as in the lossless code."""
    if type(v) is dict:
        return {k: identifier(x) if k == "VariableName" and type(x) is str else _plain_names(x) for k, x in v.items()}
    if type(v) in (list, tuple):
        return [_plain_names(x) for x in v]
    return v


def _changes(wf: Workflow, view: Any) -> list[str]:
    """Parameter changes from ``wf`` to the view's workflow that the view does not record: keys
    other than the dropped and filled ones, and values other than placeholders and condition codes."""
    out = []
    dropped = {(i, k) for i, k in view.dropped}
    filled = {(i, k) for i, k in view.filled}
    replaced = {(p.position, p.path.split("/")[0]) for p in view.placeholders}
    for i, (a, b) in enumerate(zip(wf.actions, view.workflow.actions, strict=True)):
        before = {k for k in a.parameters if (i, k) not in dropped}
        after = {k for k in b.parameters if (i, k) not in filled and not (k == "UUID" and a.uuid is None)}
        if before != after:
            out.append(f"action {i}: keys {sorted(before ^ after)}")
        for k in before & after:
            if (i, k) not in replaced and k != "WFCondition" and a.parameters[k] != b.parameters[k]:
                out.append(f"action {i}: {k}")
    return out


def test_every_corpus_view_parses_reads_back_and_holds_no_blob(corpus_views: dict[str, Any]) -> None:
    v = corpus_views
    print(f"\n{v['shortcuts']} shortcuts: code {v['lossless']:,} -> {v['view']:,} characters; "
          f"{v['placeholders']} placeholders; {v['long']:,} characters in strings of >= 1,000; "
          f"parameters dropped: {sorted(v['dropped'])}; written out: {sorted(v['filled'])}")
    assert v["shortcuts"] > 800
    assert v["invalid"] == [] and v["identifiers"] == [] and v["not_fixpoint"] == [] and v["bytes"] == []
    assert v["not_meaning"] == [] and v["undocumented"] == []
    assert v["view"] < v["lossless"] / 10
    assert all(k.startswith(UI_ONLY_PREFIX) or k in LEGACY_FLAGS | FOREIGN or k in (
        "WFNumberValue", "WFConditionalActionString", "WFAnotherNumber") for k in v["dropped"])
    assert v["filled"] <= {"WFInput", "WFCondition"}
