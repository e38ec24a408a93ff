"""schema.sql is the one definition of the warehouse: the Arrow schemas, keys and orders come from it."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from workflowbench import warehouse as wh
from workflowbench.warehouse.schema import _ANNOTATED


def test_every_table_is_read_with_its_key_and_columns() -> None:
    sql = wh.schema_sql()
    declared = re.findall(r"^CREATE TABLE (\w+) \(", sql, re.M)
    assert list(wh.tables()) == declared and len(declared) == len(_ANNOTATED.findall(sql))
    con = duckdb.connect()
    con.execute(sql)
    for name, t in wh.tables().items():
        described = [(c, ty) for c, ty, *_ in con.execute(f"DESCRIBE {name}").fetchall()]
        assert list(t.columns) == [c for c, _ in described], name
        assert set(t.key) <= set(t.columns) and t.order
    assert wh.table("code").key == ("shortcut_id",) and wh.table("rejects").order == '"at"'
    assert wh.table("samples").arrow.field("apis").type == pa.list_(pa.string())
    assert wh.table("plists").arrow.field("plist").type == pa.binary()
    assert wh.table("shortcuts").arrow.field("ingested_at").type == pa.timestamp("us")


def test_a_table_without_a_key_line_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from workflowbench.warehouse import schema as tables

    tables.tables.cache_clear()
    monkeypatch.setattr(tables, "schema_sql", lambda: "CREATE TABLE t (a INTEGER);")
    try:
        with pytest.raises(ValueError, match="no '-- key:' line"):
            tables.tables()
        monkeypatch.setattr(tables, "schema_sql", lambda: "-- key: b\nCREATE TABLE t (a INTEGER);")
        tables.tables.cache_clear()
        with pytest.raises(ValueError, match="unknown columns"):
            tables.tables()
    finally:
        monkeypatch.undo()
        tables.tables.cache_clear()


def test_a_shard_of_every_table_round_trips(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    assert wh.write_shard(target, "x-" + "0" * 32, {name: [] for name in wh.tables()})
    assert wh.publish(target).counts == dict.fromkeys(wh.tables(), 0)


def test_derived_tables_are_not_shard_tables_and_name_every_input(monkeypatch: pytest.MonkeyPatch) -> None:
    from workflowbench.warehouse import derived, schema

    assert "kept_samples" not in wh.tables()
    assert derived.derived()["kept_samples"].inputs == ("splits", "verdicts", "step_labels")
    assert derived.stored_order() == {"step_labels": "sample_id, position, source"}
    base = "-- key: a\n-- sort: a DESC\nCREATE TABLE t (a INTEGER);\n-- key: b\nCREATE TABLE u (b INTEGER);\n"

    def clear() -> None:
        for cached in (schema.tables, derived.derived, derived.stored_order):
            cached.cache_clear()

    clear()
    try:
        monkeypatch.setattr(schema, "schema_sql", lambda: base + "-- from: t\nCREATE TABLE d AS\nSELECT a FROM t;\n")
        assert list(schema.tables()) == ["t", "u"] and derived.derived()["d"].select == "SELECT a FROM t"
        assert derived.stored_order() == {"t": "a DESC"}
        clear()
        monkeypatch.setattr(schema, "schema_sql", lambda: base + "-- from: t\nCREATE TABLE d AS\n"
                                                                 "SELECT a FROM t JOIN u ON a = b;\n")
        with pytest.raises(ValueError, match=r"reads \['t', 'u'\]"):
            derived.derived()
    finally:
        monkeypatch.undo()
        clear()


def test_a_shard_written_from_an_arrow_table_is_the_shard_written_from_dicts(tmp_path: Path) -> None:
    """A stage may hand its rows as an Arrow table (columns in any order, types cast to the schema's)."""
    from datetime import datetime

    import pyarrow.parquet as pq

    from workflowbench.warehouse.shards import parts_dir

    rows = [{"sample_id": f"s{i}", "position": i, "line": None if i % 2 else i + 1, "identifier": "is.a",
             "label": (-1, 0, 1)[i % 3], "reason": "ok", "source": "static", "created_at": datetime(2024, 1, 1)}
            for i in range(5)]
    columns = {k: [r[k] for r in rows] for k in reversed(list(rows[0]))}  # another column order, int64 labels
    target = tmp_path / "w.duckdb"
    assert wh.write_shard(target, "rules-a", {"step_labels": rows})
    assert wh.write_shard(target, "rules-b", {"step_labels": pa.table(columns)})
    a, b = (pq.read_table(parts_dir(target) / k / "step_labels.parquet") for k in ("rules-a", "rules-b"))
    assert a.schema == b.schema and a.to_pylist() == b.to_pylist() == rows
