"""A target size: the build makes synthetic samples until the kept ones reach it, and a larger
target later adds only the difference: the specs and samples made before are reused, but for the
last batch of a stage, which was not full and now is (its few specs are made again, the same)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.build_bench import build_bench, kept
from tests.conftest import RAW
from workflowbench.warehouse.reader import ShardReader
from workflowbench.warehouse.shards import parts_dir


@pytest.fixture(autouse=True)
def harness(prefect_api: str) -> None:
    """The builds run against the package's Prefect API (tests/flows/conftest.py)."""


def shards(warehouse: Path, stage: str) -> set[str]:
    return {p.name for p in parts_dir(warehouse).iterdir() if p.name.startswith(f"{stage}-")}


def test_a_target_is_reached_and_a_larger_one_adds_only_the_difference(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    small = {"specs": {"batch_size": 10}, "synthesize": {"batch_size": 10}}
    build_bench(sources=[str(RAW)], warehouse=str(target), settings=small, samples=60)
    have, synthetic = kept(str(target))
    specs = len(ShardReader(target).rows("specs", "spec_id"))
    assert 60 <= have <= 60 + 2 and synthetic > 0  # reached, not overshot by more than the rate's rounding
    assert specs > 28  # more than the default count was drawn
    before = shards(target, "synthesize")
    build_bench(sources=[str(RAW)], warehouse=str(target), settings=small, samples=90)
    have2, synthetic2 = kept(str(target))
    assert 90 <= have2 <= 92 and synthetic2 - synthetic == have2 - have
    after = shards(target, "synthesize")
    assert len(before - after) <= 1 and len(after) > len(before)  # the earlier batches reused but the partial last
    again = shards(target, "synthesize")
    build_bench(sources=[str(RAW)], warehouse=str(target), settings=small, samples=90)
    assert shards(target, "synthesize") == again and kept(str(target)) == (have2, synthetic2)  # nothing twice
