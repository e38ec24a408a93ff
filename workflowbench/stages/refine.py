"""The refine stage (role ``refine``): the plan and code of each ok sample of ``origins``
(default: synthetic), polished before the gates see them.

With an endpoint, an LLM gets the query, the stubs of the sample's APIs, the plan and the code, and
answers a plan and code (``workflowbench.synth.refine``), read as strictly as the annotator's
(they must parse and map to a workflow). Offline, refine is the canonical rewrite: the code to the
model and back to the training view, each action keeping its comment; code that is already the
training view (the offline annotator's, every seed's) is left as it is, so offline this only
touches code an LLM wrote.

A refined sample is a new ``samples`` row for the same sample (the newer row wins), and every
sample asked about gets a ``verdicts`` row with ``gate = 'refine'``: ``keep`` with reason
``refined`` or ``unchanged``; ``keep`` with ``apis-changed`` when the refinement used other APIs
and was not taken (the sample stays as it was); ``unknown`` with ``refine-error`` when the call
failed or the answer could not be used.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import Field

from ..code.from_code import function_map
from ..llm import LLMConfig, Request
from ..llm import client as llm
from ..llm.cache import WarehouseCache
from ..llm.prompts import load
from ..synth.annotate import Unusable, numbered, read_answer
from ..synth.refine import messages, rewrite
from ..warehouse.journal import Journal
from ..warehouse.reader import ShardReader
from .contract import Batch, Output, Settings, Stage, now
from .thoughts import load_apis

STAGE = "refine"
PROMPT = "refine"
SOURCES = ("thoughts", "synthesize")  # the stages whose samples refine reads (never its own)
COLUMNS = ("sample_id", "shortcut_id", "origin", "status", "error", "query", "apis", "task_plan", "workflow_code",
           "category", "backend", "model", "prompt_versions", "chunks", "spec_id", "lineage")


class RefineSettings(Settings):
    llm: LLMConfig | None = None  # the refine role's endpoint; None: the canonical rewrite
    origins: tuple[str, ...] = ("synthetic",)
    batch_size: int = Field(500, ge=1, le=100_000)
    unversioned = frozenset({"batch_size"})

    def version(self) -> Any:
        who = None if self.llm is None else [self.llm.base_url, self.llm.model, self.llm.sampling(),
                                             load(PROMPT).version]
        return [who, list(self.origins)]


def plan(reader: ShardReader, settings: RefineSettings) -> list[Batch]:
    origins = ", ".join(f"'{o}'" for o in settings.origins) or "''"
    where = f"status = 'ok' AND origin IN ({origins})" + ("" if settings.llm else " AND backend <> 'offline'")
    rows = reader.rows("samples", "sample_id, sha256(concat_ws('\x00', query, task_plan, workflow_code))",
                       where=where, order="sample_id", stages=SOURCES)
    inputs = tuple((t, ",".join(reader.shards(t))) for t in ("apis", "api_params"))
    size = settings.batch_size
    return [Batch((*rows[i:i + size], *inputs), tuple(r[0] for r in rows[i:i + size]))
            for i in range(0, len(rows), size)]


def run(batch: Batch, reader: ShardReader, settings: RefineSettings) -> Output:
    rows = [dict(zip(COLUMNS, r)) for r in reader.rows("samples", ", ".join(COLUMNS), ids=batch.items,
                                                         where="status = 'ok'", order="sample_id", stages=SOURCES)]
    functions = function_map(i for (i,) in reader.rows("apis", "identifier"))
    docs = load_apis(reader)
    at = now()
    samples, verdicts, live = [], [], 0
    proposals: dict[str, tuple[str, str, Any] | str] = {}  # sample -> (plan, code, workflow) or why not
    if settings.llm is None:
        for r in rows:
            got = rewrite(r["workflow_code"] or "", r["task_plan"] or "", functions,
                          lambda i: docs[i].output_name if i in docs else None)
            proposals[r["sample_id"]] = (got.plan, got.code, got.workflow) if got else \
                "the code does not map, or its comments cannot be carried over"
        who = "offline"
    else:
        prompt = load(PROMPT)
        stubs = dict(reader.rows("apis", "identifier, stub"))
        schema = prompt.schema
        requests = [Request(STAGE, prompt.name, prompt.version,
                            messages(prompt, r["query"] or "", r["task_plan"] or "", r["workflow_code"] or "",
                                     [stubs[a] for a in r["apis"] or () if a in stubs]), schema,
                            _usable(schema, functions)) for r in rows]
        with Journal(reader.warehouse) as journal:
            answers = llm.run(requests, settings.llm, WarehouseCache(reader.warehouse), journal.write)
        live = sum(a.row is not None for a in answers)
        for r, answer in zip(rows, answers):
            got = read_answer(json.dumps(answer.data), schema, functions) if answer.status == "ok" else None
            proposals[r["sample_id"]] = str(answer.error) if got is None else \
                f"{got.reason}: {got.detail}" if isinstance(got, Unusable) else (numbered(got.plan), got.code,
                                                                                   got.workflow)
        who = settings.llm.model
    for r in rows:
        got = proposals[r["sample_id"]]
        if isinstance(got, str):
            verdicts.append(_verdict(r["sample_id"], "unknown", "refine-error", got, at))
            continue
        plan_text, code, wf = got
        before, after = set(r["apis"] or ()), {a.identifier for a in wf.actions}
        if after != before:
            detail = f"added {sorted(after - before)[:5]}, removed {sorted(before - after)[:5]}"
            verdicts.append(_verdict(r["sample_id"], "keep", "apis-changed", detail, at))
            continue
        if code == r["workflow_code"] and plan_text == r["task_plan"]:
            verdicts.append(_verdict(r["sample_id"], "keep", "unchanged", None, at))
            continue
        samples.append(_refined(r, plan_text, code, who, at) | {"action_count": len(wf.actions)})
        verdicts.append(_verdict(r["sample_id"], "keep", "refined", f"by {who}", at))
    unknown = sum(v["verdict"] == "unknown" for v in verdicts)
    return Output({"samples": samples, "verdicts": verdicts}, journaled=live, items=len(rows),
                  failures={"unknown: refine-error": unknown} if unknown else {}, retry=bool(unknown and settings.llm),
                  counts={"refined": len(samples), "asked": len(rows), "calls": live})


def _usable(schema: Any, functions: Any) -> Any:
    def check(data: Any) -> str | None:
        got = read_answer(json.dumps(data, ensure_ascii=False), schema, functions)
        return f"{got.reason}: {got.detail}"[:300] if isinstance(got, Unusable) else None
    return check


def _verdict(sample_id: str, verdict: str, reason: str, detail: str | None, at: datetime) -> dict[str, Any]:
    return {"sample_id": sample_id, "gate": STAGE, "verdict": verdict, "reason": reason,
            "detail": detail[:500] if detail else None, "decided_at": at}


def _refined(r: dict[str, Any], plan_text: str, code: str, who: str, at: datetime) -> dict[str, Any]:
    lineage = json.loads(r["lineage"]) if isinstance(r["lineage"], str) else dict(r["lineage"] or {})
    versions = json.loads(r["prompt_versions"]) if isinstance(r["prompt_versions"], str) else \
        dict(r["prompt_versions"] or {})
    return {**r, "task_plan": plan_text, "workflow_code": code, "created_at": at,
            "lineage": json.dumps({**lineage, "refined": who}),
            "prompt_versions": json.dumps({**versions, PROMPT: load(PROMPT).version}) if who != "offline" else
            r["prompt_versions"]}


REFINE: Stage[RefineSettings] = Stage(
    name=STAGE, reads=("samples", "apis", "api_params"), writes=("samples", "verdicts"),
    code=("workflowbench.synth.refine", "workflowbench.synth.annotate", "workflowbench.code", __name__),
    settings=RefineSettings, plan=plan, run=run,
)
