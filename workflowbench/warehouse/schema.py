"""The warehouse's tables, read from ``schema.sql`` (shipped inside the package): each table's
columns as an Arrow schema (so an empty shard still has the right columns), its key, and the order
that picks the one row per key that ``publish`` and every stage's reader keep."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import duckdb
import pyarrow as pa

_ANNOTATED = re.compile(r"((?:^--[^\n]*\n)*)^CREATE TABLE (\w+) \(", re.M)


@dataclass(frozen=True)
class Table:
    name: str
    arrow: pa.Schema
    key: tuple[str, ...]
    order: str  # ORDER BY terms: the first row per key wins
    types: tuple[str, ...] = ()  # DuckDB type of each column

    def empty_sql(self) -> str:
        """A relation with every column, typed, and no row: unioned by name with shards written before
        a column was added, it gives them that column as NULL."""
        cols = ", ".join(f'CAST(NULL AS {t}) AS "{c}"' for c, t in zip(self.columns, self.types, strict=True))
        return f"SELECT {cols} WHERE false"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.arrow.names)


def schema_sql() -> str:
    return resources.files(__package__).joinpath("schema.sql").read_text(encoding="utf-8")


@functools.cache
def tables() -> dict[str, Table]:
    """Every table of ``schema.sql``, in the order the file declares them."""
    sql = schema_sql()
    con = duckdb.connect()
    try:
        con.execute(sql)
        out = {}
        for comments, name in _ANNOTATED.findall(sql):
            notes = dict(re.findall(r"^-- (key|keep): (.+)$", comments, re.M))
            if "key" not in notes:
                raise ValueError(f"schema.sql: table {name} has no '-- key:' line")
            key = tuple(c.strip() for c in notes["key"].split(","))
            # Plain Arrow types: DuckDB marks JSON columns with an extension type the shards do not need.
            fields = con.sql(f"SELECT * FROM {name} LIMIT 0").to_arrow_table().schema
            arrow = pa.schema([pa.field(f.name, f.type) for f in fields])
            missing = [c for c in key if c not in arrow.names]
            if missing:
                raise ValueError(f"schema.sql: key of {name} names unknown columns {missing}")
            described = con.execute("SELECT data_type FROM information_schema.columns WHERE table_name = ? "
                                    "ORDER BY ordinal_position", [name]).fetchall()
            types = tuple(t for (t,) in described)
            out[name] = Table(name, arrow, key, notes.get("keep", ", ".join(key)), types)
        return out
    finally:
        con.close()


def table(name: str) -> Table:
    try:
        return tables()[name]
    except KeyError:
        raise KeyError(f"no table {name!r} in schema.sql") from None


def current_sql(name: str, source: str | None = None) -> str:
    """SQL for the rows of ``name`` that win per key among ``source``'s rows: what ``publish`` loads
    and what a stage reading another stage's shards sees. Ties under the table's order (the same
    shortcut read from two encodings in two batches: same key, parameters in another order) go to
    the smallest row, so the choice never depends on how DuckDB happened to scan the shards."""
    t = table(name)
    if source is None:  # shards written before a column was added read it as NULL
        source = f"(SELECT * FROM read_parquet($files, union_by_name = true) UNION ALL BY NAME {t.empty_sql()})"
    ties = ", ".join(f'"{c}"' for c in t.columns)
    return (f"SELECT * EXCLUDE (_rank) FROM (SELECT *, row_number() OVER (PARTITION BY {', '.join(t.key)} "
            f"ORDER BY {t.order}, {ties}) AS _rank FROM {source}) WHERE _rank = 1")
