"""Crashes and overlaps of whole builds.

``kill -9`` on a ``workflowbench build`` (real processes, the process group) at six instants:
inside an ingest shard write, between batches, in the catalog stage, mid-thoughts and
mid-annotate with an endpoint, and inside publish. After each kill a rerun completes and its warehouse equals an
uninterrupted build's, table by table: no row lost, none twice. No temporary file is left, the test
server saw no call asked for again beyond the requests in flight at the kill, and the killed run is
marked Crashed in Prefect instead of staying RUNNING.

Two builds of different sources that overlap on one warehouse end with every sample of both.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

from flows.crashed import PREFIX
from tests.conftest import RAW, ROOT
from tests.support.llm_server import LLMServer
from tests.support.scripted import answer
from workflowbench.checks.rules import RULES
from workflowbench.pause import AT, FILE
from workflowbench.warehouse import connect, parts_dir
from workflowbench.warehouse.compare import VOLATILE, compare
from workflowbench.warehouse.shards import STATE

pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]
CONCURRENCY = 4
MADE = 17 * 3 + 28 * 3  # seeds x (comments, plan, query) + specs x (expand, annotate, refine); then a judge
# call and a steps call per sample no earlier gate dropped
MOMENTS = {  # what the test calls the instant -> the pause point the build stops at
    "ingest-shard-write": "shard-write:ingest@2",
    "between-batches": "batch-done:ingest@2",
    "catalog-stage": "batch-run:catalog",
    "mid-thoughts": "llm-answer:thoughts@20",
    "mid-annotate": "llm-answer:synthesize@10",
    "publish": "publish",
}
LEAVES = {"ingest-shard-write": ".tmp-ingest-", "mid-thoughts": ".llm-journal-", "mid-annotate": ".llm-journal-",
          "publish": ".w.duckdb."}
# Besides when a row was written: which call it was and how long it took differ on every build, and
# each build has an LLM server of its own (another port in base_url).
IGNORE = VOLATILE | {"call_id", "latency_ms", "base_url"}
WORKFLOWBENCH = str(Path(sys.executable).with_name("workflowbench"))


@pytest.fixture(scope="module")
def world(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A Prefect API (the real test harness, tests/flows/conftest.py) for the builds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "OPENAI_", "WORKFLOWBENCH_"))}
    return env | {"PREFECT_API_URL": prefect_api, "OPENAI_API_KEY": "test-key",
                  "PREFECT_HOME": str(tmp_path_factory.mktemp("prefect-home"))}


def command(server: LLMServer, warehouse: Path) -> list[str]:
    return [WORKFLOWBENCH, "build", "-s", str(RAW), "-w", str(warehouse), "--batch-size", "5",
            "--llm-base-url", server.url, "--model", "test-model", "--llm-concurrency", str(CONCURRENCY),
            "--set", "thoughts.batch_size=6"]


def strays(warehouse: Path) -> list[str]:
    """Temporary files: hidden entries of the shard folder, staging files beside the warehouse."""
    parts = parts_dir(warehouse)
    hidden = [p.name for p in parts.iterdir() if p.name.startswith(".") and p.name not in STATE] \
        if parts.is_dir() else []
    hidden += [f"{d}/{p.name}" for d in STATE if (parts / d).is_dir() for p in (parts / d).iterdir()
               if p.name.startswith(".")]  # the build's state folders hold no temporary file either
    return hidden + [p.name for p in warehouse.parent.iterdir() if p.name.startswith(f".{warehouse.name}.")]


@dataclass
class Killed:
    warehouse: Path
    server: LLMServer
    pid: int = 0
    sent_before_kill: int = 0
    left: list[str] = field(default_factory=list)  # temporary files the kill left
    rerun: int = -1  # the rerun's exit status
    log: str = ""


@pytest.fixture(scope="module")
def killed(world: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Killed]]]:
    """An uninterrupted build and one build killed at each moment, then rerun; the builds run side
    by side (each its own warehouse and LLM server, so repeated calls are counted per build)."""
    with ExitStack() as stack:
        servers = {m: stack.enter_context(LLMServer(answer=answer, latency=0.02)) for m in [*MOMENTS, "base"]}
        base = tmp_path_factory.mktemp("uninterrupted") / "w.duckdb"
        uninterrupted = subprocess.Popen(command(servers["base"], base), cwd=ROOT, env=world,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        runs, children, reruns = {}, {}, {}
        for moment, point in MOMENTS.items():
            run = runs[moment] = Killed(tmp_path_factory.mktemp(moment) / "w.duckdb", servers[moment])
            marker = run.warehouse.with_name("paused")
            children[moment] = subprocess.Popen(
                command(run.server, run.warehouse), cwd=ROOT, env=world | {AT: point, FILE: str(marker)},
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
        while children:  # each child pauses at its moment or exits; a hang is the test timeout's
            for moment, child in list(children.items()):
                run = runs[moment]
                marker = run.warehouse.with_name("paused")
                if marker.exists():  # paused at its moment: kill the whole group there
                    os.killpg(child.pid, signal.SIGKILL)
                    child.communicate()
                    run.pid, run.sent_before_kill, run.left = child.pid, run.server.requests, strays(run.warehouse)
                    del children[moment]
                    # the rerun starts as soon as its build is dead, while the others go on to their moments
                    reruns[moment] = subprocess.Popen(command(run.server, run.warehouse), cwd=ROOT, env=world,
                                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                elif child.poll() is not None:
                    raise AssertionError(f"{moment}: the build never reached {MOMENTS[moment]}: "
                                         f"{child.communicate()[1][-3000:]}")
            time.sleep(0.02)
        for moment, child in reruns.items():
            runs[moment].log = child.communicate(timeout=600)[1]
            runs[moment].rerun = child.returncode
        assert uninterrupted.wait(timeout=600) == 0, uninterrupted.communicate()[1][-3000:]
        with connect(base) as con:
            judged = con.execute("SELECT count(*) FROM verdicts WHERE gate = 'judge'").fetchone()[0]
            stepped = con.execute("SELECT count(DISTINCT sample_id) FROM step_labels WHERE source = 'judge'"
                                  ).fetchone()[0]
        assert 0 < stepped <= judged <= 17 + 28 and servers["base"].requests == MADE + judged + stepped
        yield base, runs


def base_calls(base: Path) -> int:
    """The calls an uninterrupted build makes (each answered once)."""
    with connect(base) as con:
        return int(con.execute("SELECT count(*) FROM llm_calls").fetchone()[0])


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_a_rerun_after_a_kill_equals_an_uninterrupted_build(
        moment: str, killed: tuple[Path, dict[str, Killed]]) -> None:
    base, runs = killed
    run = runs[moment]
    assert run.rerun == 0, run.log[-3000:]
    if moment in LEAVES:  # what the kill left for the rerun to clear
        assert any(name.startswith(LEAVES[moment]) for name in run.left), run.left
    sent, repeated = run.server.requests, run.server.repeated()
    diffs = compare(base, run.warehouse, ignore=IGNORE)
    lost, doubled = sum(d.only_left for d in diffs), sum(d.only_right for d in diffs)
    rows = sum(d.left for d in diffs)
    print(f"\n{moment}: killed after {run.sent_before_kill} LLM requests; {sent} in all, {repeated} repeated; "
          f"{rows} rows in {len(diffs)} tables, {lost} lost, {doubled} extra; the kill left {len(run.left)} "
          f"temporary files, the rerun {len(strays(run.warehouse))}")
    assert [d for d in diffs if not d.same] == []
    assert (lost, doubled) == (0, 0) and rows > 0
    assert strays(run.warehouse) == []
    assert repeated <= CONCURRENCY and sent - repeated == base_calls(base)
    if moment.startswith("mid-"):
        assert 0 < run.sent_before_kill < base_calls(base)
    with get_client(sync_client=True) as client:
        [flow_run] = client.read_flow_runs(flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(
            all_=[f"{PREFIX}{socket.gethostname()}-{run.pid}"])))
    assert flow_run.state is not None and flow_run.state.type.value == "CRASHED", flow_run.state


def halves(tmp_path: Path) -> tuple[Path, Path]:
    """The example shortcuts split into two source folders."""
    files = sorted(RAW.glob("*.shortcut"))
    out = []
    for i, part in enumerate((files[::2], files[1::2])):
        folder = tmp_path / f"source-{i}"
        folder.mkdir()
        for f in part:
            (folder / f.name).write_bytes(f.read_bytes())
        out.append(folder)
    return out[0], out[1]


def offline(source: Path, warehouse: Path) -> list[str]:
    return [WORKFLOWBENCH, "build", "-s", str(source), "-w", str(warehouse), "--batch-size", "3"]


def published(warehouse: Path) -> dict[str, int]:
    with connect(warehouse) as con:
        return dict(con.execute(
            "SELECT 'shortcuts', count(*) FROM shortcuts UNION ALL "
            "SELECT 'ok samples', count(*) FROM samples WHERE status = 'ok' AND origin = 'seed' UNION ALL "
            "SELECT 'verdicts', count(*) FROM verdicts v JOIN samples s USING (sample_id) WHERE s.origin = 'seed' "
            "AND v.gate NOT IN ('dedup', 'judge') UNION ALL "  # those two skip what an earlier gate dropped
            "SELECT 'judged', count(*) FROM verdicts v JOIN samples s USING (sample_id) WHERE s.origin = 'seed' "
            "AND v.gate = 'judge' AND v.reason = 'offline' UNION ALL "
            "SELECT 'seeds without a sample', count(*) FROM code c ANTI JOIN samples s "
            "ON s.shortcut_id = c.shortcut_id AND s.status = 'ok' WHERE c.status = 'ok'").fetchall())


@pytest.mark.parametrize("overlap", ["free", "thoughts-written"])
def test_two_overlapping_builds_with_different_sources_keep_every_sample(
        overlap: str, world: dict[str, str], tmp_path: Path) -> None:
    """``free``: both start at once. ``thoughts-written``: the first build stops with its thoughts
    shard written (its seeds: its own source only) before its retention ran, the second runs from
    start to end (its seeds: both sources), then the first goes on."""
    env = world
    first, second = halves(tmp_path)
    target = tmp_path / "w.duckdb"
    marker = tmp_path / "paused"
    point = {"thoughts-written": "batch-done:thoughts"}.get(overlap)
    a = subprocess.Popen(offline(first, target), cwd=ROOT, env=env | ({AT: point, FILE: str(marker)} if point else {}),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if point:
        while not marker.exists() and a.poll() is None:  # a hang is the test timeout's
            time.sleep(0.02)
        assert marker.exists(), a.communicate()[1][-3000:]
    b = subprocess.run(offline(second, target), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert b.returncode == 0, b.stderr[-3000:]
    if point:
        marker.with_name(marker.name + ".go").touch()
    assert a.wait(timeout=600) == 0, a.communicate()[1][-3000:]
    counts = published(target)
    print(f"\n{overlap}: {counts}")
    gates = 1 + len(RULES)  # min-actions and each static rule
    with connect(target) as con:
        dropped = seeds(con, "v.verdict = 'drop' AND v.gate <> 'judge'")
        judged = seeds(con, "v.gate = 'judge' AND v.reason = 'offline'")
        by_dedup = seeds(con, "v.verdict = 'drop' AND v.gate = 'dedup'")
        everyone = seeds(con, "true")
    assert {k: v for k, v in counts.items() if k != "judged"} == {
        "shortcuts": 17, "ok samples": 17, "verdicts": 17 * gates, "seeds without a sample": 0}
    assert 0 < len(dropped) < 17
    # Every seed no gate dropped is judged. A seed is judged only while it survives the gates before
    # the judge: one build may judge a seed before the other build's seed makes it a duplicate (that
    # verdict stays, as an answered call would), never one a static gate dropped.
    assert everyone - dropped <= judged <= (everyone - dropped) | by_dedup


def test_a_build_judges_no_sample_its_static_gates_have_not_seen(world: dict[str, str], tmp_path: Path) -> None:
    """The first build stops with its rules shard written; the second (whose source holds a seed a
    static rule drops) runs until its min-actions batch is computed: its seeds are written, and no
    static gate has decided about them. The first build then goes on through dedup and the judge to
    its end, and the second after it. The judge of the first build must leave alone the seeds its
    static gates never saw: judged, a seed a static rule drops once the second build's gates run
    would be a judged dropped sample (with an endpoint, a call wasted on it)."""
    first, second = halves(tmp_path)
    target = tmp_path / "w.duckdb"
    builds = []
    for source, point in ((first, "batch-done:rules"), (second, "batch-run:min-actions")):
        marker, log = tmp_path / f"paused-{source.name}", tmp_path / f"{source.name}.log"
        with log.open("w") as err:  # the child keeps its own copy of the file descriptor
            proc = subprocess.Popen(offline(source, target), cwd=ROOT, env=world | {AT: point, FILE: str(marker)},
                                    stdout=subprocess.DEVNULL, stderr=err, text=True)
        while not marker.exists() and proc.poll() is None:  # a hang is the test timeout's
            time.sleep(0.02)
        assert marker.exists(), log.read_text()[-3000:]
        builds.append((proc, marker, log))
    for proc, marker, log in builds:  # the first build to its end, then the second
        marker.with_name(marker.name + ".go").touch()
        assert proc.wait(timeout=600) == 0, log.read_text()[-3000:]
    static = ", ".join(f"'{g}'" for g in ("min-actions", *RULES))
    with connect(target) as con:
        by_static = seeds(con, f"v.verdict = 'drop' AND v.gate IN ({static})")
        dropped = seeds(con, "v.verdict = 'drop' AND v.gate <> 'judge'")
        judged = seeds(con, "v.gate = 'judge'")
        everyone = seeds(con, "true")
    assert len(everyone) == 17 and by_static  # the second source's 'Running Late' breaks a rule
    assert not judged & by_static
    assert everyone - dropped <= judged


def seeds(con: Any, where: str) -> set[str]:
    """Ids of the seed samples with a verdict (``v``) that meets ``where``."""
    return {r[0] for r in con.execute("SELECT DISTINCT v.sample_id FROM verdicts v JOIN samples s "
                                      f"USING (sample_id) WHERE s.origin = 'seed' AND {where}").fetchall()}
