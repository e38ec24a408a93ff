from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
RAW = ROOT / "raw_shortcuts"


def corpus_manifest() -> list[dict]:
    """The corpus manifest rows, or [] when ../shared is absent (a fresh clone)."""
    manifest = CORPUS / "MANIFEST.jsonl"
    if not manifest.exists():
        return []
    return [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def manifest() -> list[dict]:
    rows = corpus_manifest()
    if not rows:
        pytest.skip(f"the real-shortcut corpus is not present at {CORPUS} (../shared is only in CI and dev sessions)")
    return rows


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
