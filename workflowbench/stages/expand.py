"""The expand stage (role ``expand``): specs -> ``queries``, a new request per spec from an LLM.

The prompt (``workflowbench.synth.expand``) gives the spec's API stubs, theme, level and example
seeds; an answer that breaks the schema or names an API is asked again once with the reason (the
client's repair turn), then recorded as a failed row with that reason. Answers are journaled as
they arrive and cached in the warehouse, so a kill loses none and a rerun asks nothing again.

With no endpoint for the role there is nothing to ask: the offline annotator recombines a workflow
from the spec and its query is written from that workflow's code (the synthesize stage writes
those ``queries`` rows), so this stage plans no batches and its earlier rows are retired.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from ..llm import LLMConfig, Request
from ..llm import client as llm
from ..llm.cache import WarehouseCache
from ..llm.prompts import load
from ..synth import expand
from ..synth.specs import Spec
from ..warehouse.journal import Journal
from ..warehouse.reader import ShardReader
from .contract import Batch, Output, Settings, Stage, now
from .specs import load_specs
from .thoughts import load_apis

STAGE = "expand"
PROMPT = "expand"


class ExpandSettings(Settings):
    llm: LLMConfig | None = None  # the expand role's endpoint; None: offline (no batches)
    batch_size: int = Field(500, ge=1, le=100_000)  # specs per batch
    unversioned = frozenset({"batch_size"})

    def version(self) -> Any:
        if self.llm is None:
            return None
        return [self.llm.base_url, self.llm.model, self.llm.sampling(), load(PROMPT).version]


def plan(reader: ShardReader, settings: ExpandSettings) -> list[Batch]:
    if settings.llm is None:
        return []
    specs = reader.rows("specs", "spec_id, md5(CAST(apis AS VARCHAR) || CAST(examples AS VARCHAR) || level || "
                        "category)", order="seed, position")
    inputs = (("apis", ",".join(reader.shards("apis"))), ("samples", ",".join(reader.shards("samples", "thoughts"))))
    size = settings.batch_size
    return [Batch((*specs[i:i + size], *inputs), tuple(s for s, _ in specs[i:i + size]))
            for i in range(0, len(specs), size)]


def load_examples(reader: ShardReader, specs: list[Spec], names: dict[str, str]) -> dict[str, expand.Example]:
    wanted = sorted({e for s in specs for e in s.examples})
    rows = reader.rows("samples", "sample_id, query, apis, shortcut_id", ids=wanted,
                       where="origin = 'seed' AND status = 'ok' AND query IS NOT NULL")
    about: dict[str, str] = {}
    for sid, text in reader.rows("shortcut_metadata", "shortcut_id, description", ids=[r[3] for r in rows],
                                 where="description IS NOT NULL AND trim(description) <> ''",
                                 order="shortcut_id, path"):
        about.setdefault(sid, text)
    return {sid: expand.Example(q, tuple(dict.fromkeys(names.get(a, a) for a in apis or ())), about.get(shortcut))
            for sid, q, apis, shortcut in rows}


def run(batch: Batch, reader: ShardReader, settings: ExpandSettings) -> Output:
    config = settings.llm
    assert config is not None, "plan makes no batches offline"
    prompt = load(PROMPT)
    docs = load_apis(reader)
    stubs = dict(reader.rows("apis", "identifier, stub"))
    specs = load_specs(reader, batch.items)
    examples = load_examples(reader, specs, {i: d.name or i for i, d in docs.items()})
    requests = [Request(STAGE, prompt.name, prompt.version,
                        expand.messages(prompt, s, stubs, [examples[e] for e in s.examples if e in examples]),
                        prompt.schema, expand.check(s, docs)) for s in specs]
    with Journal(reader.warehouse) as journal:
        answers = llm.run(requests, config, WarehouseCache(reader.warehouse), journal.write)
    at = now()
    rows, failures = [], {}
    for spec, answer in zip(specs, answers):
        ok = answer.status == "ok"
        rows.append({"spec_id": spec.spec_id, "status": answer.status, "error": None if ok else answer.error,
                     "query": " ".join(answer.data["query"].split()) if ok else None, "backend": llm.BACKEND,
                     "model": config.model, "prompt_version": prompt.version,
                     "lineage": json.dumps({"examples": list(spec.examples)}), "created_at": at})
        if not ok:
            reason = str(answer.error).split(":")[0]
            failures[reason] = failures.get(reason, 0) + 1
    live = sum(a.row is not None for a in answers)
    ok = sum(r["status"] == "ok" for r in rows)
    return Output({"queries": rows}, journaled=live, items=len(rows), failures=failures, retry=ok < len(rows),
                  counts={"ok": ok, "failed": len(rows) - ok, "calls": live})


EXPAND: Stage[ExpandSettings] = Stage(
    name=STAGE, reads=("specs", "apis", "api_params", "samples", "shortcut_metadata"), writes=("queries",),
    code=("workflowbench.synth", "workflowbench.thoughts.query", __name__),
    settings=ExpandSettings, plan=plan, run=run,
)
