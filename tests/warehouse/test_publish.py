"""Ingest into the warehouse: good files all land, bad ones become rejects, reruns add nothing,
and readers keep working while the warehouse is republished."""

from __future__ import annotations

import importlib
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tests.support.shortcuts import write_mixed_folder
from workflowbench import warehouse as wh
from workflowbench.stages.contract import run_stage
from workflowbench.stages.ingest import INGEST, IngestSettings, discover, ingest_batch
from workflowbench.warehouse.shards import finished


def run_ingest(folder: Path, target: Path, batch_size: int = 3) -> int:
    """Ingest ``folder`` and publish; how many batches wrote a shard."""
    results = run_stage(INGEST, target, IngestSettings(sources=(str(folder),), batch_size=batch_size))
    wh.publish(target)
    return sum(not r.skipped for r in results)


def counts(target: Path) -> dict[str, int]:
    with wh.connect(target) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in wh.tables()}


def test_bad_files_are_rejected_and_good_ones_all_land(tmp_path: Path) -> None:
    expect = write_mixed_folder(tmp_path / "in")
    target = tmp_path / "wh" / "w.duckdb"
    run_ingest(tmp_path / "in", target)
    got = counts(target)
    assert got["files"] == expect["good_files"]
    assert got["shortcuts"] == expect["shortcuts"]
    assert got["actions"] == expect["actions"]
    assert got["rejects"] == expect["rejects"]
    with wh.connect(target) as con:
        rejects = dict(con.execute("SELECT regexp_extract(path, '[^/]+$'), reason FROM rejects").fetchall())
        assert rejects == {
            "truncated.shortcut": "corrupt",
            "notes.txt": "unknown-format",
            "encrypted.shortcut": "encrypted",
            "actions-not-a-list.json": "bad-structure",
        }
        detail = con.execute("SELECT detail FROM rejects WHERE reason = 'encrypted'").fetchone()[0]
        assert "profile 1" in detail
        # The same shortcut in two encodings is one row, first file in path order.
        row = con.execute("SELECT name, container, max_depth, action_count, "
                          "(SELECT count(*) FROM files f WHERE f.shortcut_id = s.id) FROM shortcuts s "
                          "WHERE name LIKE 'hello%'").fetchall()
        assert row == [("hello-again", "xml", 1, 5, 2)]
        roles = con.execute("SELECT list(role ORDER BY position), list(depth ORDER BY position) FROM actions a "
                            "JOIN shortcuts s ON s.id = a.shortcut_id WHERE s.name = 'hello-again'").fetchone()
        assert roles == ([None, "start", None, "middle", "end"], [0, 0, 1, 0, 0])
        param = con.execute("SELECT parameters->>'$.WFConditionalActionString' FROM actions "
                            "WHERE identifier = 'is.workflow.actions.conditional' AND role = 'start' "
                            "ORDER BY 1").fetchall()
        assert [p[0] for p in param] == ["bye", "hello", "long"]


def test_rerun_adds_no_duplicates(tmp_path: Path) -> None:
    write_mixed_folder(tmp_path / "in")
    target = tmp_path / "w.duckdb"
    assert run_ingest(tmp_path / "in", target) == 3
    first = counts(target)
    assert run_ingest(tmp_path / "in", target) == 0  # every batch already has its shard
    assert counts(target) == first
    # Different batching re-reads the files but the tables are deduplicated on their keys.
    run_ingest(tmp_path / "in", target, batch_size=2)
    assert counts(target) == first


def test_readers_keep_working_during_publish(tmp_path: Path) -> None:
    write_mixed_folder(tmp_path / "in")
    target = tmp_path / "w.duckdb"
    run_ingest(tmp_path / "in", target)
    reader = duckdb.connect(str(target), read_only=True)
    before = reader.execute("SELECT count(*) FROM shortcuts").fetchone()[0]
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "x.json").write_text((tmp_path / "in" / "bye.json").read_text().replace('"bye', '"other'))
    run_ingest(extra, target)  # republishes while `reader` holds the old file open
    assert reader.execute("SELECT count(*) FROM shortcuts").fetchone()[0] == before
    reader.close()
    assert counts(target)["shortcuts"] == before + 1


def test_shard_write_is_idempotent(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    write_mixed_folder(tmp_path / "in")
    batch = discover([tmp_path / "in"])
    tables = ingest_batch(batch).tables
    assert wh.write_shard(target, "k", tables) is True
    assert wh.write_shard(target, "k", tables) is False
    assert [p.name for p in wh.parts_dir(target).iterdir()] == ["k"]


def test_publish_with_no_shards_gives_empty_tables(tmp_path: Path) -> None:
    target = tmp_path / "empty.duckdb"
    assert wh.publish(target).counts == dict.fromkeys(wh.tables(), 0)


def _contents(con: duckdb.DuckDBPyConnection, name: str, prefix: str = "") -> list[tuple]:
    return con.execute(f"SELECT * FROM {prefix}{name} ORDER BY ALL").fetchall()


def test_publish_copies_unchanged_tables_and_skips_when_nothing_changed(tmp_path: Path) -> None:
    write_mixed_folder(tmp_path / "in")
    target = tmp_path / "w.duckdb"
    run_ingest(tmp_path / "in", target)
    stamp = target.stat()
    again = wh.publish(target)  # nothing changed: the file stays as it is
    assert again.unchanged and target.stat().st_ino == stamp.st_ino and target.stat().st_mtime_ns == stamp.st_mtime_ns
    assert again.counts == counts(target)
    # A shard of one more reject: that table is read from the shards again, the rest copied.
    wh.write_shard(target, "more", {"rejects": [{
        "source": "local", "path": "/x/late.shortcut", "file_sha256": None, "stage": "ingest",
        "reason": "corrupt", "detail": "late", "at": datetime(2026, 1, 1)}]})
    done = wh.publish(target)
    assert not done.unchanged and target.stat().st_ino != stamp.st_ino
    assert set(wh.tables()) - set(done.copied) == {"rejects"}
    assert done.counts["rejects"] == again.counts["rejects"] + 1
    assert done.counts["actions"] == again.counts["actions"] > 0
    # Every table, copied or not, holds what a publish from the shards alone gives.
    fresh = tmp_path / "fresh.duckdb"
    wh.parts_dir(fresh).mkdir()
    for shard in finished(target):  # a parts folder of its own, holding the same shards
        (wh.parts_dir(fresh) / shard.name).symlink_to(shard)
    assert not wh.publish(fresh).copied
    with duckdb.connect(str(target), read_only=True) as a, duckdb.connect(str(fresh), read_only=True) as b:
        for name in wh.tables():
            assert _contents(a, name) == _contents(b, name), name


def test_a_changed_schema_publishes_every_table_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_mixed_folder(tmp_path / "in")
    target = tmp_path / "w.duckdb"
    run_ingest(tmp_path / "in", target)
    module = importlib.import_module("workflowbench.warehouse.publish")
    sql = module.schema_sql()
    monkeypatch.setattr(module, "schema_sql", lambda: sql + "\nCREATE VIEW probe AS SELECT 1 AS x;\n")
    done = wh.publish(target)
    assert not done.unchanged and not done.copied
    with duckdb.connect(str(target), read_only=True) as con:  # made from the new schema
        assert con.execute("SELECT x FROM probe").fetchall() == [(1,)]
