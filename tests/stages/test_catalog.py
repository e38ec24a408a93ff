"""The catalog stage in the warehouse: corpus-only (offline) and with ../shared/catalogs; reruns,
replacement of a stale catalog shard, and `workflowbench catalog show`."""

from __future__ import annotations

import ast
import json
import pickle
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import CORPUS, RAW, SHARED
from workflowbench import warehouse as wh
from workflowbench.catalog.categories import CATEGORIES
from workflowbench.catalog.fetch import LAYOUT, fetch_from, load_pickle
from workflowbench.cli import app
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import Result, run_stage
from workflowbench.stages.ingest import INGEST, IngestSettings

CATALOGS = SHARED / "catalogs"


def build(sources: list[Path], target: Path, catalogs: Path | None) -> Result:
    run_stage(INGEST, target, IngestSettings(sources=tuple(map(str, sources))))
    [done] = run_stage(CATALOG, target, CatalogSettings(catalogs=str(catalogs) if catalogs else None))
    wh.publish(target)
    return done


def rows(target: Path, sql: str) -> list[tuple]:
    with wh.connect(target) as con:
        return con.execute(sql).fetchall()


def test_corpus_only_catalog_offline(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    done = build([RAW], target, None)
    assert not done.skipped and done.rejects == 0
    identifiers = rows(target, "SELECT DISTINCT identifier FROM actions ORDER BY 1")
    assert rows(target, "SELECT identifier FROM apis ORDER BY 1") == identifiers
    # every API has a schema and a stub that parse; provenance says where each field came from
    for ident, schema, stub, provenance in rows(target, "SELECT identifier, json_schema, stub, provenance FROM apis"):
        assert json.loads(schema)["$schema"].endswith("2020-12/schema")
        ast.parse(stub)
        assert set(json.loads(provenance).values()) <= {"corpus"}, ident
    assert rows(target, "SELECT count(*) FROM categories") == [(28,)]
    cats = rows(target, "SELECT category FROM shortcut_categories")
    assert len(cats) == rows(target, "SELECT count(*) FROM shortcuts")[0][0] and {c for (c,) in cats} <= set(CATEGORIES)
    assert rows(target, "SELECT count(*) FROM apps WHERE kind = 'built-in'") == [(1,)]


def test_rerun_skips_and_a_new_catalog_replaces_the_old(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    first = build([RAW], target, None)
    again = build([RAW], target, None)
    assert again.skipped and again.key == first.key
    fake = tmp_path / "catalogs" / "workflowllm"
    fake.mkdir(parents=True)
    ident = "is.workflow.actions.gettext"
    (fake / "api_docs.json").write_text(json.dumps({ident: [ident, {
        "description": "Passes the text to the next action.", "name": ident,
        "required_parameters": [], "optional_parameters": [
            {"name": "WFTextActionText", "type": "STRING", "description": "The text."}],
        "return_data": []}]}))
    third = build([RAW], target, tmp_path / "catalogs")
    assert not third.skipped and third.key != first.key
    assert sorted(p.name for p in wh.parts_dir(target).glob("catalog-*")) == [third.key]
    # The catalog files that directory lacks are rejects of the catalog stage, not log lines only.
    missing = rows(target, "SELECT path, reason, source FROM rejects WHERE stage = 'catalog' ORDER BY 1")
    assert missing and all(r[1:] == ("missing", "catalogs") for r in missing)
    assert str(tmp_path / "catalogs" / "workflowllm" / "api_docs.json") not in {r[0] for r in missing}
    described = rows(target, f"SELECT description, provenance FROM apis WHERE identifier = '{ident}'")
    assert described[0][0] == "Passes the text to the next action."
    assert json.loads(described[0][1])["description"] == "workflowllm"


def test_catalog_show_prints_a_stub(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    build([RAW], target, None)
    runner = CliRunner()
    shown = runner.invoke(app, ["catalog", "show", "is.workflow.actions.gettext", "-w", str(target)])
    assert shown.exit_code == 0, shown.output
    tree = ast.parse(shown.stdout)
    assert [n.name for n in tree.body if isinstance(n, ast.FunctionDef)] == ["is_workflow_actions_gettext"]
    by_function = runner.invoke(app, ["catalog", "show", "is_workflow_actions_gettext", "-w", str(target)])
    assert by_function.stdout == shown.stdout
    missing = runner.invoke(app, ["catalog", "show", "no.such.action", "-w", str(target)])
    assert missing.exit_code == 2 and "no.such.action" in missing.output


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory, manifest: list[dict]) -> Path:
    if not CATALOGS.is_dir():
        pytest.skip(f"the public catalogs are not present at {CATALOGS}")
    target = tmp_path_factory.mktemp("catalog") / "w.duckdb"
    build([CORPUS], target, CATALOGS)
    return target


def test_full_catalog_figures(full: Path) -> None:
    (apis,), = rows(full, "SELECT count(*) FROM apis")
    (apps,), = rows(full, "SELECT count(*) FROM apps")
    assert apis >= 1_503 and apps >= 83
    (total, described), = rows(full, "SELECT count(*), count(*) FILTER (WHERE a.description IS NOT NULL) "
                                     "FROM actions x LEFT JOIN apis a USING (identifier)")
    (checked, valid), = rows(full, "SELECT count(*), count(*) FILTER (WHERE f.position IS NULL) FROM actions x "
                                   "LEFT JOIN (SELECT DISTINCT shortcut_id, position FROM catalog_findings) f "
                                   "USING (shortcut_id, position)")
    (enums,), = rows(full, "SELECT count(*) FROM api_params WHERE enum_values IS NOT NULL")
    print(f"\n{apis} APIs, {apps} apps, {enums} parameters with enums; described {described}/{total} "
          f"({described / total:.2%}); valid {valid}/{checked} ({valid / checked:.2%})")
    for reason, n in rows(full, "SELECT reason, count(*) FROM catalog_findings GROUP BY 1 ORDER BY 2 DESC"):
        print(f"  {reason}: {n}")
    assert described / total >= 0.99
    assert valid / checked >= 0.99
    # the condition codes files store (4 = 'Equals') are enum values next to the catalogs' names
    (values,), = rows(full, "SELECT enum_values FROM api_params "
                            "WHERE identifier = 'is.workflow.actions.conditional' AND key = 'WFCondition'")
    assert {4, 99, "Equals"} <= set(json.loads(values))
    assert rows(full, "SELECT count(*) FROM rejects WHERE stage = 'catalog'") == [(0,)]  # every file read


def test_fetch_copies_and_checks_the_layout(tmp_path: Path) -> None:
    if not CATALOGS.is_dir():
        pytest.skip(f"the public catalogs are not present at {CATALOGS}")
    runner = CliRunner()
    result = runner.invoke(app, ["catalog", "fetch", "--from", str(CATALOGS), "--to", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert sorted(str(p.relative_to(tmp_path / "c")) for p in (tmp_path / "c").rglob("*.json")) == sorted(LAYOUT)
    # a changed file is refused unless accepted
    changed = tmp_path / "changed"
    shutil.copytree(CATALOGS, changed)
    (changed / "workflowllm" / "api_key_params.json").chmod(0o644)
    (changed / "workflowllm" / "api_key_params.json").write_text("{}")
    refused = runner.invoke(app, ["catalog", "fetch", "--from", str(changed), "--to", str(tmp_path / "d")])
    assert refused.exit_code == 2 and "api_key_params.json" in refused.output and not (tmp_path / "d").exists()
    assert fetch_from(changed, tmp_path / "e", accept_changed=True).changed == ["workflowllm/api_key_params.json"]


def test_fetch_reads_pickles_as_plain_data_only(tmp_path: Path) -> None:
    plain = {"is_workflow_actions_count": "Input", "nested": [1, 2.5, (True, None), b"x"]}
    assert load_pickle(pickle.dumps(plain)) == plain

    class Evil:
        def __reduce__(self) -> tuple:
            return (print, ("ran",))  # would call print on load with the default unpickler

    for payload in (pickle.dumps(Evil()), pickle.dumps({"k": Path("x")}), pickle.dumps(ValueError("x"))):
        with pytest.raises(pickle.UnpicklingError, match="refused"):
            load_pickle(payload)
    source = tmp_path / "src" / "workflowllm"
    source.mkdir(parents=True)
    (source / "api_key_params.pkl").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(pickle.UnpicklingError):
        fetch_from(tmp_path / "src", tmp_path / "out")
