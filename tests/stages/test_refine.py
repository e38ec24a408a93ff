"""Refine: offline, the canonical rewrite of code an LLM wrote (each action keeps its comment);
through the test server, an LLM's polish is taken when it parses, maps and keeps the sample's APIs,
recorded as a verdict either way; a failed answer is unknown and the sample stays as it was; a
rerun sends no request."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RAW
from tests.support.llm_server import LLMServer
from tests.support.scripted import answer as scripted
from workflowbench import from_code
from workflowbench import warehouse as wh
from workflowbench.code.from_code import function_map
from workflowbench.llm import LLMConfig
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import run_stage
from workflowbench.stages.expand import EXPAND, ExpandSettings
from workflowbench.stages.ingest import INGEST, IngestSettings
from workflowbench.stages.refine import REFINE, RefineSettings
from workflowbench.stages.specs import SPECS, SpecsSettings
from workflowbench.stages.synthesize import SYNTHESIZE, SynthesizeSettings
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings
from workflowbench.warehouse.reader import ShardReader

SPECS_COUNT = 6


def sloppy(body: dict[str, Any]) -> Any:
    """An annotator whose code is valid but not in the canonical layout."""
    data = scripted(body)
    if "code" in data:
        data["code"] = data["code"].replace("()", "(  )")
    return data


@pytest.fixture(scope="module")
def annotated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("refine") / "w.duckdb"
    run_stage(INGEST, target, IngestSettings(sources=(str(RAW),)))
    run_stage(CATALOG, target, CatalogSettings())
    run_stage(THOUGHTS, target, ThoughtsSettings())
    run_stage(SPECS, target, SpecsSettings(count=SPECS_COUNT))
    with LLMServer(answer=sloppy) as server:
        config = LLMConfig(server.url, "annotator", timeout=5.0, attempts=2, max_wait=0.05)
        run_stage(EXPAND, target, ExpandSettings(llm=config))
        run_stage(SYNTHESIZE, target, SynthesizeSettings(llm=config, expanded=True))
    return target


@pytest.fixture
def warehouse(annotated: Path, tmp_path: Path) -> Path:
    shutil.copytree(wh.parts_dir(annotated), wh.parts_dir(tmp_path / "w.duckdb"))
    return tmp_path / "w.duckdb"


def current(target: Path) -> dict[str, tuple[str, str, list[str]]]:
    return {s: (p, c, a) for s, p, c, a in ShardReader(target).rows(
        "samples", "sample_id, task_plan, workflow_code, apis", where="origin = 'synthetic' AND status = 'ok'")}


def refine_verdicts(target: Path) -> dict[str, tuple[str, str]]:
    return {s: (v, r) for s, v, r in ShardReader(target).rows("verdicts", "sample_id, verdict, reason",
                                                              where="gate = 'refine'")}


def test_offline_refine_rewrites_llm_code_canonically_and_keeps_its_comments(warehouse: Path) -> None:
    before = current(warehouse)
    assert len(before) == SPECS_COUNT and all("(  )" in c for _, c, _ in before.values())
    run_stage(REFINE, warehouse, RefineSettings())
    after = current(warehouse)
    functions = function_map(i for (i,) in ShardReader(warehouse).rows("apis", "identifier"))
    for sid, (plan, code, _) in after.items():
        assert "(  )" not in code and plan == before[sid][0]
        old = [line for line in before[sid][1].splitlines() if line.startswith("#")]
        assert [line for line in code.splitlines() if line.startswith("#")] == old  # every comment kept
        assert [a.identifier for a in from_code(code, functions=functions).actions] == \
            [a.identifier for a in from_code(before[sid][1], functions=functions).actions]
    assert set(refine_verdicts(warehouse).values()) == {("keep", "refined")}
    run_stage(REFINE, warehouse, RefineSettings())  # a rerun: nothing new
    assert current(warehouse) == after


def test_an_llm_polish_is_taken_only_when_usable_and_the_apis_stay(warehouse: Path) -> None:
    before = current(warehouse)
    queries = dict(ShardReader(warehouse).rows("samples", "sample_id, query", where="origin = 'synthetic'"))
    ids = sorted(before)
    assert len({queries[s] for s in ids}) == len(ids)  # one category each: the query tells them apart
    polished, swapped, broken = ids[:3]

    def model(body: dict[str, Any]) -> Any:
        text = "\n".join(m["content"] for m in body["messages"])
        data = scripted(body)
        if f"Request: {queries[polished]}\n" in text:
            data["code"] = data["code"].replace("# Do step", "# Carry out step")
        elif f"Request: {queries[swapped]}\n" in text:
            data["code"] += "# Also beep\nis_workflow_actions_vibrate()\n"
        elif f"Request: {queries[broken]}\n" in text:
            return "no idea"
        return data

    with LLMServer(answer=model) as server:
        config = LLMConfig(server.url, "refiner", timeout=5.0, attempts=2, max_wait=0.05)
        run_stage(REFINE, warehouse, RefineSettings(llm=config))
        sent = server.requests
        run_stage(REFINE, warehouse, RefineSettings(llm=config))
        again = server.requests - sent
    verdicts = refine_verdicts(warehouse)
    after = current(warehouse)
    assert verdicts[polished] == ("keep", "refined") and "# Carry out step" in after[polished][1]
    assert verdicts[swapped] == ("keep", "apis-changed") and after[swapped] == before[swapped]
    assert verdicts[broken] == ("unknown", "refine-error") and after[broken] == before[broken]
    assert all(verdicts[s] == ("keep", "unchanged") for s in ids[3:])  # the scripted model gives it back
    assert again == 2  # the rerun asks again only what failed (an answer and its repair), nothing answered
