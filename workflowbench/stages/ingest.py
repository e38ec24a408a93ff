"""The ingest stage: files in, warehouse rows out, one batch of files at a time.

``run`` is a pure function of its files' bytes (plus the clock for ``ingested_at``); bad files become
rejects and never stop the batch. The transpile stage (``transpile``) runs at the end of each batch on
the workflows it read. Ingest shards are cumulative: building from another folder adds to what is
there.
"""

from __future__ import annotations

import hashlib
import json
import os
import plistlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import Field

from ..shortcut.containers import DEFAULT_LIMITS, Limits
from ..shortcut.errors import ShortcutError
from ..shortcut.model import Workflow, canonical, content_id
from ..shortcut.reader import read_bytes, read_shortcut
from ..shortcut.values import dump_value
from ..warehouse.reader import ShardReader
from .contract import Batch, Output, Reject, Settings, Stage, now
from .transpile import CODE as TRANSPILE_CODE
from .transpile import Item, transpile_batch

STAGE = "ingest"
# Files that are plainly not shortcuts (documentation, manifests, images) are not offered to the
# reader; everything else is, whatever its suffix, and its container is detected from the bytes.
IGNORED_SUFFIXES = {".md", ".rst", ".jsonl", ".py", ".csv", ".tsv", ".html", ".png", ".jpg", ".jpeg", ".gif",
                    ".pdf", ".yml", ".yaml", ".toml", ".gz", ".zip"}
IGNORED_NAMES = {".DS_Store", "LICENSE", "LICENCE", "Thumbs.db"}
DEFAULT_SOURCES = ("raw_shortcuts",)


class IngestSettings(Settings):
    sources: tuple[str, ...] = Field(DEFAULT_SOURCES, min_length=1)  # folders or files
    batch_size: int = Field(500, ge=1, le=100_000)  # files per batch (one Prefect task each)
    unversioned = frozenset({"sources", "batch_size"})  # the key names every file and its bytes


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str
    source: str  # the collection label: the folder the build was pointed at


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


def plan(reader: ShardReader, settings: IngestSettings) -> list[Batch]:
    files = discover(settings.sources)
    return [Batch(tuple((f.path, file_digest(f.path)) for f in chunk), tuple(chunk))
            for chunk in batches(files, settings.batch_size)]


def run(batch: Batch, reader: ShardReader, settings: IngestSettings) -> Output:
    return ingest_batch(batch.items)


def ingest_batch(files: Sequence[SourceFile], limits: Limits = DEFAULT_LIMITS) -> Output:
    """Read every file of a batch into warehouse rows, then transpile the shortcuts it kept;
    failures of either stage become rejects."""
    at = now()
    out = Output({"shortcuts": [], "files": [], "actions": [], "defects": [], "plists": [], "code": []})
    seen: set[str] = set()
    kept: list[Item] = []
    for f in files:
        digest = None
        try:
            data = read_bytes(f.path, limits)
            digest = hashlib.sha256(data).hexdigest()
            wf = read_shortcut(data, name=Path(f.path).stem, limits=limits)
            wf.source = f.path
            rows = workflow_rows(wf, f, digest, len(data), at)
        except ShortcutError as exc:
            out.rejects.append(Reject(f.path, exc.reason, exc.detail, f.source, digest))
            continue
        except Exception as exc:  # a bug, not bad input: keep the batch going and say so
            out.rejects.append(Reject(f.path, "internal-error", f"{type(exc).__name__}: {exc}", f.source, digest))
            continue
        out.tables["files"].append(rows["files"][0])
        sid = rows["files"][0]["shortcut_id"]
        if sid in seen:
            continue  # another encoding of a shortcut already in this batch
        seen.add(sid)
        kept.append(Item(sid, wf, f.source, f.path, digest))
        for table in ("shortcuts", "actions", "defects", "plists"):
            out.tables[table].extend(rows[table])
    rejected = len(out.rejects)
    # The transpile stage, on the workflows already in memory (no file is read twice).
    code, failures = transpile_batch(kept, at)
    out.tables["code"] = code
    out.rejects.extend(failures)
    out.counts = {"files": len(files), "shortcuts": len(out.tables["shortcuts"]),
                  "actions": len(out.tables["actions"]), "rejected": rejected,
                  "transpiled": sum(r["status"] == "ok" for r in code), "transpile_failed": len(failures)}
    return out


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


INGEST: Stage[IngestSettings] = Stage(
    name=STAGE, reads=(), writes=("shortcuts", "files", "actions", "defects", "plists", "code", "rejects"),
    code=(*TRANSPILE_CODE, __name__), settings=IngestSettings, plan=plan, run=run, retention="cumulative",
    task="ingest-transpile-batch", retries=1,
)
