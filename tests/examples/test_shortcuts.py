"""The sample shortcuts: committed files match a fresh build, read back clean, cover every value class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workflowbench import read_shortcut
from workflowbench.examples.shortcuts import build_samples, main
from workflowbench.shortcut.model import Workflow, iter_values
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
)
from workflowbench.shortcut.writer import to_bytes

RAW = Path(__file__).resolve().parents[2] / "raw_shortcuts"
SAMPLES = build_samples()
REGENERATE = "raw_shortcuts/ is out of date: run python -m workflowbench.samples raw_shortcuts/"


def test_sample_count_and_names() -> None:
    assert 10 <= len(SAMPLES) <= 20
    committed = sorted(p.stem for p in RAW.glob("*.shortcut"))
    assert committed == sorted(SAMPLES), REGENERATE


@pytest.mark.parametrize("stem", SAMPLES)
def test_committed_file_is_current(stem: str) -> None:
    assert (RAW / f"{stem}.shortcut").read_bytes() == to_bytes(SAMPLES[stem]), f"{stem}: {REGENERATE}"


def test_builds_are_deterministic() -> None:
    again = build_samples()
    assert {k: to_bytes(v) for k, v in again.items()} == {k: to_bytes(v) for k, v in SAMPLES.items()}


def test_main_writes_every_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "out")]) == 0
    written = {p.stem: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    assert written == {stem: (RAW / f"{stem}.shortcut").read_bytes() for stem in SAMPLES}
    assert "Morning Briefing.shortcut" in capsys.readouterr().out


@pytest.mark.parametrize("stem", SAMPLES)
def test_committed_file_reads_back_clean(stem: str) -> None:
    wf = read_shortcut(RAW / f"{stem}.shortcut")
    assert wf.name == stem
    assert wf.defects == []
    assert wf == SAMPLES[stem]
    assert wf.actions, "a sample without actions"
    assert wf.icon is not None and isinstance(wf.icon.start_color, int) and isinstance(wf.icon.glyph_number, int)


def model_objects(wf: Workflow) -> list[Any]:
    out: list[Any] = []
    for action in wf.actions:
        out.extend(iter_values(action.parameters))
    return out


def astral_before_attachment(t: Text) -> bool:
    seen_astral = False
    for part in t.parts:
        if isinstance(part, str):
            seen_astral = seen_astral or any(ord(c) > 0xFFFF for c in part)
        elif seen_astral:
            return True
    return False


def test_samples_use_every_value_class() -> None:
    used = {type(v) for wf in SAMPLES.values() for v in model_objects(wf)}
    expected = {Text, Variable, Dictionary, DictItem, Array, Substitutable, Quantity, PredicateTable, Unknown,
                Attachment, Aggrandizement}
    assert expected <= used, f"unused: {sorted(c.__name__ for c in expected - used)}"


def test_samples_cover_the_format() -> None:
    values = [v for wf in SAMPLES.values() for v in model_objects(wf)]
    aggs = {v.type for v in values if isinstance(v, Aggrandizement)}
    assert aggs == {"WFDictionaryValueVariableAggrandizement", "WFCoercionVariableAggrandizement",
                    "WFPropertyVariableAggrandizement", "WFDateFormatVariableAggrandizement"}
    subs = {v.type for v in values if isinstance(v, Substitutable)}
    assert subs == {"WFNumberSubstitutableState", "WFStringSubstitutableState",
                    "WFTokenAttachmentParameterState", "WFINSpeakableStringSubstitutableState"}
    assert {v.type for v in values if isinstance(v, Attachment)} >= {
        "ActionOutput", "Variable", "ExtensionInput", "Clipboard", "CurrentDate", "Ask"}
    assert any(isinstance(v, Dictionary) and v.wrapped for v in values)
    assert {v.item_type for v in values if isinstance(v, DictItem)} >= {0, 1, 2, 3, 4}
    # Some text has an astral character before an attachment, so UTF-16 offsets differ from indices.
    assert any(astral_before_attachment(v) for v in values if isinstance(v, Text))

    identifiers = {a.identifier.removeprefix("is.workflow.actions.") for wf in SAMPLES.values() for a in wf.actions}
    assert identifiers >= {"conditional", "choosefrommenu", "repeat.count", "repeat.each", "dictionary",
                           "getvalueforkey", "ask", "getclipboard", "setvariable", "getvariable", "appendvariable",
                           "comment", "downloadurl", "filter.photos", "measurement.create"}
    intents = [a for wf in SAMPLES.values() for a in wf.actions if not a.identifier.startswith("is.workflow.")]
    descriptors = [a.parameters["AppIntentDescriptor"] for a in intents if "AppIntentDescriptor" in a.parameters]
    assert descriptors and set(descriptors[0]) == {"TeamIdentifier", "BundleIdentifier", "Name", "AppIntentIdentifier"}
    assert any(a.app == "com.example.taskly" for a in intents)


def test_sample_conventions() -> None:
    for stem, wf in SAMPLES.items():
        uuids = [a.uuid for a in wf.actions if a.uuid is not None]
        assert len(uuids) == len(set(uuids)), f"{stem}: duplicate UUID"
        produced = set(uuids)
        values = model_objects(wf)
        referenced = {v.output_uuid for v in values if isinstance(v, Attachment) and v.type == "ActionOutput"}
        # Quantities hold their magnitude attachment as a plain dictionary.
        referenced |= {v.magnitude["OutputUUID"] for v in values
                       if isinstance(v, Quantity) and isinstance(v.magnitude, dict)}
        assert referenced <= produced, f"{stem}: refers to outputs no action produces"
        for q in wf.import_questions or []:
            assert q.action_index is not None and q.parameter_key in wf.actions[q.action_index].parameters, stem
        for action in wf.actions:
            if action.mode == 1 and action.identifier.endswith("choosefrommenu"):
                assert isinstance(action.parameters.get("WFMenuItemTitle"), str)
    custom = [a.custom_output_name for wf in SAMPLES.values() for a in wf.actions if a.custom_output_name]
    assert len(custom) >= 3
    assert any(wf.types and "ActionExtension" in wf.types and wf.input_classes for wf in SAMPLES.values())
    assert any(wf.import_questions for wf in SAMPLES.values())
    assert {wf.client_version for wf in SAMPLES.values()} >= {"2302.0.4"}
