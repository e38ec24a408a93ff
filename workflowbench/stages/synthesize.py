"""The synthesize stage (role ``annotate``): specs -> synthetic samples (``samples`` rows with
``origin = 'synthetic'``).

Offline (the default), each spec's workflow is recombined from real
fragments of the seed workflows (``workflowbench.synth.offline``: recombination, not a language
model), built through the model and written as the training view by ``to_code`` (valid by
construction; the rules gate reads every sample's code back with ``from_code``), and its workflow is
checked: only catalog APIs, every parameter valid against its API's schema, every API of the spec
used, the level's structure. A spec that fails any check is a ``failed`` row with the reason, never a guess.
The offline thoughts then write the comments, the plan and the query from the code. Each row keeps
its lineage: the spec, the example seeds and the seeds whose fragments it drew on. When the expand
role is offline too, the query written from the code is the spec's ``queries`` row. (The offline
annotator cannot read a query: with an expand endpoint and an offline annotator, the expanded
queries stay in ``queries`` and the samples keep the query of their own code.)

With an endpoint for the annotate role, the annotator is given each spec's query (the expand
stage's, or, with the expand role offline, the one written from the recombined workflow) and the
stubs of its APIs, and answers a plan and code (``workflowbench.synth.annotate``: the JSON schema,
or WorkflowLLM's ``Thought:``/``Code:`` form with ``form = 'thought-code'``). Code that does not
parse or map to a workflow is a failed row with the reason; the answer is never repaired by
guessing and the code is never run. Answers are journaled and cached like the thoughts stage's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import Field

from ..checks.splits import trains_on
from ..code.from_code import function_map
from ..code.view import view_of
from ..llm import LLMConfig, Request
from ..llm import client as llm
from ..llm.cache import WarehouseCache
from ..llm.prompts import load
from ..synth.annotate import Form, Unusable, numbered, read_answer
from ..synth.annotate import messages as annotate_messages
from ..synth.offline import Library, Unbuildable, api_specs, build, problems
from ..synth.specs import Spec
from ..thoughts import offline as thoughts
from ..thoughts.base import ApiDoc, Seed
from ..thoughts.chunks import with_comments
from ..warehouse.journal import Journal
from ..warehouse.reader import ShardReader
from .contract import Batch, Latest, Output, Settings, Stage, code_version, now
from .specs import load_specs
from .thoughts import load_apis, placeholder_rows

STAGE = "synthesize"
PROMPT = "annotate"
THOUGHT_CODE_REPAIR = ("That answer cannot be used ({error}). Reply again with only 'Thought:' and the plan, then "
                       "'Code:' and the code in one ```python block.")
CODE = ("workflowbench.synth", "workflowbench.thoughts", "workflowbench.code", __name__)


class SynthesizeSettings(Settings):
    batch_size: int = Field(2000, ge=1, le=1_000_000)  # specs per batch (each batch builds the fragment library once)
    llm: LLMConfig | None = None  # the annotate role's endpoint; None: offline recombination
    expanded: bool = False  # the queries come from the expand stage (its role has an endpoint)
    form: Form = "json"  # what the annotator is asked to answer: the JSON schema or Thought/Code
    split_seed: int = Field(0, ge=0)  # the splits stage's: fragments come from training seeds only
    ood_share: float = Field(0.05, ge=0, lt=1)
    unversioned = frozenset({"batch_size"})

    def version(self) -> Any:
        annotator = None if self.llm is None else [self.llm.base_url, self.llm.model, self.llm.sampling(),
                                                    load(PROMPT).version, self.form]
        return [annotator, self.expanded, self.split_seed, self.ood_share]


def offline_model() -> str:
    return f"offline-synth-{code_version(*CODE)}"


def plan(reader: ShardReader, settings: SynthesizeSettings) -> list[Batch]:
    specs = reader.rows("specs", "spec_id, md5(CAST(apis AS VARCHAR) || CAST(examples AS VARCHAR) || level || "
                        "category)", order="seed, position")
    # the seed samples only: this stage's own sample shards are no input of it
    inputs = (*((t, ",".join(reader.shards(t))) for t in ("apis", "api_params", "apps", "plists")),
              ("samples", ",".join(reader.shards("samples", "thoughts"))))
    if settings.expanded:
        inputs += (("queries", ",".join(reader.shards("queries", "expand"))),)
    size = settings.batch_size
    return [Batch((*specs[i:i + size], *inputs), tuple(s for s, _ in specs[i:i + size]))
            for i in range(0, len(specs), size)]


def load_library(reader: ShardReader, split_seed: int = 0, ood_share: float = 0.05) -> Library:
    """The catalog and the fragments of the seeds of the training splits (``trains_on``)."""
    kinds = dict(reader.rows("apps", "bundle_id, kind"))
    apis = api_specs(reader.rows("apis", "identifier, app, json_schema, input_key, output_name, output_type"),
                     reader.rows("api_params", "identifier, key, type, required, default_value, enum_values, "
                                 "accepts_variables", order="identifier, position"), kinds)
    app_of = {i: a.app for i, a in apis.items()}
    seeds = {s: sid for s, sid, used in reader.rows("samples", "sample_id, shortcut_id, apis",
                                                      where="origin = 'seed' AND status = 'ok'")
             if trains_on(sid, {app_of.get(a, "shortcuts") for a in used or ()}, split_seed, ood_share)}
    workflows = reader.workflows(sorted(set(seeds.values())))
    return Library(apis, {s: workflows[sid] for s, sid in sorted(seeds.items()) if sid in workflows})


# The batches of a build share one library: its caches are pure functions of their keys, so a
# spec's sample does not depend on what came before.
_LIBRARY: Latest[tuple[Library, dict[str, ApiDoc]]] = Latest()


def shared_library(reader: ShardReader, split_seed: int = 0, ood_share: float = 0.05
                   ) -> tuple[Library, dict[str, ApiDoc]]:
    """``load_library`` and ``load_apis``, once per process for the same shards and split."""
    key = (str(reader.warehouse), *(tuple(reader.shards(t)) for t in ("apis", "api_params", "apps", "plists")),
           tuple(reader.shards("samples", "thoughts")), split_seed, ood_share)
    return _LIBRARY.get(key, lambda: (load_library(reader, split_seed, ood_share), load_apis(reader)))


def run(batch: Batch, reader: ShardReader, settings: SynthesizeSettings) -> Output:
    functions = function_map(i for (i,) in reader.rows("apis", "identifier"))
    specs = load_specs(reader, batch.items)
    at, model = now(), offline_model()
    rows, held, queries = [], [], []
    if settings.llm is None or not settings.expanded:  # the recombined workflows are needed
        lib, docs = shared_library(reader, settings.split_seed, settings.ood_share)
    seen: dict[str, str] = {}  # code -> the sample that has it
    for spec in specs if settings.llm is None or not settings.expanded else ():
        row, found = synthesize(spec, lib, docs, model, at)
        if not unique(row, seen):
            found = []
        rows.append(row)
        held += found
        if not settings.expanded:  # its query is the spec's
            queries.append(query_row(spec, row, model, at))
    live = 0
    if settings.llm is not None:
        asked = {q["spec_id"]: q for q in queries} if not settings.expanded else expanded(reader, batch.items)
        rows, live = annotate(specs, asked, reader, functions, settings, at)
        held = []  # the annotator's code has no placeholders of its own
    failures: dict[str, int] = {}
    for row in rows:
        if row["status"] != "ok":
            reason = str(row["error"]).split(":")[0]
            failures[reason] = failures.get(reason, 0) + 1
    ok = sum(r["status"] == "ok" for r in rows)
    failed = [{k: r[k] for k in ("sample_id", "shortcut_id", "backend", "model", "error", "created_at")}
              for r in rows if r["status"] != "ok"]
    counts = {"ok": ok, "failed": len(rows) - ok, "queries": len(queries)} | ({"calls": live} if live else {})
    return Output({"samples": rows, "sample_failures": failed, "placeholders": held, "queries": queries},
                  journaled=live, counts=counts, items=len(rows), failures=failures,
                  retry=settings.llm is not None and ok < len(rows))


def unique(row: dict[str, Any], seen: dict[str, str]) -> bool:
    """False, and ``row`` made a failure, when an earlier ok row of ``seen`` (code -> sample id) has
    its code: two tiny specs of one API can recombine into the same workflow."""
    if row["status"] != "ok":
        return True
    first = seen.setdefault(row["workflow_code"], row["sample_id"])
    if first == row["sample_id"]:
        return True
    row.update(status="failed", error=f"duplicate: the same code as {first}", query=None, task_plan=None,
               workflow_code=None)
    return False


def query_row(spec: Spec, sample: Mapping[str, Any], model: str, at: datetime) -> dict[str, Any]:
    """The spec's ``queries`` row offline: the query written from the recombined workflow's code."""
    ok = sample["status"] == "ok"
    return {"spec_id": spec.spec_id, "status": sample["status"], "error": None if ok else sample["error"],
            "query": sample["query"], "backend": "offline", "model": model, "prompt_version": None,
            "lineage": json.dumps({"examples": list(spec.examples), "written_from": "code"}), "created_at": at}


def expanded(reader: ShardReader, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The expand stage's query rows of the specs ``ids``."""
    rows = reader.rows("queries", "spec_id, status, error, query, backend, model", ids=ids)
    return {r[0]: dict(zip(("spec_id", "status", "error", "query", "backend", "model"), r)) for r in rows}


def annotate(specs: Sequence[Spec], queries: Mapping[str, Mapping[str, Any]], reader: ShardReader,
             functions: Mapping[str, str], settings: SynthesizeSettings, at: datetime
             ) -> tuple[list[dict[str, Any]], int]:
    """The annotator's sample row per spec, and how many live calls it took."""
    config = settings.llm
    assert config is not None
    prompt = load(PROMPT)
    stubs = dict(reader.rows("apis", "identifier, stub"))
    schema = prompt.schema
    rows: list[dict[str, Any]] = []
    work: list[dict[str, Any]] = []
    requests = []
    for spec in specs:
        row = _row(spec, "openai", config.model)
        row["prompt_versions"] = json.dumps({PROMPT: prompt.version})
        row["created_at"] = at
        rows.append(row)
        q = queries.get(spec.spec_id)
        if q is None or q["status"] != "ok" or not q["query"]:
            row["error"] = f"no-query: {q['error'] if q else 'the spec has no query'}"[:500]
            continue
        row["query"] = q["query"]
        row["lineage"] = json.dumps({"spec": spec.spec_id, "examples": list(spec.examples), "fragments": [],
                                     "query": {"backend": q["backend"], "model": q["model"]}})
        messages = annotate_messages(prompt, q["query"], [stubs[a] for a in spec.apis if a in stubs])
        json_form = settings.form == "json"
        requests.append(Request(STAGE, prompt.name, prompt.version, messages, schema if json_form else None,
                                _usable(schema, functions), None if json_form else THOUGHT_CODE_REPAIR))
        work.append(row)
    if not requests:
        return rows, 0
    with Journal(reader.warehouse) as journal:
        answers = llm.run(requests, config, WarehouseCache(reader.warehouse), journal.write)
    for row, answer in zip(work, answers):
        if answer.status != "ok":
            row["error"] = f"annotate: {answer.error}"[:500]
            continue
        text = answer.data if isinstance(answer.data, str) else json.dumps(answer.data, ensure_ascii=False)
        got = read_answer(text, schema, functions)
        if isinstance(got, Unusable):  # the client's check passed it: only a changed reading gets here
            row["error"] = f"annotate: {got.reason}: {got.detail}"[:500]
            continue
        row.update(status="ok", task_plan=numbered(got.plan), workflow_code=got.code,
                   apis=list(dict.fromkeys(a.identifier for a in got.workflow.actions)),
                   action_count=len(got.workflow.actions))
    return rows, sum(a.row is not None for a in answers)


def _usable(schema: Mapping[str, Any], functions: Mapping[str, str]) -> Any:
    """The client's check of an annotator's answer: the reason it is unusable, or None."""
    def check(data: Any) -> str | None:
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        got = read_answer(text, schema, functions)
        return f"{got.reason}: {got.detail}"[:300] if isinstance(got, Unusable) else None
    return check


def _row(spec: Spec, backend: str, model: str) -> dict[str, Any]:
    return {
        "sample_id": f"synthetic-{spec.spec_id}", "shortcut_id": f"spec-{spec.spec_id}", "origin": "synthetic",
        "status": "failed", "error": None, "query": None, "apis": list(spec.apis), "task_plan": None,
        "workflow_code": None, "category": spec.category, "backend": backend, "model": model,
        "prompt_versions": None, "chunks": 1, "created_at": None, "spec_id": spec.spec_id,
        "lineage": json.dumps({"spec": spec.spec_id, "examples": list(spec.examples), "fragments": []}),
    }


def synthesize(spec: Spec, lib: Library, docs: Mapping[str, ApiDoc], model: str, at: datetime
               ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The sample row for one spec (ok, or failed with the reason) and its placeholder rows."""
    row = _row(spec, "offline", model)
    row["created_at"] = at
    sample_id = row["sample_id"]
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

    # Library.usable keeps every action holding a blob or long text out of the fragments.
    view = view_of(built.raws, built.source, labels=label, blobs=False)
    # Built through the model and written by to_code, the code stands for ``view.workflow`` (the
    # training view reads back to it: tests/code/test_view.py; the rules gate reads every sample's
    # code back again): what is checked here is that workflow, not a second parse of the code. An
    # action the build found valid and the view left as it was is not checked again.
    found = problems(view.workflow, spec.apis, spec.level, lib, built.checked - view.changed)
    problem = found[0] if found else None
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
               workflow_code=with_comments(view.code.code, th.comments), action_count=len(view.workflow.actions),
               apis=list(dict.fromkeys(a.identifier for a in view.workflow.actions)))
    held = [{**p, "sample_id": sample_id} for p in placeholder_rows(seed, view.placeholders)]
    return row, held


SYNTHESIZE: Stage[SynthesizeSettings] = Stage(
    name=STAGE, reads=("specs", "apis", "api_params", "apps", "samples", "plists", "queries"),
    writes=("samples", "sample_failures", "placeholders", "queries"), code=CODE, settings=SynthesizeSettings, plan=plan,
    run=run,
)
