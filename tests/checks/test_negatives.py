"""Contrastive negatives: each corruption gives its step -1 with the corruption as the reason, the
steps that take a value from it -1, and every other step the label it had; the corrupted code still
maps to a workflow, and the stage keeps negatives out of the samples and the dataset."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.conftest import RAW
from workflowbench import warehouse as wh
from workflowbench.checks.labels import step_labels
from workflowbench.checks.negatives import KINDS, MISSING, negatives
from workflowbench.checks.rules import Catalog, read
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import run_stage
from workflowbench.stages.ingest import INGEST, IngestSettings
from workflowbench.stages.min_actions import MIN_ACTIONS, MinActionsSettings
from workflowbench.stages.negatives import NEGATIVES, NegativesSettings
from workflowbench.stages.rules import RULES_STAGE, RulesSettings, load_catalog
from workflowbench.stages.splits import SPLITS, SplitsSettings
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings
from workflowbench.warehouse.reader import ShardReader

CODE = """# Get the battery level
battery = is_workflow_actions_getbatterylevel()
# Put it in a text
text = is_workflow_actions_gettext(WFTextActionText=f'Battery: {battery}')
# Read the clipboard
clip = is_workflow_actions_getclipboard()
# Show the text
is_workflow_actions_showresult(Text=f'{text}')
# Show the clipboard
is_workflow_actions_showresult(Text=f'{clip}')
"""
USES = {0: set(), 1: {0}, 2: set(), 3: {1, 0}, 4: {2}}  # each step and what it takes values from


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("negatives") / "w.duckdb"
    run_stage(INGEST, target, IngestSettings(sources=(str(RAW),)))
    run_stage(CATALOG, target, CatalogSettings())
    return target


@pytest.fixture(scope="module")
def catalog(warehouse: Path) -> Catalog:
    base = load_catalog(ShardReader(warehouse))
    text = "is.workflow.actions.gettext"  # make its text required, so one can go missing
    spec = base.apis[text]
    params = tuple((k, t, k == "WFTextActionText" or r, *rest) for k, t, r, *rest in spec.params)
    return Catalog({**base.apis, text: dataclasses.replace(spec, params=params)}, base.docs, base.functions)


def test_each_corruption_labels_its_step_its_dependents_and_nothing_else(catalog: Catalog) -> None:
    wf = read({"sample_id": "s", "workflow_code": CODE}, catalog).workflow
    assert wf is not None
    before = [lb.label for lb in step_labels(wf, catalog)]
    got = {n.kind: n for n in negatives(CODE, catalog, "s")}
    assert set(got) == set(KINDS)
    for kind, n in got.items():
        labels = [lb.label for lb in n.labels]
        bad = n.position
        assert n.labels[bad].label == -1 and n.labels[bad].reason == f"corrupted: {kind}"
        if kind == "redundant-step":  # the copy comes right after its original; nothing uses it
            assert n.code.count("\n") == CODE.count("\n") + 2 and len(labels) == len(before) + 1
            assert labels[:bad] + labels[bad + 1:] == before
            continue
        dependents = {i for i, uses in USES.items() if bad in uses or uses & {j for j, u in USES.items() if bad in u}}
        for i, label in enumerate(labels):
            if i in dependents:
                assert (label, n.labels[i].reason) == (-1, f"depends-on-wrong-step: {bad}"), (kind, i)
            elif i != bad:
                assert label == before[i], (kind, i)
    assert MISSING in got["broken-reference"].code
    assert "WFTextActionText" not in got["missing-parameter"].code.splitlines()[got["missing-parameter"].labels[
        got["missing-parameter"].position].line - 1]
    assert negatives(CODE, catalog, "s") == negatives(CODE, catalog, "s")  # the same every run


def test_a_wrong_api_is_drawn_from_the_catalog_it_is_given(catalog: Catalog) -> None:
    # the swap choices are worked out once per catalog: another catalog must not get them
    assert negatives(CODE, catalog, "s", ("wrong-api",))
    used = {"is_workflow_actions_getbatterylevel", "is_workflow_actions_gettext", "is_workflow_actions_getclipboard",
            "is_workflow_actions_showresult"}
    narrow = Catalog(catalog.apis, catalog.docs, {f: i for f, i in catalog.functions.items() if f in used})
    [n] = negatives(CODE, narrow, "s", ("wrong-api",))
    swapped = n.code.splitlines()[n.labels[n.position].line - 1]
    assert swapped.split("(")[0].split("= ")[-1] in used


def test_the_stage_writes_negatives_apart_from_the_samples(warehouse: Path) -> None:
    run_stage(THOUGHTS, warehouse, ThoughtsSettings())
    run_stage(MIN_ACTIONS, warehouse, MinActionsSettings())
    run_stage(RULES_STAGE, warehouse, RulesSettings())
    run_stage(SPLITS, warehouse, SplitsSettings())
    run_stage(NEGATIVES, warehouse, NegativesSettings(share=1.0))
    wh.publish(warehouse)
    with wh.connect(warehouse) as con:
        rows = con.execute("SELECT n.kind, n.split = p.split, len(n.labels) = len(n.reasons), "
                           "list_position(n.labels, -1) IS NOT NULL FROM negatives n JOIN splits p USING (sample_id)"
                           ).fetchall()
        leaked = con.execute("SELECT count(*) FROM dataset d JOIN negatives n ON n.workflow_code = d.workflow_code"
                             ).fetchone()[0]
        samples = con.execute("SELECT count(*) FROM samples WHERE sample_id LIKE '%~%'").fetchone()[0]
    assert len(rows) > 17 and {k for k, *_ in rows} >= {"wrong-api", "redundant-step"}
    assert all(same and sized and wrong for _, same, sized, wrong in rows)
    assert leaked == 0 and samples == 0
