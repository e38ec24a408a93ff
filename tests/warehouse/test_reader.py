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
            "print('ready', flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    live = ShardReader(target)
    assert wh.sweep(target) == 0  # its writer still runs: nothing is touched
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    leftovers = [p.name for p in wh.parts_dir(target).iterdir() if p.name.startswith(".")]
    leftovers += [p.name for p in tmp_path.iterdir() if p.name.startswith(".w.duckdb.")]
    assert len(leftovers) == 3
    assert live.rows("actions", "count(*)") == [(57,)]
    assert wh.publish(target).counts["actions"] == 57  # publish sweeps first
    assert not [p for p in wh.parts_dir(target).iterdir() if p.name.startswith(".")]
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
