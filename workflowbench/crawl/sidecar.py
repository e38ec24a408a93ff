"""The metadata record beside a collected file: ``<file>.meta.json`` (``12345.shortcut.meta.json`` for
``12345.shortcut``), one JSON object. The crawler writes it; the ingest stage reads it into table
``shortcut_metadata`` and takes the shortcut's name from it. A file without one is ingested as before.

Keys (all but ``sidecar``, ``site`` and ``sha256`` may be null or absent)::

    sidecar       1 (the format's version)
    site          where the metadata comes from: routinehub | icloud
    site_id       the shortcut's id there (RoutineHub id, iCloud record id)
    url           the page it was collected from
    name          the name it goes by: the iCloud record's, else the site's title
    title         the site's title (RoutineHub page, or the title a URL list gave)
    summary       the site's one-line summary
    description   the site's description
    category      the site's category (its first, when it has several); categories: all of them
    author, version, released, ios, notes, downloads, hearts
    icloud_url    the iCloud link; icloud_name: the iCloud record's name
    asset         which file of the record was downloaded: shortcut | signedShortcut
    sha256, bytes the file's
    retrieved_at  ISO-8601 UTC time of the download
    provenance    field -> where it came from (routinehub-page, routinehub-api, icloud-record, url-list)
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

SUFFIX = ".meta.json"
VERSION = 1
TEXT = ("site_id", "url", "name", "title", "summary", "description", "category", "author", "version", "released",
        "ios", "notes", "icloud_url", "icloud_name", "asset", "retrieved_at")
COUNTS = ("downloads", "hearts", "bytes")


class BadSidecar(ValueError):
    """A metadata file that cannot be used: names the file and the reason."""

    def __init__(self, path: str, reason: str, detail: str) -> None:
        self.path, self.reason, self.detail = path, reason, detail
        super().__init__(f"{path}: {reason}: {detail}")


def sidecar_path(path: str) -> str:
    return path + SUFFIX


def described(path: str) -> str | None:
    """The file a sidecar path describes, or None when it is not a sidecar's name."""
    return path[: -len(SUFFIX)] if path.endswith(SUFFIX) and len(path) > len(SUFFIX) else None


def read(path: str, digest: str | None, data: bytes | None = None) -> dict[str, Any]:
    """The checked record of a sidecar (``data`` if already read); ``BadSidecar`` when it is not
    JSON, not this format, or describes other bytes than the file's (``digest``)."""
    try:
        raw = data if data is not None else open(path, "rb").read(1 << 20)
        record = json.loads(raw)
    except OSError as exc:
        raise BadSidecar(path, "bad-metadata", f"cannot read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadSidecar(path, "bad-metadata", f"not JSON: {exc}") from None
    if not isinstance(record, dict) or record.get("sidecar") != VERSION:
        raise BadSidecar(path, "bad-metadata", f"not a workflowbench metadata record (sidecar {VERSION})")
    if not isinstance(record.get("site"), str) or not record["site"]:
        raise BadSidecar(path, "bad-metadata", "no 'site'")
    for key in TEXT:
        if record.get(key) is not None and not isinstance(record[key], str):
            raise BadSidecar(path, "bad-metadata", f"{key!r} is not text")
    for key in COUNTS:
        value = record.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise BadSidecar(path, "bad-metadata", f"{key!r} is not a count")
    if digest is not None and record.get("sha256") != digest:
        raise BadSidecar(path, "metadata-mismatch",
                         f"describes sha256 {str(record.get('sha256'))[:12]}…, the file is {digest[:12]}…")
    return record


def retrieved(record: dict[str, Any]) -> datetime | None:
    """``retrieved_at`` as a naive UTC timestamp (what the warehouse stores), or None."""
    value = record.get("retrieved_at")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    if when is not None and when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


def row(record: dict[str, Any], shortcut_id: str, path: str, metadata_path: str) -> dict[str, Any]:
    """The ``shortcut_metadata`` row of a checked record."""
    categories = record.get("categories")
    return {
        "shortcut_id": shortcut_id, "path": path, "metadata_path": metadata_path, "site": record["site"],
        "site_id": record.get("site_id"), "url": record.get("url"), "name": record.get("name"),
        "title": record.get("title"), "description": record.get("description") or record.get("summary"),
        "site_category": record.get("category"),
        "categories": [str(c) for c in categories] if isinstance(categories, list) else None,
        "author": record.get("author"), "version": record.get("version"), "released": record.get("released"),
        "downloads": record.get("downloads"), "hearts": record.get("hearts"), "icloud_url": record.get("icloud_url"),
        "icloud_name": record.get("icloud_name"), "retrieved_at": retrieved(record),
        "provenance": json.dumps(record.get("provenance") or {}, sort_keys=True),
        "record": json.dumps(record, ensure_ascii=False, sort_keys=True),
    }


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_atomic(path: str | os.PathLike[str], data: bytes, tmp_dir: str | os.PathLike[str]) -> None:
    """Write ``data`` to ``path`` so that a reader (or a kill) sees the old file or the whole new one:
    a temporary file in ``tmp_dir`` (same file system), flushed to disk, then renamed into place."""
    os.makedirs(tmp_dir, exist_ok=True)
    tmp = os.path.join(tmp_dir, f"{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(fd)  # the rename itself survives a power loss
    finally:
        os.close(fd)


def dumps(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
