"""The catalog stage: public catalogs + the ingested corpus -> the ``apis``, ``api_params``, ``apps``,
``categories``, ``shortcut_categories`` and ``catalog_findings`` tables.

The catalog is global (every shortcut's actions inform it), so it is one batch, keyed by the catalog
files' bytes and the shards the shortcuts come from. A build whose inputs did not change skips it; a
new catalog shard replaces the old one (``latest`` retention: only the newest reaches ``publish``).
Problems with the catalog files (missing, unreadable, malformed entries) are rejects.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..catalog.build import build_catalog, tables
from ..catalog.categories import site_category
from ..catalog.sources import Problem
from ..warehouse.reader import ShardReader
from .contract import Batch, Output, Reject, Settings, Stage

STAGE = "catalog"


# --- the stage --------------------------------------------------------------------------------


class CatalogSettings(Settings):
    catalogs: str | None = None  # a local copy of the public catalogs (`catalog fetch` layout); None: corpus only
    unversioned = frozenset({"catalogs"})  # the key holds every catalog file's bytes instead


def catalog_files(directory: str | os.PathLike[str] | None) -> list[tuple[str, str]]:
    """(path relative to the catalog directory, sha256) of every catalog file."""
    if directory is None or not Path(directory).is_dir():
        return []
    root = Path(directory)
    return [(str(f.relative_to(root)), hashlib.sha256(f.read_bytes()).hexdigest())
            for f in sorted(p for p in root.rglob("*") if p.is_file())]


def plan(reader: ShardReader, settings: CatalogSettings) -> list[Batch]:
    shards = [("ingest", k) for k in reader.shards("plists")]
    return [Batch((*shards, *catalog_files(settings.catalogs)))]


def run(batch: Batch, reader: ShardReader, settings: CatalogSettings) -> Output:
    shortcuts = list(reader.workflows().items())
    catalog = build_catalog(settings.catalogs, (wf for _, wf in shortcuts))
    rows = tables(catalog, shortcuts, site_categories(reader))
    rejects = [problem_reject(settings.catalogs, p) for p in catalog.problems]
    return Output(rows, rejects, counts={"apis": len(rows["apis"]), "apps": len(rows["apps"]),
                                         "findings": len(rows["catalog_findings"])})


def site_categories(reader: ShardReader) -> dict[str, tuple[str, str]]:
    """Shortcut id -> (site, category) from its metadata: the first record (by path) whose category
    maps onto the 28, else the first that names one."""
    out: dict[str, tuple[str, str]] = {}
    for sid, site, named in reader.rows("shortcut_metadata", "shortcut_id, site, site_category",
                                        where="site_category IS NOT NULL", order="shortcut_id, path"):
        if sid not in out or (site_category(out[sid][1]) is None and site_category(named) is not None):
            out[sid] = (site, named)
    return out


def problem_reject(directory: str | os.PathLike[str] | None, problem: Problem) -> Reject:
    """A catalog problem as a reject; a malformed entry's identifier keeps it apart from the file's
    other entries."""
    where = problem.file if directory is None or problem.file == str(directory) else str(Path(directory) / problem.file)
    if problem.entry is not None:
        where = f"{where}#{problem.entry}"
    return Reject(where, problem.reason, problem.detail, source="catalogs")


CATALOG: Stage[CatalogSettings] = Stage(
    name=STAGE, reads=("plists", "shortcut_metadata"), writes=(
        "apis", "api_params", "apps", "categories", "shortcut_categories", "catalog_findings", "rejects"),
    code=("workflowbench.catalog", "workflowbench.shortcut", "workflowbench.code.names", __name__),
    settings=CatalogSettings, plan=plan, run=run, task="catalog",
)
