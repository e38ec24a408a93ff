"""Offline synthesis: workflows recombined from real seed fragments for each spec; every ok sample
parses, maps back, calls only catalog APIs with schema-valid parameters, uses its spec's APIs and
has its level's structure; failures are rows with a reason; the same specs give the same samples."""

from __future__ import annotations

import ast
import base64
import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RAW
from workflowbench import from_code
from workflowbench import warehouse as wh
from workflowbench.checks.flow import data_flow
from workflowbench.checks.rules import BASE64_RUN, PLACEHOLDER
from workflowbench.code.from_code import function_map
from workflowbench.code.view import holds_blob
from workflowbench.shortcut.model import Workflow
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import run_stage
from workflowbench.stages.ingest import INGEST, IngestSettings
from workflowbench.stages.specs import SPECS, SpecsSettings, load_specs
from workflowbench.stages.synthesize import SYNTHESIZE, SynthesizeSettings, load_library, synthesize
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings, load_apis
from workflowbench.synth.offline import ApiSpec, Library, Unbuildable, build, fits_level, structure
from workflowbench.synth.specs import Spec
from workflowbench.warehouse.reader import ShardReader


def pipeline(target: Path, count: int) -> list[Any]:
    run_stage(INGEST, target, IngestSettings(sources=(str(RAW),)))
    run_stage(CATALOG, target, CatalogSettings())
    run_stage(THOUGHTS, target, ThoughtsSettings())
    run_stage(SPECS, target, SpecsSettings(count=count))
    done = run_stage(SYNTHESIZE, target, SynthesizeSettings(batch_size=40))
    wh.publish(target)
    return done


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("synth") / "w.duckdb"
    pipeline(target, 56)
    return target


def test_every_ok_sample_is_valid_for_its_spec(built: Path) -> None:
    lib = load_library(ShardReader(built))
    functions = function_map(lib.apis)
    with wh.connect(built) as con:
        rows = con.execute("SELECT s.status, s.error, s.workflow_code, s.query, s.task_plan, s.lineage, p.apis, "
                           "p.level, p.examples, s.category, p.category FROM samples s JOIN specs p "
                           "ON p.spec_id = s.spec_id WHERE s.origin = 'synthetic'").fetchall()
        categories = con.execute("SELECT count(DISTINCT category) FROM samples WHERE origin = 'synthetic'").fetchone()
    assert len(rows) == 56 and categories == (28,)
    ok = [r for r in rows if r[0] == "ok"]
    assert len(ok) >= 53, [r[1] for r in rows if r[0] != "ok"]
    assert all(r[1] for r in rows if r[0] != "ok")  # a failure says why
    for _, _, code, query, plan, lineage, apis, level, examples, category, spec_category in ok:
        ast.parse(code)
        wf = from_code(code, functions=functions)
        idents = [a.identifier for a in wf.actions]
        assert set(apis) <= set(idents) and all(i in lib.apis for i in idents)
        assert all(lib.valid(a.to_plist()) for a in wf.actions)
        assert fits_level(wf, level), (level, structure(wf))
        assert not any(step.undefined for step in data_flow(wf))
        assert not PLACEHOLDER.search(code) and not BASE64_RUN.search(code)
        assert query and plan.startswith("1. ") and category == spec_category
        got = json.loads(lineage)
        assert got["examples"] == list(examples) and got["fragments"]
    assert len({r[2] for r in ok}) == len(ok)  # no two the same


def test_the_same_specs_give_the_same_samples_and_a_rerun_adds_nothing(built: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.duckdb"
    pipeline(again, 56)
    sql = "SELECT sample_id, status, workflow_code, query FROM samples WHERE origin = 'synthetic' ORDER BY 1"
    with wh.connect(built) as a, wh.connect(again) as b:
        assert a.execute(sql).fetchall() == b.execute(sql).fetchall()
    rerun = run_stage(SYNTHESIZE, again, SynthesizeSettings(batch_size=40))
    assert rerun and all(r.skipped for r in rerun)


def test_a_sample_does_not_depend_on_what_its_library_made_before(built: Path) -> None:
    # The batches of a build share one library (shared_library): its caches must not leak one
    # spec's choices into another's sample.
    reader = ShardReader(built)
    specs, docs = load_specs(reader, [i for (i,) in reader.rows("specs", "spec_id")]), load_apis(reader)
    at = datetime(2026, 1, 1)
    forward = load_library(reader)
    first = {s.spec_id: synthesize(s, forward, docs, "m", at) for s in specs}
    backward = load_library(reader)
    assert {s.spec_id: synthesize(s, backward, docs, "m", at) for s in reversed(specs)} == first
    assert sum(row["status"] == "ok" for row, _ in first.values()) >= 53


def _lib(**apis: ApiSpec) -> Library:
    return Library(dict(apis), {})


def _schema(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": True}


VARIABLE = {"type": "object", "required": ["WFSerializationType", "Value"]}


def test_an_api_no_seed_uses_is_made_from_its_schema_and_an_impossible_one_fails() -> None:
    make = ApiSpec("com.x.Make", "third-party", "com.x", _schema(["rows", "mode"], {
        "rows": {"anyOf": [VARIABLE]}, "mode": {"enum": ["fast", "slow"]}}),
        (("rows", "file", True, None, None, True), ("mode", "enum", True, None, ["fast", "slow"], False)))
    spec = Spec("s1", 0, 0, "Tools", "easy", ("com.x",), ("com.x.Make",), 0, ())
    wf = build(_lib(**{"com.x.Make": make}), spec).workflow
    [action] = [a for a in wf.actions]
    assert action.identifier == "com.x.Make" and action.parameters["mode"] in ("fast", "slow")
    assert action.parameters["rows"].attachment.type == "ExtensionInput"  # nothing before it: the shortcut's input
    impossible = ApiSpec("com.x.Odd", "third-party", "com.x", _schema(["blob"], {"blob": {"type": "array"}}),
                         (("blob", "unknown", True, None, None, False),))
    with pytest.raises(Unbuildable, match=r"com\.x\.Odd"):
        build(_lib(**{"com.x.Odd": impossible}), Spec("s2", 0, 1, "Tools", "easy", ("com.x",), ("com.x.Odd",), 0, ()))


def test_an_action_made_from_a_schema_takes_an_output_made_before_it() -> None:
    # Pieces are spread over the workflow after they are made: the wiring must follow the final order.
    def api(ident: str) -> ApiSpec:
        app = ident.rsplit(".", 1)[0]
        return ApiSpec(ident, "built-in" if app == "is.workflow.actions" else "third-party", app,
                       _schema(["rows"], {"rows": {"anyOf": [VARIABLE]}}), (("rows", "file", True, None, None, True),))

    own = ("com.x.Make", "is.workflow.actions.one", "is.workflow.actions.two", "is.workflow.actions.three")
    lib = _lib(**{i: api(i) for i in (*own, "com.x.Use", "com.x.Keep")})
    forward = extra = 0
    for n in range(40):
        wf = build(lib, Spec(f"w{n}", 0, n, "Tools", "easy", ("com.x",), own, 0, ())).workflow
        extra += len(wf.actions) - len(own)  # other uses of the app, spread among the spec's own
        forward += sum(bool(step.undefined) for step in data_flow(wf))
        made = [a.uuid for a in wf.actions]
        first = wf.actions[0].parameters["rows"].attachment
        assert first.type == "ExtensionInput"
        for i, a in enumerate(wf.actions[1:], start=1):
            assert a.parameters["rows"].attachment.output_uuid == made[i - 1]
    assert extra >= 40 and forward == 0


def test_an_action_holding_a_blob_or_a_long_text_is_not_copied() -> None:
    text = ApiSpec("is.workflow.actions.gettext", "built-in", "shortcuts",
                   _schema([], {"WFTextActionText": {"type": "string"}}), (("WFTextActionText", "string", False, None,
                                                                           None, True),))
    png = base64.b64encode(b"\x89PNG\r\n" + bytes(range(256)) * 4).decode()

    def action(value: str) -> dict[str, Any]:
        return {"WFWorkflowActionIdentifier": "is.workflow.actions.gettext",
                "WFWorkflowActionParameters": {"WFTextActionText": value, "UUID": str(uuid.uuid4()).upper()}}

    seed = Workflow.from_plist({"WFWorkflowActions": [action("Hello"), action(png), action("word " * 400)]})
    lib = Library({text.identifier: text}, {"seed-1": seed})
    kept = [raws[0]["WFWorkflowActionParameters"]["WFTextActionText"] for _, _, raws in lib.fragments[text.identifier]]
    assert kept == ["Hello"]
    assert holds_blob({"WFTextActionText": png}) and holds_blob({"WFTextActionText": "word " * 400})
    assert not holds_blob({"WFTextActionText": "Hello", "WFImage": {"Type": "Variable"}})


def test_a_fragment_reads_no_named_variable_wherever_it_sits() -> None:
    # A variable inside a time offset is no attachment; it is set outside the fragment all the same.
    adjust = ApiSpec("is.workflow.actions.adjustdate", "built-in", "shortcuts", _schema([], {}), ())
    offset = {"WFSerializationType": "WFTimeOffsetValue", "Value": {"Unit": "Minute", "Operation": "Subtract",
                                                                    "Value": {"Type": "Variable",
                                                                              "VariableName": "Travel Duration"}}}
    plain = {"WFSerializationType": "WFTimeOffsetValue", "Value": {"Unit": "Minute", "Value": 5}}
    seed = Workflow.from_plist({"WFWorkflowActions": [
        {"WFWorkflowActionIdentifier": adjust.identifier,
         "WFWorkflowActionParameters": {"WFAdjustOffsetPicker": value, "UUID": str(uuid.uuid4()).upper()}}
        for value in (offset, plain)]})
    lib = Library({adjust.identifier: adjust}, {"seed-1": seed})
    kept = [raws[0]["WFWorkflowActionParameters"]["WFAdjustOffsetPicker"]
            for _, _, raws in lib.fragments[adjust.identifier]]
    assert kept == [plain]


def test_the_figures_check_every_sample_again(built: Path) -> None:
    from typer.testing import CliRunner

    from workflowbench.cli import app
    from workflowbench.synth.figures import synthesis_figures

    f = synthesis_figures(built)
    assert f["synthetic"] == 56 and f["ok"] >= 53 and f["problems"] == {} and f["valid_share"] == 1.0
    assert f["categories"] == 28 and f["distinct_code"] == f["ok"]
    assert all(v["samples"] == v["structure_as_defined"] for v in f["levels"].values())
    assert abs(sum(f["size_histogram"]) - 1) < 1e-3 and 0 <= f["size_tvd"] <= 1  # shares rounded to 4 places
    done = CliRunner().invoke(app, ["stats", "-w", str(built), "--synthesis"])
    assert done.exit_code == 0 and json.loads(done.stdout)["ok"] == f["ok"]


def test_a_second_sample_with_the_same_code_is_a_failure_naming_the_first() -> None:
    from workflowbench.stages.synthesize import unique

    seen: dict[str, str] = {}
    rows = [{"sample_id": f"synthetic-{i}", "status": "ok", "workflow_code": code, "query": "q", "task_plan": "1. a"}
            for i, code in enumerate(["# A\na()\n", "# B\nb()\n", "# A\na()\n"])]
    assert [unique(r, seen) for r in rows] == [True, True, False]
    assert rows[2]["status"] == "failed" and rows[2]["error"] == "duplicate: the same code as synthetic-0"
    assert rows[2]["workflow_code"] is None and rows[0]["status"] == rows[1]["status"] == "ok"


def test_a_piece_that_took_its_input_implicitly_is_wired_to_an_output_it_can_take() -> None:
    """A seed's first action took the shortcut's input implicitly; in a new workflow the action
    before it is another one. Its input is written out, wired by type: never to a photo when it
    needs a number."""
    number_param = (("WFInput", "number", False, None, None, True),)
    apis = {"com.x.Photo": ApiSpec("com.x.Photo", "third-party", "com.x", _schema([], {}), (), None, "Photo",
                                   "UIImage"),
            "is.workflow.actions.number": ApiSpec("is.workflow.actions.number", "built-in", "shortcuts",
                                                  _schema([], {}), (), None, "Number", "NSDecimalNumber"),
            "is.workflow.actions.math": ApiSpec("is.workflow.actions.math", "built-in", "shortcuts",
                                                _schema([], {"WFInput": {"anyOf": [VARIABLE]}}), number_param,
                                                "WFInput", "Calculation Result", "NSDecimalNumber")}

    def seed(*idents: str) -> Workflow:
        return Workflow.from_plist({"WFWorkflowActions": [
            {"WFWorkflowActionIdentifier": i, "WFWorkflowActionParameters": {"UUID": str(uuid.uuid4()).upper()}}
            for i in idents]})

    lib = Library(apis, {"seed-math": seed("is.workflow.actions.math"), "seed-photo": seed("com.x.Photo"),
                         "seed-number": seed("is.workflow.actions.number")})
    wired = 0
    for n in range(30):
        spec = Spec(f"t{n}", 0, n, "Tools", "easy", ("com.x", "shortcuts"),
                    ("com.x.Photo", "is.workflow.actions.number", "is.workflow.actions.math"), 1, ())
        wf = build(lib, spec).workflow
        made = {a.uuid: a.identifier for a in wf.actions}
        for a in wf.actions:
            if a.identifier == "is.workflow.actions.math":
                given = a.parameters["WFInput"].attachment  # written out, not left implicit
                assert given.type == "ExtensionInput" or made[given.output_uuid] != "com.x.Photo"
                wired += given.type == "ActionOutput"
    assert wired > 0  # some were wired to a number made before them
