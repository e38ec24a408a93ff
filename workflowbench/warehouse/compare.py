"""Compare two published warehouses table by table, as multisets of rows, leaving out the columns
that record when or by which code version a row was written (they differ on every build)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import duckdb

# Columns that say when a row was written or by which version of the code, not what it holds.
VOLATILE = frozenset({"ingested_at", "transpiled_at", "created_at", "at", "decided_at", "transpiler_version"})
# samples.model is 'offline-<code hash>' for the offline backend: compared without the hash.
_MODEL = "CASE WHEN backend = 'offline' THEN 'offline' ELSE model END AS model"


@dataclass(frozen=True)
class TableDiff:
    table: str
    left: int  # rows in the first warehouse
    right: int
    only_left: int  # rows (with multiplicity) found only in the first
    only_right: int

    @property
    def same(self) -> bool:
        return self.only_left == 0 and self.only_right == 0


def compare(left: str | os.PathLike[str], right: str | os.PathLike[str],
            ignore: frozenset[str] = VOLATILE) -> list[TableDiff]:
    """Every table of ``left`` (a table ``right`` lacks counts as all rows only in ``left``)."""
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH '{os.fspath(left)}' AS l (READ_ONLY)")
        con.execute(f"ATTACH '{os.fspath(right)}' AS r (READ_ONLY)")
        names = [n for (n,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'l' "
                                           "ORDER BY table_name").fetchall()]
        theirs = {n for (n,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'r'"
                                            ).fetchall()}
        out = []
        for name in names:
            (n_left,), = con.execute(f"SELECT count(*) FROM l.{name}").fetchall()
            if name not in theirs:
                out.append(TableDiff(name, n_left, 0, n_left, 0))
                continue
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'l' AND table_name = $1 "
                "ORDER BY column_index", [name]).fetchall() if c not in ignore]
            select = ", ".join(_MODEL if (name, c) == ("samples", "model") else f'"{c}"' for c in cols)
            (n_right,), = con.execute(f"SELECT count(*) FROM r.{name}").fetchall()
            (only_l,), = con.execute(f"SELECT count(*) FROM (SELECT {select} FROM l.{name} EXCEPT ALL "
                                     f"SELECT {select} FROM r.{name})").fetchall()
            (only_r,), = con.execute(f"SELECT count(*) FROM (SELECT {select} FROM r.{name} EXCEPT ALL "
                                     f"SELECT {select} FROM l.{name})").fetchall()
            out.append(TableDiff(name, n_left, n_right, only_l, only_r))
        return out
    finally:
        con.close()
