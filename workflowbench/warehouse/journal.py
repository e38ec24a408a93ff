"""A journal of LLM answers, written as they arrive: one JSON line per call, flushed, in a hidden
file beside the shards. A batch turns its journal into an ``llm_calls`` shard when it ends; a kill
before that loses no answer that came back, because the cache reads journals too and the next run
turns a dead writer's journal into a shard."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ..pause import pause_point
from .shards import CALLS_PREFIX, owner, parts_dir, write_shard

PREFIX = ".llm-journal-"


class Journal:
    def __init__(self, warehouse: str | os.PathLike[str]) -> None:
        self.warehouse = warehouse
        root = parts_dir(warehouse)
        root.mkdir(parents=True, exist_ok=True)
        self.path = root / f"{PREFIX}{owner()}-{uuid.uuid4().hex}.jsonl"
        self.count = 0
        self._file = self.path.open("a", encoding="utf-8")

    def write(self, row: dict[str, Any]) -> None:
        self._file.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        self._file.flush()  # in the OS's hands: a killed process loses nothing already written
        self.count += 1
        pause_point(f"llm-answer:{row.get('stage', '')}")

    def close(self) -> None:
        """Turn the journal into a shard and remove it."""
        self._file.close()
        publish_journal(self.warehouse, self.path)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rows(path: Path) -> Iterator[dict[str, Any]]:
    """The calls of a journal; a line cut short by a kill is left out."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    for line in lines:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and "call_id" in row:
            row["created_at"] = datetime.fromisoformat(row["created_at"])
            yield row


def journals(warehouse: str | os.PathLike[str]) -> list[Path]:
    root = parts_dir(warehouse)
    return sorted(root.glob(f"{PREFIX}*.jsonl")) if root.is_dir() else []


def publish_journal(warehouse: str | os.PathLike[str], path: Path) -> None:
    """The journal's calls as a shard, then the journal removed. The shard is named after the
    journal, so a kill between the two steps makes the next run find the shard, not write another."""
    found = list(rows(path))
    if found:
        name = hashlib.sha256(path.name.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        write_shard(warehouse, f"{CALLS_PREFIX}-{name}", {"llm_calls": found})
    path.unlink(missing_ok=True)
