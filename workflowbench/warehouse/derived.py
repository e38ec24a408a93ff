"""What ``publish`` adds to the shard tables of ``schema.sql``: the derived tables it makes from them
(``CREATE TABLE name AS SELECT``, with a ``-- from:`` line naming every table the query reads), and
the order a table's rows are stored in (its ``-- sort:`` line), so that the usual queries read
fewer row groups. Neither changes a row a stage sees; the stages' code does not depend on this."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from . import schema

# A derived table: no column list, a query. A shard table (``CREATE TABLE name (``, what schema.py's
# ``_ANNOTATED`` reads with its comment lines) never matches.
_DERIVED = re.compile(r"((?:^--[^\n]*\n)*)^CREATE TABLE (\w+) AS\s+(SELECT\b.*?);\s*$", re.M | re.S)


@dataclass(frozen=True)
class Derived:
    name: str
    inputs: tuple[str, ...]  # the shard tables it is made from
    select: str  # the query that makes its rows from them


@functools.cache
def derived() -> dict[str, Derived]:
    """Every derived table of ``schema.sql``, in the order the file declares them: publish makes them
    (never a stage), after the shard tables, from the tables on their ``-- from:`` line."""
    shard_tables = schema.tables()
    out = {}
    for comments, name, select in _DERIVED.findall(schema.schema_sql()):
        listed = re.findall(r"^-- from: (.+)$", comments, re.M)
        if not listed:
            raise ValueError(f"schema.sql: derived table {name} has no '-- from:' line")
        inputs = tuple(c.strip() for c in listed[0].split(","))
        # Every table the query reads must be listed, or a change to it would leave the rows stale.
        read = {t for t in re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", select, re.I) if t in shard_tables}
        if set(inputs) != read or not read:
            raise ValueError(f"schema.sql: {name} reads {sorted(read)} but its '-- from:' line names {list(inputs)}")
        out[name] = Derived(name, inputs, select)
    return out


@functools.cache
def stored_order() -> dict[str, str]:
    """Shard table -> the ORDER BY terms publish stores its rows in (tables without a ``-- sort:`` line: none)."""
    out = {}
    for comments, name in schema._ANNOTATED.findall(schema.schema_sql()):  # one reading of a shard table
        sort = re.findall(r"^-- sort: (.+)$", comments, re.M)
        if sort:
            out[name] = sort[0].strip()
    return out
