"""The smallest gate: samples whose workflow has fewer than ``min_actions`` actions are dropped with
their reason; a sample whose workflow cannot be read is unknown, never a drop or a keep."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.conftest import RAW
from workflowbench import warehouse as wh
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import Settings, run_stage
from workflowbench.stages.gate import Drop, Sample, gate
from workflowbench.stages.ingest import INGEST, IngestSettings
from workflowbench.stages.min_actions import MIN_ACTIONS, MinActionsSettings
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("gate") / "w.duckdb"
    run_stage(INGEST, target, IngestSettings(sources=(str(RAW),)))
    run_stage(CATALOG, target, CatalogSettings())
    run_stage(THOUGHTS, target, ThoughtsSettings())
    return target


def verdicts(target: Path) -> dict[str, tuple]:
    wh.publish(target)
    with wh.connect(target) as con:
        rows = con.execute("SELECT v.sample_id, v.verdict, v.reason, v.detail, s.action_count FROM verdicts v "
                           "JOIN samples m USING (sample_id) JOIN shortcuts s ON s.id = m.shortcut_id "
                           "WHERE v.gate = 'min-actions'").fetchall()
    return {r[0]: r[1:] for r in rows}


@pytest.mark.parametrize("least", [3, 10, 0])
def test_drops_short_workflows_with_the_reason(seeded: Path, least: int) -> None:
    [done] = run_stage(MIN_ACTIONS, seeded, MinActionsSettings(min_actions=least))
    got = verdicts(seeded)
    assert len(got) == 17  # one verdict per ok sample
    for verdict, reason, detail, actions in got.values():
        if actions < least:
            assert (verdict, reason, detail) == ("drop", "too-few-actions",
                                                 f"{actions} actions, fewer than {least}")
        else:
            assert (verdict, reason, detail) == ("keep", None, None)
    dropped = sum(v[0] == "drop" for v in got.values())
    assert done.count("drop") == dropped and done.count("keep") == 17 - dropped
    if least == 10:
        assert 0 < dropped < 17  # the example shortcuts have 3 to 30 actions


def test_default_and_bounds() -> None:
    assert MinActionsSettings().min_actions == 3
    with pytest.raises(ValidationError):
        MinActionsSettings(min_actions=-1)
    with pytest.raises(ValidationError):
        MinActionsSettings(minimum=2)  # type: ignore[call-arg]


def test_unreadable_workflow_is_unknown(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    base = {"shortcut_id": "-", "status": "ok", "error": None, "query": "q", "apis": [], "task_plan": "1. x",
            "category": None, "backend": "offline", "model": "m", "prompt_versions": None, "chunks": 1,
            "created_at": datetime(2026, 1, 1)}
    rows = [base | {"sample_id": "synthetic-bad", "origin": "synthetic", "workflow_code": "x = (\n"},
            base | {"sample_id": "synthetic-ok", "origin": "synthetic",
                    "workflow_code": "is_workflow_actions_comment(WFCommentActionText='a')\n" * 4}]
    wh.write_shard(target, "thoughts-" + "0" * 32, {"samples": rows})
    [done] = run_stage(MIN_ACTIONS, target, MinActionsSettings())
    assert (done.count("keep"), done.count("drop"), done.count("unknown")) == (1, 0, 1)
    wh.publish(target)
    with wh.connect(target) as con:
        got = con.execute("SELECT sample_id, verdict, reason, detail FROM verdicts ORDER BY 1").fetchall()
    assert got[0][:3] == ("synthetic-bad", "unknown", "unreadable-workflow") and "line 1" in got[0][3]
    assert got[1] == ("synthetic-ok", "keep", None, None)


def test_a_check_that_raises_decides_nothing(seeded: Path) -> None:
    def broken(sample: Sample, settings: Settings) -> Drop | None:
        raise RuntimeError("bug")

    stage = gate("broken-check", broken, Settings, code=(__name__,))
    [done] = run_stage(stage, seeded, Settings())
    assert done.count("unknown") == 17 and done.count("drop") == 0
    wh.publish(seeded)
    with wh.connect(seeded) as con:
        assert con.execute("SELECT DISTINCT verdict, reason, detail FROM verdicts WHERE gate = 'broken-check'"
                           ).fetchall() == [("unknown", "check-error", "RuntimeError: bug")]


def test_the_recorded_count_decides_without_reading_the_code(tmp_path: Path) -> None:
    """A row with ``action_count`` is counted from it (the code is not read: here it would not
    parse); a row without one is read as before."""
    target = tmp_path / "w.duckdb"
    base = {"shortcut_id": "-", "status": "ok", "error": None, "query": "q", "apis": [], "task_plan": "1. x",
            "category": None, "backend": "offline", "model": "m", "prompt_versions": None, "chunks": 1,
            "created_at": datetime(2026, 1, 1), "origin": "synthetic", "workflow_code": "x = (\n"}
    rows = [base | {"sample_id": "synthetic-five", "action_count": 5},
            base | {"sample_id": "synthetic-two", "action_count": 2},
            base | {"sample_id": "synthetic-unrecorded", "action_count": None}]
    wh.write_shard(target, "thoughts-" + "1" * 32, {"samples": rows})
    run_stage(MIN_ACTIONS, target, MinActionsSettings())
    wh.publish(target)
    with wh.connect(target) as con:
        got = con.execute("SELECT sample_id, verdict, reason FROM verdicts ORDER BY 1").fetchall()
    assert got == [("synthetic-five", "keep", None), ("synthetic-two", "drop", "too-few-actions"),
                   ("synthetic-unrecorded", "unknown", "unreadable-workflow")]
