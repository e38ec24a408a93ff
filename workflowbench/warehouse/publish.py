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

from ..pause import pause_point
from .schema import current_sql, schema_sql, tables
from .shards import RETRIES, finished, owner, parts_dir, sweep, vanished

DEFAULT_WAREHOUSE = Path("warehouse/workflowbench.duckdb")


@dataclass(frozen=True)
class Published:
    path: Path
    counts: dict[str, int]


def publish(warehouse: str | os.PathLike[str]) -> Published:
    """Load every shard into a fresh warehouse file and swap it in place of the old one."""
    target = Path(warehouse)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep(target)
    shards = finished(target)
    staging = target.with_name(f".{target.name}.{owner()}-{uuid.uuid4().hex}.tmp")
    counts: dict[str, int] = {}
    try:
        con = duckdb.connect(str(staging))
        try:
            con.execute(schema_sql())
            for name in tables():
                for _ in range(RETRIES):
                    files = [str(p / f"{name}.parquet") for p in shards if (p / f"{name}.parquet").is_file()]
                    try:
                        if files:
                            con.execute(f"INSERT INTO {name} BY NAME {current_sql(name)}", {"files": files})
                        break
                    except duckdb.Error:
                        if not vanished(files):  # another build retired a shard meanwhile: list again
                            raise
                        shards = finished(target)
                else:
                    raise RuntimeError(f"{name}: its shards kept changing while being published")
                counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # type: ignore[index]
            con.execute("CHECKPOINT")
        finally:
            con.close()
        pause_point("publish")
        os.replace(staging, target)  # readers holding the old file keep reading it
    finally:
        for leftover in (staging, staging.with_name(staging.name + ".wal")):
            if leftover.exists():
                leftover.unlink()
    return Published(target, counts)


def connect(warehouse: str | os.PathLike[str] = DEFAULT_WAREHOUSE) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse that reaches no other file than its shards
    (``read_parquet`` of ``<warehouse>.parts/``): no other file is read or written, nothing is
    attached or installed, and the connection's settings cannot be changed back."""
    path = Path(warehouse)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no warehouse yet; run `workflowbench build` first")
    con = duckdb.connect(str(path), read_only=True)
    shards = str(parts_dir(path).resolve()).replace("'", "''") + os.sep
    con.execute("SET enable_progress_bar = false")  # it would write into the output of long queries
    con.execute(f"SET allowed_directories = ['{shards}']")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


# Statements a query may hold: reading, never COPY, EXPORT, ATTACH, INSTALL, SET or writes.
QUERY_STATEMENTS = frozenset({"SELECT", "EXPLAIN", "PRAGMA", "CALL", "MULTI"})


def check_query(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse (ValueError) a query with a statement that is not a read."""
    for statement in con.extract_statements(sql):
        kind = statement.type.name
        if kind not in QUERY_STATEMENTS:
            raise ValueError(f"only queries are allowed, not {kind} statements")


__all__ = ["DEFAULT_WAREHOUSE", "Published", "check_query", "connect", "parts_dir", "publish"]
