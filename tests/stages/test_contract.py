"""The stage contract: settings are validated and versioned, the runner keys, skips, writes, retries,
supersedes and retires shards, and results are typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field, ValidationError

from workflowbench import warehouse as wh
from workflowbench.stages.contract import (
    Batch,
    Output,
    Reject,
    Result,
    Settings,
    Stage,
    batches_by_id,
    finish,
    run_batch,
    run_stage,
)
from workflowbench.warehouse.reader import ShardReader
from workflowbench.warehouse.shards import stage_of


class ToySettings(Settings):
    size: int = Field(2, ge=1, le=10)
    label: str = "x"
    unversioned = frozenset({"size"})


def toy(retention: str = "latest", fail: set[str] | None = None, tables: tuple[str, ...] = ("apps",)) -> Stage:
    """A stage over app ids: one ``apps`` row each; ids in ``fail`` are rejects and ask for a retry."""
    ids = ["a", "b", "c"]

    def plan(reader: ShardReader, s: ToySettings) -> list[Batch]:
        return [Batch(tuple((i, "v1") for i in ids[k:k + s.size]), tuple(ids[k:k + s.size]))
                for k in range(0, len(ids), s.size)]

    def run(batch: Batch, reader: ShardReader, s: ToySettings) -> Output:
        bad = [i for i in batch.items if i in (fail or set())]
        rows = [{"bundle_id": i, "name": s.label, "kind": "third-party", "api_count": 1} for i in batch.items]
        return Output({t: rows for t in tables}, [Reject(i, "bad-id", f"{i} is bad") for i in bad],
                      counts={"apps": len(rows)}, retry=bool(bad))

    return Stage(name="toy", reads=(), writes=("apps", "rejects"), code=(__name__,), settings=ToySettings,
                 plan=plan, run=run, retention=retention)  # type: ignore[arg-type]


def shards(target: Path) -> list[str]:
    return sorted(p.name for p in wh.parts_dir(target).iterdir() if stage_of(p.name) == "toy")


def test_settings_are_validated_frozen_and_versioned() -> None:
    with pytest.raises(ValidationError, match="extra"):
        ToySettings(sise=3)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        ToySettings(size=0)
    s = ToySettings(size=3)
    with pytest.raises(ValidationError):
        s.size = 4  # type: ignore[misc]
    assert s.version() == {"label": "x"}  # batch size shapes batches, not rows
    stage = toy()
    assert stage.version(ToySettings(size=1)) == stage.version(ToySettings(size=3))
    assert stage.version(ToySettings(label="y")) != stage.version(ToySettings())
    assert stage.task_name == "toy-batch"


def test_runner_writes_skips_and_results_are_typed(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    stage = toy()
    first = run_stage(stage, target, ToySettings())
    assert [type(r) for r in first] == [Result, Result] and [r.skipped for r in first] == [False, False]
    assert [r.count("apps") for r in first] == [2, 1] and first[0].count("nothing") == 0
    again = run_stage(stage, target, ToySettings())
    assert [r.skipped for r in again] == [True, True] and [r.key for r in again] == [r.key for r in first]
    assert shards(target) == sorted(r.key for r in first)
    wh.publish(target)
    with wh.connect(target) as con:
        assert con.execute("SELECT bundle_id, name FROM apps ORDER BY 1").fetchall() == [
            ("a", "x"), ("b", "x"), ("c", "x")]


def test_a_new_version_supersedes_the_shard_of_the_same_inputs(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    stage = toy(retention="cumulative")
    old = run_stage(stage, target, ToySettings())
    new = run_stage(stage, target, ToySettings(label="y"))
    assert not any(r.skipped for r in new) and shards(target) == sorted(r.key for r in new)
    assert {r.key[:20] for r in old} == {r.key[:20] for r in new}  # same inputs half, new version half
    wh.publish(target)
    with wh.connect(target) as con:
        assert con.execute("SELECT DISTINCT name FROM apps").fetchall() == [("y",)]


def test_retention_latest_retires_and_cumulative_keeps(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    latest = toy()
    run_stage(latest, target, ToySettings(size=2))
    by_three = run_stage(latest, target, ToySettings(size=3))  # other batches: other inputs
    assert shards(target) == [r.key for r in by_three]
    cumulative = toy(retention="cumulative")
    run_stage(cumulative, target, ToySettings(size=1))
    assert len(shards(target)) == 1 + 3
    assert finish(cumulative, target, []) == 0


def test_failed_rows_are_kept_and_retried(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    failing = toy(fail={"c"})
    first = run_stage(failing, target, ToySettings())
    assert [r.rejects for r in first] == [0, 1] and "-incomplete-" in first[1].key
    wh.publish(target)
    with wh.connect(target) as con:
        assert con.execute("SELECT path, stage, reason, detail FROM rejects").fetchall() == [
            ("c", "toy", "bad-id", "c is bad")]
    second = run_stage(failing, target, ToySettings())
    assert second[0].skipped and not second[1].skipped  # the incomplete batch runs again
    fixed = run_stage(toy(), target, ToySettings())
    assert fixed[0].skipped and not fixed[1].skipped and "-incomplete-" not in fixed[1].key
    assert shards(target) == sorted(r.key for r in fixed)


def test_a_stage_may_write_only_what_it_declares(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not declare"):
        run_batch(toy(tables=("apps", "apis")), Batch((("a", "v1"),), ("a",)), tmp_path / "w.duckdb",
                  ToySettings())
    assert not wh.parts_dir(tmp_path / "w.duckdb").exists()


def test_a_run_says_when_items_failed() -> None:
    from workflowbench.stages.contract import StageFailed, verdict

    stage = toy()
    clean = Result("toy", "k1", False, items=5)
    partly = Result("toy", "k2", False, items=4, failures={"bad-id": 1, "other": 2})
    assert verdict(stage, [clean]) is None and verdict(stage, [Result("toy", "k3", True)]) is None
    assert verdict(stage, [clean, partly]) == "stage toy: 3 of 9 items failed (other 2, bad-id 1)"
    with pytest.raises(StageFailed, match=r"stage toy: all 4 items failed \(bad-id 4\)"):
        verdict(stage, [Result("toy", "k4", False, items=4, failures={"bad-id": 4})])


def test_batches_by_id_end_where_the_ids_say_so_adding_rows_keeps_the_other_batches() -> None:
    rows = [(f"synthetic-{n:05d}", f"hash-{n}") for n in range(0, 20_000, 2)]  # every other id
    first = batches_by_id(rows, 100)
    assert [r for b in first for r in b.items] == [r[0] for r in rows]  # every row once, in order
    assert 60 < len(first) < 160 and max(len(b.items) for b in first) <= 400
    more = sorted(rows + [(f"synthetic-{n:05d}", f"hash-{n}") for n in (1, 5_001, 19_999)])
    second = batches_by_id(more, 100)
    changed = {b.inputs for b in second} - {b.inputs for b in first}
    assert 1 <= len(changed) <= 3  # only the batches the three new rows landed in
    assert len(second) == len(first)
    tail = batches_by_id(rows, 100, (("apis", "s1"),))
    assert all(b.inputs[-1] == ("apis", "s1") for b in tail)
    assert [len(b.items) for b in batches_by_id(rows[:7], 1)] == [1] * 7


def test_a_larger_target_leaves_the_gates_earlier_batches_as_they_were(tmp_path: Path) -> None:
    """Synthetic sample ids are hashes: the samples a larger target adds must land in the last
    batches of the gates (which batch in order of making), not in every one, and a new spec shard
    must not make the rules' batches new."""
    import hashlib
    from datetime import datetime

    from workflowbench.stages.min_actions import MIN_ACTIONS
    from workflowbench.stages.rules import RULES_STAGE, RulesSettings
    from workflowbench.warehouse.shards import write_shard

    def spec_id(n: int) -> str:
        return hashlib.sha256(str(n).encode()).hexdigest()[:24]

    def shard(key: str, numbers: range, hour: int) -> None:
        at = datetime(2026, 1, 1, hour)
        samples = [{"sample_id": f"synthetic-{spec_id(n)}", "shortcut_id": f"spec-{spec_id(n)}",
                    "origin": "synthetic", "status": "ok", "query": f"q{n}", "task_plan": "1. x",
                    "workflow_code": f"x = {n}\n", "spec_id": spec_id(n), "created_at": at} for n in numbers]
        specs = [{"spec_id": spec_id(n), "seed": 0, "position": n, "apis": ["a"], "examples": [], "level": "easy",
                  "category": "c", "created_at": at} for n in numbers]
        write_shard(tmp_path / "wb.duckdb", f"synthesize-{key}", {"samples": samples})
        write_shard(tmp_path / "wb.duckdb", f"specs-{key}", {"specs": specs})

    shard("a" * 32, range(0, 3000), 1)
    reader = ShardReader(tmp_path / "wb.duckdb")
    settings = RulesSettings(batch_size=100)
    gate_settings = MIN_ACTIONS.settings()
    first = {b.inputs for b in RULES_STAGE.plan(reader, settings)}
    first_gate = {b.inputs for b in MIN_ACTIONS.plan(reader, gate_settings)}
    shard("b" * 32, range(3000, 3300), 2)
    second = RULES_STAGE.plan(reader, settings)
    new = [b for b in second if b.inputs not in first]
    assert len(second) > 20 and 1 <= len(new) <= 6  # the last batch before the new rows, and theirs
    assert {i for b in new for i in b.items} >= {f"synthetic-{spec_id(n)}" for n in range(3000, 3300)}
    new_gate = [b for b in MIN_ACTIONS.plan(reader, gate_settings) if b.inputs not in first_gate]
    assert 1 <= len(new_gate) <= 4  # of about 2,000 samples each: the old rows' last, and the new
