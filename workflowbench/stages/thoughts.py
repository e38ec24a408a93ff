"""The thoughts stage: seed shortcuts (transpiled code + model + catalog) -> ``samples`` rows.

It reads its inputs through the shard reader (code, plists and names from ingest; API docs and
categories from the catalog), so it runs before publish and never opens the DuckDB file. A batch
writes one samples shard keyed by its seeds' code, the catalog shard, the backend and model, the
prompt versions and this code's hash; live LLM calls go to shards of their own that are never
retired (they are the cache). A batch with failed samples is retried on the next run (answers that
came back are cache hits) while the failures stay visible as rows with their reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import Field

from ..code.names import function_name
from ..code.to_code import Transpiled
from ..code.view import Placeholder, training_view
from ..llm import LLMConfig
from ..llm.cache import WarehouseCache
from ..thoughts import llm_backend, offline
from ..thoughts.base import ApiDoc, Seed, Thoughts
from ..thoughts.chunks import with_comments
from ..warehouse.journal import Journal
from ..warehouse.reader import ShardReader
from .contract import Batch, Output, Settings, Stage, code_version, now

STAGE = "thoughts"
OFFLINE = "offline"
CODE = ("workflowbench.thoughts", "workflowbench.code", __name__)


class ThoughtsSettings(Settings):
    budget: int = Field(3000, ge=50, le=1_000_000)  # tokens of code per LLM request
    batch_size: int = Field(500, ge=1, le=100_000)  # seeds per batch: ~3 requests per seed in flight
    llm: LLMConfig | None = None  # None: the offline backend
    unversioned = frozenset({"batch_size"})

    def version(self) -> Any:
        if self.llm is None:
            return offline_model()
        # The endpoint's URL and what shapes the answers; never the key, nor how hard to push it.
        return [self.llm.base_url, self.llm.model, self.llm.sampling(), llm_backend.prompt_versions(), self.budget]


DEFAULT_BUDGET = ThoughtsSettings().budget


def offline_model() -> str:
    return f"{OFFLINE}-{code_version(*CODE)}"


def plan(reader: ShardReader, settings: ThoughtsSettings) -> list[Batch]:
    """Batches of (shortcut id, hash of its current code) for every shortcut whose latest transpile is ok."""
    seeds = [(a, b) for a, b in reader.rows("code", "shortcut_id, sha256(code)", where="status = 'ok'",
                                              order="shortcut_id")]
    catalog = ("catalog", ",".join(reader.shards("apis")))
    size = settings.batch_size
    return [Batch((*seeds[i:i + size], catalog), tuple(s for s, _ in seeds[i:i + size]))
            for i in range(0, len(seeds), size)]


def run(batch: Batch, reader: ShardReader, settings: ThoughtsSettings) -> Output:
    apis = load_apis(reader)
    seeds, placeholders, broken = load_seeds(reader, batch.items, apis)
    work = [s for s in seeds if s.shortcut_id not in broken]
    at = now()
    config = settings.llm
    calls: list[dict[str, Any]] = []
    if config is None:
        model, versions = offline_model(), None
        results: dict[str, Thoughts | str] = {s.shortcut_id: _offline(s, apis) for s in work}
        chunks = dict.fromkeys(results, 1)
    else:  # answers are journaled as they arrive, so a kill loses none that came back
        model, versions = config.model, llm_backend.prompt_versions()
        with Journal(reader.warehouse) as journal:
            results, calls, chunks = llm_backend.think(work, apis, config, WarehouseCache(reader.warehouse),
                                                       settings.budget, journal.write)
    results.update(broken)
    chunks = {**dict.fromkeys(broken, 0), **chunks}
    rows = [sample_row(s, results[s.shortcut_id], OFFLINE if config is None else "openai", model, versions,
                       chunks[s.shortcut_id], at) for s in seeds]
    ok = sum(r["status"] == "ok" for r in rows)
    failures: dict[str, int] = {}
    for r in rows:
        if r["status"] != "ok":
            reason = ":".join(str(r["error"]).split(":")[:2])  # 'comments: schema', 'offline: KeyError'
            failures[reason] = failures.get(reason, 0) + 1
    failed = [{k: r[k] for k in ("sample_id", "shortcut_id", "backend", "model", "error", "created_at")}
              for r in rows if r["status"] != "ok"]
    held = [row for seed in seeds for row in placeholder_rows(seed, placeholders.get(seed.shortcut_id, ()))]
    return Output({"samples": rows, "sample_failures": failed, "placeholders": held}, journaled=len(calls),
                  counts={"ok": ok, "failed": len(rows) - ok, "calls": len(calls)}, retry=ok < len(rows),
                  items=len(rows), failures=failures)


def load_apis(reader: ShardReader) -> dict[str, ApiDoc]:
    labels: dict[str, dict[str, str]] = {}
    for ident, key, label in reader.rows("api_params", "identifier, key, label", order="identifier, position"):
        if label:
            labels.setdefault(ident, {})[key] = label
    rows = reader.rows("apis", "identifier, function, name, description, output_name")
    return {i: ApiDoc(i, f or function_name(i), n, d, labels.get(i, {}), o) for i, f, n, d, o in rows}


def load_seeds(reader: ShardReader, ids: Sequence[str], apis: Mapping[str, ApiDoc]
               ) -> tuple[list[Seed], dict[str, tuple[Placeholder, ...]], dict[str, str]]:
    """The seeds for ``ids`` whose current code is ok, each with the training view of its stored
    workflow (output labels compared with the catalog's defaults); the views' placeholders; and why
    a view could not be made (those seeds become failed samples)."""
    ok = {sid for (sid,) in reader.rows("code", "shortcut_id", ids=ids, where="status = 'ok'")}
    names = dict(reader.rows("shortcuts", "id, name", ids=ids))
    categories = dict(reader.rows("shortcut_categories", "shortcut_id, category", ids=ids))
    about = load_about(reader, ids, names)
    workflows = reader.workflows(ids)

    def label(identifier: str) -> str | None:
        doc = apis.get(identifier)
        return doc.output_name if doc is not None else None

    seeds, placeholders, broken = [], {}, {}
    for sid in ids:
        if sid not in ok or sid not in workflows:
            continue
        try:
            view = training_view(workflows[sid], labels=label)
        except Exception as exc:  # one odd shortcut must not stop its batch
            broken[sid] = f"view: {type(exc).__name__}: {exc}"[:500]
            seeds.append(Seed(sid, names.get(sid) or "", workflows[sid], Transpiled(""), categories.get(sid),
                              *about.get(sid, (None, ()))))
            continue
        seeds.append(Seed(sid, names.get(sid) or "", view.workflow, view.code, categories.get(sid),
                          *about.get(sid, (None, ()))))
        placeholders[sid] = view.placeholders
    return seeds, placeholders, broken


def load_about(reader: ShardReader, ids: Sequence[str], names: Mapping[str, str]
               ) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    """Shortcut id -> (description, other names) from its metadata (the first record by path that has a
    description, else the first); shortcuts without metadata are not in it."""
    out: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    for sid, description, *titles in reader.rows("shortcut_metadata", "shortcut_id, description, title, "
                                                  "icloud_name, name", ids=ids, order="shortcut_id, path"):
        if sid in out and (out[sid][0] or not description):
            continue
        own = names.get(sid) or ""
        others = tuple(dict.fromkeys(t for t in titles if t and t.strip() and t.strip() != own))
        out[sid] = (description.strip() if description and description.strip() else None, others)
    return out


def placeholder_rows(seed: Seed, found: Sequence[Placeholder]) -> list[dict[str, Any]]:
    return [{"sample_id": f"seed-{seed.shortcut_id}", "shortcut_id": seed.shortcut_id, "position": p.position,
             "path": p.path, "kind": p.kind, "size": p.size, "sha256": p.sha256, "placeholder": p.text}
            for p in found]


def sample_row(seed: Seed, result: Thoughts | str, backend: str, model: str, versions: Mapping[str, str] | None,
               chunks: int, now: datetime) -> dict[str, Any]:
    apis = list(dict.fromkeys(a.identifier for a in seed.workflow.actions))
    row: dict[str, Any] = {
        "sample_id": f"seed-{seed.shortcut_id}", "shortcut_id": seed.shortcut_id, "origin": "seed",
        "apis": apis, "category": seed.category, "backend": backend, "model": model,
        "prompt_versions": json.dumps(dict(versions)) if versions else None, "chunks": chunks, "created_at": now,
        "status": "failed", "error": None, "query": None, "task_plan": None, "workflow_code": None,
    }
    if isinstance(result, str):
        row["error"] = result
        return row
    plan = "\n".join(f"{i}. {step}" for i, step in enumerate(result.plan, start=1))
    row.update(status="ok", query=result.query, task_plan=plan,
               workflow_code=with_comments(seed.code.code, result.comments), action_count=len(seed.workflow.actions))
    return row


def _offline(seed: Seed, apis: Mapping[str, ApiDoc]) -> Thoughts | str:
    try:
        return offline.think(seed, apis)
    except Exception as exc:  # one odd shortcut must not stop its batch; it becomes a failed row
        return f"offline: {type(exc).__name__}: {exc}"[:500]


THOUGHTS: Stage[ThoughtsSettings] = Stage(
    name=STAGE, reads=("code", "plists", "shortcuts", "apis", "api_params", "shortcut_categories", "shortcut_metadata"),
    writes=("samples", "sample_failures", "placeholders"), code=CODE, settings=ThoughtsSettings, plan=plan, run=run,
    task="thoughts-batch",
    retention="covered", covers="status = 'ok'",
)
