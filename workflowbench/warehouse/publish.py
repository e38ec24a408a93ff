"""Publish: every finished shard into one DuckDB file.

``publish`` loads the shards into a fresh staging file built from ``schema.sql``, keeps the current
row per table key (the same choice the shard reader makes), and renames the staging file over the
warehouse. Anyone who has the old file open keeps reading it; the next connection sees the new one.

Per table, the published file remembers (as the table's comment) a fingerprint of what it was made
from: ``schema.sql`` and the name, size and modification time of each of the table's shard files.
A table whose fingerprint is unchanged is copied from the published file instead of read again from
its shards (a straight copy, no ranking of rows by key); when no table changed, nothing is written.
A derived table (``derived.derived``) is made from the loaded tables; its fingerprint is that of its
inputs, so it is made again exactly when one of them was loaded again, and copied otherwise.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..pause import pause_point
from .derived import derived, stored_order
from .reader import rank_first
from .schema import schema_sql, tables
from .shards import RETRIES, finished, owner, parts_dir, sweep, vanished

DEFAULT_WAREHOUSE = Path("warehouse/workflowbench.duckdb")
# Of the DuckDB connection that publishes. A 106k build: 1 GB peaked at 1.14 GB of RSS, 768 MB at
# 0.92 GB for 10 s more of its ~90 s (samples and step labels spill more), 512 MB at 0.66 GB for 35 s more.
MEMORY_LIMIT = "768MB"


@dataclass(frozen=True)
class Published:
    path: Path
    counts: dict[str, int]
    copied: tuple[str, ...] = ()  # tables copied from the previous file: their shards had not changed
    unchanged: bool = False  # no table had changed: the file was left as it was
    derived: tuple[str, ...] = ()  # derived tables made again: some of their inputs had changed


_MARK = "workflowbench:"  # a table comment that holds its fingerprint


def fingerprint(name: str, files: list[str]) -> str:
    """What table ``name`` is made from: the schema and each shard file's name, size and mtime
    (a finished shard is never rewritten in place, so a changed one is a new name or stamp)."""
    h = hashlib.sha256(schema_sql().encode())
    h.update(name.encode())
    for f in files:
        try:
            st = os.stat(f)
        except FileNotFoundError:
            h.update(f"{f}\0gone\n".encode())
            continue
        h.update(f"{Path(f).parent.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def derived_fingerprint(name: str, inputs: dict[str, str]) -> str:
    """What derived table ``name`` is made from: the schema and its inputs' fingerprints."""
    h = hashlib.sha256(schema_sql().encode())
    h.update(name.encode())
    for t in derived()[name].inputs:
        h.update(f"\0{t}\0{inputs[t]}".encode())
    return h.hexdigest()


def _files(shards: list[Path], name: str) -> list[str]:
    return [str(p / f"{name}.parquet") for p in shards if (p / f"{name}.parquet").is_file()]


def _previous(target: Path, staging: Path, now: dict[str, str]) -> tuple[dict[str, str], dict[str, int] | None]:
    """What the published file records (table -> fingerprint), and, when every table matches
    ``now``, its counts (nothing to publish). When only some match, the file is copied to
    ``staging`` to keep those; when none does (no file, or the schema changed), nothing is copied
    and an empty staging file is built from the schema instead."""
    if not target.exists():
        return {}, None
    try:
        # Open for the whole look and copy: a file a concurrent publish renames over the target
        # meanwhile is a new file, and this one stays as it was.
        with duckdb.connect(str(target), read_only=True) as con:
            recorded = _recorded(con, con.execute("SELECT current_database()").fetchone()[0])  # type: ignore[index]
            if all(recorded.get(n) == f for n, f in now.items()):
                return recorded, {n: con.execute(f"SELECT count(*) FROM {n}").fetchone()[0]  # type: ignore[index]
                                  for n in now}
            if not any(recorded.get(n) == f for n, f in now.items()):
                return {}, None
            shutil.copyfile(target, staging)
    except (duckdb.Error, OSError):  # unreadable: made again from the shards
        staging.unlink(missing_ok=True)
        return {}, None
    return recorded, None


def _recorded(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, str]:
    """Table -> fingerprint, as the published file open as ``database`` records them."""
    rows = con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE database_name = ?",
                       [database]).fetchall()
    return {t: c[len(_MARK):] for t, c in rows if isinstance(c, str) and c.startswith(_MARK)}


def recorded(warehouse: str | os.PathLike[str]) -> dict[str, str]:
    """Table -> the fingerprint of what the published file's table was made from (empty when there
    is no readable file): equal fingerprints, equal rows."""
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return _recorded(con, con.execute("SELECT current_database()").fetchone()[0])  # type: ignore[index]
    except (duckdb.Error, OSError):
        return {}


def publish(warehouse: str | os.PathLike[str]) -> Published:
    """Load every shard into a fresh warehouse file and swap it in place of the old one; tables
    whose shards did not change are copied from the old file, and with no change nothing is done."""
    target = Path(warehouse)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep(target)
    shards = finished(target)
    names = list(tables())
    listed = {n: _files(shards, n) for n in names}
    now = {n: fingerprint(n, listed[n]) for n in names}
    expected = now | {d: derived_fingerprint(d, now) for d in derived()}
    staging = target.with_name(f".{target.name}.{owner()}-{uuid.uuid4().hex}.tmp")
    counts: dict[str, int] = {}
    copied: list[str] = []
    made_again: list[str] = []
    try:
        before, same = _previous(target, staging, expected)
        if same is not None:
            return Published(target, {n: same[n] for n in names}, tuple(names), unchanged=True)
        # Rows are ranked narrow (key, order, place) and read back whole (``rank_first``), under
        # a bound DuckDB spills beyond: ranking whole rows held a 106k build's samples at once (4.3 GB).
        spill = staging.with_name(staging.name + ".spill")  # swept like the staging file if killed
        con = duckdb.connect(str(staging), config={"memory_limit": MEMORY_LIMIT, "temp_directory": str(spill)})
        try:
            if not before:
                con.execute(schema_sql())
            loaded: dict[str, str] = {}  # table -> fingerprint of what it now holds
            for name in names:
                for attempt in range(RETRIES):
                    # after a failed attempt the shards are listed again, and so is what they hold
                    files = _files(shards, name) if attempt else listed[name]
                    made = fingerprint(name, files) if attempt else now[name]
                    try:
                        if before.get(name) == made:
                            copied.append(name)
                        else:
                            if before:  # the copy's rows of this table go; its definition stays
                                create = con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = ?",
                                                     [name]).fetchone()[0]  # type: ignore[index]
                                con.execute(f"DROP TABLE {name}")
                                con.execute(create)
                            if files:
                                # stored in the table's sort order, if it has one
                                sort = stored_order().get(name)
                                order = f" ORDER BY {sort}" if sort else ""
                                rows = rank_first(con, name, files)
                                con.execute(f"INSERT INTO {name} BY NAME {rows}{order}", {"files": files})
                                con.execute("RESET disabled_optimizers")
                        break
                    except duckdb.Error:
                        if not vanished(files):  # another build retired a shard meanwhile: list again
                            raise
                        shards = finished(target)
                else:
                    raise RuntimeError(f"{name}: its shards kept changing while being published")
                con.execute(f"COMMENT ON TABLE {name} IS '{_MARK}{made}'")
                loaded[name] = made
                counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # type: ignore[index]
            for name, d in derived().items():
                made = derived_fingerprint(name, loaded)
                if before.get(name) != made:  # the copy's rows would be stale: made again from the tables
                    con.execute(f"CREATE OR REPLACE TABLE {name} AS {d.select}")
                    con.execute(f"COMMENT ON TABLE {name} IS '{_MARK}{made}'")
                    made_again.append(name)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        pause_point("publish")
        os.replace(staging, target)  # readers holding the old file keep reading it
    finally:
        for leftover in (staging, staging.with_name(staging.name + ".wal")):
            if leftover.exists():
                leftover.unlink()
        shutil.rmtree(staging.with_name(staging.name + ".spill"), ignore_errors=True)
    return Published(target, counts, tuple(copied), derived=tuple(made_again))


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


__all__ = ["DEFAULT_WAREHOUSE", "Published", "check_query", "connect", "parts_dir", "publish", "recorded"]
