"""The thoughts stage: a seed sample (commented code, plan, query) for every ingested shortcut, by
the offline backend and through an OpenAI-compatible endpoint (the project's test server on
127.0.0.1 and the real openai client), with faults, recorded failures, chunking and the cache."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RAW
from tests.support.llm_server import Fault, LLMServer
from tests.support.scripted import answer
from workflowbench import warehouse as wh
from workflowbench.llm import LLMConfig
from workflowbench.stages import thoughts as stage
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import Batch, Result, finish, run_batch, run_stage
from workflowbench.stages.ingest import INGEST, IngestSettings
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings
from workflowbench.thoughts.chunks import source_lines
from workflowbench.thoughts.offline import action_lines, leaks
from workflowbench.warehouse.reader import ShardReader

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with LLMServer(answer=answer) as s:
        yield s


def ingested(tmp_path: Path, source: Path = RAW) -> Path:
    target = tmp_path / "wh.duckdb"
    run_stage(INGEST, target, IngestSettings(sources=(str(source),)))
    run_stage(CATALOG, target, CatalogSettings())
    return target


def seed_ids(target: Path) -> tuple[str, ...]:
    [batch] = THOUGHTS.plan(ShardReader(target), ThoughtsSettings())
    return batch.items


def think(target: Path, llm: LLMConfig | None = None, budget: int = stage.DEFAULT_BUDGET) -> Result:
    """The thoughts stage's one batch over every seed."""
    settings = ThoughtsSettings(llm=llm, budget=budget)
    [batch] = THOUGHTS.plan(ShardReader(target), settings)
    return run_batch(THOUGHTS, batch, target, settings)


def config(server: LLMServer, **kw: Any) -> LLMConfig:
    return LLMConfig(server.url, "test-model", **({"timeout": 3.0, "attempts": 4, "max_wait": 1.0} | kw))


def samples(target: Path) -> list[dict[str, Any]]:
    with wh.connect(target) as con:
        cur = con.execute("SELECT * FROM samples ORDER BY sample_id")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]


def check_sample(row: dict[str, Any], code: str, lines: list[int]) -> None:
    """Non-empty query and plan; the code is the transpiled code plus a comment before each action line."""
    assert row["status"] == "ok" and row["error"] is None
    assert row["query"].strip() and row["task_plan"].startswith("1. ")
    commented = row["workflow_code"]
    ast.parse(commented)  # analysed, never run
    stripped = [line for line in source_lines(commented) if not _added(line)]
    assert stripped == source_lines(code)
    out = source_lines(commented)
    i = 0
    for n, line in enumerate(source_lines(code), start=1):
        while out[i] != line:
            i += 1
        if n in lines:
            assert out[i - 1].lstrip().startswith("# "), (n, line)
        i += 1


def _added(line: str) -> bool:
    return line.lstrip().startswith("# ") and not line.lstrip().startswith("# '''")


def test_offline_writes_a_sample_for_every_seed(tmp_path: Path) -> None:
    target = ingested(tmp_path)
    seeds = seed_ids(target)
    assert len(seeds) == 17
    done = think(target)
    assert (done.count("ok"), done.count("failed"), done.calls) == (17, 0, 0)
    wh.publish(target)
    rows = samples(target)
    assert len(rows) == 17
    apis = stage.load_apis(ShardReader(target))
    by_id = {s.shortcut_id: s for s in stage.load_seeds(ShardReader(target), seeds, apis)[0]}
    for row in rows:
        seed = by_id[row["shortcut_id"]]
        check_sample(row, seed.code.code, list(action_lines(seed.code)))
        assert row["backend"] == "offline" and row["model"].startswith("offline-")
        assert row["origin"] == "seed" and row["apis"] and row["category"]
        assert leaks(row["query"], seed, apis) == []
    assert think(target).skipped  # unchanged inputs: nothing to do


def test_endpoint_fills_samples_and_a_rerun_sends_nothing(tmp_path: Path, server: LLMServer) -> None:
    target = ingested(tmp_path)
    seeds = seed_ids(target)
    cfg = config(server)
    done = think(target, cfg)
    assert done.count("ok") == 17 and done.count("failed") == 0
    sent = server.requests
    assert sent == done.calls == 17 * 3  # comments, plan, query per seed (none needs two chunks)
    wh.publish(target)
    rows = samples(target)
    seeds_by_id = {s.shortcut_id: s for s in stage.load_seeds(ShardReader(target), seeds,
                                                                       stage.load_apis(ShardReader(target)))[0]}
    for row in rows:
        seed = seeds_by_id[row["shortcut_id"]]
        check_sample(row, seed.code.code, list(action_lines(seed.code)))
        assert row["backend"] == "openai" and row["model"] == "test-model"
        assert set(json.loads(row["prompt_versions"])) == {"comments", "plan", "query"}
        assert "Explain what line" in row["workflow_code"] and "**Part 1**" in row["task_plan"]
    with wh.connect(target) as con:
        assert con.execute("SELECT count(*), count(DISTINCT fingerprint) FROM llm_calls WHERE status = 'ok'"
                           ).fetchone() == (51, 51)
    # A new shard key (a fresh warehouse view of the same inputs) still answers everything from the cache.
    for shard in wh.parts_dir(target).glob("thoughts-*"):
        import shutil
        shutil.rmtree(shard)
    again = think(target, cfg)
    assert again.count("ok") == 17 and again.calls == 0 and server.requests == sent


def test_faults_are_retried_and_repaired(tmp_path: Path, server: LLMServer) -> None:
    target = ingested(tmp_path)
    server.script(Fault.rate_limit(retry_after=0.2), Fault.server_error(500), Fault.drop(), Fault.malformed_json(),
                  Fault.schema_break(), Fault.truncated(), Fault.slow(5.0))
    done = think(target, config(server, timeout=2.0))
    assert done.count("ok") == 17 and done.count("failed") == 0
    assert server.requests == 51 + 7
    wh.publish(target)
    with wh.connect(target) as con:
        attempts, repairs = con.execute("SELECT sum(attempts), sum(repairs) FROM llm_calls").fetchone()
    assert attempts == 51 + 7 and repairs == 3  # every HTTP request, repair turns included


def test_a_persistent_failure_is_recorded_then_retried(tmp_path: Path, server: LLMServer) -> None:
    target = ingested(tmp_path)
    victim = "Shortcut: Word Count"
    # messages[3]: the request, after the system text and the worked example's two turns
    server.script(*[Fault.schema_break()] * 2, when=lambda body: victim in body["messages"][3]["content"])
    cfg = config(server)
    first = think(target, cfg)
    assert (first.count("ok"), first.count("failed")) == (16, 1)
    assert "-incomplete-" in first.key
    wh.publish(target)
    [failed] = [r for r in samples(target) if r["status"] == "failed"]
    assert failed["error"].startswith("comments: schema") and failed["query"] is None
    assert failed["workflow_code"] is None
    sent = server.requests
    second = think(target, cfg)  # retries the failure; the rest are cache hits
    assert (second.count("ok"), second.count("failed")) == (17, 0) and "-incomplete-" not in second.key
    assert server.requests - sent == 3
    finish(THOUGHTS, target, [second])
    wh.publish(target)
    assert [r["status"] for r in samples(target)] == ["ok"] * 17


def test_long_code_is_split_and_joined_in_order(tmp_path: Path, server: LLMServer) -> None:
    target = ingested(tmp_path)
    done = think(target, config(server), budget=50)
    assert done.count("ok") == 17
    wh.publish(target)
    rows = samples(target)
    assert max(r["chunks"] for r in rows) >= 3
    many = max(rows, key=lambda r: r["chunks"])
    parts = [int(p) for p in re.findall(r"\*\*Part (\d+)\*\*", many["task_plan"])]
    assert parts == list(range(1, many["chunks"] + 1))
    seed = stage.load_seeds(ShardReader(target), [many["shortcut_id"]], stage.load_apis(ShardReader(target)))[0][0]
    check_sample(many, seed.code.code, list(action_lines(seed.code)))


def test_switching_backend_replaces_samples(tmp_path: Path, server: LLMServer) -> None:
    target = ingested(tmp_path)
    online = think(target, config(server))
    finish(THOUGHTS, target, [online])
    offline = think(target)  # the same inputs by other code: its shard replaces the online one
    assert not (wh.parts_dir(target) / online.key).exists() and finish(THOUGHTS, target, [offline]) == 0
    wh.publish(target)
    assert {r["backend"] for r in samples(target)} == {"offline"}
    with wh.connect(target) as con:  # the answers stay: they are the cache
        assert con.execute("SELECT count(*) FROM llm_calls").fetchone()[0] == 51


def test_prompts_shorten_very_long_lines() -> None:
    from workflowbench.thoughts.chunks import LINE_LIMIT, numbered, shown, split, view

    blob = "x = is_workflow_actions_base64encode(WFInput='" + "QUJD" * 50_000 + "', Mode='Encode')"
    code = f"{blob}\ny = is_workflow_actions_showresult(Text=x)\n"
    chunks = split(code, [1, 2], budget_tokens=400)
    assert [c.lines for c in chunks] == [(1, 2)]  # the long line counts as shown, so both fit
    text = numbered(code, chunks[0])
    assert len(text) < 2 * LINE_LIMIT and "characters left out" in text and text.rstrip().endswith("(Text=x)")
    assert shown(blob).endswith("Mode='Encode')") and shown("short") == "short"
    assert "# note" in view(code, {2: "note"}, chunks[0])
    long_text = "t = is_workflow_actions_gettext(WFTextActionText=f\'\'\'" + "\n".join(
        f"line {i}" for i in range(5000)) + "\'\'\')\nis_workflow_actions_showresult(Text=t)\n"
    [piece] = split(long_text, [1, 5001], budget_tokens=400)
    shown_text = numbered(long_text, piece)
    assert "4,979 more lines of the same text left out" in shown_text and len(shown_text) < 2000
    assert shown_text.splitlines()[-1].endswith("showresult(Text=t)") and "line 4999" in shown_text
    assert "# last" in view(long_text, {5001: "last"}, piece)


def test_overlapping_runs_keep_the_union_and_failures_never_hide_good_samples(tmp_path: Path,
                                                                              server: LLMServer) -> None:
    target = ingested(tmp_path)
    first = think(target)  # offline, every seed
    everyone = seed_ids(target)
    # Another run planned before this one's seeds were all there: it covers only some of them.
    settings = ThoughtsSettings()
    [batch] = THOUGHTS.plan(ShardReader(target), settings)
    few = Batch((*batch.inputs[:5], batch.inputs[-1]), batch.items[:5])
    other = run_batch(THOUGHTS, few, target, settings)
    assert finish(THOUGHTS, target, [other]) == 0  # the first run's shard holds samples it lacks
    wh.publish(target)
    assert len(samples(target)) == len(everyone) == 17
    # A run whose every call fails records its failures but retires nothing and hides no ok sample.
    server.script(*[Fault.server_error(500)] * 200)
    failed = think(target, config(server, attempts=1, repairs=0))
    assert failed.count("failed") == 17 and "-incomplete-" in failed.key
    assert finish(THOUGHTS, target, [failed]) == 0
    wh.publish(target)
    assert {(r["status"], r["backend"]) for r in samples(target)} == {("ok", "offline")}
    with wh.connect(target) as con:  # and the failures are recorded beside them
        beside = con.execute("SELECT count(DISTINCT sample_id), min(f.error), max(f.model) FROM sample_failures f "
                             "JOIN samples USING (sample_id) WHERE samples.status = 'ok'").fetchone()
    assert beside[0] == 17 and beside[1].startswith("comments: http") and beside[2] == "test-model", beside
    # A run that covers them all retires what it covers.
    again = think(target)
    assert again.skipped and again.key == first.key
    # the failed run's shard held the same inputs: the rerun superseded it; the partial run's is covered
    assert finish(THOUGHTS, target, [again]) == 1
    assert sorted(p.name for p in wh.parts_dir(target).glob("thoughts-*")) == [first.key]


def test_prompts_and_samples_carry_the_training_view_not_the_blobs(tmp_path: Path, server: LLMServer) -> None:
    import base64
    import plistlib

    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64
    blob = base64.b64encode(png).decode()
    wf = {"WFWorkflowActions": [
        {"WFWorkflowActionIdentifier": "is.workflow.actions.gettext",
         "WFWorkflowActionParameters": {"UUID": "A", "WFTextActionText": blob}},
        {"WFWorkflowActionIdentifier": "is.workflow.actions.base64encode",
         "WFWorkflowActionParameters": {"UUID": "B", "WFEncodeMode": "Decode", "WFInput": {
             "WFSerializationType": "WFTextTokenAttachment",
             "Value": {"Type": "ActionOutput", "OutputUUID": "A", "OutputName": "Text"}}}},
        {"WFWorkflowActionIdentifier": "is.workflow.actions.setwallpaper",
         "WFWorkflowActionParameters": {"WFInput": png}},
    ], "WFWorkflowClientVersion": "2302.0.4"}
    source = tmp_path / "in"
    source.mkdir()
    (source / "Wallpaper.shortcut").write_bytes(plistlib.dumps(wf, fmt=plistlib.FMT_BINARY))
    target = ingested(tmp_path, source)
    done = think(target, config(server))
    assert done.count("ok") == 1
    prompts = json.dumps(server.bodies)
    assert blob[:200] not in prompts and "<base64 PNG image, 16 KB>" in prompts
    wh.publish(target)
    [row] = samples(target)
    assert blob[:200] not in row["workflow_code"] and "'<PNG image, 16 KB>'" in row["workflow_code"]
    with wh.connect(target) as con:
        held = con.execute("SELECT position, path, kind, size FROM placeholders ORDER BY position").fetchall()
        lossless = con.execute("SELECT code FROM code").fetchone()[0]
    assert held == [(0, "WFTextActionText", "base64 PNG image", len(png)), (2, "WFInput", "PNG image", len(png))]
    assert blob in lossless  # the code table stays lossless


def test_an_offline_query_follows_the_mode_of_an_action(tmp_path: Path) -> None:
    from workflowbench.shortcut.model import Action, Workflow
    from workflowbench.thoughts.base import Seed
    from workflowbench.thoughts.offline import think as offline

    def query(mode: str) -> str:
        wf = Workflow(actions=[Action("is.workflow.actions.getclipboard", {"UUID": "A"}),
                               Action("is.workflow.actions.base64encode", {"WFEncodeMode": mode}),
                               Action("is.workflow.actions.showresult", {})])
        view = stage.training_view(wf)
        return offline(Seed("s" + mode, "", view.workflow, view.code), {}).query

    assert "decode Base64 data" in query("Decode") and "encode data as Base64" in query("Encode")
    assert "encode data" not in query("Decode")


def test_every_thoughts_prompt_carries_one_worked_example(tmp_path: Path, server: LLMServer) -> None:
    import jsonschema

    from workflowbench.llm.prompts import load
    from workflowbench.thoughts.llm_backend import PROMPTS
    from workflowbench.thoughts.query import human_title

    for name in PROMPTS:
        prompt = load(name)
        assert prompt.example is not None, name
        _, answer_text = prompt.example
        jsonschema.validate(json.loads(answer_text), prompt.schema)
        roles = [m["role"] for m in prompt.messages(**dict.fromkeys(re.findall(r"\$(\w+)", prompt.user), "x"))]
        assert roles == ["system", "user", "assistant", "user"]
    comments = json.loads(load("comments").example[1])["comments"]  # type: ignore[index]
    wanted = re.search(r"these lines: ([\d, ]+)\.", load("comments").example[0])  # type: ignore[index]
    assert wanted and [c["line"] for c in comments] == [int(n) for n in wanted[1].split(",")]
    query = json.loads(load("query").example[1])["query"]  # type: ignore[index]
    assert human_title("Currency Converter").lower() not in query.lower()
    target = ingested(tmp_path)
    think(target, config(server))
    assert server.bodies and all(len(b["messages"]) == 4 for b in server.bodies)
