"""Collect shortcuts from RoutineHub and iCloud into a source folder, resumably.

For each RoutineHub shortcut: the API's latest version (its iCloud link), the shortcut's page (title,
description, category, author, downloads, hearts), the iCloud record (its name and download URL),
then the file. Each answer is committed to the crawl state as it arrives; the file is checked with
``read_shortcut`` (never run), written atomically as ``<id>.shortcut`` with its metadata record
``<id>.shortcut.meta.json`` beside it. An expired download URL is resolved again from a fresh
record. Errors are typed, recorded and never stop the crawl. A rerun skips what it has (no request);
``refresh`` asks the API (or the iCloud record) for a newer version of what it has.
"""

from __future__ import annotations

import functools
import hashlib
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from ..pause import pause_point
from ..shortcut.containers import Limits
from ..shortcut.errors import ShortcutError
from ..shortcut.reader import read_shortcut
from . import icloud, routinehub, sidecar
from .errors import CrawlError, Expired, HttpStatus, LayoutChanged, NotAShortcut, NotFound, Truncated
from .http import AllowList, Client, Politeness, Response
from .icloud import Asset, Record
from .routinehub import Latest, Page
from .state import Item, State, open_state, state_dir
from .urls import Listed

RESOLVES = 2  # fresh records asked for when a download URL is refused as expired
EXPIRED = (401, 403, 404, 410)  # what a content host answers for an expired download URL
EARLY = 30.0  # seconds: a download URL this close to its expiry is resolved again first


class CrawlSettings(BaseModel):
    """Where to write, what to redo, and where the sites are (the defaults are the real ones)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    to: str = "raw_shortcuts/routinehub"
    refresh: bool = False  # ask again for a newer version of what was collected (and for shortcuts gone)
    retry_failed: bool = True  # try again what failed in an earlier run
    limit: int | None = Field(None, ge=1)  # at most this many shortcuts that need requests, this run
    max_pages: int = Field(5000, ge=1)  # of one listing
    politeness: Politeness = Politeness()
    routinehub_url: str = routinehub.DEFAULT_BASE
    icloud_url: str = icloud.DEFAULT_BASE
    content_hosts: tuple[str, ...] = icloud.CONTENT_HOSTS

    def allow_list(self) -> AllowList:
        return AllowList([urlsplit(self.routinehub_url).netloc, urlsplit(self.icloud_url).netloc,
                          *self.content_hosts])


@dataclass
class Summary:
    site: str
    folder: str
    listed: int = 0  # shortcuts the listing, range or list named
    new: int = 0  # collected for the first time
    updated: int = 0  # a newer version collected
    unchanged: int = 0  # refresh: the same version as collected
    skipped: int = 0  # collected (or gone) before: no request
    failed: int = 0
    gone: int = 0  # 404: deleted or unpublished
    left: int = 0  # not reached (limit)
    requests: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # what this run recorded

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def reasons(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.errors:
            out[e["reason"]] = out.get(e["reason"], 0) + 1
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    @property
    def fruitless(self) -> bool:
        """Work was tried and none of it came to anything: every shortcut asked about failed."""
        return self.failed > 0 and not (self.new or self.updated or self.unchanged or self.skipped or self.gone)

    def line(self) -> str:
        return (f"{self.site}: {self.listed} listed, {self.new} new, {self.updated} updated, {self.unchanged} "
                f"unchanged, {self.skipped} already collected, {self.gone} gone, {self.failed} failed, {self.left} "
                f"left for the next run; {self.requests} requests; files in {self.folder}")

    def markdown(self) -> str:
        rows = [("listed", self.listed), ("new", self.new), ("updated", self.updated), ("unchanged", self.unchanged),
                ("already collected", self.skipped), ("gone (404)", self.gone), ("failed", self.failed),
                ("left for the next run", self.left), ("HTTP requests", self.requests)]
        out = [f"# Crawl of {self.site} into `{self.folder}`", "", "| | shortcuts |", "|---|---:|"]
        out += [f"| {k} | {v:,} |" for k, v in rows]
        if self.errors:
            out += ["", "## Errors by reason", "", "| reason | count |", "|---|---:|"]
            out += [f"| {k} | {v} |" for k, v in self.reasons().items()]
            out += ["", "## First errors", "", "| item | reason | URL | detail |", "|---|---|---|---|"]
            out += [f"| {e['item']} | {e['reason']} | {e['url']} | {e['detail'][:200].replace('|', '/')} |"
                    for e in self.errors[:20]]
        return "\n".join(out) + "\n"


class Crawler:
    def __init__(self, settings: CrawlSettings, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, rng: random.Random | None = None,
                 log: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.folder = Path(settings.to)
        self.log = log or (lambda _: None)
        self.client = Client(settings.allow_list(), settings.politeness, sleep=sleep, clock=clock, rng=rng,
                             log=self.log)
        self.limits = Limits(max_input_bytes=settings.politeness.max_bytes)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Crawler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the two crawls ---------------------------------------------------------------------------

    def routinehub(self, categories: Sequence[str] = (), ids: Iterable[int] | None = None) -> Summary:
        """Collect the shortcuts of an id range, or of listings: every category given, else all."""
        out = Summary("routinehub", str(self.folder))
        self.folder.mkdir(parents=True, exist_ok=True)
        with open_state(self.folder) as state:
            since = state.last_error()
            listings: list[tuple[str, list[str], bool]] = []
            if ids is not None:
                listings.append(("", [str(i) for i in ids], False))
            else:
                for slug in categories or [None]:  # type: ignore[list-item]
                    key = f"category:{slug}" if slug else "all"
                    items, complete = self._list(state, key, slug)
                    listings.append((key, items, complete))
            budget = self.settings.limit
            for key, items, complete in listings:
                out.listed += len(items)
                for n, item in enumerate(items):
                    if budget is not None and budget <= 0:
                        out.left += len(items) - n
                        complete = False
                        break
                    outcome = self._safely(state, "routinehub", item, self._routinehub_item)
                    self._count(out, outcome)
                    if budget is not None and outcome != "skipped":
                        budget -= 1
                if key and complete:
                    state.finish_listing(key)
            out.errors = state.errors(since)
        out.requests = self.client.requests
        return out

    def icloud(self, listed: Sequence[Listed]) -> Summary:
        """Collect the shortcuts of a list of iCloud links."""
        out = Summary("icloud", str(self.folder), listed=len(listed))
        self.folder.mkdir(parents=True, exist_ok=True)
        with open_state(self.folder) as state:
            since = state.last_error()
            budget = self.settings.limit
            for n, entry in enumerate(listed):
                if budget is not None and budget <= 0:
                    out.left += len(listed) - n
                    break
                outcome = self._safely(state, "icloud", entry.rid, functools.partial(self._icloud_item, entry=entry))
                self._count(out, outcome)
                if budget is not None and outcome != "skipped":
                    budget -= 1
            out.errors = state.errors(since)
        out.requests = self.client.requests
        return out

    def _safely(self, state: State, site: str, item: str, work: Callable[[State, str], str]) -> str:
        """One shortcut; a bug on it is recorded as its error, never the end of the crawl."""
        try:
            return work(state, item)
        except Exception as exc:
            self.log(f"{site} {item}: internal-error: {type(exc).__name__}: {exc}")
            state.fail(state.get(site, item), "", "internal-error", f"{type(exc).__name__}: {exc}"[:500])
            return "failed"

    @staticmethod
    def _count(out: Summary, outcome: str) -> None:
        setattr(out, outcome, getattr(out, outcome) + 1)

    # --- listings ---------------------------------------------------------------------------------

    def _list(self, state: State, key: str, category: str | None) -> tuple[list[str], bool]:
        """The ids of a listing, page after page, each page committed as it arrives; False when the
        listing stopped on an error (it goes on from that page next run)."""
        phase, page = state.listing(key)
        seen = set(state.queued(key))
        while phase == "listing":
            url = routinehub.listing_url(self.settings.routinehub_url, category, page)
            try:
                answer = self.client.get(url, what="listing")
                if answer.status == 404 and page > 1:
                    ids: list[int] = []
                else:
                    _ok(answer, url)
                    ids = routinehub.parse_listing(answer.text())
                    if page == 1 and not ids:
                        raise LayoutChanged(url, "links to shortcuts (/shortcut/<id>/) on the first listing page")
            except CrawlError as exc:
                state.error("routinehub", f"listing:{key}:{page}", exc.url, exc.reason, exc.detail)
                self.log(f"listing {key} page {page}: {exc.reason}: {exc.detail}")
                return state.queued(key), False
            fresh = [str(i) for i in ids if str(i) not in seen]
            last = not fresh or page >= self.settings.max_pages
            state.listed(key, page, fresh, last)
            seen.update(fresh)
            self.log(f"listing {key} page {page}: {len(fresh)} new shortcuts")
            page += 1
            phase = "crawling" if last else "listing"
        return state.queued(key), True

    # --- one RoutineHub shortcut ------------------------------------------------------------------

    def _begin(self, state: State, it: Item) -> Item | str:
        """The item ready to work on, or the outcome when there is nothing to do."""
        if it.status in ("ok", "gone") and not self.settings.refresh:
            return "skipped"
        if it.status == "failed" and not self.settings.retry_failed:
            return "skipped"
        if it.pending:
            had = it.sha256 is not None
            if self._settle(state, it):
                return "updated" if had else "new"
        if it.status != "working":  # a killed run leaves 'working' and the answers it had: resume those
            it = state.put(it, status="working", latest=None, page=None, record=None, record_at=None)
        return it

    def _routinehub_item(self, state: State, sid: str) -> str:
        it = self._begin(state, state.get("routinehub", sid))
        if isinstance(it, str):
            return it
        base = self.settings.routinehub_url
        try:
            if it.latest is None:
                url = routinehub.api_url(base, sid)
                answer = self.client.get(url, what="api")
                if answer.status == 404:
                    raise NotFound(url)
                it = state.put(it, latest=asdict(routinehub.parse_latest(_ok(answer, url).body, url)))
            latest = Latest(**it.latest)  # type: ignore[arg-type]
            if it.sha256 and it.version == latest.version and it.link == latest.url:  # what it has: done
                state.put(it, status="ok", latest=None, page=None, record=None, record_at=None,
                          checked_at=sidecar.now_iso(), reason=None, detail=None)
                return "unchanged"
            if it.page is None:
                url = routinehub.shortcut_url(base, sid)
                answer = self.client.get(url, what="page")
                if answer.status == 404:
                    raise NotFound(url)
                it = state.put(it, page=routinehub.parse_page(_ok(answer, url).text(), url).to_json())
            page = Page.from_json(it.page)  # type: ignore[arg-type]
            rid = icloud.record_id(latest.url)
            record = self._record(state, it, rid)
            body, record, asset = self._download(state, it, rid, record)
        except CrawlError as exc:
            return self._failed(state, it, exc)
        meta = {
            "sidecar": sidecar.VERSION, "site": "routinehub", "site_id": sid,
            "url": routinehub.shortcut_url(base, sid), "name": record.name or page.title, "title": page.title,
            "summary": page.subtitle, "description": page.description,
            "category": page.categories[0] if page.categories else None, "categories": list(page.categories),
            "author": page.author, "version": latest.version or page.version, "released": latest.released or
            page.updated, "ios": latest.ios, "notes": latest.notes, "downloads": page.downloads,
            "hearts": page.hearts, "icloud_url": latest.url, "icloud_name": record.name, "asset": asset.field,
            "provenance": {
                **dict.fromkeys(("title", "summary", "description", "category", "categories", "author", "downloads",
                                 "hearts"), "routinehub-page"),
                **dict.fromkeys(("version", "released", "ios", "notes", "icloud_url"), "routinehub-api"),
                "name": "icloud-record" if record.name else "routinehub-page", "icloud_name": "icloud-record",
            },
        }
        had = it.sha256 is not None
        self._store(state, it, body, meta, latest.version, latest.url)
        self.log(f"routinehub {sid}: {'updated' if had else 'new'}: {page.title}")
        return "updated" if had else "new"

    # --- one iCloud link --------------------------------------------------------------------------

    def _icloud_item(self, state: State, _rid: str, entry: Listed) -> str:
        it = self._begin(state, state.get("icloud", entry.rid))
        if isinstance(it, str):
            return it
        try:
            record = self._record(state, it, entry.rid)
            if it.sha256 and it.version == str(record.modified) and it.link == entry.link:  # what it has
                state.put(it, status="ok", record=None, record_at=None, checked_at=sidecar.now_iso(), reason=None,
                          detail=None)
                return "unchanged"
            body, record, asset = self._download(state, it, entry.rid, record)
        except CrawlError as exc:
            return self._failed(state, it, exc)
        listed = "url-list"
        meta = {
            "sidecar": sidecar.VERSION, "site": "icloud", "site_id": entry.rid, "url": entry.link,
            "name": record.name or entry.title, "title": entry.title, "description": entry.description,
            "category": entry.category, "categories": [entry.category] if entry.category else [],
            "downloads": entry.downloads, "hearts": entry.hearts, "icloud_url": entry.link,
            "icloud_name": record.name, "asset": asset.field, "source": entry.source,
            "provenance": {**{k: listed for k in ("title", "description", "category", "downloads", "hearts")
                              if getattr(entry, k) is not None},
                           "name": "icloud-record" if record.name else listed, "icloud_name": "icloud-record"},
        }
        had = it.sha256 is not None
        self._store(state, it, body, meta, str(record.modified), entry.link)
        self.log(f"icloud {entry.rid}: {'updated' if had else 'new'}: {record.name or entry.title or ''}")
        return "updated" if had else "new"

    # --- the steps --------------------------------------------------------------------------------

    def _failed(self, state: State, it: Item, exc: CrawlError) -> str:
        state.fail(it, exc.url, exc.reason, exc.detail)
        self.log(f"{it.site} {it.item}: {exc.reason}: {exc.detail}")
        return "gone" if exc.reason == "not-found" else "failed"

    def _record(self, state: State, it: Item, rid: str, again: bool = False) -> Record:
        """The iCloud record: the one this item already has, unless its download URL is about to expire
        (or ``again``), else a fresh one, committed."""
        if it.record is not None and not again:
            record = _record_from_json(it.record)
            asset = record.asset()
            expires = asset.expires() if asset is not None else None
            if expires is None or expires > time.time() + EARLY:
                return record
        url = icloud.record_url(self.settings.icloud_url, rid)
        answer = self.client.get(url, what="record")
        if answer.status == 404:
            raise NotFound(url, "HTTP 404: no iCloud record (the link was deleted or never shared)")
        record = icloud.parse_record(_ok(answer, url).body, url, rid)
        state.put(it, record=_record_json(record), record_at=time.time())
        return record

    def _download(self, state: State, it: Item, rid: str, record: Record) -> tuple[bytes, Record, Asset]:
        """The file, checked; a download URL refused as expired is resolved again (``RESOLVES`` times)."""
        refused: tuple[str, int] | None = None
        for attempt in range(RESOLVES + 1):
            if attempt:
                record = self._record(state, it, rid, again=True)
            asset = record.asset()
            assert asset is not None  # parse_record refuses a record without one
            url = asset.download_url(f"{rid}.shortcut")
            answer = self.client.get(url, what="download")
            if answer.status in EXPIRED:
                refused = (url, answer.status)
                self.log(f"{it.site} {it.item}: download URL refused (HTTP {answer.status}); resolving it again")
                continue
            body = _ok(answer, url).body
            if asset.size is not None and len(body) < asset.size:
                raise Truncated(url, f"{len(body):,} bytes received, the record says {asset.size:,}")
            self._check(body, url)
            return body, record, asset
        assert refused is not None
        raise Expired(refused[0], f"HTTP {refused[1]} for the download URL of {RESOLVES + 1} records in a row")

    def _check(self, body: bytes, url: str) -> None:
        """The file is a shortcut: ``read_shortcut`` reads it (nothing in it is run)."""
        try:
            wf = read_shortcut(body, name="download", limits=self.limits)
        except ShortcutError as exc:
            raise NotAShortcut(url, f"{exc.reason}: {exc.detail}") from None
        except Exception as exc:  # a reader bug is still this file's problem, not the crawl's
            raise NotAShortcut(url, f"internal-error: {type(exc).__name__}: {exc}") from None
        if not wf.has_actions:
            raise NotAShortcut(url, "no-workflow-actions: a dictionary, but not a shortcut")

    def _paths(self, it: Item) -> tuple[Path, Path]:
        path = self.folder / f"{it.item}.shortcut"
        return path, Path(sidecar.sidecar_path(str(path)))

    def _store(self, state: State, it: Item, body: bytes, meta: dict[str, Any], version: str | None,
               link: str) -> None:
        """Put the file and its metadata record in place: the pending sha256 is committed first, so a
        rerun after a kill finishes this instead of downloading again."""
        digest = hashlib.sha256(body).hexdigest()
        meta = {**meta, "sha256": digest, "bytes": len(body), "retrieved_at": sidecar.now_iso()}
        state.put(it, pending=digest, pending_meta={"meta": meta, "version": version, "link": link})
        path, side = self._paths(it)
        tmp = state_dir(self.folder) / "tmp"
        sidecar.write_atomic(path, body, tmp)
        sidecar.write_atomic(side, sidecar.dumps(meta), tmp)
        pause_point("crawl-stored")
        self._done(state, it, digest, version, link)

    def _settle(self, state: State, it: Item) -> bool:
        """After a kill: finish putting a pending file in place if it made it to disk; else forget it."""
        path, side = self._paths(it)
        pending = it.pending_meta or {}
        try:
            on_disk = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        except OSError:
            on_disk = None
        if on_disk != it.pending or "meta" not in pending:
            state.put(it, pending=None, pending_meta=None)
            return False
        try:
            sidecar.read(str(side), it.pending)
        except sidecar.BadSidecar:
            sidecar.write_atomic(side, sidecar.dumps(pending["meta"]), state_dir(self.folder) / "tmp")
        self._done(state, it, it.pending, pending.get("version"), pending.get("link") or "")
        self.log(f"{it.site} {it.item}: finished what a stopped run had downloaded")
        return True

    def _done(self, state: State, it: Item, digest: str, version: str | None, link: str) -> None:
        path, _ = self._paths(it)
        state.put(it, status="ok", file=path.name, sha256=digest, version=version, link=link, pending=None,
                  pending_meta=None, latest=None, page=None, record=None, record_at=None, reason=None, detail=None,
                  url=None, checked_at=sidecar.now_iso())


def _ok(answer: Response, url: str) -> Response:
    if answer.status != 200:
        raise HttpStatus(url, answer.status)
    return answer


def _record_json(record: Record) -> dict[str, Any]:
    return {"rid": record.rid, "name": record.name, "modified": record.modified,
            "assets": [asdict(a) for a in record.assets]}


def _record_from_json(data: dict[str, Any]) -> Record:
    return Record(data["rid"], data.get("name"), tuple(Asset(**a) for a in data.get("assets") or ()),
                  data.get("modified"))


def parse_ids(spec: str) -> range:
    """'120-180' (both included) or '42' as a range of RoutineHub ids."""
    first, sep, last = spec.partition("-")
    try:
        lo, hi = int(first), int(last) if sep else int(first)
    except ValueError:
        raise ValueError(f"--ids {spec!r}: expected FIRST-LAST, e.g. 1-500") from None
    if lo < 1 or hi < lo:
        raise ValueError(f"--ids {spec!r}: expected 1 <= FIRST <= LAST")
    return range(lo, hi + 1)
