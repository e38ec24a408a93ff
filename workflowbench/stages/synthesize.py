"""The synthesize stage: specs -> synthetic samples (``samples`` rows with ``origin = 'synthetic'``).

Offline (the default, and the only backend so far), each spec's workflow is recombined from real
fragments of the seed workflows (``workflowbench.synth.offline``: recombination, not a language
model), written as the training view, read back with ``from_code`` and checked: the same actions,
only catalog APIs, every parameter valid against its API's schema, every API of the spec used, the
level's structure. A spec that fails any check is a ``failed`` row with the reason, never a guess.
The offline thoughts then write the comments, the plan and the query from the code. Each row keeps
its lineage: the spec, the example seeds and the seeds whose fragments it drew on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import Field

from ..code.from_code import from_code, function_map
from ..code.view import training_view
from ..shortcut.errors import ShortcutError
from ..shortcut.model import Workflow
from ..synth.offline import Library, Unbuildable, api_specs, build, problems
from ..synth.specs import Spec
from ..thoughts import offline as thoughts
from ..thoughts.base import ApiDoc, Seed
from ..thoughts.chunks import with_comments
from ..warehouse.reader import ShardReader
from .contract import Batch, Output, Settings, Stage, code_version, now
from .thoughts import load_apis, placeholder_rows

STAGE = "synthesize"
CODE = ("workflowbench.synth", "workflowbench.thoughts", "workflowbench.code", __name__)


class SynthesizeSettings(Settings):
    batch_size: int = Field(2000, ge=1, le=1_000_000)  # specs per batch (each batch builds the fragment library once)
    unversioned = frozenset({"batch_size"})


def offline_model() -> str:
    return f"offline-synth-{code_version(*CODE)}"


def plan(reader: ShardReader, settings: SynthesizeSettings) -> list[Batch]:
    specs = reader.rows("specs", "spec_id, md5(CAST(apis AS VARCHAR) || CAST(examples AS VARCHAR) || level || "
                        "category)", order="seed, position")
    # the seed samples only: this stage's own sample shards are no input of it
    inputs = (*((t, ",".join(reader.shards(t))) for t in ("apis", "api_params", "apps", "plists")),
              ("samples", ",".join(reader.shards("samples", "thoughts"))))
    size = settings.batch_size
    return [Batch((*specs[i:i + size], *inputs), tuple(s for s, _ in specs[i:i + size]))
            for i in range(0, len(specs), size)]


def load_library(reader: ShardReader) -> Library:
    kinds = dict(reader.rows("apps", "bundle_id, kind"))
    apis = api_specs(reader.rows("apis", "identifier, app, json_schema, input_key, output_name"),
                     reader.rows("api_params", "identifier, key, type, required, default_value, enum_values, "
                                 "accepts_variables", order="identifier, position"), kinds)
    seeds = dict(reader.rows("samples", "sample_id, shortcut_id", where="origin = 'seed' AND status = 'ok'"))
    workflows = reader.workflows(sorted(set(seeds.values())))
    return Library(apis, {s: workflows[sid] for s, sid in sorted(seeds.items()) if sid in workflows})


def run(batch: Batch, reader: ShardReader, settings: SynthesizeSettings) -> Output:
    lib = load_library(reader)
    docs = load_apis(reader)
    functions = function_map(lib.apis)
    specs = [_spec(r) for r in reader.rows("specs", "spec_id, seed, position, category, level, apps, apis, builtin, "
                                           "examples", ids=batch.items, order="seed, position")]
    at, model = now(), offline_model()
    rows, held, failures = [], [], {}
    for spec in specs:
        row, found = synthesize(spec, lib, docs, functions, model, at)
        rows.append(row)
        held += found
        if row["status"] != "ok":
            reason = str(row["error"]).split(":")[0]
            failures[reason] = failures.get(reason, 0) + 1
    ok = sum(r["status"] == "ok" for r in rows)
    failed = [{k: r[k] for k in ("sample_id", "shortcut_id", "backend", "model", "error", "created_at")}
              for r in rows if r["status"] != "ok"]
    return Output({"samples": rows, "sample_failures": failed, "placeholders": held},
                  counts={"ok": ok, "failed": len(rows) - ok}, items=len(rows), failures=failures)


def _spec(r: tuple[Any, ...]) -> Spec:
    spec_id, seed, position, category, level, apps, apis, builtin, examples = r
    return Spec(spec_id, seed, position, category, level, tuple(apps), tuple(apis), builtin, tuple(examples))


def synthesize(spec: Spec, lib: Library, docs: Mapping[str, ApiDoc], functions: Mapping[str, str], model: str,
               at: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The sample row for one spec (ok, or failed with the reason) and its placeholder rows."""
    sample_id = f"synthetic-{spec.spec_id}"
    row: dict[str, Any] = {
        "sample_id": sample_id, "shortcut_id": f"spec-{spec.spec_id}", "origin": "synthetic", "status": "failed",
        "error": None, "query": None, "apis": list(spec.apis), "task_plan": None, "workflow_code": None,
        "category": spec.category, "backend": "offline", "model": model, "prompt_versions": None, "chunks": 1,
        "created_at": at, "spec_id": spec.spec_id,
        "lineage": json.dumps({"spec": spec.spec_id, "examples": list(spec.examples), "fragments": []}),
    }
    try:
        built = build(lib, spec)
    except Unbuildable as exc:
        row["error"] = f"unbuildable: {exc}"
        return row, []
    row["lineage"] = json.dumps({"spec": spec.spec_id, "examples": list(spec.examples),
                                 "fragments": list(built.fragments)})

    def label(identifier: str) -> str | None:
        doc = docs.get(identifier)
        return doc.output_name if doc is not None else None

    view = training_view(built.workflow, labels=label)
    problem = check(spec, view.code.code, built.workflow, lib, functions)
    if problem is not None:
        row["error"] = problem
        return row, []
    seed = Seed(row["shortcut_id"], "", view.workflow, view.code, spec.category)
    try:
        th = thoughts.think(seed, docs)
    except Exception as exc:  # one odd workflow must not stop its batch
        row["error"] = f"offline: {type(exc).__name__}: {exc}"[:500]
        return row, []
    plan_text = "\n".join(f"{i}. {step}" for i, step in enumerate(th.plan, start=1))
    row.update(status="ok", query=th.query, task_plan=plan_text,
               workflow_code=with_comments(view.code.code, th.comments),
               apis=list(dict.fromkeys(a.identifier for a in view.workflow.actions)))
    held = [{**p, "sample_id": sample_id} for p in placeholder_rows(seed, view.placeholders)]
    return row, held


def check(spec: Spec, code: str, built: Workflow, lib: Library, functions: Mapping[str, str]) -> str | None:
    """Why the code is not a valid sample for the spec (a reason slug and detail), or None."""
    try:
        back = from_code(code, source=spec.spec_id, functions=functions)
    except (ShortcutError, SyntaxError, RecursionError) as exc:
        return f"unmapped: {exc}"[:500]
    if [a.identifier for a in back.actions] != [a.identifier for a in built.actions]:
        return "unmapped: the code reads back to other actions"
    found = problems(back, spec.apis, spec.level, lib)
    return found[0] if found else None


SYNTHESIZE: Stage[SynthesizeSettings] = Stage(
    name=STAGE, reads=("specs", "apis", "api_params", "apps", "samples", "plists"),
    writes=("samples", "sample_failures", "placeholders"), code=CODE, settings=SynthesizeSettings, plan=plan,
    run=run,
)
