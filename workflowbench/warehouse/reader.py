"""One way for a stage to read what earlier stages wrote: the current rows of a table across the
finished shards, chosen by the same key and order as ``publish`` (so "the current row" means the
same before and after publish), and shortcuts as parsed workflows, read once per reader."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from ..shortcut.model import Workflow
from ..shortcut.reader import read_shortcut
from .schema import table
from .shards import RETRIES, finished, parts_dir, stage_of, vanished

T = TypeVar("T")

CHUNK = 4000  # ids per query when a stage reads large rows (code) a chunk at a time
KEEP_JOIN_SIDES = "SET disabled_optimizers = 'build_side_probe_side'"  # a join builds from its right side
_PRESENT: dict[tuple[str, int, int], frozenset[str]] = {}  # (path, mtime, size) -> the file's columns


def _source(name: str, keep: str, present: Collection[str]) -> str:
    """The rows of ``$files`` with every column of the table (``present``: the columns the files hold,
    ``present_columns``; the others read as NULL, as in shards written before a column was added) and
    each row's place; ``keep``: SQL over a shard's own columns, only rows it holds for are read (it
    must hold for every row of a key or none, as a test of a key column does). Each column is a plain
    projection of the scan, so DuckDB reads only the columns a query uses; a union with a typed empty
    relation (to add the columns no file holds) made it read every column of every row."""
    t = table(name)
    cols = ", ".join(f'CAST("{c}" AS {ty}) AS "{c}"' if c in present else f'CAST(NULL AS {ty}) AS "{c}"'
                     for c, ty in zip(t.columns, t.types, strict=True))
    return (f"(SELECT {cols}, _file, file_row_number AS _row FROM read_parquet($files, union_by_name = true, "
            f"filename = '_file', file_row_number = true){f' WHERE {keep}' if keep else ''})")


def ranked_sql(name: str, keep: str, present: Collection[str]) -> str:
    """The place of the first row of every key under the table's order, and how many rows tie there
    (``_n``): the relation ``first`` that ``read_back_sql`` reads. Only the key, the order's columns
    and each row's place are ranked: ranking whole rows would hold every column of the table (the
    code of every sample) at once. Tied rows go to the smallest row on every column, as in
    ``current_sql``."""
    t = table(name)
    keys = ", ".join(f'"{c}"' for c in t.key)
    return (f"SELECT _file, _row, count(*) OVER (PARTITION BY {keys}) AS _n FROM (SELECT {keys}, _file, _row, "
            f"rank() OVER (PARTITION BY {keys} ORDER BY {t.order}) AS _rank FROM {_source(name, keep, present)}) "
            f"WHERE _rank = 1")


def read_back_sql(name: str, keep: str, present: Collection[str], *, ties: bool) -> str:
    """The winning rows, given the relation ``first`` (``ranked_sql``). ``ties``: some key's first
    rows tie; those rows are ranked again on every column, which reads every column of every row
    (the ranking cannot know which rows those are before reading them)."""
    t = table(name)
    source = _source(name, keep, present)
    winners = "SELECT _file, _row FROM first"
    if ties:
        keys = ", ".join(f'"{c}"' for c in t.key)
        every = ", ".join(f'"{c}"' for c in t.columns)
        tied = (f"SELECT _file, _row FROM (SELECT _file, _row, row_number() OVER (PARTITION BY {keys} "
                f"ORDER BY {t.order}, {every}) AS _rn FROM {source} AS s SEMI JOIN first AS c ON s._file = c._file "
                f"AND s._row = c._row AND c._n > 1) WHERE _rn = 1")
        winners = f"{winners} WHERE _n = 1 UNION ALL {tied}"
    return (f"SELECT * EXCLUDE (_file, _row) FROM {source} AS w "
            f"SEMI JOIN ({winners}) AS k ON w._file = k._file AND w._row = k._row")


def rank_first(con: duckdb.DuckDBPyConnection, name: str, files: Sequence[str], keep: str = "") -> str:
    """Rank ``files``' rows of ``name`` into the temporary table ``first`` on ``con``, and return
    the SQL of the winning rows (``read_back_sql``; ``$files`` is still to be bound), without the
    ties' ranking when no key ties. It also keeps ``con`` from swapping a join's sides: knowing
    ``first``'s size, DuckDB would build the read-back's hash table from the shards' side, holding the
    wide columns of every row (+1.6 GB for a 106k build's code), not from ``first``."""
    con.execute(KEEP_JOIN_SIDES)
    present = present_columns(con, files)
    con.execute(f"CREATE OR REPLACE TEMP TABLE first AS {ranked_sql(name, keep, present)}", {"files": list(files)})
    ties = con.execute("SELECT EXISTS (SELECT 1 FROM first WHERE _n > 1)").fetchone()[0]  # type: ignore[index]
    return read_back_sql(name, keep, present, ties=bool(ties))


def present_columns(con: duckdb.DuckDBPyConnection, files: Sequence[str]) -> frozenset[str]:
    """The top-level columns any of ``files`` holds, from each file's footer; remembered per file (a
    shard file is written once, under a new name). A file retired meanwhile fails as a DuckDB error,
    which callers retry on."""
    out: set[str] = set()
    for f in files:
        try:
            st = os.stat(f)
            key: tuple[str, int, int] | None = (f, st.st_mtime_ns, st.st_size)
        except OSError:
            key = None
        got = _PRESENT.get(key) if key is not None else None
        if got is None:
            got = frozenset(r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [f]).fetchall())
            if key is not None:
                if len(_PRESENT) > 100_000:
                    _PRESENT.clear()
                _PRESENT[key] = got
        out |= got
    return frozenset(out)


def holding(con: duckdb.DuckDBPyConnection, files: list[str], by: str) -> list[str]:
    """The files of ``files`` with a row whose ``by`` is in the registered ``wanted`` ids, read from
    that one column. Every row of a key is in these, so the same rows win among them as among all
    files; the other files' wide columns (code) are never read. Ids are hashes, so a shard's
    row-group statistics cannot rule it out, and DuckDB would read them all."""
    found = {f for (f,) in con.execute(f'SELECT DISTINCT filename FROM read_parquet($files, filename = true) '
                                       f'WHERE "{by}" IN (SELECT _id FROM wanted)', {"files": files}).fetchall()}
    return [f for f in files if f in found]


class ShardReader:
    def __init__(self, warehouse: str | os.PathLike[str]) -> None:
        self.warehouse = warehouse
        self._workflows: dict[str, Workflow] = {}

    def shards(self, name: str, stage: str | None = None) -> list[str]:
        """Names of the finished shards that hold table ``name`` (of ``stage`` only, if given)."""
        return [p.name for p in finished(self.warehouse) if (p / f"{name}.parquet").is_file()
                and (stage is None or stage_of(p.name) == stage)]

    def files(self, name: str, stage: str | None = None) -> list[str]:
        root = parts_dir(self.warehouse)
        return [str(root / shard / f"{name}.parquet") for shard in self.shards(name, stage)]

    def rows(self, name: str, columns: str = "*", *, where: str = "", ids: Iterable[str] | None = None,
             by: str | None = None, order: str = "", stages: Sequence[str] | None = None) -> list[tuple[Any, ...]]:
        """``SELECT columns`` over the current rows of ``name`` (among the shards of ``stages`` only,
        if given); ``ids`` keeps the rows whose ``by`` column (default: the table's first key column)
        is one of them."""
        t = table(name)
        by = by or t.key[0]
        # Every row of a key shares its ``by`` value: keeping the wanted ids before the ranking keeps
        # whole keys, so the same rows win, and the ranking sorts only those rows rather than the
        # whole table on every query.
        keep = f'"{by}" IN (SELECT _id FROM wanted)' if ids is not None and by in t.key else ""

        def query(con: duckdb.DuckDBPyConnection, files: list[str]) -> list[tuple[Any, ...]]:
            if ids is not None:
                con.register("wanted", pa.table({"_id": pa.array(sorted(set(ids)), pa.string())}))
                if by in t.key and len(files) > 1:
                    files = holding(con, files, by)
                    if not files:
                        return []
            text = f"SELECT {columns} FROM ({rank_first(con, name, files, keep)}) AS t"
            if ids is not None:
                text += f" JOIN wanted ON wanted._id = t.{by}"
            text += f" WHERE {where}" if where else ""
            text += f" ORDER BY {order}" if order else ""
            return con.execute(text, {"files": files}).fetchall()

        return self._on_files(name, stages, query)

    def _on_files(self, name: str, stages: Sequence[str] | None,
                  query: Callable[[duckdb.DuckDBPyConnection, list[str]], list[T]]) -> list[T]:
        """``query(con, files)`` on a new connection over the finished shard files of ``name`` (of
        ``stages`` only, if given; [] when there are none)."""
        for _ in range(RETRIES):
            files = self.files(name) if stages is None else [f for st in stages for f in self.files(name, st)]
            if not files:
                return []
            con = duckdb.connect()  # one per query: batches read from several threads
            try:
                return query(con, files)
            except duckdb.Error:
                # Another build retired a shard while this query read it (a newer shard holds its
                # rows): list the shards again. Any other error is the caller's.
                if not vanished(files):
                    raise
            finally:
                con.close()
        raise RuntimeError(f"{name}: its shards kept changing while being read ({RETRIES} tries)")

    def chunks(self, name: str, columns: str = "*", *, ids: Sequence[str], size: int = CHUNK, where: str = "",
               by: str | None = None, order: str = "") -> Iterator[tuple[Sequence[str], list[tuple[Any, ...]]]]:
        """``rows`` of ``ids`` ``size`` ids at a time, in their order: (the chunk's ids, its rows) per
        chunk, one query each, so that only one chunk's rows are held at once."""
        for start in range(0, len(ids), size):
            part = ids[start:start + size]
            yield part, self.rows(name, columns, where=where, ids=part, by=by, order=order)

    def by_place(self, name: str, ids: Iterable[str]) -> list[str]:
        """``ids`` (values of ``name``'s first key column) in the order of the shards that hold them,
        each once, from that one column: ``chunks`` of ids in this order read a few shards each,
        where ids in any other order (they are hashes) would each read every shard. Ids no shard
        holds are left out."""
        key = table(name).key[0]
        wanted = pa.table({"_id": pa.array(sorted(set(ids)), pa.string())})

        def query(con: duckdb.DuckDBPyConnection, files: list[str]) -> list[str]:
            con.register("wanted", wanted)
            con.register("place", pa.table({"filename": pa.array(files, pa.string()),
                                            "_at": pa.array(range(len(files)), pa.int64())}))
            found = con.execute(f'SELECT "{key}" FROM read_parquet($files, filename = true, file_row_number = true) '
                                f'JOIN place USING (filename) WHERE "{key}" IN (SELECT _id FROM wanted) '
                                f"ORDER BY _at, file_row_number", {"files": files}).fetchall()
            return list(dict.fromkeys(i for (i,) in found))

        return self._on_files(name, None, query)

    def workflows(self, ids: Sequence[str] | None = None) -> dict[str, Workflow]:
        """Shortcut id -> its workflow, parsed from the stored plist once per reader (all, if no ids)."""
        wanted = None if ids is None else [i for i in ids if i not in self._workflows]
        if wanted is None or wanted:
            for sid, blob in self.rows("plists", "shortcut_id, plist", ids=wanted, order="shortcut_id"):
                self._workflows[sid] = read_shortcut(bytes(blob), name=sid)
        if ids is None:
            return dict(sorted(self._workflows.items()))
        return {i: self._workflows[i] for i in ids if i in self._workflows}
