"""The build-bench flow under Prefect's real test harness (a temporary API and database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.testing.utilities import prefect_test_harness

from flows.build_bench import build_bench
from flows.serve import NIGHTLY_CRON, deployments
from tests.conftest import RAW, write_mixed_folder
from workflowbench import warehouse as wh


@pytest.fixture(scope="module", autouse=True)
def harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_flow_ingests_batches_and_reports(tmp_path: Path) -> None:
    expect = write_mixed_folder(tmp_path / "in")
    target = tmp_path / "wh.duckdb"
    result = build_bench(sources=[str(tmp_path / "in")], warehouse=str(target), batch_size=3)
    assert result["files"] == expect["files"]
    assert result["batches"] == 3
    assert result["skipped"] == 0
    assert result["shortcuts"] == expect["shortcuts"]
    assert result["actions"] == expect["actions"]
    assert result["rejects"] == {"bad-structure": 1, "corrupt": 1, "encrypted": 1, "unknown-format": 1}

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["build-bench-report"])))
    assert artifacts, "the run publishes a markdown artifact"
    markdown = artifacts[-1].data
    assert "## Files by container format" in markdown and "| bplist | 2 |" in markdown and "| json | 1 |" in markdown
    assert f"**{expect['shortcuts']:,} shortcuts**" in markdown and "| encrypted | 1 |" in markdown

    again = build_bench(sources=[str(tmp_path / "in")], warehouse=str(target), batch_size=3)
    assert again["skipped"] == 3 and again["shortcuts"] == expect["shortcuts"]


def test_flow_default_source_is_raw_shortcuts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(RAW.parent)
    target = tmp_path / "default.duckdb"
    result = build_bench(warehouse=str(target))
    committed = [p for p in RAW.iterdir() if p.suffix == ".shortcut"]
    assert 10 <= len(committed) <= 20
    assert result["files"] == len(committed) and result["rejects"] == {}
    with wh.connect(target) as con:
        assert con.execute("SELECT count(*), min(source) FROM shortcuts").fetchone() == (len(committed),
                                                                                          "raw_shortcuts")


def test_deployments_are_nightly_and_adhoc() -> None:
    deps = {d.name: d for d in deployments()}
    assert set(deps) == {"nightly", "adhoc"}
    assert deps["nightly"].schedules and deps["nightly"].schedules[0].schedule.cron == NIGHTLY_CRON
    assert not deps["adhoc"].schedules
