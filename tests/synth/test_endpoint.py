"""Synthesis through an endpoint: the expand role writes a query per spec, the annotate role a plan
and code per query, both against the project's OpenAI-compatible test server (real ``openai``
client, real HTTP on 127.0.0.1) with a scripted model. The server sees what the prompts hold (API
stubs, examples, theme, level; the query); unusable answers (bad JSON, schema breaks, leaks, code
that does not parse or map) are failed rows with their reason; a rerun sends no request."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RAW
from tests.support.llm_server import Fault, LLMServer
from tests.support.scripted import answer as scripted
from workflowbench import from_code
from workflowbench import warehouse as wh
from workflowbench.code.from_code import function_map
from workflowbench.llm import LLMConfig
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import run_stage
from workflowbench.stages.expand import EXPAND, ExpandSettings
from workflowbench.stages.ingest import INGEST, IngestSettings
from workflowbench.stages.specs import SPECS, SpecsSettings
from workflowbench.stages.synthesize import SYNTHESIZE, SynthesizeSettings
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings
from workflowbench.synth.specs import LEVELS
from workflowbench.warehouse.reader import ShardReader

SPEC_COUNT = 8


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeds (offline thoughts) and specs, before any synthesis."""
    target = tmp_path_factory.mktemp("seeded") / "w.duckdb"
    run_stage(INGEST, target, IngestSettings(sources=(str(RAW),)))
    run_stage(CATALOG, target, CatalogSettings())
    run_stage(THOUGHTS, target, ThoughtsSettings())
    run_stage(SPECS, target, SpecsSettings(count=SPEC_COUNT))
    return target


@pytest.fixture
def warehouse(seeded: Path, tmp_path: Path) -> Path:
    shutil.copytree(wh.parts_dir(seeded), wh.parts_dir(tmp_path / "w.duckdb"))
    return tmp_path / "w.duckdb"


def endpoint(server: LLMServer, model: str, **options: Any) -> LLMConfig:
    return LLMConfig(server.url, model, **({"timeout": 5.0, "attempts": 2, "max_wait": 0.1} | options))


def synthesize(target: Path, expand: LLMConfig | None, annotate: LLMConfig | None, **kw: Any) -> None:
    run_stage(EXPAND, target, ExpandSettings(llm=expand))
    run_stage(SYNTHESIZE, target, SynthesizeSettings(llm=annotate, expanded=expand is not None, **kw))
    wh.publish(target)


def rows(target: Path, sql: str) -> list[tuple[Any, ...]]:
    with wh.connect(target) as con:
        return con.execute(sql).fetchall()


def rows_of_specs(target: Path) -> list[tuple[Any, ...]]:
    """(spec_id, category, level, apis, examples) of every spec, read from the shards."""
    return [(i, c, lv, tuple(a), tuple(e))
            for i, c, lv, a, e in ShardReader(target).rows("specs", "spec_id, category, level, apis, examples")]


def kind(body: dict[str, Any]) -> str:
    return "annotate" if "The APIs you may use:" in body["messages"][0]["content"] else "expand"


def test_prompts_hold_the_docs_examples_theme_level_and_query(warehouse: Path) -> None:
    specs = {r[0]: r[1:] for r in rows_of_specs(warehouse)}
    with LLMServer(answer=scripted) as server:
        synthesize(warehouse, endpoint(server, "general-model"), endpoint(server, "annotator-model"))
        bodies = list(server.bodies)
    stubs = dict(rows(warehouse, "SELECT identifier, stub FROM apis"))
    seed_queries = dict(rows(warehouse, "SELECT sample_id, query FROM samples WHERE origin = 'seed'"))
    expands = [b for b in bodies if kind(b) == "expand"]
    annotates = [b for b in bodies if kind(b) == "annotate"]
    assert len(expands) == len(annotates) == SPEC_COUNT
    queries = dict(rows(warehouse, "SELECT spec_id, query FROM queries WHERE status = 'ok'"))
    assert len(queries) == SPEC_COUNT
    for body in expands:
        text = "\n".join(m["content"] for m in body["messages"])
        theme = re.search(r"^Theme: (.+)$", text, re.MULTILINE)
        assert theme is not None and body["model"] == "general-model"
        [(_, (_, level, _, examples))] = [(i, s) for i, s in specs.items() if s[0] == theme.group(1)
                                                          and all(stubs[a].strip() in text for a in s[2])]
        assert f"Difficulty: {level} ({LEVELS[level].flow})" in text
        for example in examples:  # each example's query, whole or cut at a word
            assert " ".join(seed_queries[example].split())[:80] in " ".join(text.split())
    for body in annotates:
        system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
        assert body["model"] == "annotator-model" and user in queries.values()
        [spec_id] = [i for i, q in queries.items() if q == user]
        assert all(stubs[a].strip() in system for a in specs[spec_id][2])


def test_annotated_samples_parse_map_and_keep_their_lineage(warehouse: Path) -> None:
    with LLMServer(answer=scripted) as server:
        synthesize(warehouse, endpoint(server, "general-model"), endpoint(server, "annotator-model"))
    functions = function_map(i for (i,) in rows(warehouse, "SELECT identifier FROM apis"))
    got = rows(warehouse, "SELECT s.status, s.backend, s.model, s.query, s.task_plan, s.workflow_code, s.apis, "
                          "p.apis, s.lineage, q.query, q.model, p.examples FROM samples s JOIN specs p USING (spec_id) "
                          "JOIN queries q USING (spec_id) WHERE s.origin = 'synthetic'")
    assert len(got) == SPEC_COUNT
    for status, backend, model, query, plan, code, apis, spec_apis, lineage, asked, query_model, examples in got:
        assert (status, backend, model, query, query_model) == ("ok", "openai", "annotator-model", asked,
                                                               "general-model")
        assert plan.startswith("1. **Step 1**")
        wf = from_code(code, functions=functions)
        assert [a.identifier for a in wf.actions] == list(spec_apis) == list(apis)
        assert json.loads(lineage) == {"spec": json.loads(lineage)["spec"], "examples": list(examples),
                                       "fragments": [], "query": {"backend": "openai", "model": "general-model"}}


BAD: dict[str, Callable[[dict[str, Any]], Any]] = {
    # expand
    "leak": lambda body: {"query": "Run is_workflow_actions_getbatterylevel for me and show the level."},
    # annotate
    "syntax": lambda body: {"plan": ["**Go**"], "code": "# Broken\nx = (\n"},
    "unmapped": lambda body: {"plan": ["**Go**"], "code": "# Loop forever\nwhile True:\n    pass\n"},
    "invalid-json": lambda body: "Sure! Here is your workflow.",  # prose where JSON is asked for
    "schema": lambda body: {"plan": [], "code": "# Nothing\nis_workflow_actions_exit()\n"},
}


def test_unusable_answers_are_failed_rows_with_their_reason(warehouse: Path) -> None:
    specs = sorted(rows_of_specs(warehouse))
    themes = {s[1]: s[0] for s in specs}  # the categories differ: one spec per category here
    assert len(themes) == SPEC_COUNT
    plan = dict(zip(list(themes)[:5], ["leak", "syntax", "unmapped", "invalid-json", "schema"]))

    def model(body: dict[str, Any]) -> Any:
        text = "\n".join(m["content"] for m in body["messages"])
        for theme, bad in plan.items():
            mine = f"Theme: {theme}\n" in text or f"about {theme.lower()} and" in text
            if mine and (bad == "leak") == (kind(body) == "expand"):
                return BAD[bad](body)
        return scripted(body)

    with LLMServer(answer=model, json_schema_supported=True) as server:
        server.script(Fault.malformed_json(), Fault.malformed_json(), when=lambda b: kind(b) == "annotate"
                      and f"about {list(themes)[5].lower()} and" in "\n".join(m["content"] for m in b["messages"]))
        synthesize(warehouse, endpoint(server, "m"), endpoint(server, "m"))
    by_theme = {c: (st, err) for c, st, err in rows(
        warehouse, "SELECT category, status, error FROM samples WHERE origin = 'synthetic'")}
    expand_rows = dict(((c, (st, err)) for c, st, err in rows(
        warehouse, "SELECT p.category, q.status, q.error FROM queries q JOIN specs p USING (spec_id)")))
    leak_theme = next(iter(themes))
    assert expand_rows[leak_theme][0] == "failed" and "leak" in expand_rows[leak_theme][1]
    assert "is_workflow_actions_getbatterylevel" in expand_rows[leak_theme][1]
    assert by_theme[leak_theme][0] == "failed" and by_theme[leak_theme][1].startswith("no-query: check: leak")
    for theme, reason in list(plan.items())[1:]:
        status, error = by_theme[theme]
        assert status == "failed" and error.startswith("annotate: "), (theme, error)
        assert reason in error, (reason, error)
    status, error = by_theme[list(themes)[5]]
    assert status == "failed" and "invalid-json" in error  # bad JSON twice: the answer and its repair
    assert [by_theme[t][0] for t in list(themes)[6:]] == ["ok", "ok"]
    failures = rows(warehouse, "SELECT count(*) FROM sample_failures WHERE sample_id LIKE 'synthetic-%'")
    assert failures == [(6,)]


def test_a_rerun_sends_no_request_and_adds_nothing(warehouse: Path) -> None:
    with LLMServer(answer=scripted) as server:
        synthesize(warehouse, endpoint(server, "m"), endpoint(server, "m"))
        sent = server.requests
        before = {t: rows(warehouse, f"SELECT count(*) FROM {t}") for t in ("samples", "queries", "llm_calls")}
        synthesize(warehouse, endpoint(server, "m"), endpoint(server, "m"))
        assert sent == 2 * SPEC_COUNT and server.requests == sent
    assert {t: rows(warehouse, f"SELECT count(*) FROM {t}") for t in before} == before


def test_the_thought_code_form_of_a_fine_tuned_annotator_is_read(warehouse: Path) -> None:
    def fine_tuned(body: dict[str, Any]) -> Any:
        if kind(body) == "expand":
            return scripted(body)
        assert "response_format" not in body  # a fine-tuned annotator answers in its own form
        data = scripted({**body, "response_format": {"type": "json_schema", "json_schema": {"name": "annotate"}}})
        steps = "\n".join(f"{i}. {s}" for i, s in enumerate(data["plan"], start=1))
        return f"Thought: {steps}\nCode:\n```python\n{data['code']}```"

    with LLMServer(answer=fine_tuned) as server:
        synthesize(warehouse, endpoint(server, "m"), endpoint(server, "tuned"), form="thought-code")
    got = rows(warehouse, "SELECT status, task_plan, workflow_code FROM samples WHERE origin = 'synthetic'")
    assert len(got) == SPEC_COUNT and all(st == "ok" and plan.startswith("1. **Step 1**") for st, plan, _ in got)


def test_offline_expansion_gives_the_annotator_the_recombined_workflows_queries(warehouse: Path) -> None:
    with LLMServer(answer=scripted) as server:
        synthesize(warehouse, None, endpoint(server, "annotator-model"))
        assert all(kind(b) == "annotate" for b in server.bodies)
    got = rows(warehouse, "SELECT q.backend, q.status, q.query, s.query, s.status, s.backend, q.lineage "
                          "FROM queries q JOIN samples s USING (spec_id)")
    assert len(got) == SPEC_COUNT
    for q_backend, q_status, q_query, s_query, s_status, s_backend, lineage in got:
        assert (q_backend, s_backend) == ("offline", "openai")
        assert json.loads(lineage)["written_from"] == "code"
        if q_status == "ok":
            assert s_query == q_query and s_status == "ok"
        else:
            assert s_status == "failed"


def test_offline_synthesis_writes_each_specs_query(warehouse: Path) -> None:
    synthesize(warehouse, None, None)
    got = rows(warehouse, "SELECT q.status, q.query, s.status, s.query, q.backend FROM queries q "
                          "JOIN samples s USING (spec_id)")
    assert len(got) == SPEC_COUNT
    assert all(qs == ss and qq == sq and b == "offline" for qs, qq, ss, sq, b in got)
