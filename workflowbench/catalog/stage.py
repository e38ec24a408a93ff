"""The catalog stage: public catalogs + the ingested corpus -> the ``apis``, ``api_params``, ``apps``,
``categories``, ``shortcut_categories`` and ``catalog_findings`` tables.

The catalog is global (every shortcut's actions inform it), so it is built once per build from the
ingest shards, as one shard of its own keyed by its inputs: the catalog files' bytes and the set of
ingest shards. A build whose inputs did not change skips it; a new catalog shard replaces the old
one (it is derived data, and only the newest must reach ``publish``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..model import Workflow
from ..names import function_name
from ..reader import read_shortcut
from .categories import CATEGORIES, explain
from .merge import apps as app_rows
from .merge import merge
from .model import Api, App
from .schema import json_schema
from .sources import corpus_app_names, observe, read_catalogs
from .stub import stub
from .validate import check_action, validators

STAGE = "catalog"


@dataclass
class Catalog:
    apis: list[Api]
    apps: list[App]
    schemas: dict[str, dict]
    problems: list[str] = field(default_factory=list)  # unreadable catalog files or entries


def build_catalog(directory: str | os.PathLike[str] | None, workflows: Iterable[Workflow]) -> Catalog:
    """Merge the public catalogs in ``directory`` (None: none) with what ``workflows`` show."""
    by_source, names, problems = read_catalogs(Path(directory) if directory is not None else None)
    workflows = list(workflows)
    by_source = {**by_source, "corpus": observe(workflows)}
    apis = merge(by_source)
    names = {**corpus_app_names(workflows), **names}  # the catalogs' names first
    return Catalog(apis, app_rows(apis, names), {a.identifier: json_schema(a) for a in apis}, problems)


def tables(catalog: Catalog, shortcuts: Sequence[tuple[str, Workflow]]) -> dict[str, list[dict[str, Any]]]:
    """The catalog's warehouse rows, with every corpus action checked against its API's schema."""
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in (
        "apis", "api_params", "apps", "categories", "shortcut_categories", "catalog_findings")}
    for a in catalog.apis:
        out["apis"].append({
            "identifier": a.identifier, "function": function_name(a.identifier), "app": a.app, "name": a.name,
            "description": a.description, "input_key": a.input_key, "output_name": a.output_name,
            "output_type": a.output_type, "tags": json.dumps(a.tags), "stub": stub(a), "uses": a.uses,
            "json_schema": json.dumps(catalog.schemas[a.identifier], ensure_ascii=False, default=str),
            "provenance": json.dumps(a.provenance),
        })
        for i, p in enumerate(a.params):
            out["api_params"].append({
                "identifier": a.identifier, "key": p.key, "position": i, "label": p.label, "type": p.type,
                "required": p.required,
                "default_value": None if p.default is None else json.dumps(p.default, default=str),
                "enum_values": json.dumps(p.enum, default=str) if p.enum else None,
                "accepts_variables": p.accepts_variables, "description": p.description,
                "provenance": json.dumps(p.provenance),
            })
    out["apps"] = [{"bundle_id": a.bundle_id, "name": a.name, "kind": a.kind, "api_count": a.api_count}
                   for a in catalog.apps]
    out["categories"] = [{"name": name, "position": i} for i, name in enumerate(CATEGORIES)]
    by_id = {a.identifier: a for a in catalog.apis}
    checks = validators(catalog.apis)
    for sid, wf in shortcuts:
        tags: Counter[str] = Counter()
        for pos, action in enumerate(wf.actions):
            api = by_id.get(action.identifier)
            if api is not None:
                tags.update(api.tags)
            for f in check_action(action, by_id, checks):
                out["catalog_findings"].append({"shortcut_id": sid, "position": pos, "identifier": f.identifier,
                                                "key": f.key or "", "reason": f.reason, "detail": f.detail})
        chosen = explain(tags, (a.app for a in wf.actions))
        out["shortcut_categories"].append({
            "shortcut_id": sid, "category": chosen.category, "rule": chosen.rule,
            "detail": json.dumps({"tags": dict(sorted(tags.items())), "scores": chosen.scores}),
        })
    return out


# --- wiring into the warehouse ----------------------------------------------------------------


def ingest_shortcuts(warehouse: str | os.PathLike[str]) -> tuple[list[str], list[tuple[str, Workflow]]]:
    """The ingest shards' keys and their shortcuts (one workflow per shortcut id, from the stored plists)."""
    from .. import warehouse as wh

    root = wh.parts_dir(warehouse)
    keys = sorted(p.name for p in root.glob("ingest-*") if p.is_dir()) if root.is_dir() else []
    files = [str(root / k / "plists.parquet") for k in keys if (root / k / "plists.parquet").exists()]
    if not files:
        return keys, []
    rows = duckdb.sql("SELECT shortcut_id, any_value(plist) FROM read_parquet($files) GROUP BY 1 ORDER BY 1",
                      params={"files": files}).fetchall()  # type: ignore[call-arg]
    return keys, [(sid, read_shortcut(bytes(blob), name=sid)) for sid, blob in rows]


def catalog_key(directory: str | os.PathLike[str] | None, ingest_keys: Sequence[str]) -> str:
    """The catalog shard's key: the catalog files' bytes and the ingest shards it was built from."""
    from .. import warehouse as wh

    inputs: list[tuple[str, str]] = [("ingest", k) for k in ingest_keys]
    if directory is not None and Path(directory).is_dir():
        root = Path(directory)
        for f in sorted(p for p in root.rglob("*") if p.is_file()):
            inputs.append((str(f.relative_to(root)), hashlib.sha256(f.read_bytes()).hexdigest()))
    return wh.shard_key(STAGE, inputs, _version())


def catalog_to_shard(warehouse: str | os.PathLike[str], directory: str | os.PathLike[str] | None) -> dict[str, Any]:
    """Build the catalog shard unless one for the same inputs exists; drop older catalog shards."""
    from .. import warehouse as wh

    keys, shortcuts = ingest_shortcuts(warehouse)
    key = catalog_key(directory, keys)
    summary: dict[str, Any] = {"key": key, "skipped": wh.has_shard(warehouse, key)}
    if not summary["skipped"]:
        catalog = build_catalog(directory, (wf for _, wf in shortcuts))
        rows = tables(catalog, shortcuts)
        wh.write_shard(warehouse, key, rows)
        summary.update({"apis": len(rows["apis"]), "apps": len(rows["apps"]),
                        "findings": len(rows["catalog_findings"]), "problems": catalog.problems})
    for old in wh.parts_dir(warehouse).glob(f"{STAGE}-*"):
        if old.name != key and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    return summary


def _version() -> str:
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for f in sorted(here.glob("*.py")):
        digest.update(f.read_bytes())
    return digest.hexdigest()[:12]
