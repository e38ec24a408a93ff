"""The workflowbench command line, driven through Typer's runner (real warehouse files)."""

from __future__ import annotations

import ast
import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import RAW
from tests.support.shortcuts import write_mixed_folder
from workflowbench import Workflow, from_code, read_shortcut, transpile
from workflowbench import warehouse as wh
from workflowbench.cli import app
from workflowbench.shortcut.writer import write_shortcut

runner = CliRunner()


def test_ingest_then_sql_in_every_format(tmp_path: Path) -> None:
    expect = write_mixed_folder(tmp_path / "in")
    target = tmp_path / "w.duckdb"
    result = runner.invoke(app, ["ingest", str(tmp_path / "in"), "-w", str(target), "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert f"{expect['files']} files" in result.output and f"rejects {expect['rejects']}" in result.output

    query = "SELECT reason, count(*) AS n FROM rejects GROUP BY 1 ORDER BY 1"
    as_json = runner.invoke(app, ["sql", query, "-w", str(target), "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == [
        {"reason": "bad-structure", "n": 1}, {"reason": "corrupt", "n": 1},
        {"reason": "encrypted", "n": 1}, {"reason": "unknown-format", "n": 1},
    ]
    as_csv = runner.invoke(app, ["sql", query, "-w", str(target), "-f", "csv"])
    assert list(csv.reader(io.StringIO(as_csv.stdout)))[0:2] == [["reason", "n"], ["bad-structure", "1"]]
    as_table = runner.invoke(app, ["sql", "SELECT count(*) AS shortcuts FROM shortcuts", "-w", str(target)])
    assert "shortcuts" in as_table.stdout and str(expect["shortcuts"]) in as_table.stdout

    # Counted per batch (hello is in two batches, as two encodings), deduplicated on publish.
    assert "transpiled 4, 0 failed" in result.output and f"code {expect['shortcuts']}," in result.output

    again = runner.invoke(app, ["ingest", str(tmp_path / "in"), "-w", str(target), "--batch-size", "2"])
    assert f"{expect['files']} unchanged" in again.output


def test_sql_errors_are_reported(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["sql", "SELECT 1", "-w", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 2 and "no warehouse yet" in missing.output
    runner.invoke(app, ["ingest", str(RAW), "-w", str(tmp_path / "w.duckdb")])
    bad = runner.invoke(app, ["sql", "SELEC nonsense", "-w", str(tmp_path / "w.duckdb")])
    assert bad.exit_code == 2 and "error" in bad.output
    readonly = runner.invoke(app, ["sql", "DELETE FROM shortcuts", "-w", str(tmp_path / "w.duckdb")])
    assert readonly.exit_code == 2


def test_inspect_prints_metadata_and_defects(tmp_path: Path) -> None:
    sample = sorted(RAW.glob("*.shortcut"))[0]
    result = runner.invoke(app, ["inspect", str(sample)])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["name"] == sample.stem and info["container"] == "bplist" and info["action_count"] > 0
    assert info["defects"] == [] and len(info["id"]) == 64

    damaged = tmp_path / "damaged.json"
    damaged.write_text(json.dumps({"WFWorkflowActions": [
        {"WFWorkflowActionIdentifier": "is.workflow.actions.conditional",
         "WFWorkflowActionParameters": {"GroupingIdentifier": "G", "WFControlFlowMode": 0}},
        {"WFWorkflowActionIdentifier": "is.workflow.actions.repeat.count",
         "WFWorkflowActionParameters": {"GroupingIdentifier": "R", "WFControlFlowMode": 2}},
    ]}))
    info = json.loads(runner.invoke(app, ["inspect", str(damaged)]).stdout)
    assert [(d["kind"], d["index"]) for d in info["defects"]] == [("stray-end", 1), ("unclosed", 0)]
    assert info["max_depth"] == 1

    bad = tmp_path / "bad.shortcut"
    bad.write_bytes(b"AEA1\x02\x00\x00\x00")
    result = runner.invoke(app, ["inspect", str(bad)])
    assert result.exit_code == 2 and "encrypted" in result.output and "bad.shortcut" in result.output


def test_transpile_prints_code_and_names_a_bad_file(tmp_path: Path) -> None:
    sample = RAW / "Tip Calculator.shortcut"
    result = runner.invoke(app, ["transpile", str(sample)])
    assert result.exit_code == 0, result.output
    ast.parse(result.stdout)
    assert result.stdout == transpile(read_shortcut(sample)).code

    bad = tmp_path / "bad.shortcut"
    bad.write_bytes(b"AEA1\x02\x00\x00\x00")
    result = runner.invoke(app, ["transpile", str(bad)])
    assert result.exit_code == 2 and "bad.shortcut" in result.output and "encrypted" in result.output
    assert runner.invoke(app, ["transpile", str(tmp_path / "none.shortcut")]).exit_code == 2


def test_compile_writes_a_shortcut_that_reads_back(tmp_path: Path) -> None:
    for sample in sorted(RAW.glob("*.shortcut")):
        code = tmp_path / f"{sample.stem}.py"
        code.write_text(runner.invoke(app, ["transpile", str(sample)]).stdout)
        out = tmp_path / f"{sample.stem}.shortcut"
        result = runner.invoke(app, ["compile", str(code), "-o", str(out)])
        assert result.exit_code == 0, result.output
        wf = read_shortcut(out)
        identifiers = [a.identifier for a in wf.actions]
        assert identifiers == [a.identifier for a in from_code(code.read_text()).actions]
        assert identifiers == [a.identifier for a in read_shortcut(sample).actions]
        assert result.stdout == f"wrote {out}: {len(identifiers)} actions, unsigned binary plist\n"
        assert wf.container == "bplist" and wf.signing.kind == "unsigned" and wf.icon.glyph_number == 59511
        assert wf.input_classes and wf.client_version == "2302.0.4"


def test_compile_errors_name_the_file_and_line(tmp_path: Path) -> None:
    out = tmp_path / "out.shortcut"
    for text, line in (("x = 1\nprint(1)\n", 2), ("x = 1\n\ndef (:\n", 3)):
        code = tmp_path / "bad.py"
        code.write_text(text)
        result = runner.invoke(app, ["compile", str(code), "-o", str(out)])
        assert result.exit_code == 2 and f"{code}: line {line}: " in result.output
        assert not out.exists()
    missing = runner.invoke(app, ["compile", str(tmp_path / "none.py"), "-o", str(out)])
    assert missing.exit_code == 2 and "none.py" in missing.output
    huge = tmp_path / "huge.py"
    huge.write_text("com_example_app(a=" + "9" * 30 + ")\n")  # no plist integer holds it
    result = runner.invoke(app, ["compile", str(huge), "-o", str(out)])
    assert result.exit_code == 2 and "huge.py" in result.output and not out.exists()
    ok = tmp_path / "ok.py"
    ok.write_text("x = 1\n")
    result = runner.invoke(app, ["compile", str(ok), "-o", str(tmp_path / "no" / "dir.shortcut")])
    assert result.exit_code == 2 and "dir.shortcut" in result.output


def test_compile_reads_unusual_identifiers_from_the_warehouse(tmp_path: Path) -> None:
    """A hyphen in a bundle id does not survive the plain rule; identifiers the warehouse has seen do."""
    ident = "com.agiletortoise.Drafts-OSX.CaptureIntent"
    wf = Workflow.from_plist({"WFWorkflowActions": [
        {"WFWorkflowActionIdentifier": ident, "WFWorkflowActionParameters": {"content": "note"}}]})
    (tmp_path / "in").mkdir()
    write_shortcut(wf, tmp_path / "in" / "drafts.shortcut")
    target = tmp_path / "w.duckdb"
    assert runner.invoke(app, ["ingest", str(tmp_path / "in"), "-w", str(target)]).exit_code == 0
    code = tmp_path / "drafts.py"
    code.write_text(runner.invoke(app, ["transpile", str(tmp_path / "in" / "drafts.shortcut")]).stdout)
    assert code.read_text() == "com_agiletortoise_Drafts_OSX_CaptureIntent(content='note')\n"
    plain = "com.agiletortoise.Drafts.OSX.CaptureIntent"  # what the plain rule alone gives back
    for warehouse, expect in ((target, ident), (tmp_path / "none.duckdb", plain)):
        out = tmp_path / "out.shortcut"
        result = runner.invoke(app, ["compile", str(code), "-o", str(out), "-w", str(warehouse)])
        assert result.exit_code == 0, result.output
        assert [a.identifier for a in read_shortcut(out).actions] == [expect]


def test_compare_reports_equal_and_different_warehouses(tmp_path: Path) -> None:
    write_mixed_folder(tmp_path / "in")
    runner = CliRunner()
    for name, size in (("a", "2"), ("b", "5")):  # other batches, same contents
        assert runner.invoke(app, ["ingest", str(tmp_path / "in"), "-w", str(tmp_path / f"{name}.duckdb"),
                                   "--batch-size", size]).exit_code == 0
    same = runner.invoke(app, ["compare", str(tmp_path / "a.duckdb"), str(tmp_path / "b.duckdb"), "-f", "json"])
    assert same.exit_code == 0, same.output
    assert all(d["same"] for d in json.loads(same.stdout)) and len(json.loads(same.stdout)) >= 15
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "x.json").write_text((tmp_path / "in" / "bye.json").read_text().replace('"bye', '"other'))
    assert runner.invoke(app, ["ingest", str(tmp_path / "more"), "-w", str(tmp_path / "b.duckdb")]).exit_code == 0
    differ = runner.invoke(app, ["compare", str(tmp_path / "a.duckdb"), str(tmp_path / "b.duckdb"), "-f", "json"])
    assert differ.exit_code == 1
    by_table = {d["table"]: d for d in json.loads(differ.stdout)}
    assert (by_table["shortcuts"]["only_left"], by_table["shortcuts"]["only_right"]) == (0, 1)
    assert by_table["categories"]["same"]
    missing = runner.invoke(app, ["compare", str(tmp_path / "a.duckdb"), str(tmp_path / "nope.duckdb")])
    assert missing.exit_code == 2 and "nope.duckdb" in missing.output


def test_sql_reaches_only_the_warehouse_and_its_shards(tmp_path: Path) -> None:
    write_mixed_folder(tmp_path / "in")
    target = tmp_path / "w.duckdb"
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(tmp_path / "in"), "-w", str(target)]).exit_code == 0
    shards = f"{tmp_path / 'w.parts'}/[!.]*/actions.parquet"
    ok = runner.invoke(app, ["sql", f"SELECT count(*) AS n FROM read_parquet('{shards}')", "-w", str(target),
                             "-f", "json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout) == [{"n": 57}]
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the warehouse")
    outside = tmp_path / "out.csv"
    for query in (f"COPY (SELECT 1) TO '{outside}'", f"SELECT * FROM read_text('{secret}')",
                  f"SELECT * FROM read_text('{tmp_path / 'w.parts'}/../secret.txt')",
                  f"ATTACH '{target}' AS again", "INSTALL httpfs", "SET enable_external_access = true",
                  f"COPY (SELECT 1) TO '{tmp_path / 'w.parts' / 'fake.csv'}'", "CREATE TABLE t AS SELECT 1",
                  f"EXPORT DATABASE '{tmp_path / 'dump'}'"):
        refused = runner.invoke(app, ["sql", query, "-w", str(target)])
        assert refused.exit_code == 2, (query, refused.output)
        assert "not for the warehouse" not in refused.output
    assert not outside.exists() and not (tmp_path / "w.parts" / "fake.csv").exists()
    assert not (tmp_path / "dump").exists()


def test_missing_sources_and_silent_endpoints_are_refused_before_any_work(tmp_path: Path) -> None:
    import socket

    runner = CliRunner()
    target = tmp_path / "w.duckdb"
    for args in (["build", "-s", str(tmp_path / "nope"), "-w", str(target)],
                 ["ingest", str(RAW), str(tmp_path / "nope"), "-w", str(target)]):
        refused = runner.invoke(app, args)
        assert refused.exit_code == 2 and "nope: no such file or folder" in refused.output, refused.output
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    silent = runner.invoke(app, ["build", "-s", str(RAW), "-w", str(target), "--llm-base-url",
                                 f"http://127.0.0.1:{port}/v1", "--model", "m"])
    assert silent.exit_code == 2 and "does not answer" in silent.output
    assert f"127.0.0.1:{port}/v1/models" in silent.output
    assert not target.exists() and not wh.parts_dir(target).exists()


def test_the_preflight_accepts_a_server_without_a_model_list_and_refuses_one_that_is_gone() -> None:
    from tests.support.llm_server import LLMServer
    from workflowbench.llm import LLMConfig
    from workflowbench.llm.preflight import EndpointError, check_endpoint

    with LLMServer() as server:
        check_endpoint(LLMConfig(server.url, "m"))
        check_endpoint(LLMConfig(server.url.removesuffix("/v1") + "/other", "m"))  # 404: it answers
    with pytest.raises(EndpointError, match="no answer"):
        check_endpoint(LLMConfig(server.url, "m"), timeout=2)  # stopped now
