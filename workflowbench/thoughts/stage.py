"""The thoughts stage: seed shortcuts (transpiled code + model + catalog) -> ``samples`` rows.

It reads its inputs from the shards (ingest shards for code, plists and names; the catalog shard
for API docs and categories), so it runs before publish and never opens the DuckDB file. A batch
writes one samples shard keyed by its inputs, the backend and model, the prompt versions and this
code's hash; live LLM calls go to shards of their own that are never pruned (they are the cache).
A batch with failed samples is written under a one-off key, so a rerun retries it (answers that
came back are cache hits) while the failures stay visible as rows with their reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from .. import warehouse as wh
from ..llm import LLMConfig
from ..llm.cache import WarehouseCache
from ..names import function_name
from ..reader import read_shortcut
from ..to_code import Transpiled
from . import llm as llm_thoughts
from . import offline
from .base import ApiDoc, Seed, Thoughts
from .chunks import with_comments

STAGE = "thoughts"
DEFAULT_BUDGET = 3000  # tokens of code per LLM request
OFFLINE = "offline"


def _version() -> str:
    digest = hashlib.sha256()
    for f in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(f.read_bytes())
    return digest.hexdigest()[:12]


def _files(warehouse: str | os.PathLike[str], prefix: str, table: str) -> list[str]:
    root = wh.parts_dir(warehouse)
    return sorted(str(p) for p in root.glob(f"{prefix}-*/{table}.parquet")) if root.is_dir() else []


def catalog_shard(warehouse: str | os.PathLike[str]) -> str | None:
    root = wh.parts_dir(warehouse)
    found = sorted(p.name for p in root.glob("catalog-*") if p.is_dir()) if root.is_dir() else []
    return found[-1] if found else None


def seed_ids(warehouse: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """(shortcut id, hash of its current code) for every shortcut whose latest transpile is ok."""
    files = _files(warehouse, "ingest", "code")
    if not files:
        return []
    rows = duckdb.sql(
        "SELECT shortcut_id, sha256(code) FROM (SELECT shortcut_id, status, code, row_number() OVER "
        "(PARTITION BY shortcut_id ORDER BY transpiled_at DESC) AS r FROM read_parquet($files)) "
        "WHERE r = 1 AND status = 'ok' ORDER BY 1", params={"files": files}).fetchall()  # type: ignore[call-arg]
    return [(a, b) for a, b in rows]


def load_apis(warehouse: str | os.PathLike[str]) -> dict[str, ApiDoc]:
    shard = catalog_shard(warehouse)
    if shard is None:
        return {}
    root = wh.parts_dir(warehouse) / shard
    con = duckdb.connect()
    try:
        labels: dict[str, dict[str, str]] = {}
        for ident, key, label in con.execute("SELECT identifier, key, label FROM read_parquet($f) ORDER BY "
                                             "identifier, position", {"f": str(root / "api_params.parquet")}
                                             ).fetchall():
            if label:
                labels.setdefault(ident, {})[key] = label
        rows = con.execute("SELECT identifier, function, name, description, output_name FROM read_parquet($f)",
                           {"f": str(root / "apis.parquet")}).fetchall()
    finally:
        con.close()
    return {i: ApiDoc(i, f or function_name(i), n, d, labels.get(i, {}), o) for i, f, n, d, o in rows}


def load_seeds(warehouse: str | os.PathLike[str], ids: Sequence[str]) -> list[Seed]:
    """The seeds for ``ids``: latest ok code, the stored plist read again, name, category."""
    code_files, plist_files = _files(warehouse, "ingest", "code"), _files(warehouse, "ingest", "plists")
    name_files = _files(warehouse, "ingest", "shortcuts")
    shard = catalog_shard(warehouse)
    con = duckdb.connect()
    try:
        con.register("wanted", pa.table({"shortcut_id": list(ids)}))
        code = {r[0]: r[1:] for r in con.execute(
            "SELECT shortcut_id, code, names, lines, general FROM (SELECT c.*, row_number() OVER (PARTITION BY "
            "shortcut_id ORDER BY transpiled_at DESC) AS r FROM read_parquet($f) c JOIN wanted USING (shortcut_id)) "
            "WHERE r = 1 AND status = 'ok'", {"f": code_files}).fetchall()}
        plists = dict(con.execute("SELECT shortcut_id, any_value(plist) FROM read_parquet($f) JOIN wanted "
                                  "USING (shortcut_id) GROUP BY 1", {"f": plist_files}).fetchall())
        names = dict(con.execute("SELECT id, arg_min(name, (ingested_at, source_path)) FROM read_parquet($f) s "
                                 "JOIN wanted w ON w.shortcut_id = s.id GROUP BY 1", {"f": name_files}).fetchall())
        categories: dict[str, str] = {}
        cat_file = wh.parts_dir(warehouse) / str(shard) / "shortcut_categories.parquet"
        if shard is not None and cat_file.exists():
            categories = dict(con.execute("SELECT shortcut_id, category FROM read_parquet($f) JOIN wanted "
                                          "USING (shortcut_id)", {"f": str(cat_file)}).fetchall())
    finally:
        con.close()
    seeds = []
    for sid in ids:
        if sid not in code or sid not in plists:
            continue
        text, names_json, lines_json, general = code[sid]
        transpiled = Transpiled(text, json.loads(names_json or "{}"),
                                [(a, b) for a, b in json.loads(lines_json or "[]")], general or 0)
        workflow = read_shortcut(bytes(plists[sid]), name=sid)
        seeds.append(Seed(sid, names.get(sid) or "", workflow, transpiled, categories.get(sid)))
    return seeds


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
               workflow_code=with_comments(seed.code.code, result.comments))
    return row


def _offline(seed: Seed, apis: Mapping[str, ApiDoc]) -> Thoughts | str:
    try:
        return offline.think(seed, apis)
    except Exception as exc:  # one odd shortcut must not stop its batch; it becomes a failed row
        return f"offline: {type(exc).__name__}: {exc}"[:500]


def offline_model() -> str:
    return f"{OFFLINE}-{_version()}"


def batch_key(warehouse: str | os.PathLike[str], seeds: Sequence[tuple[str, str]], config: LLMConfig | None,
              budget: int) -> str:
    inputs = [*seeds, ("catalog", catalog_shard(warehouse) or "")]
    if config is None:
        how = offline_model()
    else:  # the endpoint's URL and the sampling shape the answers; the key never does
        how = json.dumps([config.base_url, config.model, config.sampling(), llm_thoughts.prompt_versions(), budget,
                          _version()], sort_keys=True)
    return wh.shard_key(STAGE, inputs, how)


def thoughts_to_shard(warehouse: str | os.PathLike[str], seeds: Sequence[tuple[str, str]],
                      config: LLMConfig | None = None, budget: int = DEFAULT_BUDGET) -> dict[str, Any]:
    """Thoughts for one batch of seeds (``seed_ids`` pairs) into a samples shard."""
    key = batch_key(warehouse, seeds, config, budget)
    done: dict[str, Any] = {"key": key, "skipped": wh.has_shard(warehouse, key), "ok": 0, "failed": 0, "calls": 0}
    if done["skipped"]:
        return done
    batch = load_seeds(warehouse, [s for s, _ in seeds])
    apis = load_apis(warehouse)
    now = datetime.now(UTC).replace(tzinfo=None)
    if config is None:
        model, versions = offline_model(), None
        results: dict[str, Thoughts | str] = {s.shortcut_id: _offline(s, apis) for s in batch}
        calls: list[dict[str, Any]] = []
        chunks = dict.fromkeys(results, 1)
    else:
        model, versions = config.model, llm_thoughts.prompt_versions()
        results, calls, chunks = llm_thoughts.think(batch, apis, config, WarehouseCache(warehouse), budget)
    rows = [sample_row(s, results[s.shortcut_id], OFFLINE if config is None else "openai", model, versions,
                       chunks[s.shortcut_id], now) for s in batch]
    done["ok"] = sum(r["status"] == "ok" for r in rows)
    done["failed"] = len(rows) - done["ok"]
    done["calls"] = len(calls)
    if calls:  # the cache: kept whatever happens to the samples shard
        wh.write_shard(warehouse, f"llm-{uuid.uuid4().hex}", {"llm_calls": calls})
    if done["failed"]:
        key = done["key"] = f"{key}-incomplete-{uuid.uuid4().hex[:8]}"
    wh.write_shard(warehouse, key, {"samples": rows})
    return done


def prune(warehouse: str | os.PathLike[str], keep: Sequence[str]) -> int:
    """Drop thoughts shards this run did not write or reuse: only the current settings' samples publish."""
    root, removed = wh.parts_dir(warehouse), 0
    for old in root.glob(f"{STAGE}-*") if root.is_dir() else []:
        if old.is_dir() and old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
            removed += 1
    return removed
