"""The stage contract: what every stage declares, and the one runner that owns a batch's steps.

A stage declares its name (shard prefix, ``rejects.stage``, Prefect task name), the tables it reads
and writes, the code its version hashes (whole subpackages or modules), and a settings class. It
plans batches from what the shard reader sees and runs one batch as a pure function returning an
``Output``: rows per table, rejects, LLM calls, counts. ``run_batch`` owns the rest: the key (stage,
code version, versioned settings, inputs), the skip when that shard exists, the atomic write, the
retry rule for failed rows, replacing the shard an older version wrote for the same inputs, and a
typed ``Result``; ``finish`` applies the stage's retention.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, TypeVar

import duckdb
import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from ..pause import pause_point
from ..warehouse.reader import ShardReader
from ..warehouse.schema import table
from ..warehouse.shards import (
    CALLS_PREFIX,
    has_shard,
    parts_dir,
    retire,
    shard_key,
    supersede,
    vanished,
    write_shard,
)

# Code every stage's rows depend on: this runner, and how the reader picks the current rows.
RUNNER = (__name__, "workflowbench.warehouse.reader", "workflowbench.warehouse.schema")


class Settings(BaseModel):
    """A stage's settings: frozen, validated (ranges in ``Field``), unknown keys refused. Every field
    is part of the stage's version unless listed in ``unversioned`` (fields that only shape the
    batches, such as a batch size, not the rows)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    unversioned: ClassVar[frozenset[str]] = frozenset()

    def version(self) -> Any:
        return self.model_dump(mode="json", exclude=set(self.unversioned))


S = TypeVar("S", bound=Settings)
T = TypeVar("T")


@dataclass(frozen=True)
class Batch:
    """One unit of work: ``inputs`` are the (name, content hash) pairs its key is made of, ``items``
    what ``run`` works on (files, shortcut ids, ...)."""

    inputs: tuple[tuple[str, str], ...]
    items: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Reject:
    """An input a stage could not use. ``stage`` defaults to the stage that ran the batch."""

    path: str
    reason: str
    detail: str
    source: str = ""
    file_sha256: str | None = None
    stage: str | None = None


@dataclass
class Output:
    # table -> its rows: dicts, or an Arrow table of its schema's columns (a stage with many small
    # rows, e.g. step labels, holds them columnar: a dict per row costs ~10x the memory)
    tables: dict[str, list[dict[str, Any]] | pa.Table]
    rejects: list[Reject] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)  # llm_calls rows of live calls, for the runner to write
    journaled: int = 0  # live calls the stage already persisted as they arrived (a warehouse.journal.Journal)
    items: int = 0  # what the batch worked on (files, samples, ...), and how many of them failed, why
    failures: dict[str, int] = field(default_factory=dict)  # reason -> count
    counts: dict[str, int] = field(default_factory=dict)
    retry: bool = False  # rows failed for a reason a rerun may not have: write under a one-off key


@dataclass(frozen=True)
class Result:
    stage: str
    key: str
    skipped: bool
    counts: Mapping[str, int] = field(default_factory=dict)
    rejects: int = 0
    calls: int = 0
    items: int = 0
    failures: Mapping[str, int] = field(default_factory=dict)

    def count(self, name: str) -> int:
        return int(self.counts.get(name, 0))

    @property
    def failed(self) -> int:
        return sum(self.failures.values())


@dataclass(frozen=True)
class Stage(Generic[S]):
    name: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    code: tuple[str, ...]  # importable package or module names whose files the version hashes
    settings: type[S]
    plan: Callable[[ShardReader, S], list[Batch]]
    run: Callable[[Batch, ShardReader, S], Output]
    # cumulative: keep every shard; latest: a run retires the shards it did not write or reuse;
    # covered: it retires only those whose kept rows (of the first table it writes, ``covers`` true)
    # all have a kept row in this run's shards, so overlapping runs keep the union and a run of
    # failures never removes a good row.
    retention: Literal["cumulative", "latest", "covered"] = "latest"
    covers: str = "true"  # SQL over the first written table: the rows a retired shard must not lose
    task: str = ""  # Prefect task name; default "<name>-batch"
    retries: int = 0  # Prefect retries of a batch task

    @property
    def task_name(self) -> str:
        return self.task or f"{self.name}-batch"

    def version(self, settings: S) -> str:
        blob = json.dumps([code_version(*self.code, *RUNNER), settings.version()], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


class Latest(Generic[T]):
    """One value per process, for the last key asked: a build's batches share what each would
    otherwise load and index again (the synth library, the rules' catalog). One thread makes it;
    the others wait for it. A new key drops the old value first: each can be large."""

    def __init__(self) -> None:
        self._key: Any = None
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self, key: Any, make: Callable[[], T]) -> T:
        with self._lock:
            if self._value is None or self._key != key:
                self._value = None
                self._value, self._key = make(), key
            return self._value


# The order the gates batch samples in: seeds, then synthetic samples as they were made. Sample ids
# are hashes, so in id order the samples a larger target adds would land in every batch.
ARRIVAL = "origin <> 'seed', created_at, sample_id"


def batches_by_id(rows: Sequence[tuple[Any, ...]], size: int, inputs: tuple[tuple[str, str], ...] = ()) -> list[Batch]:
    """Batches of ``rows`` (an id, then what the result depends on), about ``size`` rows each: a
    batch ends after a row whose id hashes to a multiple of ``size``, or at ``4 * size`` rows. Where
    batches end depends on the ids, not on positions, so rows added later (a larger target size)
    change only the batches they land in: every other batch keeps its key, and its shard."""
    out: list[Batch] = []
    start = 0
    for i, row in enumerate(rows):
        if i + 1 - start >= 4 * size or _ends(row[0], size) or i + 1 == len(rows):
            part = rows[start:i + 1]
            out.append(Batch((*part, *inputs), tuple(r[0] for r in part)))
            start = i + 1
    return out


def _ends(key: Any, size: int) -> bool:
    digest = hashlib.blake2b(str(key).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % size == 0


@functools.cache
def code_version(*names: str) -> str:
    """A hash of the source files of the given packages (every file below them) or modules."""
    digest = hashlib.sha256()
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(f"no module {name!r} to version")
        origin = Path(spec.origin)
        files = ([f for f in sorted(origin.parent.rglob("*")) if f.is_file() and "__pycache__" not in f.parts]
                 if spec.submodule_search_locations else [origin])
        for f in files:
            digest.update(f"\0{f.relative_to(origin.parent).as_posix()}\0".encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:12]


def now() -> datetime:
    """The timestamp rows carry (UTC, naive: DuckDB TIMESTAMP)."""
    return datetime.now(UTC).replace(tzinfo=None)


def reject_row(stage: str, r: Reject, at: datetime) -> dict[str, Any]:
    return {"source": r.source, "path": r.path, "file_sha256": r.file_sha256, "stage": r.stage or stage,
            "reason": r.reason, "detail": r.detail, "at": at}


def batch_key(stage: Stage[S], batch: Batch, settings: S) -> str:
    return shard_key(stage.name, batch.inputs, stage.version(settings))


def run_batch(stage: Stage[S], batch: Batch, warehouse: str | os.PathLike[str], settings: S) -> Result:
    """Run one batch unless its shard exists, and write its rows as one shard."""
    key = batch_key(stage, batch, settings)
    if has_shard(warehouse, key):
        supersede(warehouse, key)  # in case a run stopped between its write and this
        return Result(stage.name, key, skipped=True)
    out = stage.run(batch, ShardReader(warehouse), settings)
    unknown = set(out.tables) - set(stage.writes) - {"rejects"}
    if unknown:
        raise ValueError(f"stage {stage.name} wrote tables it does not declare: {sorted(unknown)}")
    pause_point(f"batch-run:{stage.name}")
    tables = {name: rows if isinstance(rows := out.tables.get(name, []), pa.Table) else list(rows)
              for name in stage.writes}
    if out.rejects:
        at = now()
        rejected = [reject_row(stage.name, r, at) for r in out.rejects]
        held = tables.get("rejects", [])
        tables["rejects"] = [*(held.to_pylist() if isinstance(held, pa.Table) else held), *rejected]
    if out.calls:  # the answer cache: kept whatever happens to this batch's shard
        write_shard(warehouse, f"{CALLS_PREFIX}-{uuid.uuid4().hex}", {"llm_calls": out.calls})
    if out.retry:  # visible now, and not a match for the key next run, so the failed rows are retried
        key = f"{key}-incomplete-{uuid.uuid4().hex[:8]}"
    write_shard(warehouse, key, tables)
    if not out.retry:
        supersede(warehouse, key)
    pause_point(f"batch-done:{stage.name}")
    return Result(stage.name, key, False, dict(out.counts), len(out.rejects), len(out.calls) + out.journaled,
                  out.items, dict(out.failures))


def finish(stage: Stage[Any], warehouse: str | os.PathLike[str], results: Iterable[Result]) -> int:
    """After all of a stage's batches: with ``latest`` retention, retire its shards this run did not
    write or reuse. Returns how many were removed."""
    if stage.retention == "cumulative":
        return 0
    keep = [r.key for r in results]
    if stage.retention == "latest":
        return retire(warehouse, stage.name, keep)
    return retire(warehouse, stage.name, keep, covered=_coverage(stage, warehouse, keep))


def _coverage(stage: Stage[Any], warehouse: str | os.PathLike[str], keep: Sequence[str]) -> Callable[[Path], bool]:
    """Whether an old shard's rows that matter are all in the shards ``keep``."""
    main = stage.writes[0]
    key = ", ".join(f'"{c}"' for c in table(main).key)
    root = parts_dir(warehouse)

    def ids(paths: Sequence[Path]) -> set[tuple[Any, ...]]:
        files = [str(p / f"{main}.parquet") for p in paths if (p / f"{main}.parquet").is_file()]
        if not files:
            return set()
        con = duckdb.connect()
        try:
            return set(con.execute(f"SELECT DISTINCT {key} FROM read_parquet($f, union_by_name = true) "
                                   f"WHERE {stage.covers}", {"f": files}).fetchall())
        except duckdb.Error:
            if not vanished(files):
                raise
            return set()  # another build retired it meanwhile: nothing of it is left to lose
        finally:
            con.close()

    held = ids([root / k for k in keep])
    return lambda shard: ids([shard]) <= held


def run_stage(stage: Stage[S], warehouse: str | os.PathLike[str], settings: S,
              progress: Callable[[Batch, Result], None] | None = None,
              planned: Callable[[list[Batch]], None] | None = None) -> list[Result]:
    """Plan, run every batch in this process, and finish: a stage without Prefect. ``planned`` is
    told the batches before they run, ``progress`` each batch's result."""
    results = []
    batches = stage.plan(ShardReader(warehouse), settings)
    if planned is not None:
        planned(batches)
    for batch in batches:
        result = run_batch(stage, batch, warehouse, settings)
        results.append(result)
        if progress is not None:
            progress(batch, result)
    finish(stage, warehouse, results)
    return results


class StageFailed(RuntimeError):
    """Every item a stage worked on in this run failed."""


def verdict(stage: Stage[Any], results: Sequence[Result]) -> str | None:
    """None when nothing failed; a warning when some items failed; ``StageFailed`` when all did."""
    items = sum(r.items for r in results)
    failures: dict[str, int] = {}
    for r in results:
        for reason, n in r.failures.items():
            failures[reason] = failures.get(reason, 0) + n
    failed = sum(failures.values())
    if not failed:
        return None
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(failures.items(), key=lambda kv: -kv[1])[:5])
    if failed >= items:
        raise StageFailed(f"stage {stage.name}: all {items} items failed ({reasons})")
    return f"stage {stage.name}: {failed} of {items} items failed ({reasons})"


def totals(results: Sequence[Result]) -> dict[str, int]:
    """The counts of several batches added up."""
    out: dict[str, int] = {}
    for r in results:
        for k, v in r.counts.items():
            out[k] = out.get(k, 0) + int(v)
    return out
