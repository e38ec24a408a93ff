"""``workflowbench export sft``: ok seed samples that no gate dropped, as chat JSONL whose assistant
turns read back (with the annotator's own reader) to the sample's plan and code; the train/dev
split is by shortcut and deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import RAW
from workflowbench import warehouse as wh
from workflowbench.cli import app
from workflowbench.export.sft import export_sft, records, split_of
from workflowbench.llm.prompts import load
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import run_stage
from workflowbench.stages.ingest import INGEST, IngestSettings
from workflowbench.stages.min_actions import MIN_ACTIONS, MinActionsSettings
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings
from workflowbench.synth.annotate import Annotation, plan_steps, read_answer


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("sft") / "w.duckdb"
    run_stage(INGEST, target, IngestSettings(sources=(str(RAW),)))
    run_stage(CATALOG, target, CatalogSettings())
    run_stage(THOUGHTS, target, ThoughtsSettings())
    run_stage(MIN_ACTIONS, target, MinActionsSettings(min_actions=6))
    wh.publish(target)
    return target


def test_records_read_back_to_the_samples(built: Path) -> None:
    got, left = records(built, dev_share=0.3)
    with wh.connect(built) as con:
        samples = {r[0]: r[1:] for r in con.execute("SELECT sample_id, query, task_plan, workflow_code, apis "
                                                     "FROM samples").fetchall()}
        short = con.execute("SELECT count(*) FROM verdicts WHERE verdict = 'drop'").fetchone()[0]
        stubs = dict(con.execute("SELECT identifier, stub FROM apis").fetchall())
    assert short > 0 and left["dropped by a gate"] == short and len(got) == len(samples) - short
    for r in got:
        query, plan, code, apis = samples[r["id"]]
        system, user, assistant = r["messages"]
        assert user == {"role": "user", "content": query} and system["role"] == "system"
        assert all(stubs[a] in system["content"] for a in apis)
        back = read_answer(assistant["content"], load("annotate").schema)
        assert isinstance(back, Annotation) and back.code == code and list(back.plan) == plan_steps(plan)


def test_the_split_is_by_shortcut_deterministic_and_written_atomically(built: Path, tmp_path: Path) -> None:
    a = export_sft(built, tmp_path / "a", dev_share=0.4)
    b = export_sft(built, tmp_path / "b", dev_share=0.4)
    assert a["train"] + a["dev"] > 0 and a["dev"] > 0
    for name in ("train.jsonl", "dev.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    train = [json.loads(line) for line in (tmp_path / "a" / "train.jsonl").read_text().splitlines()]
    dev = [json.loads(line) for line in (tmp_path / "a" / "dev.jsonl").read_text().splitlines()]
    assert not {r["shortcut_id"] for r in train} & {r["shortcut_id"] for r in dev}
    assert all(split_of(r["shortcut_id"], 0.4, 0) == "dev" for r in dev)
    assert {split_of(r["shortcut_id"], 0.4, 1) for r in train + dev} == {"train", "dev"}  # another seed, another split
    assert not list((tmp_path / "a").glob(".*.tmp"))
    assert json.loads((tmp_path / "a" / "manifest.json").read_text()) == a
    assert b == a


def test_the_command(built: Path, tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["export", "sft", "-w", str(built), "-o", str(tmp_path / "o"), "--form", "json"])
    assert done.exit_code == 0, done.output
    first = json.loads((tmp_path / "o" / "train.jsonl").read_text().splitlines()[0])
    assert set(json.loads(first["messages"][2]["content"])) == {"plan", "code"}
    bad = CliRunner().invoke(app, ["export", "sft", "-w", str(built), "-o", str(tmp_path / "p"), "--form", "yaml"])
    assert bad.exit_code != 0
    missing = CliRunner().invoke(app, ["export", "sft", "-w", str(tmp_path / "none.duckdb"), "-o", str(tmp_path)])
    assert missing.exit_code == 2 and "no warehouse" in missing.output
