"""Shortcuts built for tests: action, text and workflow dictionaries, and folders of good and bad files."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from workflowbench.shortcut.model import Workflow

BUILTIN = "is.workflow.actions."

# --- values ------------------------------------------------------------------------------------------


def text(string: str, ranges: dict[str, Any] | None = None, *, value_first: bool = False,
         **extra: Any) -> dict[str, Any]:
    """A WFTextTokenString; ``ranges=None`` leaves attachmentsByRange out, ``extra`` keys go after Value."""
    value: dict[str, Any] = {"string": string}
    if ranges is not None:
        value["attachmentsByRange"] = ranges
    if value_first:
        return {"Value": value, "WFSerializationType": "WFTextTokenString", **extra}
    return {"WFSerializationType": "WFTextTokenString", "Value": value, **extra}


def token(attachment: dict[str, Any]) -> dict[str, Any]:
    """A WFTextTokenAttachment: exactly one variable."""
    return {"WFSerializationType": "WFTextTokenAttachment", "Value": attachment}


def output(uuid: str, name: str | None = None, **more: Any) -> dict[str, Any]:
    """An ActionOutput attachment; ``name=None`` leaves OutputName out."""
    out: dict[str, Any] = {"Type": "ActionOutput", "OutputUUID": uuid}
    if name is not None:
        out["OutputName"] = name
    return {**out, **more}


def dictionary(*items: Any, wrapped: bool = False) -> dict[str, Any]:
    """A WFDictionaryFieldValue of ``items``; ``wrapped`` wraps it in a second one."""
    inner = {"WFSerializationType": "WFDictionaryFieldValue", "Value": {"WFDictionaryFieldValueItems": list(items)}}
    return {"WFSerializationType": "WFDictionaryFieldValue", "Value": inner} if wrapped else inner


# --- actions and workflows ---------------------------------------------------------------------------


def action(identifier: str, params: dict[str, Any] | None = None, /, **more: Any) -> dict[str, Any]:
    """One action dictionary; an identifier not starting with ``is.`` or ``com.`` gets the built-in prefix."""
    full = identifier if identifier.startswith(("is.", "com.")) else BUILTIN + identifier
    return {"WFWorkflowActionIdentifier": full, "WFWorkflowActionParameters": {**(params or {}), **more}}


def block(identifier: str, mode: Any = None, group: str | None = None, /, *, flow_first: bool = False,
          **params: Any) -> dict[str, Any]:
    """An action with GroupingIdentifier, WFControlFlowMode (if not None) after ``params``; first if ``flow_first``."""
    flow: dict[str, Any] = {}
    if group is not None:
        flow["GroupingIdentifier"] = group
    if mode is not None:
        flow["WFControlFlowMode"] = mode
    return action(identifier, {**flow, **params} if flow_first else {**params, **flow})


def workflow_dict(*actions: dict[str, Any]) -> dict[str, Any]:
    """A workflow dictionary holding only ``actions``."""
    return {"WFWorkflowActions": list(actions)}


def workflow(*actions: dict[str, Any]) -> Workflow:
    """A ``Workflow`` read from a copy of ``workflow_dict(*actions)`` (the action dictionaries stay untouched)."""
    return Workflow.from_plist(copy.deepcopy(workflow_dict(*actions)))


# --- whole shortcuts and folders ---------------------------------------------------------------------


def tiny_workflow(text: str, extra_actions: int = 0) -> dict:
    """A small but real workflow dictionary: a text with a variable, an if/otherwise, a comment."""
    actions = [
        {"WFWorkflowActionIdentifier": "is.workflow.actions.gettext",
         "WFWorkflowActionParameters": {
             "UUID": "A1", "WFTextActionText": {"WFSerializationType": "WFTextTokenString", "Value": {
                 "string": f"{text} \ufffc!", "attachmentsByRange": {
                     f"{{{len(text) + 1}, 1}}": {"Type": "ExtensionInput"}}}}}},
        {"WFWorkflowActionIdentifier": "is.workflow.actions.conditional",
         "WFWorkflowActionParameters": {"GroupingIdentifier": "G1", "WFControlFlowMode": 0, "WFCondition": 4,
                                        "WFConditionalActionString": text}},
        {"WFWorkflowActionIdentifier": "is.workflow.actions.showresult",
         "WFWorkflowActionParameters": {"Text": {"WFSerializationType": "WFTextTokenAttachment",
                                                 "Value": {"Type": "ActionOutput", "OutputUUID": "A1",
                                                           "OutputName": "Text"}}}},
        {"WFWorkflowActionIdentifier": "is.workflow.actions.conditional",
         "WFWorkflowActionParameters": {"GroupingIdentifier": "G1", "WFControlFlowMode": 1}},
        {"WFWorkflowActionIdentifier": "is.workflow.actions.conditional",
         "WFWorkflowActionParameters": {"GroupingIdentifier": "G1", "WFControlFlowMode": 2}},
    ]
    actions += [{"WFWorkflowActionIdentifier": "is.workflow.actions.comment",
                 "WFWorkflowActionParameters": {"WFCommentActionText": f"note {i}"}} for i in range(extra_actions)]
    return {"WFWorkflowActions": actions, "WFWorkflowClientVersion": "2302.0.4",
            "WFWorkflowIcon": {"WFWorkflowIconStartColor": 431817727, "WFWorkflowIconGlyphNumber": 59511},
            "WFWorkflowTypes": [], "WFWorkflowInputContentItemClasses": ["WFStringContentItem"],
            "WFWorkflowImportQuestions": []}


def write_mixed_folder(folder: Path) -> dict[str, int]:
    """Three good shortcuts (one twice, in two encodings) and four bad files; returns what to expect."""
    import plistlib

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hello.shortcut").write_bytes(plistlib.dumps(tiny_workflow("hello"), fmt=plistlib.FMT_BINARY))
    (folder / "hello-again.plist").write_bytes(plistlib.dumps(tiny_workflow("hello")))  # same shortcut, XML
    (folder / "bye.json").write_text(json.dumps(tiny_workflow("bye", 2)))
    (folder / "sub").mkdir(exist_ok=True)
    (folder / "sub" / "long.shortcut").write_bytes(plistlib.dumps(tiny_workflow("long", 40), fmt=plistlib.FMT_BINARY))
    (folder / "truncated.shortcut").write_bytes(plistlib.dumps(tiny_workflow("cut"), fmt=plistlib.FMT_BINARY)[:-9])
    (folder / "notes.txt").write_text("just some text")
    (folder / "encrypted.shortcut").write_bytes(b"AEA1\x01\x00\x00\x00" + bytes(64))
    (folder / "actions-not-a-list.json").write_text(json.dumps({"WFWorkflowActions": {"a": 1}}))
    (folder / "README.md").write_text("ignored by discovery")
    return {"files": 8, "good_files": 4, "shortcuts": 3, "actions": 5 + 7 + 45, "rejects": 4}
