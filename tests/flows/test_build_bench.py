"""The build-bench flow under Prefect's real test harness (a temporary API and database)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort
from typer.testing import CliRunner

from flows.build_bench import build_bench
from flows.crawl_routinehub import DEFAULT_FOLDER as CRAWL_FOLDER
from flows.crawl_routinehub import CrawlFailed, crawl_routinehub
from flows.serve import NIGHTLY_CRON, WEEKLY_CRON, deployments
from tests.conftest import RAW
from tests.support.shortcuts import write_mixed_folder
from tests.support.sites import FakeSites, fake_shortcuts
from workflowbench import read_shortcut, transpile
from workflowbench import warehouse as wh
from workflowbench.catalog.categories import site_category
from workflowbench.cli import app
from workflowbench.crawl.http import Politeness
from workflowbench.stages import transpile as stage
from workflowbench.stages.ingest import DEFAULT_SOURCES


@pytest.fixture(autouse=True)
def harness(prefect_api: str) -> None:
    """Every test here runs its flows against the package's Prefect API (tests/flows/conftest.py)."""


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
    assert result["code"] == {"ok": expect["shortcuts"], "failed": 0}

    markdown = report()  # this run's: the API is shared with the other flow tests' runs
    assert "## Files by container format" in markdown and "| bplist | 2 |" in markdown and "| json | 1 |" in markdown
    assert f"**{expect['shortcuts']:,} shortcuts**" in markdown and "| encrypted | 1 |" in markdown
    assert "## Transpile stage" in markdown and f"| ok | {expect['shortcuts']} |" in markdown

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


def test_deployments_are_nightly_and_adhoc_and_a_weekly_crawl() -> None:
    deps = {d.name: d for d in deployments()}
    assert set(deps) == {"nightly", "adhoc", "weekly"}
    assert deps["nightly"].schedules and deps["nightly"].schedules[0].schedule.cron == NIGHTLY_CRON
    assert not deps["adhoc"].schedules
    assert deps["weekly"].flow_name == "crawl-routinehub" and deps["weekly"].schedules[0].schedule.cron == WEEKLY_CRON
    assert Path(CRAWL_FOLDER).parent == Path(DEFAULT_SOURCES[0])  # the crawl writes inside the build's source


def test_the_crawl_flow_feeds_build_bench(tmp_path: Path) -> None:
    """crawl-routinehub against the fake RoutineHub and iCloud (127.0.0.1), then build-bench on its folder:
    the files come in with their metadata, and the RoutineHub category is the shortcuts' category."""
    raw = tmp_path / "raw_shortcuts"
    chosen = fake_shortcuts([(p.stem, p.read_bytes()) for p in sorted(RAW.glob("*.shortcut"))[:4]])
    with FakeSites(chosen) as sites:
        # no back-off between the tries of the failing request (tests/crawl/test_http.py tests the waits)
        where = {"to": str(raw / "routinehub"), "politeness": Politeness(delay=0, jitter=0, backoff=0),
                 "routinehub_url": sites.routinehub_url, "icloud_url": sites.icloud_url,
                 "content_hosts": [sites.content_host]}
        first = crawl_routinehub(**where)
        sites.fault("api", chosen[0].sid, "503", times=None)
        with pytest.raises(CrawlFailed, match="every shortcut"):
            crawl_routinehub(**where, ids=f"{chosen[0].sid}-{chosen[0].sid}", refresh=True)
    assert (first["new"], first["failed"], first["listed"]) == (4, 0, 4)
    with get_client(sync_client=True) as client:
        reports = [str(a.data) for a in client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["crawl-routinehub-report"])))]
    assert any("# Crawl of routinehub" in r and "| new | 4 |" in r for r in reports)
    assert any("| failed | 1 |" in r and "| http-503 | 1 |" in r for r in reports)

    target = tmp_path / "w.duckdb"
    result = build_bench(sources=[str(raw)], warehouse=str(target))
    assert result["shortcuts"] == 4 and result["rejects"] == {}
    with wh.connect(target) as con:
        rows = con.execute("SELECT s.name, m.title, c.category, c.rule FROM shortcut_metadata m JOIN shortcuts s "
                           "ON s.id = m.shortcut_id JOIN shortcut_categories c USING (shortcut_id) ORDER BY 2"
                           ).fetchall()
    assert rows == sorted((s.name, s.title, site_category(s.category), "routinehub") for s in chosen)


def report() -> str:
    """The latest run's report artifact."""
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["build-bench-report"])),
            sort=ArtifactSort.CREATED_DESC, limit=1)
    return artifacts[0].data


def test_build_command_fills_the_code_table(tmp_path: Path) -> None:
    target = tmp_path / "raw.duckdb"
    result = CliRunner().invoke(app, ["build", "-s", str(RAW), "-w", str(target), "--batch-size", "5"])
    assert result.exit_code == 0, result.output
    committed = sorted(RAW.glob("*.shortcut"))
    assert json.loads(result.stdout)["code"] == {"ok": len(committed), "failed": 0}
    with wh.connect(target) as con:
        rows = con.execute("SELECT s.source_path, s.action_count, c.status, c.code, c.names, c.lines, c.general, "
                           "c.line_count, c.transpiler_version FROM shortcuts s JOIN code c ON c.shortcut_id = s.id "
                           "ORDER BY 1").fetchall()
        assert con.execute("SELECT count(*) FROM code").fetchone() == (len(committed),)
        assert con.execute("SELECT count(*) FROM rejects").fetchone() == (0,)
    assert [Path(r[0]) for r in rows] == committed
    for path, action_count, status, code, names, lines, general, line_count, version in rows:
        assert status == "ok" and version == stage.TRANSPILER_VERSION
        ast.parse(code)
        expected = transpile(read_shortcut(path))
        assert code == expected.code and general == expected.general and line_count == len(code.splitlines())
        assert json.loads(names) == expected.names
        assert sorted(i for _, i in json.loads(lines)) == list(range(action_count))
    assert f"| ok | {len(committed)} |" in report() and "| failed | 0 |" in report()

    again = CliRunner().invoke(app, ["build", "-s", str(RAW), "-w", str(target), "--batch-size", "5"])
    assert again.exit_code == 0 and json.loads(again.stdout)["skipped"] == 4
    with wh.connect(target) as con:
        assert con.execute("SELECT count(*), count(DISTINCT shortcut_id) FROM code").fetchone() == (
            len(committed), len(committed))


def test_flow_reports_transpile_failures_and_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_mixed_folder(tmp_path / "in")

    def fake(wf):  # failure injection for one shortcut
        if wf.name == "long":
            raise RuntimeError("injected")
        return transpile(wf)

    monkeypatch.setattr(stage, "transpile", fake)
    result = build_bench(sources=[str(tmp_path / "in")], warehouse=str(tmp_path / "w.duckdb"), batch_size=3)
    assert result["code"] == {"ok": 2, "failed": 1} and result["shortcuts"] == 3
    assert result["rejects"]["transpile-error"] == 1 and result["rejects"]["encrypted"] == 1
    markdown = report()
    assert "| failed | 1 |" in markdown and "### Transpile failures by reason" in markdown
    assert "| transpile-error | 1 |" in markdown


def test_build_writes_seed_samples_offline_then_through_an_endpoint(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.llm_server import LLMServer
    from tests.support.scripted import answer

    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    target = tmp_path / "s.duckdb"
    offline = CliRunner().invoke(app, ["build", "-s", str(RAW), "-w", str(target)])
    assert offline.exit_code == 0, offline.output
    seeds = len(list(RAW.glob("*.shortcut")))
    assert json.loads(offline.stdout)["samples"] == {"ok": seeds}
    assert "## Thoughts stage (samples)" in report() and f"| ok | {seeds} |" in report()
    with wh.connect(target) as con:
        assert con.execute("SELECT count(*) FROM samples WHERE backend = 'offline' AND status = 'ok' AND "
                           "origin = 'seed' AND length(query) > 0 AND length(task_plan) > 0 AND "
                           "workflow_code LIKE '%# %'").fetchone() == (seeds,)
        specs = con.execute("SELECT count(*) FROM specs").fetchone()[0]
        assert con.execute("SELECT count(*) FROM samples WHERE origin = 'synthetic' AND status = 'ok'"
                           ).fetchone() == (specs,) == (28,)  # the default: one spec per category
    assert json.loads(offline.stdout)["synthetic"] == {"ok": 28}
    assert "## Synthesize stage" in report() and "## Specs stage" in report() and "## Expand stage" in report()
    assert "| offline | offline-synth-" in report()  # the queries the offline annotator wrote

    with LLMServer(answer=answer) as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-flow-secret")
        args = ["build", "-s", str(RAW), "-w", str(target), "--llm-base-url", server.url, "--model", "test-model",
                "--llm-concurrency", "8", "--price-in", "0.5", "--price-out", "1.5"]
        online = CliRunner().invoke(app, args)
        assert online.exit_code == 0, online.output
        assert json.loads(online.stdout)["samples"] == {"ok": seeds}
        assert json.loads(online.stdout)["synthetic"] == {"ok": 28}
        sent = server.requests
        with wh.connect(target) as con:
            judged = con.execute("SELECT count(*) FROM verdicts WHERE gate = 'judge' AND verdict = 'keep'"
                                 ).fetchone()[0]
            stepped = con.execute("SELECT count(DISTINCT sample_id) FROM step_labels WHERE source = 'judge'"
                                  ).fetchone()[0]
        # comments, plan, query per seed; expand, annotate, refine per spec; a judge call and a steps call per
        # sample no gate dropped (steps: when its code's lines match its actions)
        assert judged > 0 and 0 < stepped <= judged and sent == 3 * seeds + 3 * 28 + judged + stepped
        rerun = CliRunner().invoke(app, args)
        assert rerun.exit_code == 0 and server.requests == sent  # the rerun sends nothing
    with wh.connect(target) as con:
        assert con.execute("SELECT origin, count(*) FROM samples WHERE backend = 'openai' AND model = 'test-model' "
                           "AND status = 'ok' GROUP BY 1 ORDER BY 1").fetchall() == [("seed", seeds), ("synthetic", 28)]
        assert con.execute("SELECT count(*) FROM queries q JOIN samples s USING (spec_id) WHERE q.status = 'ok' "
                           "AND q.backend = 'openai' AND s.query = q.query").fetchone() == (28,)
        calls, cost = con.execute("SELECT count(*), sum(cost) FROM llm_calls").fetchone()
    assert calls == sent and cost > 0
    assert "sk-flow-secret" not in target.read_bytes().decode("latin-1")
    assert "| openai | test-model | ok |" in report()


def test_a_role_has_its_own_endpoint_model_options_and_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.llm_server import LLMServer
    from tests.support.scripted import answer

    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-main-secret")
    monkeypatch.setenv("WORKFLOWBENCH_THOUGHTS_API_KEY", "sk-role-secret")
    target = tmp_path / "r.duckdb"
    seeds = len(list(RAW.glob("*.shortcut")))
    with LLMServer(answer=answer) as server:
        args = ["build", "-s", str(RAW), "-w", str(target), "--role", f"thoughts.base_url={server.url}",
                "--role", "thoughts.model=role-model", "--role", "thoughts.concurrency=2"]
        done = CliRunner().invoke(app, args)
        assert done.exit_code == 0, done.output
        assert server.requests == 3 * seeds
        keys = {h.get("authorization") for h in server.headers}
        assert {b["model"] for b in server.bodies} == {"role-model"}
    assert keys == {"Bearer sk-role-secret"}
    with wh.connect(target) as con:
        assert con.execute("SELECT count(*) FROM samples WHERE backend = 'openai' AND model = 'role-model'"
                           ).fetchone() == (seeds,)
    bad = CliRunner().invoke(app, ["build", "-s", str(RAW), "-w", str(target), "--role", "annotate-model=x"])
    assert bad.exit_code != 0 and "ROLE.FIELD=VALUE" in bad.output


def test_the_pipeline_is_an_ordered_list_of_stages_and_settings_reach_them(tmp_path: Path) -> None:
    from flows.build_bench import PIPELINE

    assert [s.name for s in PIPELINE] == ["ingest", "catalog", "thoughts", "specs", "expand", "synthesize",
                                        "refine", "min-actions", "rules", "sketch", "dedup", "judge", "splits",
                                        "negatives"]
    assert [s.task_name for s in PIPELINE][:3] == ["ingest-transpile-batch", "catalog", "thoughts-batch"]
    target = tmp_path / "g.duckdb"
    result = build_bench(sources=[str(RAW)], warehouse=str(target), settings={"min-actions": {"min_actions": 10}})
    seeds = ("SELECT v.verdict, count(*) FROM verdicts v JOIN samples s USING (sample_id) WHERE s.origin = 'seed' "
             "AND v.gate = 'min-actions' GROUP BY 1")
    with wh.connect(target) as con:
        short = con.execute("SELECT count(*) FROM shortcuts WHERE action_count < 10").fetchone()[0]
        assert dict(con.execute(seeds).fetchall()) == {"drop": short, "keep": 17 - short}
        ok = con.execute("SELECT count(*) FROM samples WHERE status = 'ok'").fetchone()[0]
    gated = result["verdicts"]["min-actions"]
    assert 0 < short < 17 and sum(gated.values()) == ok == 17 + 28  # synthetic samples are gated too
    markdown = report()
    assert "## Gates (verdicts on ok samples)" in markdown
    assert f"| min-actions | drop | too-few-actions | {gated['drop']} |" in markdown
    build_bench(sources=[str(RAW)], warehouse=str(target))  # the default, 3: every example is kept
    with wh.connect(target) as con:
        assert dict(con.execute(seeds).fetchall()) == {"keep": 17}


@pytest.mark.parametrize("bad", [{"settings": {"no-such-stage": {}}}, {"settings": {"min-actions": {"least": 1}}},
                                 {"settings": {"thoughts": {"budget": 1}}},
                                 {"llm_options": {"concurrency": 4, "colour": "blue"}},
                                 {"roles": {"annotator": {}}}, {"roles": {"thoughts": {"options": {"hue": 1}}}}])
def test_bad_settings_fail_the_run_before_any_stage(tmp_path: Path, bad: dict) -> None:
    target = tmp_path / "bad.duckdb"
    with pytest.raises(Exception, match=r"no-such-stage|least|budget|colour|annotator|hue"):
        build_bench(sources=[str(RAW)], warehouse=str(target), **bad)
    assert not wh.parts_dir(target).exists()


def test_a_stage_whose_every_item_failed_fails_the_run_and_a_partial_failure_completes(tmp_path: Path) -> None:
    from workflowbench.stages.contract import StageFailed

    bad = tmp_path / "bad"
    bad.mkdir()
    for i in range(3):
        (bad / f"junk{i}.shortcut").write_bytes(b"not a shortcut " * i)
    target = tmp_path / "f.duckdb"
    with pytest.raises(StageFailed, match=r"stage ingest: all 3 items failed \(unknown-format 3\)"):
        build_bench(sources=[str(bad)], warehouse=str(target))
    with wh.connect(target) as con:  # published all the same: the rejects can be queried
        assert con.execute("SELECT count(*) FROM rejects").fetchone() == (3,)
    cli = CliRunner().invoke(app, ["build", "-s", str(bad), "-w", str(tmp_path / "g.duckdb")])
    assert cli.exit_code == 1 and "stage ingest: all 3 items failed" in cli.output
    expect = write_mixed_folder(tmp_path / "mixed")  # 4 of 8 files are bad: a warning, not a failure
    result = build_bench(sources=[str(tmp_path / "mixed")], warehouse=str(tmp_path / "m.duckdb"))
    assert result["shortcuts"] == expect["shortcuts"] and sum(result["rejects"].values()) == expect["rejects"]
