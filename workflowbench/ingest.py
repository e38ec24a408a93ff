"""The ingest stage: files in, warehouse rows out, one batch at a time.

``ingest_batch`` is a pure function of its files' bytes (plus the clock for ``ingested_at``);
bad files become ``rejects`` rows and never stop the batch. The transpile stage
(``transpile_stage``) runs at the end of each batch on the workflows it read.
"""

from __future__ import annotations

import hashlib
import json
import os
import plistlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .containers import DEFAULT_LIMITS, Limits
from .errors import ShortcutError
from .model import Workflow, canonical, content_id
from .reader import read_bytes, read_shortcut
from .transpile_stage import TRANSPILER_VERSION, Item, transpile_batch
from .values import dump_value

STAGE = "ingest"
# Files that are plainly not shortcuts (documentation, manifests, images) are not offered to the
# reader; everything else is, whatever its suffix, and its container is detected from the bytes.
IGNORED_SUFFIXES = {".md", ".rst", ".jsonl", ".py", ".csv", ".tsv", ".html", ".png", ".jpg", ".jpeg", ".gif",
                    ".pdf", ".yml", ".yaml", ".toml", ".gz", ".zip"}
IGNORED_NAMES = {".DS_Store", "LICENSE", "LICENCE", "Thumbs.db"}


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str
    source: str  # the collection label: the folder the build was pointed at


@dataclass
class BatchResult:
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    containers: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def shortcuts(self) -> int:
        return len(self.tables.get("shortcuts", []))

    @property
    def actions(self) -> int:
        return len(self.tables.get("actions", []))

    @property
    def rejected(self) -> int:
        """Files the ingest stage refused (transpile failures are counted by ``transpile_failed``)."""
        return sum(r["stage"] == STAGE for r in self.tables.get("rejects", []))

    @property
    def transpiled(self) -> int:
        return sum(r["status"] == "ok" for r in self.tables.get("code", []))

    @property
    def transpile_failed(self) -> int:
        return sum(r["status"] == "failed" for r in self.tables.get("code", []))


def discover(sources: Iterable[str | os.PathLike[str]]) -> list[SourceFile]:
    """Every candidate file under the given folders (or the files themselves), in path order.

    Hidden folders (``.git``) and plainly non-shortcut files (``IGNORED_SUFFIXES``) are skipped;
    the container of every other file is detected from its content.
    """
    found: dict[str, SourceFile] = {}
    for src in sources:
        root = Path(src)
        if root.is_dir():
            label = root.resolve().name
            for path in sorted(root.rglob("*")):
                rel = path.relative_to(root).parts
                if (path.is_file() and path.suffix.lower() not in IGNORED_SUFFIXES and path.name not in IGNORED_NAMES
                        and not any(part.startswith(".") for part in rel[:-1])):
                    found.setdefault(str(path), SourceFile(str(path), label))
        else:  # a single file, or a path that does not exist (rejected when read)
            found.setdefault(str(root), SourceFile(str(root), root.parent.resolve().name or "."))
    return sorted(found.values(), key=lambda f: f.path)


def batches(files: Sequence[SourceFile], size: int) -> Iterator[list[SourceFile]]:
    if size < 1:
        raise ValueError("batch size must be at least 1")
    for i in range(0, len(files), size):
        yield list(files[i : i + size])


def file_digest(path: str) -> str:
    """Content hash used for shard keys; unreadable files get a stable placeholder."""
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return "unreadable"


def ingest_batch(files: Sequence[SourceFile], limits: Limits = DEFAULT_LIMITS) -> BatchResult:
    """Read every file of a batch into warehouse rows, then transpile the shortcuts it kept;
    failures of either stage become ``rejects`` rows."""
    now = datetime.now(UTC).replace(tzinfo=None)
    out = BatchResult({"shortcuts": [], "files": [], "actions": [], "defects": [], "plists": [], "code": [],
                       "rejects": []})
    seen: set[str] = set()
    kept: list[Item] = []
    for f in files:
        digest = None
        try:
            data = read_bytes(f.path, limits)
            digest = hashlib.sha256(data).hexdigest()
            wf = read_shortcut(data, name=Path(f.path).stem, limits=limits)
            wf.source = f.path
            rows = workflow_rows(wf, f, digest, len(data), now)
        except ShortcutError as exc:
            _reject(out, f, digest, exc.reason, exc.detail, now)
            continue
        except Exception as exc:  # a bug, not bad input: keep the batch going and say so
            _reject(out, f, digest, "internal-error", f"{type(exc).__name__}: {exc}", now)
            continue
        out.containers[wf.container] += 1
        out.tables["files"].append(rows["files"][0])
        sid = rows["files"][0]["shortcut_id"]
        if sid in seen:
            continue  # another encoding of a shortcut already in this batch
        seen.add(sid)
        kept.append(Item(sid, wf, f.source, f.path, digest))
        for table in ("shortcuts", "actions", "defects", "plists"):
            out.tables[table].extend(rows[table])
    # The transpile stage, on the workflows already in memory (no file is read twice).
    code = transpile_batch(kept, now)
    out.tables["code"].extend(code["code"])
    out.tables["rejects"].extend(code["rejects"])
    out.reasons.update(r["reason"] for r in code["rejects"])
    return out


def ingest_to_shard(files: Sequence[SourceFile], warehouse: str | os.PathLike[str]) -> dict[str, Any]:
    """Ingest one batch into its warehouse shard, unless a shard for the same files and bytes exists."""
    from . import warehouse as wh

    key = shard_key(files)
    if wh.has_shard(warehouse, key):
        return {"key": key, "skipped": True, "files": len(files), "shortcuts": 0, "actions": 0, "rejected": 0,
                "transpiled": 0, "transpile_failed": 0}
    result = ingest_batch(files)
    wh.write_shard(warehouse, key, result.tables)
    return {"key": key, "skipped": False, "files": len(files), "shortcuts": result.shortcuts,
            "actions": result.actions, "rejected": result.rejected, "transpiled": result.transpiled,
            "transpile_failed": result.transpile_failed}


def shard_key(files: Sequence[SourceFile]) -> str:
    """The key of a batch's shard: its files and bytes, and the transpiler that wrote its code rows."""
    from . import warehouse as wh

    return wh.shard_key(STAGE, ((f.path, file_digest(f.path)) for f in files), version=TRANSPILER_VERSION)


def _reject(out: BatchResult, f: SourceFile, digest: str | None, reason: str, detail: str, now: datetime) -> None:
    out.reasons[reason] += 1
    out.tables["rejects"].append({
        "source": f.source, "path": f.path, "file_sha256": digest, "stage": STAGE,
        "reason": reason, "detail": detail, "at": now,
    })


def workflow_rows(
    wf: Workflow, f: SourceFile, digest: str, size: int, now: datetime
) -> dict[str, list[dict[str, Any]]]:
    """The warehouse rows of one workflow."""
    plist = wf.to_plist()
    sid = content_id(plist)
    try:
        blob = plistlib.dumps(plist, fmt=plistlib.FMT_BINARY, sort_keys=False)
    except (TypeError, OverflowError):  # JSON nulls or oversize ints cannot be a plist: keep JSON
        blob = json.dumps(canonical(plist), ensure_ascii=False).encode()
    depths, roles, defects = wf.depths, wf.roles, wf.defects
    return {
        "shortcuts": [{
            "id": sid, "name": wf.name, "source": f.source, "source_path": f.path, "container": wf.container,
            "signing": wf.signing.kind, "bytes": size, "file_sha256": digest, "action_count": len(wf.actions),
            "max_depth": wf.max_depth, "defect_count": len(defects),
            "client_version": None if wf.client_version is None else str(wf.client_version), "ingested_at": now,
        }],
        "files": [{
            "path": f.path, "source": f.source, "file_sha256": digest, "bytes": size, "container": wf.container,
            "shortcut_id": sid, "ingested_at": now,
        }],
        "actions": [
            {
                "shortcut_id": sid, "position": i, "identifier": a.identifier, "app": a.app, "depth": depths[i],
                "role": roles[i], "block_group": a.group,
                "parameters": json.dumps(canonical({k: dump_value(v) for k, v in a.parameters.items()}),
                                         ensure_ascii=False, default=str),
            }
            for i, a in enumerate(wf.actions)
        ],
        "defects": [
            {"shortcut_id": sid, "position": d.index, "kind": d.kind, "block_group": d.group, "detail": d.detail}
            for d in defects
        ],
        "plists": [{"shortcut_id": sid, "plist": blob}],
    }
