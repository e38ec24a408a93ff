"""The Dask runner: batches on worker processes (a local cluster of processes reached at its address,
or one the build starts) give the tables the thread runner gives; a worker killed with SIGKILL inside
a batch costs a retry of that batch only; and the workers together keep the LLM limits, measured at
the test server. Real clusters, real processes, Prefect's real test harness; nothing is mocked."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from distributed import Client, LocalCluster
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    TaskRunFilter,
    TaskRunFilterFlowRunId,
    TaskRunFilterName,
    TaskRunFilterStartTime,
    TaskRunFilterState,
    TaskRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort
from typer.testing import CliRunner

from flows.build_bench import build_bench
from flows.engine import per_worker
from flows.serve import deployments
from tests.conftest import RAW, ROOT
from tests.flows.test_kill_build import strays
from tests.support.llm_server import LLMServer
from tests.support.scripted import answer
from workflowbench.cli import app
from workflowbench.llm.config import LLMConfig, share
from workflowbench.pause import AT, FILE
from workflowbench.stages.contract import batch_key
from workflowbench.stages.judge import JUDGE, JudgeSettings
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings
from workflowbench.warehouse.compare import VOLATILE, compare

pytestmark = pytest.mark.timeout(600)
WORKFLOWBENCH = str(Path(sys.executable).with_name("workflowbench"))
SEEDS = 17
# Besides when a row was written: which call it was, how long it took, and each server's port.
IGNORE = VOLATILE | {"call_id", "latency_ms", "base_url"}


@pytest.fixture(scope="module")
def world(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A Prefect API (the real test harness, tests/flows/conftest.py), and the environment of a build run
    as a command."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "OPENAI_", "WORKFLOWBENCH_"))}
    return env | {"PREFECT_API_URL": prefect_api, "PREFECT_HOME": str(tmp_path_factory.mktemp("prefect-home"))}


@pytest.fixture(scope="module")
def threads(world: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An offline build of the example shortcuts on the thread runner (the default)."""
    target = tmp_path_factory.mktemp("threads") / "w.duckdb"
    build_bench(sources=[str(RAW)], warehouse=str(target))
    return target


@pytest.fixture(scope="module")
def cluster(world: dict[str, str]) -> Iterator[LocalCluster]:
    """A local cluster of 2 worker processes, for builds given its address (one start for two tests)."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as running:
        yield running


def differing(left: Path, right: Path) -> list:
    diffs = compare(left, right, ignore=IGNORE)
    assert sum(d.left for d in diffs) > 0
    return [d for d in diffs if not d.same]


def test_a_local_dask_cluster_of_processes_builds_the_tables_the_threads_build(
        threads: Path, cluster: LocalCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """(The build that starts a cluster of its own is the next test's.)"""
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    target = tmp_path / "dask.duckdb"
    # batches of 5 files: the 17 examples make 4 ingest batches, so both workers run some
    result = build_bench(sources=[str(RAW)], warehouse=str(target), batch_size=5, runner="dask",
                         dask_address=cluster.scheduler_address)
    assert result["files"] == SEEDS and result["batches"] == 4 and result["samples"] == {"ok": SEEDS}
    assert differing(threads, target) == []


def session_limits() -> list[dict]:
    """The limits of the LLM sessions (one limiter each) this worker process holds."""
    from workflowbench.llm import client

    return [{k: v for k, v in json.loads(config).items() if k in ("base_url", "concurrency", "requests_per_minute")}
            for _, config in client._sessions]


def test_each_dask_worker_gets_its_share_of_the_llm_limits(cluster: LocalCluster, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers of a cluster the build reaches by its address. The thoughts endpoint answers in
    0.25 s and allows 4 requests in flight: the server never sees more than 4, though both workers
    send at once. The judge's endpoint allows 900 requests a minute: over any stretch of time the
    server sees no more than that rate allows (plus one second's burst)."""
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    rpm = 900
    with (Client(cluster.scheduler_address) as client, LLMServer(answer=answer, latency=0.25) as slow,
          LLMServer(answer=answer) as fast):
        roles = {"thoughts": {"base_url": slow.url, "model": "test-model", "options": {"concurrency": 4}},
                 "judge": {"base_url": fast.url, "model": "test-model", "options": {"requests_per_minute": rpm}}}
        result = build_bench(sources=[str(RAW)], warehouse=str(tmp_path / "w.duckdb"), runner="dask",
                             dask_address=cluster.scheduler_address, roles=roles,
                             settings={"thoughts": {"batch_size": 6}, "judge": {"batch_size": 20}})
        held = client.run(session_limits)
    assert result["samples"] == {"ok": SEEDS} and result["thoughts_batches"] == 3
    assert slow.requests == 3 * SEEDS
    print(f"\nthoughts: at most {slow.max_in_flight} requests in flight; judge: {fast.requests} requests")
    assert 2 < slow.max_in_flight <= 4  # both workers sent side by side, 2 requests each at most

    rate, burst = rpm / 60, max(1.0, rpm / 60 / 2) * 2  # requests a second, and the two buckets' capacity
    arrived = sorted(fast.arrivals)
    assert len(arrived) > 2 * burst
    worst = max(j - i + 1 - rate * (arrived[j] - arrived[i]) for i in range(len(arrived))
                for j in range(i, len(arrived)))
    assert worst <= burst + 1, worst  # one request of slack for the clocks of the two processes

    # what each worker's limiters were made of: its share, not the whole
    shares = {(s["base_url"], s["concurrency"], s["requests_per_minute"]) for ss in held.values() for s in ss}
    assert shares == {(slow.url, 2, 0.0), (fast.url, 16, rpm / 2)}, held
    assert len(held) == 2 and all(held.values()), held


def running_ingest_batches(since: datetime) -> int:
    """Ingest batches running now that started after ``since`` (the API is shared with other modules'
    builds, some of them killed with their tasks running)."""
    with get_client(sync_client=True) as client:
        return len(client.read_task_runs(task_run_filter=TaskRunFilter(
            name=TaskRunFilterName(like_="ingest-transpile-batch"), start_time=TaskRunFilterStartTime(after_=since),
            state=TaskRunFilterState(type=TaskRunFilterStateType(any_=[StateType.RUNNING])))))


def parent(pid: int) -> int:
    return int(next(line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                    if line.startswith("PPid:")))


@pytest.mark.slow
def test_a_worker_killed_mid_batch_costs_only_a_retry_of_that_batch(world: dict[str, str], threads: Path,
                                                                     tmp_path: Path) -> None:
    """``workflowbench build --runner dask --dask-workers 2`` on 6 ingest batches: each worker pauses
    with its first batch computed and its shard not written; one of them gets SIGKILL. The build
    completes, its tables equal the thread runner's, and only the killed batch's task ran twice."""
    target, marker = tmp_path / "w.duckdb", tmp_path / "paused"
    since = datetime.now(UTC)
    build = subprocess.Popen([WORKFLOWBENCH, "build", "-s", str(RAW), "-w", str(target), "--batch-size", "3",
                              "--runner", "dask", "--dask-workers", "2"], cwd=ROOT,
                             env=world | {AT: "batch-run:ingest", FILE: str(marker)}, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        # Both workers paused, the API told of both batches running: the kill cannot overtake that news.
        deadline = time.monotonic() + 300  # a guard against a hang, not a measure
        while not (marker.exists() and running_ingest_batches(since) == 2):
            assert build.poll() is None, build.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the workers never paused in their ingest batches"
            time.sleep(0.1)
        while not (text := marker.read_text()).isdigit():  # the other worker may be writing it just now
            time.sleep(0.01)
        worker = int(text)
        assert worker != build.pid and parent(worker) == build.pid  # a worker process the build started
        os.kill(worker, signal.SIGKILL)
        marker.with_name(marker.name + ".go").touch()  # the other worker goes on
        _, err = build.communicate(timeout=600)
    finally:
        if build.poll() is None:
            os.killpg(build.pid, signal.SIGKILL)
            build.communicate()
    assert build.returncode == 0, err[-3000:]
    assert differing(threads, target) == []
    assert strays(target) == []

    with get_client(sync_client=True) as client:
        [run] = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)  # this build's
        assert run.state is not None and run.state.is_completed()
        deadline = time.monotonic() + 60  # the API records task states from events: wait for the last ones
        while True:
            tasks = client.read_task_runs(task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(
                any_=[run.id])))
            if all(t.state_type == StateType.COMPLETED for t in tasks) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        runs = [(t.name, [s.type for s in client.read_task_run_states(t.id)].count(StateType.RUNNING))
                for t in tasks]
    ingest = sorted(n for name, n in runs if name.startswith("ingest-transpile-batch"))
    assert ingest == [1, 1, 1, 1, 1, 2], runs  # 6 batches; the killed one ran again, once
    assert {n for name, n in runs if not name.startswith("ingest-")} == {1}, runs
    assert all(t.state_type == StateType.COMPLETED for t in tasks)


def test_a_worker_share_of_each_endpoint_s_limits() -> None:
    config = LLMConfig("http://127.0.0.1:1/v1", "m", concurrency=5, requests_per_minute=90,
                       tokens_per_minute=100_000)
    half = share(config, 2)
    assert (half.concurrency, half.requests_per_minute, half.tokens_per_minute) == (2, 45, 50_000)
    assert share(config, 1) is config
    assert share(config, 8).concurrency == 1  # never less than one request in flight
    assert share(LLMConfig("http://x/v1", "m"), 3).requests_per_minute == 0  # no limit stays no limit
    assert half.model_dump(exclude={"concurrency", "requests_per_minute", "tokens_per_minute"}) == \
        config.model_dump(exclude={"concurrency", "requests_per_minute", "tokens_per_minute"})
    for workers in range(1, 12):  # the shares of all workers never add up to more than the limits
        part = share(config, workers)
        assert workers * part.requests_per_minute <= config.requests_per_minute + 1e-9
        assert workers * part.concurrency <= max(config.concurrency, workers)

    settings = JudgeSettings(llm=config, second=LLMConfig("http://127.0.0.1:2/v1", "n", concurrency=4))
    shared = per_worker(settings, 2)
    assert (shared.llm.concurrency, shared.second.concurrency) == (2, 2)  # type: ignore[union-attr]
    assert pickle.loads(pickle.dumps(shared)) == shared  # a Dask worker receives it pickled
    from workflowbench.stages.contract import Batch

    batch = Batch((("sample", "abc"),), ("abc",))
    assert batch_key(JUDGE, batch, shared) == batch_key(JUDGE, batch, settings)  # the same shards
    thoughts = ThoughtsSettings(llm=config)
    assert batch_key(THOUGHTS, batch, per_worker(thoughts, 3)) == batch_key(THOUGHTS, batch, thoughts)
    assert per_worker(thoughts, 1) is thoughts and per_worker(ThoughtsSettings(), 4) == ThoughtsSettings()


def test_runner_options_are_checked_and_deployments_can_choose_the_runner(world: dict[str, str]) -> None:
    for args, message in ((["--runner", "processes"], "runner 'processes'"),
                          (["--dask-workers", "2"], "need runner='dask'"),
                          (["--runner", "dask", "--dask-address", "tcp://127.0.0.1:1", "--dask-workers", "2"],
                           "has its own workers")):
        done = CliRunner().invoke(app, ["build", "-s", str(RAW), *args])
        assert done.exit_code == 2 and message in done.output, done.output
    with pytest.raises(Exception, match="runner"):
        build_bench(sources=[str(RAW)], runner="processes")  # type: ignore[arg-type]
    default = {d.name: d.parameters for d in deployments()}
    assert default == {"nightly": {}, "adhoc": {}, "weekly": {}}
    dask = {d.name: d.parameters for d in deployments("dask", dask_address="tcp://10.0.0.5:8786")}
    chosen = {"runner": "dask", "dask_address": "tcp://10.0.0.5:8786"}
    assert dask == {"nightly": chosen, "adhoc": chosen, "weekly": {}}  # the crawl runs no batches
