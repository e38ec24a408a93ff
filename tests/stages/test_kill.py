"""``kill -9`` in the middle of the thoughts stage with an endpoint: the answers that came back are
not asked for again; at most the requests in flight at the kill are repeated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import RAW, ROOT
from tests.support.llm_server import LLMServer
from tests.support.scripted import answer
from workflowbench import warehouse as wh
from workflowbench.llm import LLMConfig
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import run_stage
from workflowbench.stages.ingest import INGEST, IngestSettings
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings

pytestmark = pytest.mark.timeout(180)
CONCURRENCY = 4
CHILD = """
import sys
from workflowbench.llm import LLMConfig
from workflowbench.stages.contract import run_stage
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings
config = LLMConfig(sys.argv[2], "test-model", concurrency=int(sys.argv[3]))
run_stage(THOUGHTS, sys.argv[1], ThoughtsSettings(llm=config))
"""


def test_a_kill_mid_thoughts_repeats_at_most_the_calls_in_flight(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    run_stage(INGEST, target, IngestSettings(sources=(str(RAW),)))
    run_stage(CATALOG, target, CatalogSettings())
    with LLMServer(answer=answer, latency=0.1) as server:
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(target), server.url, str(CONCURRENCY)],
                                 cwd=ROOT, start_new_session=True)
        deadline = time.monotonic() + 120  # a guard against a hang, not a measure
        while server.requests < 25 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        sent_before = server.requests
        assert 25 <= sent_before < 51, "the kill came in the middle of the stage"
        [done] = run_stage(THOUGHTS, target, ThoughtsSettings(llm=LLMConfig(server.url, "test-model",
                                                                              concurrency=CONCURRENCY)))
        repeated = sent_before + done.calls - 51  # 17 seeds x (comments, plan, query)
    print(f"\nkilled after {sent_before} requests; the rerun sent {done.calls}, repeating {repeated}")
    assert done.count("ok") == 17 and 0 <= repeated <= CONCURRENCY
    wh.publish(target)  # turns the killed run's journal into a shard
    assert not [p for p in wh.parts_dir(target).iterdir() if p.name.startswith(".")]
    with wh.connect(target) as con:
        ok = con.execute("SELECT count(DISTINCT fingerprint) FROM llm_calls WHERE status = 'ok'").fetchone()[0]
    assert ok == 51
