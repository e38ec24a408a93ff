"""The DuckDB warehouse: Parquet shards written per batch, published into one DuckDB file.

Why this write path: DuckDB lets one process write a file, but batches run in parallel (and on
several machines), and researchers query the warehouse while a build runs. So a batch never
opens the DuckDB file: it writes its rows as a directory of Parquet files, renamed into
``<warehouse>.parts/`` in one step (a half-written batch is never visible). ``publish`` then
loads every shard into a staging copy of ``warehouse/schema.sql``, deduplicates on each table's
key, and renames the staging file over the warehouse. Open readers keep the file they opened.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA = Path(__file__).resolve().parent.parent / "warehouse" / "schema.sql"
DEFAULT_WAREHOUSE = Path("warehouse/workflowbench.duckdb")
# Bump when the rows a stage writes change, so old shards are not mistaken for current ones.
# 2: ingest shards also hold the ``code`` table.
SHARD_VERSION = "2"

# Dedup key of each table, as declared in schema.sql; the earliest row per key wins.
KEYS: dict[str, tuple[str, ...]] = {
    "shortcuts": ("id",),
    "files": ("file_sha256", "path"),
    "actions": ("shortcut_id", "position"),
    "defects": ("shortcut_id", "position", "kind", "block_group", "detail"),
    "plists": ("shortcut_id",),
    "code": ("shortcut_id",),
    "apis": ("identifier",),
    "api_params": ("identifier", "key"),
    "apps": ("bundle_id",),
    "categories": ("name",),
    "shortcut_categories": ("shortcut_id",),
    "catalog_findings": ("shortcut_id", "position", "key", "reason"),
    "samples": ("sample_id",),
    "llm_calls": ("call_id",),
    "rejects": ("path", "file_sha256", "stage", "reason"),
}
# Except code: the latest transpile wins, so shards rebuilt by a newer transpiler replace the old rows.
ORDER = {"shortcuts": "ingested_at, source_path", "files": "ingested_at", "code": "transpiled_at DESC",
         "samples": "created_at DESC",
         "rejects": '"at"'}

# Arrow types of each table, so an empty shard still has the right columns.
_TS = pa.timestamp("us")
ARROW: dict[str, pa.Schema] = {
    "shortcuts": pa.schema([
        ("id", pa.string()), ("name", pa.string()), ("source", pa.string()), ("source_path", pa.string()),
        ("container", pa.string()), ("signing", pa.string()), ("bytes", pa.int64()), ("file_sha256", pa.string()),
        ("action_count", pa.int32()), ("max_depth", pa.int32()), ("defect_count", pa.int32()),
        ("client_version", pa.string()), ("ingested_at", _TS),
    ]),
    "files": pa.schema([
        ("path", pa.string()), ("source", pa.string()), ("file_sha256", pa.string()), ("bytes", pa.int64()),
        ("container", pa.string()), ("shortcut_id", pa.string()), ("ingested_at", _TS),
    ]),
    "actions": pa.schema([
        ("shortcut_id", pa.string()), ("position", pa.int32()), ("identifier", pa.string()), ("app", pa.string()),
        ("depth", pa.int32()), ("role", pa.string()), ("block_group", pa.string()), ("parameters", pa.string()),
    ]),
    "defects": pa.schema([
        ("shortcut_id", pa.string()), ("position", pa.int32()), ("kind", pa.string()),
        ("block_group", pa.string()), ("detail", pa.string()),
    ]),
    "plists": pa.schema([("shortcut_id", pa.string()), ("plist", pa.binary())]),
    "code": pa.schema([
        ("shortcut_id", pa.string()), ("status", pa.string()), ("reason", pa.string()), ("code", pa.string()),
        ("names", pa.string()), ("lines", pa.string()), ("general", pa.int32()), ("line_count", pa.int32()),
        ("transpiler_version", pa.string()), ("transpiled_at", _TS),
    ]),
    "apis": pa.schema([
        ("identifier", pa.string()), ("function", pa.string()), ("app", pa.string()), ("name", pa.string()),
        ("description", pa.string()), ("input_key", pa.string()), ("output_name", pa.string()),
        ("output_type", pa.string()), ("tags", pa.string()), ("json_schema", pa.string()), ("stub", pa.string()),
        ("uses", pa.int32()), ("provenance", pa.string()),
    ]),
    "api_params": pa.schema([
        ("identifier", pa.string()), ("key", pa.string()), ("position", pa.int32()), ("label", pa.string()),
        ("type", pa.string()), ("required", pa.bool_()), ("default_value", pa.string()), ("enum_values", pa.string()),
        ("accepts_variables", pa.bool_()), ("description", pa.string()), ("provenance", pa.string()),
    ]),
    "apps": pa.schema([("bundle_id", pa.string()), ("name", pa.string()), ("kind", pa.string()),
                       ("api_count", pa.int32())]),
    "categories": pa.schema([("name", pa.string()), ("position", pa.int32())]),
    "shortcut_categories": pa.schema([("shortcut_id", pa.string()), ("category", pa.string()), ("rule", pa.string()),
                                      ("detail", pa.string())]),
    "catalog_findings": pa.schema([
        ("shortcut_id", pa.string()), ("position", pa.int32()), ("identifier", pa.string()), ("key", pa.string()),
        ("reason", pa.string()), ("detail", pa.string()),
    ]),
    "samples": pa.schema([
        ("sample_id", pa.string()), ("shortcut_id", pa.string()), ("origin", pa.string()), ("status", pa.string()),
        ("error", pa.string()), ("query", pa.string()), ("apis", pa.list_(pa.string())), ("task_plan", pa.string()),
        ("workflow_code", pa.string()), ("category", pa.string()), ("backend", pa.string()), ("model", pa.string()),
        ("prompt_versions", pa.string()), ("chunks", pa.int32()), ("created_at", _TS),
    ]),
    "llm_calls": pa.schema([
        ("call_id", pa.string()), ("fingerprint", pa.string()), ("stage", pa.string()), ("prompt", pa.string()),
        ("prompt_version", pa.string()), ("backend", pa.string()), ("base_url", pa.string()), ("model", pa.string()),
        ("status", pa.string()), ("error", pa.string()), ("attempts", pa.int32()), ("repairs", pa.int32()),
        ("json_mode", pa.string()), ("tokens_in", pa.int32()), ("tokens_out", pa.int32()),
        ("latency_ms", pa.float64()), ("cost", pa.float64()), ("finish_reason", pa.string()),
        ("response", pa.string()), ("created_at", _TS),
    ]),
    "rejects": pa.schema([
        ("source", pa.string()), ("path", pa.string()), ("file_sha256", pa.string()), ("stage", pa.string()),
        ("reason", pa.string()), ("detail", pa.string()), ("at", _TS),
    ]),
}


def parts_dir(warehouse: str | os.PathLike[str]) -> Path:
    """Where the shards of ``warehouse`` live: ``<warehouse without suffix>.parts``."""
    path = Path(warehouse)
    return path.with_name(path.stem + ".parts")


def shard_key(stage: str, inputs: Iterable[tuple[str, str]], version: str = "") -> str:
    """A batch's key: its stage, the shard version, the ``version`` of the code that computes its rows
    (e.g. the transpiler's) and its (path, content hash) inputs."""
    h = hashlib.sha256(f"{stage}\0{SHARD_VERSION}\0{version}".encode())
    for path, digest in sorted(inputs):
        h.update(f"\0{path}\0{digest}".encode())
    return f"{stage}-{h.hexdigest()[:32]}"


def has_shard(warehouse: str | os.PathLike[str], key: str) -> bool:
    return (parts_dir(warehouse) / key).is_dir()


def write_shard(warehouse: str | os.PathLike[str], key: str, tables: Mapping[str, Sequence[dict[str, Any]]]) -> bool:
    """Write one batch's rows atomically; False if an identical shard was already there."""
    root = parts_dir(warehouse)
    root.mkdir(parents=True, exist_ok=True)
    final = root / key
    if final.is_dir():
        return False
    tmp = root / f".tmp-{key}-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        for table, rows in tables.items():
            pq.write_table(pa.Table.from_pylist(list(rows), schema=ARROW[table]), tmp / f"{table}.parquet")
        try:
            os.rename(tmp, final)  # atomic: readers see the whole batch or none of it
        except OSError:
            if final.is_dir():  # another worker wrote the same batch first
                return False
            raise
        return True
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


@dataclass(frozen=True)
class Published:
    path: Path
    counts: dict[str, int]


def publish(warehouse: str | os.PathLike[str]) -> Published:
    """Load every shard into a fresh warehouse file and swap it in place of the old one."""
    target = Path(warehouse)
    target.parent.mkdir(parents=True, exist_ok=True)
    root = parts_dir(target)
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    counts: dict[str, int] = {}
    try:
        con = duckdb.connect(str(staging))
        try:
            con.execute(SCHEMA.read_text())
            for table, key in KEYS.items():
                files = sorted(str(p) for p in root.glob(f"*/{table}.parquet")) if root.is_dir() else []
                if files:
                    order = ORDER.get(table, ", ".join(key))
                    con.execute(
                        f"INSERT INTO {table} BY NAME SELECT * EXCLUDE (_rank) FROM ("
                        f" SELECT *, row_number() OVER (PARTITION BY {', '.join(key)} ORDER BY {order}) AS _rank"
                        f" FROM read_parquet($files, union_by_name = true)) WHERE _rank = 1",
                        {"files": files},
                    )
                counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(staging, target)  # readers holding the old file keep reading it
    finally:
        for leftover in (staging, staging.with_name(staging.name + ".wal")):
            if leftover.exists():
                leftover.unlink()
    return Published(target, counts)


def connect(warehouse: str | os.PathLike[str] = DEFAULT_WAREHOUSE) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse."""
    path = Path(warehouse)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no warehouse yet; run `workflowbench build` first")
    return duckdb.connect(str(path), read_only=True)
