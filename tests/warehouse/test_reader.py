"""The shard reader sees the same current rows as publish, before publish, and ignores what is not
a finished shard."""

from __future__ import annotations

from pathlib import Path

from tests.support.shortcuts import write_mixed_folder
from workflowbench import warehouse as wh
from workflowbench.stages.contract import run_stage
from workflowbench.stages.ingest import INGEST, IngestSettings
from workflowbench.warehouse.reader import ShardReader


def test_current_rows_are_the_published_rows(tmp_path: Path) -> None:
    write_mixed_folder(tmp_path / "in")
    (tmp_path / "in" / "copy").mkdir()
    for f in ("hello.shortcut", "bye.json"):  # the same shortcuts again, in other batches
        (tmp_path / "in" / "copy" / f).write_bytes((tmp_path / "in" / f).read_bytes())
    target = tmp_path / "w.duckdb"
    for size in (2, 3, 5):
        run_stage(INGEST, target, IngestSettings(sources=(str(tmp_path / "in"),), batch_size=size))
    reader = ShardReader(target)
    assert reader.files("shortcuts") and len(reader.shards("plists", stage="ingest")) > 3
    wh.publish(target)
    with wh.connect(target) as con:
        for name, t in wh.tables().items():
            cols = ", ".join(f'"{c}"' for c in t.columns)
            published = sorted(con.execute(f"SELECT {cols} FROM {name}").fetchall(), key=repr)
            assert sorted(reader.rows(name, cols), key=repr) == published, name
    # the shortcut's first file in path order is its source, however the files were batched
    assert reader.rows("shortcuts", "source_path", where="name LIKE 'hello%'") == [
        (str(tmp_path / "in" / "copy" / "hello.shortcut"),)]


def test_workflows_are_parsed_once_and_filtered(tmp_path: Path) -> None:
    write_mixed_folder(tmp_path / "in")
    target = tmp_path / "w.duckdb"
    run_stage(INGEST, target, IngestSettings(sources=(str(tmp_path / "in"),)))
    reader = ShardReader(target)
    every = reader.workflows()
    assert len(every) == 3 and list(every) == sorted(every)
    sid = next(iter(every))
    assert reader.workflows([sid, "no-such-id"]) == {sid: every[sid]}
    assert reader.workflows([sid])[sid] is every[sid]  # parsed once per reader


def test_unfinished_shards_are_not_read(tmp_path: Path) -> None:
    write_mixed_folder(tmp_path / "in")
    target = tmp_path / "w.duckdb"
    run_stage(INGEST, target, IngestSettings(sources=(str(tmp_path / "in"),)))
    dead = wh.parts_dir(target) / ".tmp-ingest-dead"
    dead.mkdir()
    (dead / "actions.parquet").write_bytes(b"PAR1garbage")  # a write cut short by a kill
    assert ShardReader(target).rows("actions", "count(*)") == [(57,)]
    assert wh.publish(target).counts["actions"] == 57


def test_leftovers_of_killed_writers_are_swept(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    target = tmp_path / "w.duckdb"
    write_mixed_folder(tmp_path / "in")
    run_stage(INGEST, target, IngestSettings(sources=(str(tmp_path / "in"),)))
    # A real process is killed while it writes a shard and a publish staging file.
    code = ("import os, sys, time; from pathlib import Path; from workflowbench.warehouse import shards\n"
            "target = Path(sys.argv[1]); root = shards.parts_dir(target)\n"
            "tmp = root / f'.tmp-ingest-{\"0\" * 32}-{shards.owner()}-{\"1\" * 32}'; tmp.mkdir()\n"
            "(tmp / 'actions.parquet').write_bytes(b'PAR1garbage')\n"
            "(target.parent / f'.{target.name}.{shards.owner()}-{\"2\" * 32}.tmp').write_bytes(b'x' * 1000)\n"
            "(target.parent / f'.{target.name}.{shards.owner()}-{\"2\" * 32}.tmp.wal').write_bytes(b'x')\n"
            "spill = target.parent / f'.{target.name}.{shards.owner()}-{\"2\" * 32}.tmp.spill'; spill.mkdir()\n"
            "(spill / 'duckdb_temp_block-1.block').write_bytes(b'x')\n"
            "shards.write_state(root / '.plans' / 'ingest.json', '{}')\n"  # finished: it stays
            "(root / '.plans' / f'.rules.json.{shards.owner()}-{\"3\" * 32}.tmp').write_text('{')\n"
            "print('ready', flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    live = ShardReader(target)
    assert wh.sweep(target) == 0  # its writer still runs: nothing is touched
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    plans = wh.parts_dir(target) / ".plans"
    leftovers = [p.name for p in wh.parts_dir(target).iterdir() if p.name.startswith(".tmp-")]
    leftovers += [p.name for p in tmp_path.iterdir() if p.name.startswith(".w.duckdb.")]
    leftovers += [p.name for p in plans.iterdir() if p.name.startswith(".")]
    assert len(leftovers) == 5
    assert live.rows("actions", "count(*)") == [(57,)]
    assert wh.publish(target).counts["actions"] == 57  # publish sweeps first
    assert [p.name for p in wh.parts_dir(target).iterdir() if p.name.startswith(".")] == [".plans"]
    assert [p.name for p in plans.iterdir()] == ["ingest.json"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".w.duckdb.")]


def test_a_shard_retired_while_a_query_reads_it_is_read_again(tmp_path: Path) -> None:
    """Another build retires a shard between this reader listing the shards and reading them: the
    query lists them again and reads what is there now."""
    import shutil

    import duckdb
    import pytest

    target = tmp_path / "w.duckdb"
    old = "thoughts-" + "1" * 32
    new = "thoughts-" + "2" * 32
    row = {"sample_id": "s", "shortcut_id": "x", "origin": "seed", "status": "ok", "error": None, "query": "q",
           "apis": [], "task_plan": "1. a", "workflow_code": "", "category": None, "backend": "offline",
           "model": "m", "prompt_versions": None, "chunks": 1}
    from datetime import datetime

    wh.write_shard(target, old, {"samples": [{**row, "query": "old", "created_at": datetime(2024, 1, 1)}]})
    wh.write_shard(target, new, {"samples": [{**row, "query": "new", "created_at": datetime(2024, 1, 2)}]})

    class Racing(ShardReader):
        """Lists the shards, then the other build retires one before the query runs."""

        raced = 0

        def files(self, name: str, stage: str | None = None) -> list[str]:
            listed = super().files(name, stage)
            if not self.raced:
                self.raced += 1
                shutil.rmtree(wh.parts_dir(target) / old)
            return listed

    assert Racing(target).rows("samples", "query") == [("new",)]
    # a missing file that no retirement explains is still an error
    stale = [str(wh.parts_dir(target) / old / "samples.parquet")]

    class Broken(ShardReader):
        def files(self, name: str, stage: str | None = None) -> list[str]:
            return stale

    with pytest.raises(RuntimeError, match="kept changing"):
        Broken(target).rows("samples", "query")
    with pytest.raises(duckdb.Error):
        ShardReader(target).rows("samples", "no_such_column")


def _rows_ranking_everything(reader: ShardReader, name: str, columns: str, ids: list[str] | None = None,
                             by: str = "") -> list[tuple[object, ...]]:
    """What ``rows`` returned when it ranked whole rows of the whole table (``current_sql``, as
    publish does), then kept the ``ids``."""
    import duckdb
    import pyarrow as pa

    from workflowbench.warehouse.schema import current_sql

    con = duckdb.connect()
    try:
        sql = f"SELECT {columns} FROM ({current_sql(name)}) AS t"
        if ids is not None:
            con.register("wanted", pa.table({"_id": pa.array(sorted(set(ids)), pa.string())}))
            sql += f" JOIN wanted ON wanted._id = t.{by}"
        return con.execute(sql, {"files": reader.files(name)}).fetchall()
    finally:
        con.close()


def test_current_rows_are_those_of_ranking_whole_rows(tmp_path: Path) -> None:
    """The reader ranks narrow rows (key, order, place; whole rows only for a tie), and keeps the
    wanted ids before ranking when ``by`` is a key column (whole keys are kept): the same rows win as
    when whole rows of the whole table are ranked, with keys repeated across shards (the newer row,
    or the smallest of a tie, wins) and shards written before a column was added."""
    from datetime import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    from workflowbench.warehouse.schema import table

    target = tmp_path / "w.duckdb"
    day = [datetime(2024, 1, d) for d in range(1, 5)]

    def verdict(sid: str, gate: str, verdict: str, at: datetime) -> dict[str, object]:
        return {"sample_id": sid, "gate": gate, "verdict": verdict, "reason": None, "detail": f"{verdict}@{at.day}",
                "decided_at": at}

    ids = [f"s{i}" for i in range(8)]
    wh.write_shard(target, wh.shard_key("dedup", [("a", "1")]), {"verdicts": [
        verdict(s, g, "keep", day[0]) for s in ids for g in ("dedup", "judge")]})
    wh.write_shard(target, wh.shard_key("dedup", [("b", "1")]), {"verdicts": [
        *(verdict(s, "dedup", "drop", day[1]) for s in ids[::2]),  # newer: wins
        *(verdict(s, "judge", "drop", day[0]) for s in ids[1::3]),  # a tie: the smallest row wins
        verdict("s9", "judge", "unknown", day[2])]})
    sample = {"shortcut_id": "x", "origin": "seed", "error": None, "query": "q", "apis": ["a"], "task_plan": "1. a",
              "category": None, "backend": "offline", "model": "m", "prompt_versions": None, "chunks": 1,
              "spec_id": None, "lineage": None}
    # a shard written before samples had action_count: it reads as NULL
    before = pa.schema([f for f in table("samples").arrow if f.name != "action_count"])
    old = wh.parts_dir(target) / wh.shard_key("thoughts", [("a", "1")])
    old.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([{**sample, "sample_id": s, "status": "ok", "workflow_code": f"old {s}",
                                          "created_at": day[0]} for s in ids], schema=before), old / "samples.parquet")
    wh.write_shard(target, wh.shard_key("thoughts", [("b", "1")]), {"samples": [
        *({**sample, "sample_id": s, "status": "ok", "workflow_code": f"new {s}", "created_at": day[1],
           "action_count": 3} for s in ids[::2]),
        *({**sample, "sample_id": s, "status": "failed", "workflow_code": None, "created_at": day[3],
           "action_count": 3} for s in ids[1::2])]})  # a failed retry never hides an ok row
    wh.write_shard(target, wh.shard_key("thoughts", [("c", "1")]), {"samples": [  # a tie: the smallest row wins
        {**sample, "sample_id": s, "status": "ok", "workflow_code": f"a tie {s}", "created_at": day[0]}
        for s in ids[5:]]})

    reader = ShardReader(target)
    for wanted in (ids[:3], [*ids[2:7], "s9", "missing"], ["missing"], []):
        for name, columns, by in (("verdicts", "*", "sample_id"), ("verdicts", "sample_id, gate, detail", "gate"),
                                  ("verdicts", "sample_id, gate, detail", "verdict"),
                                  ("samples", "*", "sample_id"), ("samples", "sample_id, workflow_code", "sample_id")):
            keys = wanted if by == "sample_id" else ["judge", "unknown", "keep"]
            got = reader.rows(name, columns, ids=keys, by=by)
            assert sorted(got, key=repr) == sorted(_rows_ranking_everything(reader, name, columns, keys, by),
                                                   key=repr), (name, by, wanted)
    for name, columns in (("verdicts", "*"), ("samples", "*"), ("samples", "sample_id, workflow_code")):
        assert sorted(reader.rows(name, columns), key=repr) == sorted(
            _rows_ranking_everything(reader, name, columns), key=repr), name
    assert sorted(reader.rows("samples", "sample_id, workflow_code, action_count", ids=["s0", "s1", "s7"])) == [
        ("s0", "new s0", 3), ("s1", "old s1", None), ("s7", "a tie s7", None)]
    assert sorted(reader.rows("samples", "sample_id, workflow_code", where="sample_id IN ('s6', 's7')")) == [
        ("s6", "new s6"), ("s7", "a tie s7")]
    assert sorted(reader.rows("verdicts", "gate, detail", ids=["s1"])) == [("dedup", "keep@1"), ("judge", "drop@1")]
    assert [(part, sorted(rows)) for part, rows in reader.chunks("samples", "sample_id", ids=ids[:5], size=2)] == [
        (["s0", "s1"], [("s0",), ("s1",)]), (["s2", "s3"], [("s2",), ("s3",)]), (["s4"], [("s4",)])]


def test_a_read_of_some_ids_reads_only_the_shards_that_hold_them(tmp_path: Path) -> None:
    """Ids are hashes, so no shard's statistics rule it out: the reader first finds the shards with a
    wanted id in the key column alone, and reads the rows (code and all) from those only."""
    from datetime import datetime

    import duckdb
    import pyarrow as pa

    from workflowbench.warehouse.reader import holding

    target = tmp_path / "w.duckdb"
    at = datetime(2024, 1, 1)
    for shard, ids in (("a", ["s1", "s2"]), ("b", ["s3"]), ("c", ["s4", "s1"])):
        wh.write_shard(target, wh.shard_key("dedup", [(shard, "1")]), {"verdicts": [
            {"sample_id": s, "gate": "dedup", "verdict": "keep", "reason": None, "detail": shard, "decided_at": at}
            for s in ids]})
    reader = ShardReader(target)
    files = reader.files("verdicts")
    con = duckdb.connect()
    try:
        cases = ((["s1"], {"a", "c"}), (["s3", "s9"], {"b"}), (["s9"], set()), (["s2", "s4"], {"a", "c"}))
        for wanted, shards in cases:
            con.register("wanted", pa.table({"_id": pa.array(wanted, pa.string())}))
            got = holding(con, files, "sample_id")
            assert got == [f for f in files if f in got]  # in the order given
            details = {d for (d,) in con.execute("SELECT DISTINCT detail FROM read_parquet($f)", {"f": got}).fetchall()
                       } if got else set()
            assert details == shards, wanted
            con.unregister("wanted")
    finally:
        con.close()
    assert sorted(reader.rows("verdicts", "sample_id, detail", ids=["s1", "s3"])) == [("s1", "a"), ("s3", "b")]


def test_ids_by_place_follow_the_shards_that_hold_them(tmp_path: Path) -> None:
    from datetime import datetime

    target = tmp_path / "w.duckdb"
    at = datetime(2024, 1, 1)
    for shard, ids in (("a", ["s5", "s1"]), ("b", ["s3"]), ("c", ["s4", "s1", "s2"])):
        wh.write_shard(target, wh.shard_key("dedup", [(shard, "1")]), {"verdicts": [
            {"sample_id": s, "gate": "dedup", "verdict": "keep", "reason": None, "detail": shard, "decided_at": at}
            for s in ids]})
    reader = ShardReader(target)
    import duckdb

    order = reader.files("verdicts")
    rows_of = {f: [s for (s,) in duckdb.execute("SELECT sample_id FROM read_parquet(?)", [f]).fetchall()]
               for f in order}
    expected = list(dict.fromkeys(s for f in order for s in rows_of[f] if s in {"s1", "s2", "s3", "s5"}))
    assert reader.by_place("verdicts", ["s2", "s9", "s1", "s3", "s5", "s1"]) == expected
    assert sorted(expected) == ["s1", "s2", "s3", "s5"] and reader.by_place("verdicts", ["s9"]) == []


def test_a_read_takes_only_the_columns_it_uses_from_the_shards(tmp_path: Path) -> None:
    """Ranking and reading back name each column as a plain projection of the scan: a union with a
    typed empty relation (for shards written before a column was added) made DuckDB read every
    column of every row, the code of every sample for a list of ids. Ties need every column, and
    only then are they read."""
    from datetime import datetime

    import duckdb

    from workflowbench.warehouse.reader import rank_first

    target = tmp_path / "w.duckdb"
    sample = {"shortcut_id": "x", "origin": "seed", "error": None, "query": "q", "apis": ["a"], "task_plan": "1. a",
              "category": None, "backend": "offline", "model": "m", "prompt_versions": None, "chunks": 1,
              "spec_id": None, "lineage": None, "status": "ok", "action_count": 1}
    for shard, day in (("a", 1), ("b", 2)):
        wh.write_shard(target, wh.shard_key("thoughts", [(shard, "1")]), {"samples": [
            {**sample, "sample_id": f"s{i}", "workflow_code": f"code {shard}{i}", "created_at": datetime(2024, 1, day)}
            for i in range(3)]})
    files = ShardReader(target).files("samples")

    def plan(columns: str) -> tuple[str, list[tuple[object, ...]]]:
        con = duckdb.connect()
        try:
            sql = f"SELECT {columns} FROM ({rank_first(con, 'samples', files)}) AS t ORDER BY 1"
            text = "\n".join(str(r[1]) for r in con.execute("EXPLAIN " + sql, {"files": files}).fetchall())
            return text, con.execute(sql, {"files": files}).fetchall()
        finally:
            con.close()

    text, rows = plan("sample_id, status")
    assert rows == [("s0", "ok"), ("s1", "ok"), ("s2", "ok")]
    assert "READ_PARQUET" in text and "sample_id" in text
    for wide in ("workflow_code", "task_plan", "lineage", "query"):
        assert wide not in text, wide
    text, rows = plan("sample_id, workflow_code")
    assert rows == [("s0", "code b0"), ("s1", "code b1"), ("s2", "code b2")] and "task_plan" not in text
    # a tie (same key, same time): every column decides, so every column is read
    wh.write_shard(target, wh.shard_key("thoughts", [("c", "1")]), {"samples": [
        {**sample, "sample_id": "s1", "workflow_code": "a tie", "created_at": datetime(2024, 1, 2)}]})
    files = ShardReader(target).files("samples")
    text, rows = plan("sample_id, workflow_code")
    assert rows == [("s0", "code b0"), ("s1", "a tie"), ("s2", "code b2")] and "task_plan" in text
