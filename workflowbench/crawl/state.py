"""The crawl's durable state: one SQLite file in ``<folder>/.crawl/state.sqlite`` (never the warehouse,
which has one writer at a time). Every answer a step needs is committed as soon as it arrives, so a
kill loses at most the request in flight:

- ``items``: one row per shortcut and site: its status (``working`` while being collected, ``ok``,
  ``failed`` with the typed error's reason and detail, ``gone`` for a 404), what the API, the page
  and the iCloud record said, and the stored file (name, sha256, version). ``pending`` is the sha256
  of a file being put in place with its metadata record (``pending_meta``): a rerun finishes that
  instead of downloading again.
- ``errors``: every error recorded, in order.
- ``listings``: how far a listing got (``listing``: next page; ``crawling``; ``finished``), and ``queue``
  the ids it found, so a killed run resumes where it stopped instead of listing again.

One crawl at a time per folder: ``open_state`` takes an exclusive lock (``.crawl/lock``).
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .sidecar import now_iso

HIDDEN = ".crawl"  # hidden: the ingest stage never looks into hidden folders
SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    site TEXT NOT NULL, item TEXT NOT NULL, status TEXT NOT NULL,
    latest TEXT, page TEXT, record TEXT, record_at REAL, listed TEXT,
    file TEXT, sha256 TEXT, version TEXT, link TEXT, pending TEXT, pending_meta TEXT,
    reason TEXT, detail TEXT, url TEXT, tries INTEGER NOT NULL DEFAULT 0,
    checked_at TEXT, updated_at TEXT NOT NULL,
    PRIMARY KEY (site, item)
);
CREATE TABLE IF NOT EXISTS errors (
    n INTEGER PRIMARY KEY, site TEXT NOT NULL, item TEXT NOT NULL, url TEXT, reason TEXT NOT NULL,
    detail TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS listings (
    key TEXT PRIMARY KEY, phase TEXT NOT NULL, next_page INTEGER NOT NULL, started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS queue (key TEXT NOT NULL, position INTEGER NOT NULL, item TEXT NOT NULL,
    PRIMARY KEY (key, position));
"""
COLUMNS = ("status", "latest", "page", "record", "record_at", "listed", "file", "sha256", "version", "link", "pending",
           "pending_meta", "reason", "detail", "url", "tries", "checked_at")
JSON_COLUMNS = ("latest", "page", "record", "listed", "pending_meta")


class CrawlBusy(RuntimeError):
    """Another crawl is writing to the same folder."""


@dataclass
class Item:
    site: str
    item: str
    status: str = "new"
    latest: dict[str, Any] | None = None
    page: dict[str, Any] | None = None
    record: dict[str, Any] | None = None
    record_at: float | None = None
    listed: dict[str, Any] | None = None
    file: str | None = None
    sha256: str | None = None
    version: str | None = None  # of the stored file: RoutineHub's version, or the iCloud record's modified time
    link: str | None = None  # the iCloud link the stored file came from
    pending: str | None = None
    pending_meta: dict[str, Any] | None = None
    reason: str | None = None
    detail: str | None = None
    url: str | None = None
    tries: int = 0
    checked_at: str | None = None


class State:
    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def get(self, site: str, item: str) -> Item:
        cur = self.con.execute(f"SELECT {', '.join(COLUMNS)} FROM items WHERE site = ? AND item = ?", (site, item))
        found = cur.fetchone()
        if found is None:
            return Item(site, item)
        values = dict(zip(COLUMNS, found))
        for key in JSON_COLUMNS:
            values[key] = json.loads(values[key]) if values[key] is not None else None
        return Item(site, item, **values)

    def put(self, it: Item, **changes: Any) -> Item:
        """Apply ``changes`` to ``it`` and commit them (durably: the file is in FULL synchronous mode)."""
        for key, value in changes.items():
            setattr(it, key, value)
        values = [json.dumps(getattr(it, c)) if c in JSON_COLUMNS and getattr(it, c) is not None else getattr(it, c)
                  for c in COLUMNS]
        with self.con:
            self.con.execute(
                f"INSERT INTO items (site, item, {', '.join(COLUMNS)}, updated_at) "
                f"VALUES (?, ?, {', '.join('?' * len(COLUMNS))}, ?) ON CONFLICT (site, item) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in (*COLUMNS, "updated_at")),
                (it.site, it.item, *values, now_iso()))
        return it

    def error(self, site: str, item: str, url: str, reason: str, detail: str) -> None:
        with self.con:
            self.con.execute("INSERT INTO errors (site, item, url, reason, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
                             (site, item, url, reason, detail, now_iso()))

    def fail(self, it: Item, url: str, reason: str, detail: str) -> Item:
        """Record a typed error: the item is ``failed`` (``gone`` for a 404) and its partial answers are
        dropped, so a later run starts it afresh; the stored file of an earlier version (if any) stays."""
        self.error(it.site, it.item, url, reason, detail)
        return self.put(it, status="failed" if reason != "not-found" else "gone", reason=reason, detail=detail,
                        url=url, latest=None, page=None, record=None, record_at=None, tries=it.tries + 1)

    # --- listings ---------------------------------------------------------------------------------

    def listing(self, key: str) -> tuple[str, int]:
        """(phase, next page) of the listing ``key``; a finished (or unknown) one starts again."""
        row = self.con.execute("SELECT phase, next_page FROM listings WHERE key = ?", (key,)).fetchone()
        if row is None or row[0] == "finished":
            with self.con:
                self.con.execute("DELETE FROM queue WHERE key = ?", (key,))
                self.con.execute("INSERT OR REPLACE INTO listings VALUES (?, 'listing', 1, ?, ?)",
                                 (key, now_iso(), now_iso()))
            return "listing", 1
        return row[0], int(row[1])

    def listed(self, key: str, page: int, items: Sequence[str], last: bool) -> None:
        """Add a listing page's new ids to the queue and move on, in one transaction."""
        with self.con:
            start = self.con.execute("SELECT coalesce(max(position) + 1, 0) FROM queue WHERE key = ?",
                                     (key,)).fetchone()[0]
            known = {i for (i,) in self.con.execute("SELECT item FROM queue WHERE key = ?", (key,))}
            fresh = [i for i in dict.fromkeys(items) if i not in known]
            self.con.executemany("INSERT INTO queue VALUES (?, ?, ?)",
                                 [(key, start + n, i) for n, i in enumerate(fresh)])
            self.con.execute("UPDATE listings SET phase = ?, next_page = ?, updated_at = ? WHERE key = ?",
                             ("crawling" if last else "listing", page + 1, now_iso(), key))

    def queued(self, key: str) -> list[str]:
        return [i for (i,) in self.con.execute("SELECT item FROM queue WHERE key = ? ORDER BY position", (key,))]

    def finish_listing(self, key: str) -> None:
        with self.con:
            self.con.execute("UPDATE listings SET phase = 'finished', updated_at = ? WHERE key = ?", (now_iso(), key))

    # --- reports ----------------------------------------------------------------------------------

    def counts(self, site: str | None = None) -> dict[str, int]:
        where, args = ("WHERE site = ?", (site,)) if site else ("", ())
        return dict(self.con.execute(f"SELECT status, count(*) FROM items {where} GROUP BY 1 ORDER BY 1", args))

    def errors(self, since: int = 0) -> list[dict[str, Any]]:
        cur = self.con.execute("SELECT n, site, item, url, reason, detail, at FROM errors WHERE n > ? ORDER BY n",
                               (since,))
        return [dict(zip(("n", "site", "item", "url", "reason", "detail", "at"), r)) for r in cur]

    def last_error(self) -> int:
        return int(self.con.execute("SELECT coalesce(max(n), 0) FROM errors").fetchone()[0])


def state_dir(folder: str | os.PathLike[str]) -> Path:
    return Path(folder) / HIDDEN


@contextmanager
def open_state(folder: str | os.PathLike[str]) -> Iterator[State]:
    """The state of the crawl writing to ``folder``, locked for this process."""
    root = state_dir(folder)
    root.mkdir(parents=True, exist_ok=True)
    lock = open(root / "lock", "a+")
    try:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CrawlBusy(f"{folder}: another crawl is writing here (lock {root / 'lock'})") from None
        con = sqlite3.connect(root / "state.sqlite", isolation_level="DEFERRED")
        try:
            con.execute("PRAGMA journal_mode = WAL")
            con.execute("PRAGMA synchronous = FULL")
            con.executescript(SCHEMA)
            yield State(con)
        finally:
            con.close()
    finally:
        lock.close()  # releases the lock


@contextmanager
def read_state(folder: str | os.PathLike[str]) -> Iterator[State]:
    """The state for reading only (no lock; a running crawl may be writing)."""
    path = state_dir(folder) / "state.sqlite"
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: no crawl state there ({path})")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield State(con)
    finally:
        con.close()
