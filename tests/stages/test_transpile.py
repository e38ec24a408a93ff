"""The transpile stage inside each ingest batch: every shortcut kept gets a code row, a failure is a
failed row plus a reject and the batch goes on, reruns add nothing; and code compiles back."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tests.conftest import RAW
from tests.support.shortcuts import write_mixed_folder
from workflowbench import read_shortcut
from workflowbench import warehouse as wh
from workflowbench.code.compile import INPUT_CLASSES, compile_code
from workflowbench.code.from_code import CodeError
from workflowbench.code.to_code import Transpiled, transpile
from workflowbench.shortcut.writer import to_bytes
from workflowbench.stages import contract
from workflowbench.stages import transpile as stage
from workflowbench.stages.contract import Result, run_stage
from workflowbench.stages.ingest import INGEST, IngestSettings, discover, ingest_batch


def build(folder: Path, target: Path, batch_size: int = 3) -> list[Result]:
    done = run_stage(INGEST, target, IngestSettings(sources=(str(folder),), batch_size=batch_size))
    wh.publish(target)
    return done


def fail_on(name: str, monkeypatch: pytest.MonkeyPatch, result: Transpiled | None = None) -> None:
    """Failure injection: the transpiler the stage calls raises (or returns ``result``) for one shortcut."""
    def fake(wf):
        if wf.name != name:
            return transpile(wf)
        if result is None:
            raise KeyError("injected")
        return result

    monkeypatch.setattr(stage, "transpile", fake)


def test_every_kept_shortcut_gets_an_ok_code_row(tmp_path: Path) -> None:
    expect = write_mixed_folder(tmp_path / "in")
    result = ingest_batch(discover([tmp_path / "in"]))
    rows = result.tables["code"]
    # One row per shortcut (the XML copy of hello is the same shortcut), none for rejected files.
    assert sorted(r["shortcut_id"] for r in rows) == sorted(s["id"] for s in result.tables["shortcuts"])
    assert len(rows) == expect["shortcuts"] and result.counts["transpiled"] == 3
    assert result.counts["transpile_failed"] == 0 and result.counts["rejected"] == expect["rejects"]
    for row in rows:
        assert row["status"] == "ok" and row["reason"] is None
        assert row["transpiler_version"] == stage.TRANSPILER_VERSION
        ast.parse(row["code"])
        assert row["line_count"] == len(row["code"].splitlines())
        lines = json.loads(row["lines"])
        assert all(1 <= line <= row["line_count"] for line, _ in lines)
        names = json.loads(row["names"])
        assert all(name in row["code"] for name in names.values())
    bye = next(r for r in rows if "'bye'" in r["code"])
    assert sorted(i for _, i in json.loads(bye["lines"])) == list(range(7))
    assert json.loads(bye["names"]) == {"A1": "text"}


def test_checked_refuses_what_ast_rejects(monkeypatch: pytest.MonkeyPatch) -> None:
    wf = read_shortcut(RAW / "Word Count.shortcut")
    assert ast.parse(stage.checked(wf, "w").code)
    monkeypatch.setattr(stage, "transpile", lambda wf: Transpiled("x = (\n"))
    with pytest.raises(stage.TranspileError) as exc:
        stage.checked(wf, "some/file.shortcut")
    assert exc.value.reason == "invalid-code" and "some/file.shortcut" in str(exc.value)
    assert exc.value.detail.startswith("line 1: ")


@pytest.mark.parametrize(("result", "reason", "detail"), [
    (None, "transpile-error", "KeyError: 'injected'"),
    (Transpiled("def (:\n"), "invalid-code", "line 1: invalid syntax"),
])
def test_a_failure_is_a_failed_row_and_a_reject_and_the_batch_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, result: Transpiled | None, reason: str, detail: str
) -> None:
    write_mixed_folder(tmp_path / "in")
    fail_on("bye", monkeypatch, result)
    target = tmp_path / "w.duckdb"
    done = build(tmp_path / "in", target, batch_size=100)
    assert [(d.count("transpiled"), d.count("transpile_failed"), d.count("rejected")) for d in done] == [(2, 1, 4)]
    with wh.connect(target) as con:
        assert con.execute("SELECT count(*) FROM shortcuts").fetchone() == (3,)  # ingest is untouched
        rows = con.execute("SELECT s.name, c.status, c.reason, c.code IS NULL, c.lines IS NULL FROM code c "
                           "JOIN shortcuts s ON s.id = c.shortcut_id ORDER BY 1").fetchall()
        assert rows == [("bye", "failed", reason, True, True), ("hello-again", "ok", None, False, False),
                        ("long", "ok", None, False, False)]
        rejects = con.execute("SELECT regexp_extract(path, '[^/]+$'), reason, detail, file_sha256 IS NOT NULL "
                              "FROM rejects WHERE stage = 'transpile'").fetchall()
        assert rejects == [("bye.json", reason, detail, True)]
        assert con.execute("SELECT count(*) FROM rejects WHERE stage = 'ingest'").fetchone() == (4,)


def test_deep_nesting_never_stops_the_batch(tmp_path: Path) -> None:
    """Nesting Python cannot write (over 100 blocks) or the transpiler cannot walk: failed rows, not a crash."""
    def nested(n: int) -> dict:
        def block(i: int, mode: int) -> dict:
            return {"WFWorkflowActionIdentifier": "is.workflow.actions.conditional",
                    "WFWorkflowActionParameters": {"GroupingIdentifier": f"G{i}", "WFControlFlowMode": mode}}
        return {"WFWorkflowActions": [block(i, 0) for i in range(n)] + [block(i, 2) for i in reversed(range(n))]}

    for n in (5, 150, 3000):
        (tmp_path / f"deep{n}.json").write_text(json.dumps(nested(n)))
    result = ingest_batch(discover([tmp_path]))
    assert result.counts["shortcuts"] == 3 and result.counts["rejected"] == 0
    rows = result.tables["code"]
    name = {r["id"]: r["name"] for r in result.tables["shortcuts"]}
    assert len(rows) == 3 and {name[r["shortcut_id"]]: r["status"] for r in rows}["deep5"] == "ok"
    failed = {r["shortcut_id"] for r in rows if r["status"] == "failed"}
    assert all(r.stage == "transpile" for r in result.rejects)
    assert len(result.rejects) == len(failed) == result.counts["transpile_failed"]
    for row in rows:
        assert row["status"] == "failed" or ast.parse(row["code"])


def test_rerun_adds_no_code_rows(tmp_path: Path) -> None:
    write_mixed_folder(tmp_path / "in")
    target = tmp_path / "w.duckdb"
    first = build(tmp_path / "in", target)
    assert sum(d.count("transpiled") for d in first) == 3
    assert all(d.skipped for d in build(tmp_path / "in", target))
    build(tmp_path / "in", target, batch_size=2)  # new shards, same shortcuts
    with wh.connect(target) as con:
        assert con.execute("SELECT count(*), count(DISTINCT shortcut_id) FROM code").fetchone() == (3, 3)


def test_a_new_transpiler_version_rebuilds_the_shards_and_its_rows_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_mixed_folder(tmp_path / "in")
    target = tmp_path / "w.duckdb"
    build(tmp_path / "in", target)
    real = contract.code_version
    # A change to the code layer: a new hash for it, and the rows it writes say so.
    monkeypatch.setattr(contract, "code_version",
                        lambda *names: real(*names) + "-next" if "workflowbench.code" in names else real(*names))
    monkeypatch.setattr(stage, "TRANSPILER_VERSION", "next")
    assert not any(d.skipped for d in build(tmp_path / "in", target))
    with wh.connect(target) as con:
        assert con.execute("SELECT count(*), min(transpiler_version) FROM code").fetchone() == (3, "next")


def test_shard_key_depends_on_the_version() -> None:
    inputs = [("a.shortcut", "00")]
    assert wh.shard_key("ingest", inputs) != wh.shard_key("ingest", inputs, version="1")
    assert wh.shard_key("ingest", inputs, version="1") == wh.shard_key("ingest", inputs, version="1")


def test_compile_code_fills_the_metadata_of_an_unsigned_shortcut() -> None:
    wf = read_shortcut(RAW / "Tip Calculator.shortcut")
    compiled = compile_code(transpile(wf).code, "tip.py", name="Tip")
    assert [a.identifier for a in compiled.actions] == [a.identifier for a in wf.actions]
    assert compiled.name == "Tip" and compiled.declared_name is None
    assert (compiled.icon.start_color, compiled.icon.glyph_number) == (4282601983, 59511)
    assert (compiled.client_version, compiled.minimum_client_version, compiled.minimum_client_version_string) == (
        "2302.0.4", 900, "900")
    assert compiled.types == ["NCWidget", "WatchKit"] and compiled.output_classes == []
    assert compiled.input_classes == list(INPUT_CLASSES) and compiled.import_questions == []
    back = read_shortcut(to_bytes(compiled))
    assert back.container == "bplist" and back.signing.kind == "unsigned" and back == compiled
    # Each call gets its own lists.
    compiled.types.append("x")
    assert compile_code("", "e.py").types == ["NCWidget", "WatchKit"]


@pytest.mark.parametrize(("code", "line", "words"), [
    ("x = 1\nprint(1)\n", 2, "print"),
    ("is_workflow_actions_comment(\n", 1, "never closed"),
    ("def (:\n", 1, "syntax"),
    ("com_x_y(a=" + "[" * 2000 + "]" * 2000 + ")\n", 1, "nested"),  # deep enough to crash libcst
    ("com_x_y(a=1)\0\n", 0, "null bytes"),
])
def test_compile_code_errors_name_the_source_and_line(code: str, line: int, words: str) -> None:
    with pytest.raises(CodeError) as exc:
        compile_code(code, "bad.py")
    assert exc.value.reason == "bad-code" and exc.value.line == line and str(exc.value).startswith("bad.py: ")
    assert words in exc.value.detail
