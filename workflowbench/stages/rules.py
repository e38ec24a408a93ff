"""The rules stage: every ok sample, seed or synthetic, against each static rule of
``workflowbench.checks.rules``; one ``verdicts`` row per sample and rule (``gate`` = the rule's
name), so a sample that breaks two rules shows both. The same reading of the code gives the static
step labels (``workflowbench.checks.labels``): a ``step_labels`` row per action. Nothing is run."""

from __future__ import annotations

import ast
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa
from pydantic import Field

from ..checks.labels import step_labels
from ..checks.lines import action_lines, calls_action
from ..checks.rules import RULES, Bounds, Catalog, Facts, read
from ..code.from_code import collector_paused, function_map
from ..shortcut.model import Workflow
from ..synth.offline import api_specs
from ..warehouse.reader import ShardReader
from ..warehouse.schema import table
from .contract import ARRIVAL, Batch, Latest, Output, Settings, Stage, batches_by_id, now
from .gate import Drop, Unknown
from .thoughts import load_apis

STAGE = "rules"
COLUMNS = ("sample_id", "spec_id", "origin", "query", "task_plan", "workflow_code")
# samples read and checked at once: 500 held less (+248 MB against +362 on a 7,779-sample batch)
# but cost 45% more CPU (a query per part)
CHUNK = 2000
LABELS = table("step_labels").arrow


class RulesSettings(Settings):
    min_actions: int = Field(1, ge=0, le=100_000)
    max_actions: int = Field(300, ge=1, le=1_000_000)
    max_tokens: int = Field(16_000, ge=1, le=10_000_000)  # of query, plan and code together
    batch_size: int = Field(2000, ge=1, le=1_000_000)
    unversioned = frozenset({"batch_size"})


def plan(reader: ShardReader, settings: RulesSettings) -> list[Batch]:
    # A sample's spec (the APIs it must use) goes with its row, not the list of spec shards: a larger
    # target adds a spec shard, which must not make every batch new.
    specs = dict(reader.rows("specs", "spec_id, md5(CAST(apis AS VARCHAR))")) if reader.shards("specs") else {}
    rows = [(sid, f"{h}:{specs.get(spec)}") for sid, h, spec in reader.rows(
        "samples", "sample_id, sha256(concat_ws('\x00', query, task_plan, workflow_code, spec_id)), spec_id",
        where="status = 'ok'", order=ARRIVAL)]
    inputs = tuple((t, ",".join(reader.shards(t))) for t in ("apis", "api_params", "apps"))
    return batches_by_id(rows, settings.batch_size, inputs)


def load_catalog(reader: ShardReader) -> Catalog:
    kinds = dict(reader.rows("apps", "bundle_id, kind"))
    apis = api_specs(reader.rows("apis", "identifier, app, json_schema, input_key, output_name, output_type"),
                     reader.rows("api_params", "identifier, key, type, required, default_value, enum_values, "
                                 "accepts_variables", order="identifier, position"), kinds)
    return Catalog(apis, load_apis(reader), function_map(apis))


CATALOG_TABLES = ("apps", "apis", "api_params")  # what load_catalog reads

# A build's batches share one catalog (each would otherwise read and index it again, and warm its
# schema checks from cold). Its caches are pure functions of their keys, so a sample's verdicts do
# not depend on what was checked before.
_CATALOG: Latest[Catalog] = Latest()


def shared_catalog(reader: ShardReader) -> Catalog:
    """``load_catalog``, once per process for the same catalog files (their paths, sizes and times)."""
    try:
        key = tuple((f, st.st_size, st.st_mtime_ns, st.st_ino) for t in CATALOG_TABLES for f in reader.files(t)
                    for st in (os.stat(f),))
    except OSError:  # a shard retired while listed: no key to trust, read it afresh
        return load_catalog(reader)
    return _CATALOG.get(key, lambda: load_catalog(reader))


def run(batch: Batch, reader: ShardReader, settings: RulesSettings) -> Output:
    catalog = shared_catalog(reader)
    bounds = Bounds(settings.min_actions, settings.max_actions, settings.max_tokens)
    at = now()
    is_action = calls_action(catalog.functions)
    out: list[dict[str, Any]] = []
    labelled: list[pa.RecordBatch] = []
    items = 0
    # A part of the batch at a time (in arrival order: a part reads a few shards): only one part's
    # code is held, and its step labels (~60 per sample) are kept columnar.
    for _, part in reader.chunks("samples", ", ".join(COLUMNS), ids=batch.items, size=CHUNK, where="status = 'ok'",
                                 order="sample_id"):
        rows = [dict(zip(COLUMNS, r)) for r in part]
        wanted = sorted({r["spec_id"] for r in rows if r["spec_id"]})
        specs = {i: tuple(a) for i, a in reader.rows("specs", "spec_id, apis", ids=wanted)} if wanted else {}
        labels: list[dict[str, Any]] = []
        for row in rows:
            with collector_paused():  # a sample's trees die with it: no collection need walk them
                check(row, catalog, bounds, specs, is_action, at, out, labels)
        labelled.append(pa.RecordBatch.from_pylist(labels, schema=LABELS))
        items += len(rows)
    counts = Counter(v["verdict"] for v in out)
    first: dict[str, str] = {}  # a sample's first unknown: the stage's failures count samples, not rules
    for v in out:
        if v["verdict"] == "unknown":
            first.setdefault(v["sample_id"], f"unknown: {v['gate']}: {v['reason']}")
    unknown = Counter(first.values())
    label_table = pa.Table.from_batches(labelled, schema=LABELS)
    counts["labels"] = label_table.num_rows
    return Output({"verdicts": out, "step_labels": label_table}, counts=dict(counts), items=items,
                  failures=dict(unknown))


def check(row: dict[str, Any], catalog: Catalog, bounds: Bounds, specs: Mapping[str, Sequence[str]],
          is_action: Callable[[str], bool], at: datetime, out: list[dict[str, Any]], labels: list[dict[str, Any]]
          ) -> None:
    """One sample's verdict rows (into ``out``) and step label rows (into ``labels``)."""
    subject = read(row, catalog)
    if subject.workflow is not None:
        labels += label_rows(subject.sample_id, subject.workflow, row["workflow_code"] or "", catalog, at,
                             subject.tree, is_action, subject.facts)
    for name, rule in RULES.items():
        try:
            verdict = rule(subject, catalog, bounds, specs)
        except Exception as exc:  # a broken check decides nothing
            verdict = Unknown("check-error", f"{type(exc).__name__}: {exc}"[:300])
        kind = "keep" if verdict is None else "drop" if isinstance(verdict, Drop) else "unknown"
        out.append({"sample_id": subject.sample_id, "gate": name, "verdict": kind,
                    "reason": getattr(verdict, "reason", None), "detail": getattr(verdict, "detail", None),
                    "decided_at": at})


def label_rows(sample_id: str, wf: Workflow, code: str, catalog: Catalog, at: datetime,
               tree: ast.Module | None = None, is_action: Callable[[str], bool] | None = None,
               facts: Facts | None = None) -> list[dict[str, Any]]:
    lines = action_lines(code, len(wf.actions), is_action or calls_action(catalog.functions), tree)
    return [{"sample_id": sample_id, "position": lb.position, "line": lb.line,
             "identifier": wf.actions[lb.position].identifier, "label": lb.label, "reason": lb.reason,
             "source": lb.source, "created_at": at} for lb in step_labels(wf, catalog, lines, facts)]


RULES_STAGE: Stage[RulesSettings] = Stage(
    name=STAGE, reads=("samples", "specs", "apis", "api_params", "apps"), writes=("verdicts", "step_labels"),
    code=("workflowbench.checks", "workflowbench.code", "workflowbench.shortcut", __name__),
    settings=RulesSettings, plan=plan, run=run, retention="covered",
)
