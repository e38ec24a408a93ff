"""The static rules and step labels on handmade samples against the catalog of the example
shortcuts: each rule keeps a good sample and drops a bad one with its reason slug; a rule that
cannot be checked says unknown; labels propagate along the data flow and nowhere else."""

from __future__ import annotations

import ast
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.conftest import RAW
from workflowbench.checks.labels import step_labels
from workflowbench.checks.lines import _calls, action_lines
from workflowbench.checks.rules import BASE64_RUN, BLOB_CHARS, RULES, Bounds, Catalog, read
from workflowbench.checks.types import wrong_types
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import run_stage
from workflowbench.stages.gate import Drop, Unknown
from workflowbench.stages.ingest import INGEST, IngestSettings
from workflowbench.stages.rules import load_catalog, shared_catalog
from workflowbench.synth.offline import ApiSpec
from workflowbench.warehouse.reader import ShardReader
from workflowbench.warehouse.shards import parts_dir

GOOD = """# Get the battery level
battery = is_workflow_actions_getbatterylevel()
# Show it
is_workflow_actions_showresult(Text=f'Battery: {battery}')
"""


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("rules") / "w.duckdb"
    run_stage(INGEST, target, IngestSettings(sources=(str(RAW),)))
    run_stage(CATALOG, target, CatalogSettings())
    return target


@pytest.fixture(scope="module")
def catalog(warehouse: Path) -> Catalog:
    return load_catalog(ShardReader(warehouse))


def sample(code: str = GOOD, query: str = "Tell me how much battery my phone has left.",
           plan: str = "1. **Read** the battery level\n2. **Show** it", spec: str | None = None) -> dict[str, Any]:
    return {"sample_id": "s1", "spec_id": spec, "origin": "synthetic" if spec else "seed", "query": query,
            "task_plan": plan, "workflow_code": code}


def verdict(rule: str, catalog: Catalog, row: dict[str, Any], bounds: Bounds | None = None,
            specs: dict[str, tuple[str, ...]] | None = None) -> Drop | Unknown | None:
    return RULES[rule](read(row, catalog), catalog, bounds or Bounds(), specs or {})


def test_a_good_sample_passes_every_rule(catalog: Catalog) -> None:
    assert {name: verdict(name, catalog, sample()) for name in RULES} == dict.fromkeys(RULES)


@pytest.mark.parametrize(("rule", "row", "reason"), [
    ("code-maps", sample("# Broken\nx = (\n"), "syntax"),
    ("code-maps", sample("# Loop forever\nwhile True:\n    pass\n"), "unmapped"),
    ("code-maps", sample("# Nothing at all\n"), "no-actions"),
    ("known-apis", sample(GOOD + "# Frobnicate\ncom_example_frob_thing()\n"), "unknown-api"),
    ("valid-parameters", sample(GOOD + "# Notify\nis_workflow_actions_notification(WFNotificationActionBody='Hi', "
                                "WFNotificationActionSound='loud')\n"), "invalid-parameter"),
    ("defined-before-use", sample("# Show\nis_workflow_actions_showresult(Text=f'{never_set}')\n"),
     "undefined-reference"),
    ("defined-before-use", sample("# Log\nis_workflow_actions_health_quantity_log(WFQuantitySampleQuantity="
                                  "quantity(dict(VariableName='never', Type='Variable'), 'kcal'))\n"),
     "undefined-reference"),  # a raw reference in a quantity's magnitude
    ("no-placeholders", sample(GOOD + "# Set\nis_workflow_actions_showresult(Text='<PNG image, 34 KB>')\n"),
     "placeholder"),
    ("no-placeholders", sample(GOOD + "# Show\nis_workflow_actions_showresult(Text='" + "QUJD" * 60 + "')\n"),
     "blob"),
    ("no-placeholders", sample(GOOD + "# Show\nis_workflow_actions_showresult(Text=b'\\x89PNG')\n"), "blob"),
    ("clean-query", sample(query="Run is_workflow_actions_getbatterylevel and show it."), "query-leak"),
    ("clean-query", sample(query="   "), "no-query"),
    ("plan-steps", sample(plan=""), "no-plan"),
    ("plan-steps", sample(plan="\n".join(f"{i}. **Step {i}** do" for i in range(1, 6))), "plan-longer-than-code"),
])
def test_each_rule_drops_with_its_reason(catalog: Catalog, rule: str, row: dict[str, Any], reason: str) -> None:
    got = verdict(rule, catalog, row)
    assert isinstance(got, Drop) and got.reason == reason, got
    assert verdict(rule, catalog, sample()) is None


def test_a_blob_is_never_shorter_than_the_words_looked_at() -> None:
    assert BASE64_RUN.search("QUJD" * (BLOB_CHARS // 4) + "==")
    assert not BASE64_RUN.search("A" * (BLOB_CHARS - 1) + "==")


def test_a_text_that_ends_in_b_is_no_byte_literal(catalog: Catalog) -> None:
    code = GOOD + "# Show the text '!b'\nis_workflow_actions_showresult(Text='!b')\n"
    assert verdict("no-placeholders", catalog, sample(code)) is None


def test_spec_size_and_unknown_verdicts(catalog: Catalog) -> None:
    spec = {"sp": ("is.workflow.actions.getbatterylevel", "is.workflow.actions.notification")}
    missing = verdict("spec-apis", catalog, sample(spec="sp"), specs=spec)
    assert isinstance(missing, Drop) and missing.reason == "missing-spec-api"
    assert "is.workflow.actions.notification" in missing.detail
    assert verdict("spec-apis", catalog, sample(spec="sp"), specs={"sp": spec["sp"][:1]}) is None
    assert isinstance(verdict("spec-apis", catalog, sample(spec="gone"), specs=spec), Unknown)
    big = verdict("size", catalog, sample(), Bounds(max_actions=1))
    assert isinstance(big, Drop) and big.reason == "too-large"
    long = verdict("size", catalog, sample(), Bounds(max_tokens=10))
    assert isinstance(long, Drop) and long.reason == "too-long"
    broken = sample("# Broken\nx = (\n")  # the other rules cannot be checked: unknown, not drop
    assert all(isinstance(verdict(r, catalog, broken), Unknown) for r in RULES
               if r not in ("code-maps", "no-placeholders"))


LABELLED = """# Ask an app the catalog does not know
level = com_example_frob_level()
# Put it in a text
text = is_workflow_actions_gettext(WFTextActionText=f'Level: {level}')
# Get the battery level
battery = is_workflow_actions_getbatterylevel()
# Show the text
is_workflow_actions_showresult(Text=f'{text}')
# Show the battery level
is_workflow_actions_showresult(Text=f'{battery}')
"""


def test_a_wrong_step_its_dependents_and_an_independent_step(catalog: Catalog) -> None:
    subject = read(sample(LABELLED), catalog)
    assert subject.workflow is not None
    functions = catalog.functions
    lines = action_lines(LABELLED, len(subject.workflow.actions), lambda n: n in functions)
    labels = step_labels(subject.workflow, catalog, lines)
    assert [(lb.label, lb.reason.split(":")[0]) for lb in labels] == [
        (-1, "unknown-api"), (-1, "depends-on-wrong-step"), (1, "ok"), (-1, "depends-on-wrong-step"),
        (1, "ok")]
    assert [lb.line for lb in labels] == [2, 4, 6, 8, 10]
    assert labels[3].reason == "depends-on-wrong-step: 1"  # through the text, not straight from the level
    notified = read(sample("# Notify\nis_workflow_actions_notification(WFNotificationActionSound='loud')\n"), catalog)
    assert notified.workflow is not None
    [bad] = step_labels(notified.workflow, catalog)
    assert bad.label == -1 and bad.reason.startswith("invalid-parameter: WFNotificationActionSound")


def test_a_step_that_repeats_a_wrong_one_is_wrong(catalog: Catalog) -> None:
    code = ("# Show the text, before it is made\nis_workflow_actions_showresult(Text=f'{text}')\n"
            "# Make the text\ntext = is_workflow_actions_gettext(WFTextActionText='Hi')\n"
            "# Show it again\nis_workflow_actions_showresult(Text=f'{text}')\n")
    subject = read(sample(code), catalog)
    assert subject.workflow is not None
    labels = step_labels(subject.workflow, catalog, facts=subject.facts)
    assert [(lb.label, lb.reason.split(":")[0]) for lb in labels] == [
        (-1, "undefined-reference"), (1, "ok"), (-1, "repeats-a-wrong-step")]
    assert labels == step_labels(subject.workflow, catalog)  # the rules' facts or its own: the same labels


def test_unused_outputs_and_comments_are_neutral_and_lines_follow_blocks(catalog: Catalog) -> None:
    code = ("# Get the battery level\nbattery = is_workflow_actions_getbatterylevel()\n"
            "# Get the battery level again, never used\nagain = is_workflow_actions_getbatterylevel()\n"
            "# Check the level\nif battery < 20:\n    # Warn\n    is_workflow_actions_showresult(Text='Low')\n"
            "else:\n    # Fine\n    is_workflow_actions_showresult(Text='Fine')\n")
    subject = read(sample(code), catalog)
    assert subject.workflow is not None
    n = len(subject.workflow.actions)
    lines = action_lines(code, n, lambda name: name in catalog.functions)
    labels = step_labels(subject.workflow, catalog, lines)
    assert [lb.label for lb in labels] == [1, 0, 1, 1, 1, 1, 1]
    assert labels[1].reason == "output-unused"
    assert lines == [2, 4, 6, 8, 11, 11, 11]
    assert action_lines(code, n + 1, lambda name: name in catalog.functions) == [None] * (n + 1)  # never guessed


def typed_catalog(catalog: Catalog) -> Catalog:
    """The catalog plus a photo app whose output is an image and a calculator whose ``amount`` is a
    number, ``unit`` a choice and ``note`` text."""
    photo = ApiSpec("com.example.Photo.TakeIntent", "third-party", "com.example.Photo", {}, (), None, "Photo",
                    "UIImage | WFImageContentItem")
    calc = ApiSpec("com.example.Calc.AddIntent", "third-party", "com.example.Calc", {},
                   (("amount", "number", False, None, None, True), ("unit", "enum", False, None, ["kg", "lb"], True),
                    ("note", "string", False, None, None, True)), None, "Sum", "NSDecimalNumber")
    apis = {**catalog.apis, photo.identifier: photo, calc.identifier: calc}
    functions = {**catalog.functions, "com_example_Photo_TakeIntent": photo.identifier,
                 "com_example_Calc_AddIntent": calc.identifier}
    return Catalog(apis, catalog.docs, functions)


TYPED = """# Take a photo
photo = com_example_Photo_TakeIntent()
# Add the photo as an amount
total = com_example_Calc_AddIntent(amount=photo)
# Show the sum
is_workflow_actions_showresult(Text=f'{total}')
# Get the battery level
battery = is_workflow_actions_getbatterylevel()
# Add the photo as a note, the battery as the amount, the photo as a number
fine = com_example_Calc_AddIntent(note=photo, amount=battery)
coerced = com_example_Calc_AddIntent(amount=coerce_variable(value=photo, coercion_class='WFNumberContentItem'))
"""


def test_wrong_typed_values_are_dropped_and_labelled_with_their_dependents(catalog: Catalog) -> None:
    typed = typed_catalog(catalog)
    got = verdict("typed-values", typed, sample(TYPED))
    assert isinstance(got, Drop) and got.reason == "wrong-type", got
    assert got.detail == "action 1 (com.example.Calc.AddIntent): amount: takes number, given image from action 0"
    assert verdict("typed-values", typed, sample()) is None
    subject = read(sample(TYPED), typed)
    assert subject.workflow is not None
    labels = step_labels(subject.workflow, typed)
    assert [(lb.label, lb.reason.split(":")[0]) for lb in labels] == [
        (1, "ok"), (-1, "wrong-type"), (-1, "depends-on-wrong-step"), (1, "ok"), (0, "output-unused"),
        (1, "ok")]  # text takes anything; a coercion to a number is what the value is
    # a choice takes no image either; a producer of no known kind is never judged
    assert wrong_types(read(sample("# Photo\nphoto = com_example_Photo_TakeIntent()\n# Unit\n"
                                   "com_example_Calc_AddIntent(unit=photo)\n"), typed).workflow, typed.apis) == {
        1: "unit: takes enum, given image from action 0"}
    assert wrong_types(read(sample("# Level\nlevel = is_workflow_actions_getbatterylevel()\n# Add\n"
                                   "com_example_Calc_AddIntent(amount=level)\n"), typed).workflow, typed.apis) == {}


def test_the_shared_catalog_is_read_again_when_its_files_change(warehouse: Path, tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    shutil.copytree(parts_dir(warehouse), parts_dir(target))
    first = shared_catalog(ShardReader(target))
    assert shared_catalog(ShardReader(target)) is first  # the next batch's reader: the same files
    [apis] = ShardReader(target).files("apis")
    table = pq.read_table(apis)
    gone = table.column("identifier")[0].as_py()
    pq.write_table(table.slice(1), tmp_path / "apis.parquet")  # the shard rewritten under its own name
    os.replace(tmp_path / "apis.parquet", apis)
    changed = shared_catalog(ShardReader(target))
    assert gone in first.apis and gone not in changed.apis
    assert changed.apis == load_catalog(ShardReader(target)).apis
    other = shared_catalog(ShardReader(warehouse))  # another warehouse: its own catalog
    assert other is not changed and gone in other.apis


def test_calls_in_a_statement_are_counted_wherever_they_sit() -> None:
    code = ("x = a_b_c(k=d_e_f(), **{'x': g_h_i(), **extra})\n"
            "y = [j_k_l(*m_n_o()), obj.p_q_r(), input('Why?'), input(), f'{s_t_u()}'][v_w_x()]\n"
            "global z\n")

    def walked(node: ast.AST, is_action: Callable[[str], bool]) -> int:  # what ast.walk finds
        return sum((bool(n.args) if n.func.id == "input" else is_action(n.func.id)) for n in ast.walk(node)
                   if isinstance(n, ast.Call) and isinstance(n.func, ast.Name))

    def is_action(name: str) -> bool:
        return name.count("_") >= 2

    statements = ast.parse(code).body
    assert [_calls(st, is_action) for st in statements] == [walked(st, is_action) for st in statements] == [3, 5, 0]
