"""A stage's memo skips its plan only when the plan would give the same batches, all finished: the
same settings and code, the same shards listed for every table it read, and its shards all there."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from flows.build_bench import PIPELINE, PLANNED_FROM_FILES
from tests.conftest import RAW
from workflowbench.stages import memo
from workflowbench.stages.catalog import CatalogSettings
from workflowbench.stages.contract import Result, Settings, Stage, batch_key, finish, run_batch
from workflowbench.stages.ingest import IngestSettings
from workflowbench.stages.specs import SpecsSettings
from workflowbench.stages.synthesize import SynthesizeSettings
from workflowbench.warehouse.reader import ShardReader
from workflowbench.warehouse.shards import parts_dir, write_shard

SETTINGS: dict[str, Settings] = {
    "ingest": IngestSettings(sources=(str(RAW),)), "catalog": CatalogSettings(),
    "specs": SpecsSettings(count=30, batch_size=10), "synthesize": SynthesizeSettings(batch_size=10),
}


def settings_of(stage: Stage[Any]) -> Settings:
    return SETTINGS.get(stage.name) or stage.settings()


def run(stage: Stage[Any], target: Path, settings: Settings) -> list[Result]:
    """What the flow does for one stage, without Prefect: memo, plan, batches, finish, remember."""
    same = memo.unchanged(stage, target, settings) if stage.name not in PLANNED_FROM_FILES else None
    if same is not None:
        return same
    reader = memo.ListingReader(target)
    results = [run_batch(stage, b, target, settings) for b in stage.plan(reader, settings)]
    finish(stage, target, results)
    if stage.name not in PLANNED_FROM_FILES:
        memo.remember(stage, target, settings, reader, results)
    return results


def planned_keys(stage: Stage[Any], target: Path, settings: Settings) -> list[str]:
    return [batch_key(stage, b, settings) for b in stage.plan(ShardReader(target), settings)]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("memo") / "w.duckdb"
    for _ in range(2):  # the second pass plans each stage once more, after every later stage wrote
        for stage in PIPELINE:
            run(stage, target, settings_of(stage))
    return target


def test_a_memo_holds_what_a_new_plan_would_give(built: Path) -> None:
    hits = 0
    for stage in PIPELINE:
        settings = settings_of(stage)
        same = memo.unchanged(stage, built, settings)
        if stage.name in PLANNED_FROM_FILES:
            continue
        assert same is not None, stage.name  # nothing changed since the second pass
        assert [r.key for r in same] == planned_keys(stage, built, settings), stage.name
        assert all(r.skipped for r in same)
        hits += bool(same)
    assert hits >= 8  # the gates, synthesis and the splits had batches to remember


def test_a_changed_input_setting_or_missing_shard_makes_the_stage_plan_again(built: Path, tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    shutil.copytree(parts_dir(built), parts_dir(target))
    stages = {s.name: s for s in PIPELINE}
    rules, splits, catalog = stages["rules"], stages["splits"], stages["catalog"]
    assert memo.unchanged(rules, target, settings_of(rules)) is not None  # a copy of the shards is the same warehouse
    # another setting, or any setting at all (batch sizes are not in the version but shape the batches)
    assert memo.unchanged(rules, target, rules.settings(batch_size=7)) is None
    # one of its shards removed by hand: its batch must run again
    victim = next(p for p in parts_dir(target).iterdir() if p.name.startswith("splits-"))
    shutil.rmtree(victim)
    assert memo.unchanged(splits, target, settings_of(splits)) is None
    again = run(splits, target, settings_of(splits))
    assert [r.key for r in again] == [victim.name] and not again[0].skipped
    # a new shard of a table its plan read (the verdicts of one more gate run)
    write_shard(target, "min-actions-" + "f" * 32, {"verdicts": []})
    assert memo.unchanged(splits, target, settings_of(splits)) is None
    assert memo.unchanged(rules, target, settings_of(rules)) is not None  # rules never read the verdicts
    assert catalog.name in PLANNED_FROM_FILES and not (parts_dir(target) / memo.FOLDER / "catalog.json").exists()


def test_a_batch_left_to_retry_is_never_remembered(built: Path, tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    shutil.copytree(parts_dir(built), parts_dir(target))
    stage = next(s for s in PIPELINE if s.name == "judge")
    reader = memo.ListingReader(target)
    stage.plan(reader, settings_of(stage))
    key = next(p.name for p in parts_dir(target).iterdir() if p.name.startswith("judge-"))
    retry = key + "-incomplete-0123abcd"
    (parts_dir(target) / key).rename(parts_dir(target) / retry)
    assert not memo.remember(stage, target, settings_of(stage), reader, [Result("judge", retry, False)])
    assert memo.unchanged(stage, target, settings_of(stage)) is None
