"""The ingest stage: files in, warehouse rows out, one batch of files at a time.

``run`` is a pure function of its files' bytes (plus the clock for ``ingested_at``); bad files become
rejects and never stop the batch. The transpile stage (``transpile``) runs at the end of each batch on
the workflows it read. Ingest shards are cumulative: building from another folder adds to what is
there.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import plistlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import Field

from ..crawl import sidecar
from ..shortcut.containers import DEFAULT_LIMITS, Limits
from ..shortcut.errors import BadStructure, ShortcutError
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


# A folder with one of these names is where a file was expected (a bundle, or a mistake).
FILE_SUFFIXES = {".shortcut", ".wflow", ".plist", ".json"}


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # as the file system gives it (undecodable bytes as surrogates), to open it
    source: str  # the collection label: the folder the build was pointed at
    problem: str | None = None  # a reason to reject it without reading: a link loop, a folder, ...
    detail: str = ""
    meta: str | None = None  # its metadata record (``<path>.meta.json``, workflowbench.crawl.sidecar), if any

    @property
    def shown(self) -> str:
        """The path as text a row can hold: bytes that are not UTF-8 as backslash escapes."""
        return shown(self.path)


def shown(path: str) -> str:
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def check_sources(sources: Iterable[str | os.PathLike[str]]) -> None:
    """Refuse sources that do not exist before any work, so a typo leaves no permanent reject."""
    missing = [str(s) for s in sources if not os.path.lexists(s)]
    if missing:
        raise FileNotFoundError(f"{', '.join(missing)}: no such file or folder")


def discover(sources: Iterable[str | os.PathLike[str]]) -> list[SourceFile]:
    """Every candidate file under the given folders (or the files themselves), in path order.

    Hidden folders (``.git``) and plainly non-shortcut files (``IGNORED_SUFFIXES``) are skipped; the
    container of every other file is detected from its content. Entries that cannot be read as a
    file come back with a ``problem`` (and become rejects): link loops, dangling links, links to
    folders (never followed, so nothing is found twice or forever), folders named like a shortcut
    file, and anything that is not a regular file.

    A file's metadata record (``<file>.meta.json`` beside it, as ``workflowbench crawl`` writes) is not
    a candidate: it goes with the file (``meta``). A ``.meta.json`` whose file is not there is read like
    any other file.
    """
    found: dict[str, SourceFile] = {}
    for src in sources:
        root = Path(src)
        if root.is_dir() and not root.is_symlink():
            label = root.resolve().name
            for entry in _walk(root):
                found.setdefault(entry, _classify(Path(entry), label))
        else:  # a single file, a link, or a path that does not exist (rejected when read)
            label = root.parent.resolve().name or "."
            found.setdefault(str(root), _classify(root, label) if root.is_symlink() else SourceFile(str(root), label))
            beside = sidecar.sidecar_path(str(root))
            if os.path.isfile(beside) and not os.path.islink(beside):
                found.setdefault(beside, SourceFile(beside, label))
    for path in [p for p in found if sidecar.described(p) in found]:
        owner, record = found[sidecar.described(path) or ""], found[path]
        if owner.problem is None and record.problem is None:
            found[owner.path] = replace(owner, meta=path)
            del found[path]
    return sorted(found.values(), key=lambda f: f.path)


def _walk(folder: Path) -> Iterator[str]:
    """Paths of the entries below ``folder`` worth a look, without following links."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        suffix = Path(entry.name).suffix.lower()
        if entry.name in IGNORED_NAMES:
            continue
        if entry.is_dir(follow_symlinks=False) and not entry.name.lower().endswith(tuple(FILE_SUFFIXES)):
            if not entry.name.startswith("."):  # hidden folders (.git) are not looked into
                yield from _walk(Path(entry.path))
        elif suffix not in IGNORED_SUFFIXES:
            yield entry.path


def _classify(path: Path, label: str) -> SourceFile:
    p = str(path)
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (RuntimeError, OSError) as exc:  # a loop raises RuntimeError or ELOOP, by Python version
            if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP:
                return SourceFile(p, label, "link-loop", "symbolic link that points back to itself")
            return SourceFile(p, label, "dangling-link", f"symbolic link to {shown(os.readlink(path))}, "
                                                         "which does not exist")
        if target.is_dir():
            return SourceFile(p, label, "linked-folder", f"symbolic link to the folder {shown(str(target))}; "
                                                         "links to folders are not followed")
        return SourceFile(p, label) if target.is_file() else SourceFile(p, label, "not-a-file", "not a regular file")
    if path.is_dir():
        return SourceFile(p, label, "not-a-file", "a folder, where a shortcut file was expected")
    if not path.is_file():
        return SourceFile(p, label, "not-a-file", "not a regular file (a pipe, socket or device)")
    return SourceFile(p, label)


def batches(files: Sequence[SourceFile], size: int) -> Iterator[list[SourceFile]]:
    if size < 1:
        raise ValueError("batch size must be at least 1")
    for i in range(0, len(files), size):
        yield list(files[i : i + size])


def file_digest(path: str) -> str:
    """Content hash used for shard keys; unreadable files get a stable placeholder."""
    if not os.path.isfile(path):  # opening a pipe would wait for a writer
        return "unreadable"
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return "unreadable"


def plan(reader: ShardReader, settings: IngestSettings) -> list[Batch]:
    files = discover(settings.sources)
    return [Batch(tuple(pair for f in chunk for pair in _inputs(f)), tuple(chunk))
            for chunk in batches(files, settings.batch_size)]


def _inputs(f: SourceFile) -> list[tuple[str, str]]:
    """What a file adds to its batch's key: its content, and its metadata record's when it has one."""
    pairs = [(f.path, f.problem or file_digest(f.path))]
    if f.meta is not None:
        pairs.append((f.meta, file_digest(f.meta)))
    return pairs


def run(batch: Batch, reader: ShardReader, settings: IngestSettings) -> Output:
    return ingest_batch(batch.items)


def ingest_batch(files: Sequence[SourceFile], limits: Limits = DEFAULT_LIMITS) -> Output:
    """Read every file of a batch into warehouse rows, then transpile the shortcuts it kept;
    failures of either stage become rejects."""
    at = now()
    out = Output({"shortcuts": [], "files": [], "actions": [], "defects": [], "plists": [], "code": [],
                  "shortcut_metadata": []})
    seen: set[str] = set()
    kept: list[Item] = []
    unusable: list[Reject] = []  # metadata records that cannot be used (their files are still read)
    for f in files:
        digest = None
        if f.problem is not None:
            out.rejects.append(Reject(f.shown, f.problem, f.detail, f.source))
            continue
        try:
            data = read_bytes(f.path, limits)
            digest = hashlib.sha256(data).hexdigest()
            meta = _metadata(f, digest, unusable)
            name = meta["name"] if meta is not None and meta.get("name") else shown(Path(f.path).stem)
            wf = read_shortcut(data, name=name, limits=limits)
            wf.source = f.shown
            if not wf.has_actions:  # the reader keeps such a dictionary as it is; it is not a shortcut
                raise BadStructure(f.shown, "no WFWorkflowActions: a dictionary, but not a shortcut",
                                   reason="no-workflow-actions")
            rows = workflow_rows(wf, f, digest, len(data), at)
        except ShortcutError as exc:
            out.rejects.append(Reject(f.shown, exc.reason, shown(exc.detail), f.source, digest))
            continue
        except Exception as exc:  # a bug, not bad input: keep the batch going and say so
            detail = shown(f"{type(exc).__name__}: {exc}")
            out.rejects.append(Reject(f.shown, "internal-error", detail, f.source, digest))
            continue
        out.tables["files"].append(rows["files"][0])
        sid = rows["files"][0]["shortcut_id"]
        if meta is not None and f.meta is not None:
            out.tables["shortcut_metadata"].append(sidecar.row(meta, sid, f.shown, shown(f.meta)))
        if sid in seen:
            continue  # another encoding of a shortcut already in this batch
        seen.add(sid)
        kept.append(Item(sid, wf, f.source, f.shown, digest))
        for table in ("shortcuts", "actions", "defects", "plists"):
            out.tables[table].extend(rows[table])
    rejected = len(out.rejects)
    # The transpile stage, on the workflows already in memory (no file is read twice).
    code, failures = transpile_batch(kept, at)
    out.tables["code"] = code
    out.rejects.extend(failures)
    out.items = len(files)
    for r in out.rejects[:rejected]:  # files the batch could not read; transpile failures keep their file
        out.failures[r.reason] = out.failures.get(r.reason, 0) + 1
    out.rejects.extend(unusable)
    out.counts = {"files": len(files), "shortcuts": len(out.tables["shortcuts"]),
                  "actions": len(out.tables["actions"]), "rejected": rejected,
                  "transpiled": sum(r["status"] == "ok" for r in code), "transpile_failed": len(failures)}
    if any(f.meta for f in files):
        out.counts |= {"metadata": len(out.tables["shortcut_metadata"]), "metadata_rejected": len(unusable)}
    return out


def _metadata(f: SourceFile, digest: str, unusable: list[Reject]) -> dict[str, Any] | None:
    """The file's checked metadata record, or None (none, or unusable: then a reject says why)."""
    if f.meta is None:
        return None
    try:
        return sidecar.read(f.meta, digest)
    except sidecar.BadSidecar as exc:
        unusable.append(Reject(shown(f.meta), exc.reason, shown(exc.detail), f.source))
        return None


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
            "id": sid, "name": wf.name, "source": f.source, "source_path": f.shown, "container": wf.container,
            "signing": wf.signing.kind, "bytes": size, "file_sha256": digest, "action_count": len(wf.actions),
            "max_depth": wf.max_depth, "defect_count": len(defects),
            "client_version": None if wf.client_version is None else str(wf.client_version), "ingested_at": now,
        }],
        "files": [{
            "path": f.shown, "source": f.source, "file_sha256": digest, "bytes": size, "container": wf.container,
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
    name=STAGE, reads=(), writes=("shortcuts", "files", "actions", "defects", "plists", "code", "shortcut_metadata",
                                  "rejects"),
    code=(*TRANSPILE_CODE, sidecar.__name__, __name__), settings=IngestSettings, plan=plan, run=run,
    retention="cumulative",
    task="ingest-transpile-batch", retries=1,
)
