"""What a stage's last complete run planned from, so that a rerun with nothing changed skips the plan.

A plan is a function of the stage's settings and of the shards its reader listed (every read goes
through ``ShardReader.shards``; finished shards are never rewritten). After a run in which every batch
finished, the stage's memo records both and the keys of its batches. A later run whose listing of
the same tables is the same, with the same settings and code, and whose batch shards all still exist,
would plan exactly those batches and skip every one: it is given their results without planning,
which at 106k samples saves reading and hashing every sample once per stage. A stage whose plan also
reads files outside the warehouse (ingest's sources, the catalog files) is never skipped this way.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..warehouse.reader import ShardReader
from ..warehouse.shards import STATE, has_shard, parts_dir, write_state
from .contract import Result, Settings, Stage

FOLDER = STATE[0]  # hidden: never taken for a shard


class ListingReader(ShardReader):
    """A shard reader that keeps what it listed: (table, stage) -> the shard names, the last listing."""

    def __init__(self, warehouse: str | os.PathLike[str]) -> None:
        super().__init__(warehouse)
        self.listed: dict[tuple[str, str | None], tuple[str, ...]] = {}

    def shards(self, name: str, stage: str | None = None) -> list[str]:
        got = super().shards(name, stage)
        self.listed[(name, stage)] = tuple(got)
        return got


def _path(stage: Stage[Any], warehouse: str | os.PathLike[str]) -> Path:
    return parts_dir(warehouse) / FOLDER / f"{stage.name}.json"


def _settings(stage: Stage[Any], settings: Settings) -> str:
    """The stage's version and every setting, batch sizes included (a hash: settings may hold a URL's secrets)."""
    blob = json.dumps([stage.version(settings), settings.model_dump(mode="json")], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def unchanged(stage: Stage[Any], warehouse: str | os.PathLike[str], settings: Settings) -> list[Result] | None:
    """The results of the stage's last complete run (all skipped), when nothing its plan read has
    changed since; None when the stage must plan."""
    try:
        memo = json.loads(_path(stage, warehouse).read_text(encoding="utf-8"))
        if memo["settings"] != _settings(stage, settings):
            return None
        reader = ShardReader(warehouse)
        if any(tuple(reader.shards(name, by)) != tuple(names) for name, by, names in memo["listed"]):
            return None
        keys = [str(k) for k in memo["keys"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not all(has_shard(warehouse, k) for k in keys):  # a shard removed by hand: plan again
        return None
    return [Result(stage.name, k, skipped=True) for k in keys]


def remember(stage: Stage[Any], warehouse: str | os.PathLike[str], settings: Settings, reader: ListingReader,
             results: Sequence[Result]) -> bool:
    """Record what the plan read (``reader``) and the batches' keys, when every batch finished (a
    batch with rows to retry must run again). Returns whether it was recorded."""
    path = _path(stage, warehouse)
    if any(not has_shard(warehouse, r.key) or "-incomplete-" in r.key for r in results):
        path.unlink(missing_ok=True)
        return False
    listed = sorted(reader.listed.items(), key=lambda x: (x[0][0], x[0][1] or ""))
    memo = {"settings": _settings(stage, settings), "keys": [r.key for r in results],
            "listed": [[name, by, list(names)] for (name, by), names in listed]}
    write_state(path, json.dumps(memo))
    return True
