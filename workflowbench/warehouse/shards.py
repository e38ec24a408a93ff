"""Shards: one directory of Parquet files per finished batch, under ``<warehouse>.parts/``.

Why: DuckDB lets one process write a file, but batches run in parallel (and on several machines) and
people query while a build runs. So a batch never opens the DuckDB file: it writes its rows into a
hidden temporary directory renamed into place in one step (a half-written batch is never visible),
named by a hash of its stage, its code and settings, and its inputs. That name is also the
completion marker: a batch whose shard exists is done.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..pause import pause_point
from .schema import table

# A stage's shard: "<stage>-<32 hex>", with "-incomplete-<8 hex>" when some rows should be retried.
_NAME = re.compile(r"^(?P<stage>[a-z][a-z0-9_-]*?)-[0-9a-f]{32}(?:-incomplete-[0-9a-f]{8})?$")
CALLS_PREFIX = "llm"  # shards of LLM calls: the answer cache, never retired


def parts_dir(warehouse: str | os.PathLike[str]) -> Path:
    """Where the shards of ``warehouse`` live: ``<warehouse without suffix>.parts``."""
    path = Path(warehouse)
    return path.with_name(path.stem + ".parts")


def shard_key(stage: str, inputs: Iterable[tuple[str, str]], version: str = "") -> str:
    """A batch's key: ``<stage>-`` then 16 hex digits for its (name, content hash) inputs, in any
    order, and 16 for the ``version`` of what computes its rows. Two shards of a stage with the same
    first half hold the same inputs computed by different code: the newer supersedes the older."""
    h = hashlib.sha256(stage.encode())
    for name, digest in sorted(inputs):
        h.update(f"\0{name}\0{digest}".encode("utf-8", "surrogateescape"))
    v = hashlib.sha256(f"{stage}\0{version}".encode())
    return f"{stage}-{h.hexdigest()[:16]}{v.hexdigest()[:16]}"


def _inputs_of(shard: str) -> str | None:
    m = _NAME.match(shard)
    return shard[len(m["stage"]) + 1:][:16] if m else None


def stage_of(shard: str) -> str | None:
    """The stage that wrote ``shard`` (None for call shards and anything else)."""
    m = _NAME.match(shard)
    return m["stage"] if m else None


def finished(warehouse: str | os.PathLike[str]) -> list[Path]:
    """Every finished shard, in name order; temporary (hidden) directories are not shards."""
    root = parts_dir(warehouse)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if not p.name.startswith(".") and p.is_dir())


RETRIES = 5  # reads of a table whose shards another build retires meanwhile


def vanished(files: Iterable[str]) -> bool:
    """True if some of ``files`` is gone: a shard another build retired while this one read it."""
    return not all(os.path.exists(f) for f in files)


def has_shard(warehouse: str | os.PathLike[str], key: str) -> bool:
    return (parts_dir(warehouse) / key).is_dir()


def write_shard(warehouse: str | os.PathLike[str], key: str,
                tables: Mapping[str, Sequence[dict[str, Any]] | pa.Table]) -> bool:
    """Write one batch's rows (dicts, or an Arrow table of the table's columns) atomically; False if
    a shard of that key was already there."""
    root = parts_dir(warehouse)
    root.mkdir(parents=True, exist_ok=True)
    final = root / key
    if final.is_dir():
        return False
    tmp = root / f".tmp-{key}-{owner()}-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        for name, rows in tables.items():
            schema = table(name).arrow
            data = (rows.select(schema.names).cast(schema) if isinstance(rows, pa.Table)
                    else pa.Table.from_pylist(list(rows), schema=schema))
            pq.write_table(data, tmp / f"{name}.parquet")
            pause_point(f"shard-write:{stage_of(key) or key.split('-')[0]}")
        try:
            os.rename(tmp, final)  # atomic: readers see the whole batch or none of it
        except OSError:
            if final.is_dir():  # another worker wrote the same batch first
                return False
            raise
        return True
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def supersede(warehouse: str | os.PathLike[str], key: str) -> int:
    """Remove the other shards of ``key``'s stage that hold the same inputs (an older version's
    output, or an incomplete try): the rows of ``key`` replace theirs."""
    stage, inputs, removed = stage_of(key), _inputs_of(key), 0
    for shard in finished(warehouse):
        if shard.name != key and stage_of(shard.name) == stage and _inputs_of(shard.name) == inputs:
            shutil.rmtree(shard, ignore_errors=True)
            removed += 1
    return removed


# Hidden folders of the shard folder that hold a build's own state, never shards: the stages' plan
# memos (stages/memo.py) and the report's remembered figures (quality.published_quality).
STATE = (".plans", ".reports")


def write_state(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all; a killed writer's temporary file carries its
    host and process, so ``sweep`` clears it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{owner()}-{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def owner() -> str:
    """Who is writing a temporary file: host and process, so a later run can tell a dead writer's
    leftovers from a live writer's work."""
    return f"{socket.gethostname()}-{os.getpid()}"


def _dead(name: str) -> bool:
    """True if ``name`` carries this host's name and the id of a process that no longer runs."""
    host = socket.gethostname()
    m = re.search(rf"[.-]{re.escape(host)}-(\d+)-[0-9a-f]{{32}}(?:\.tmp|\.tmp\.wal|\.tmp\.spill|\.jsonl)?$", name)
    return m is not None and gone(host, int(m[1]))


def gone(host: str, pid: int) -> bool:
    """True if ``host`` is this machine and no process ``pid`` runs on it (a zombie counts as gone).
    Another host's processes cannot be checked: False."""
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # exited but not yet reaped by its parent
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def sweep(warehouse: str | os.PathLike[str]) -> int:
    """Clear what killed writers left, for processes of this host that no longer run: temporary
    shard directories and publish staging files are removed, LLM call journals become shards.
    Returns how many were handled."""
    target, removed = Path(warehouse), 0
    root = parts_dir(target)
    for tmp in root.glob(".tmp-*") if root.is_dir() else []:
        if _dead(tmp.name):
            shutil.rmtree(tmp, ignore_errors=True)
            removed += 1
    from .journal import PREFIX, publish_journal  # journals write shards: imported here, not at the top

    for journal in root.glob(f"{PREFIX}*.jsonl") if root.is_dir() else []:
        if _dead(journal.name):  # the answers a killed run received become a shard
            publish_journal(target, journal)
            removed += 1
    for folder in STATE:
        for tmp in (root / folder).glob(".*.tmp") if (root / folder).is_dir() else []:
            if _dead(tmp.name):
                tmp.unlink(missing_ok=True)
                removed += 1
    for staging in target.parent.glob(f".{target.name}.*") if target.parent.is_dir() else []:
        if _dead(staging.name):
            if staging.is_dir():  # where DuckDB spilled while publishing
                shutil.rmtree(staging, ignore_errors=True)
            else:
                staging.unlink(missing_ok=True)
            removed += 1
    return removed


def retire(warehouse: str | os.PathLike[str], stage: str, keep: Iterable[str],
           covered: Callable[[Path], bool] | None = None) -> int:
    """Remove ``stage``'s shards not in ``keep`` (and, if given, ``covered``: nothing of theirs lost)."""
    keep, removed = set(keep), 0
    for shard in finished(warehouse):
        if stage_of(shard.name) == stage and shard.name not in keep and (covered is None or covered(shard)):
            shutil.rmtree(shard, ignore_errors=True)
            removed += 1
    return removed
