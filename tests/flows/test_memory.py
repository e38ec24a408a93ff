"""flows.memory.release: the caches a stage's batches share are dropped when the stage is done, and
made again by the next batch that asks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flows.memory import release
from tests.conftest import RAW
from workflowbench.stages import rules, synthesize
from workflowbench.stages.contract import Latest, Stage


def test_release_drops_every_shared_cache_of_the_stage_modules() -> None:
    made: list[str] = []

    def make(name: str) -> object:
        made.append(name)
        return object()

    caches = {"synthesize": synthesize._LIBRARY, "rules": rules._CATALOG}
    assert all(isinstance(c, Latest) for c in caches.values())
    held = {name: c.get(("test", name), lambda n=name: make(n)) for name, c in caches.items()}
    again = {name: c.get(("test", name), lambda n=name: make(n)) for name, c in caches.items()}
    assert again == held and made == ["synthesize", "rules"]  # held: not made twice
    assert release() >= 2
    after = {name: c.get(("test", name), lambda n=name: make(n)) for name, c in caches.items()}
    assert made == ["synthesize", "rules", "synthesize", "rules"]  # dropped: made again
    assert all(after[n] is not held[n] for n in caches)
    release()  # leave no test value behind for other tests in this process


def test_each_stage_of_a_build_starts_without_the_caches_of_the_stages_before_it(
        tmp_path: Path, prefect_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import flows.build_bench as bb

    started: list[tuple[str, bool, bool]] = []  # stage, synth library held, rules' catalog held
    real = bb.run_in_tasks

    def watched(stage: Stage[Any], *args: Any, **kwargs: Any) -> Any:
        started.append((stage.name, synthesize._LIBRARY._value is not None, rules._CATALOG._value is not None))
        return real(stage, *args, **kwargs)

    monkeypatch.setattr(bb, "run_in_tasks", watched)
    small = {"specs": {"batch_size": 10}, "synthesize": {"batch_size": 10}}
    bb.build_bench(sources=[str(RAW)], warehouse=str(tmp_path / "w.duckdb"), settings=small, samples=60)
    names = [name for name, _, _ in started]
    assert names.count("synthesize") >= 2 and names.count("rules") >= 2  # the target took more than one round
    assert not any(library or catalog for _, library, catalog in started), started
    assert synthesize._LIBRARY._value is None and rules._CATALOG._value is None  # nor does publish hold them
