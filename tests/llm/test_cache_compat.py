"""Answers cached by an earlier build still answer every request: the cache fingerprints depend on
what shapes an answer (prompts, what they show, model, sampling), never on module paths or on how
the code is laid out.

``tests/data/llm_calls_recorded.parquet`` holds the ``llm_calls`` rows a build of raw_shortcuts/
wrote through the test server with the scripted answers of ``tests.support.scripted``, model
``test-model`` and default sampling (first written before the package was split into layers, and
written again when the prompts gained worked examples and the training view, and when the example
became raw_shortcuts/Battery Saver). A deliberate change
to a prompt or to what a prompt shows changes the fingerprints; then this test fails and the file
is written again with ``python -m tests.llm.test_cache_compat``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb

from tests.conftest import RAW, ROOT
from tests.support.llm_server import LLMServer
from tests.support.scripted import answer
from workflowbench import warehouse as wh
from workflowbench.llm import LLMConfig
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import run_stage
from workflowbench.stages.ingest import INGEST, IngestSettings
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings
from workflowbench.thoughts.llm_backend import prompt_versions

BEFORE = ROOT / "tests" / "data" / "llm_calls_recorded.parquet"


def test_an_endpoint_rebuild_of_an_old_warehouse_sends_nothing(tmp_path: Path) -> None:
    recorded = duckdb.sql(f"SELECT DISTINCT prompt_version FROM '{BEFORE}' ORDER BY 1").fetchall()
    assert sorted(v for (v,) in recorded) == sorted(prompt_versions().values()), (
        "the prompts changed since the cached answers were recorded; see the module docstring")
    target = tmp_path / "old.duckdb"
    (wh.parts_dir(target) / "llm-0123456789abcdef0123456789abcdef").mkdir(parents=True)
    shutil.copy(BEFORE, wh.parts_dir(target) / "llm-0123456789abcdef0123456789abcdef" / "llm_calls.parquet")
    run_stage(INGEST, target, IngestSettings(sources=(str(RAW),)))
    run_stage(CATALOG, target, CatalogSettings())
    with LLMServer(answer=answer) as server:
        [done] = run_stage(THOUGHTS, target, ThoughtsSettings(llm=LLMConfig(server.url, "test-model")))
        assert server.requests == 0
    assert done.count("ok") == len(list(RAW.glob("*.shortcut"))) == 17 and done.calls == 0
    wh.publish(target)
    with wh.connect(target) as con:
        rows = con.execute("SELECT status, prompt_versions FROM samples").fetchall()
    assert {s for s, _ in rows} == {"ok"} and all(set(json.loads(v)) == {"comments", "plan", "query"} for _, v in rows)


def record(target: Path) -> None:
    """Build raw_shortcuts/ through the scripted test server and write its calls as the recording."""
    run_stage(INGEST, target, IngestSettings(sources=(str(RAW),)))
    run_stage(CATALOG, target, CatalogSettings())
    with LLMServer(answer=answer) as server:
        run_stage(THOUGHTS, target, ThoughtsSettings(llm=LLMConfig(server.url, "test-model")))
    wh.publish(target)
    with wh.connect(target) as con:
        table = con.sql("SELECT * FROM llm_calls ORDER BY fingerprint").to_arrow_table()
    import pyarrow.parquet as pq

    pq.write_table(table, BEFORE)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        record(Path(tmp) / "w.duckdb")
    print(f"wrote {BEFORE}")
