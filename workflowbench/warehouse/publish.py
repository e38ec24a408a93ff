"""Publish: every finished shard into one DuckDB file.

``publish`` loads the shards into a fresh staging file built from ``schema.sql``, keeps the current
row per table key (the same choice the shard reader makes), and renames the staging file over the
warehouse. Anyone who has the old file open keeps reading it; the next connection sees the new one.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .schema import current_sql, schema_sql, tables
from .shards import finished, parts_dir

DEFAULT_WAREHOUSE = Path("warehouse/workflowbench.duckdb")


@dataclass(frozen=True)
class Published:
    path: Path
    counts: dict[str, int]


def publish(warehouse: str | os.PathLike[str]) -> Published:
    """Load every shard into a fresh warehouse file and swap it in place of the old one."""
    target = Path(warehouse)
    target.parent.mkdir(parents=True, exist_ok=True)
    shards = finished(target)
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    counts: dict[str, int] = {}
    try:
        con = duckdb.connect(str(staging))
        try:
            con.execute(schema_sql())
            for name in tables():
                files = [str(p / f"{name}.parquet") for p in shards if (p / f"{name}.parquet").is_file()]
                if files:
                    con.execute(f"INSERT INTO {name} BY NAME {current_sql(name)}", {"files": files})
                counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # type: ignore[index]
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


__all__ = ["DEFAULT_WAREHOUSE", "Published", "connect", "parts_dir", "publish"]
