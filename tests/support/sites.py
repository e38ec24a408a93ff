"""A fake RoutineHub, iCloud and iCloud content host on 127.0.0.1, for crawl tests.

Three threading HTTP servers (three ports, so three hosts for the allow-list) serve the documented
shapes (``workflowbench/crawl/routinehub.py``, ``workflowbench/crawl/icloud.py``): listing pages, shortcut
pages, the versions/latest JSON, robots.txt, SharedShortcut records, and the files (real corpus
shortcuts, handed in as bytes) behind expiring download URLs with ``${f}`` in them.

Faults are scripted per request kind and key and used up one request at a time::

    sites.fault("api", 7, "429")          # Retry-After: 1
    sites.fault("download", rid, "expired", times=1)
    sites.fault("page", 9, "layout")      # a page without its title

Kinds: ``listing`` (key: page number), ``page`` and ``api`` (RoutineHub id), ``record`` and
``download`` (iCloud record id). Faults: ``429`` (with Retry-After: 1), ``500``/``502``/``503``,
``expired`` (410 Gone), ``truncated`` (the connection closes halfway through the announced body),
``short`` (half the file, announced as such), ``garbage`` (bytes that are no shortcut), ``layout`` (a
page in another layout), ``redirect`` (302 to a host off every allow-list, ``elsewhere.invalid``),
``hang`` (no answer until ``release`` is set: a request in flight).

``downloads[rid]`` counts the files served whole; ``hits[(kind, key)]`` every request.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

OFF_LIST = "http://elsewhere.invalid/stolen"


@dataclass(eq=False)  # compared (and hashed) by identity: tests change them in place
class FakeShortcut:
    sid: int  # RoutineHub id
    rid: str  # iCloud record id (32 hex digits)
    title: str  # on RoutineHub
    name: str  # in the iCloud record
    summary: str
    description: str
    category: str
    author: str
    version: str
    downloads: int
    hearts: int
    data: bytes
    signed_only: bool = False  # the record has only a signedShortcut file


def slug(category: str) -> str:
    return category.lower().replace(" & ", "-").replace(" ", "-")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeSites:
    def __init__(self, shortcuts: list[FakeShortcut], *, per_page: int = 20, disallow: tuple[str, ...] = (),
                 expires_in: int = 3600) -> None:
        self.shortcuts = {s.sid: s for s in shortcuts}
        self.by_rid = {s.rid: s for s in shortcuts}
        self.per_page = per_page
        self.disallow = disallow  # paths robots.txt of RoutineHub disallows
        self.expires_in = expires_in
        self.lock = threading.Lock()
        self.hits: Counter[tuple[str, Any]] = Counter()
        self.downloads: Counter[str] = Counter()
        self.agents: set[str] = set()
        self.faults: dict[tuple[str, Any], list[tuple[str, int | None]]] = {}
        self.servers: dict[str, _Server] = {}
        self.threads: list[threading.Thread] = []
        self.serial = 0
        self.release = threading.Event()  # lets 'hang' faults answer

    # --- set up -----------------------------------------------------------------------------------

    def fault(self, kind: str, key: Any, what: str, times: int | None = 1) -> None:
        """Apply ``what`` to the next ``times`` requests of ``kind`` for ``key`` (None: every one)."""
        with self.lock:
            self.faults.setdefault((kind, key), []).append((what, times))

    def _take(self, kind: str, key: Any) -> str | None:
        with self.lock:
            self.hits[(kind, key)] += 1
            queue = self.faults.get((kind, key))
            if not queue:
                return None
            what, times = queue[0]
            if times is not None:
                if times <= 1:
                    queue.pop(0)
                else:
                    queue[0] = (what, times - 1)
            return what

    def __enter__(self) -> FakeSites:
        for site in ("routinehub", "icloud", "content"):
            server = _Server(("127.0.0.1", 0), _handler(self, site))
            self.servers[site] = server
            thread = threading.Thread(target=server.serve_forever, daemon=True, name=f"fake-{site}")
            thread.start()
            self.threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        for server in self.servers.values():
            server.shutdown()
            server.server_close()

    def url(self, site: str) -> str:
        return f"http://127.0.0.1:{self.servers[site].server_address[1]}"

    @property
    def routinehub_url(self) -> str:
        return self.url("routinehub")

    @property
    def icloud_url(self) -> str:
        return self.url("icloud")

    @property
    def content_host(self) -> str:
        return f"127.0.0.1:{self.servers['content'].server_address[1]}"

    def settings(self) -> dict[str, Any]:
        """The crawl settings that point at these sites (no delay)."""
        return {"routinehub_url": self.routinehub_url, "icloud_url": self.icloud_url,
                "content_hosts": (self.content_host,)}

    # --- what each site says ----------------------------------------------------------------------

    def listing(self, category: str | None, page: int) -> str:
        chosen = [s for s in sorted(self.shortcuts.values(), key=lambda s: -s.sid)
                  if category is None or slug(s.category) == category]
        shown = chosen[(page - 1) * self.per_page: page * self.per_page]
        cards = "\n".join(
            f'<div class="column is-6 is-4-widescreen"><a href="/shortcut/{s.sid}/"><div class="shortcut-card">'
            f"<strong>{html.escape(s.title)}</strong><small>{html.escape(s.summary)}</small>"
            f"<small>{s.downloads}</small><small>{s.hearts}</small></div></a></div>" for s in shown)
        nav = f'<a href="/shortcuts/?page={page + 1}">Next</a>' if shown else ""
        return (f"<!DOCTYPE html><html><head><title>Shortcuts - RoutineHub</title></head><body><div id='content'>"
                f"<div class='columns is-multiline'>{cards}</div>{nav}<a href='/user/login'>Log in</a></div>"
                "</body></html>")

    def page(self, s: FakeShortcut, layout: bool = False) -> str:
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in s.description.split("\n") if p.strip())
        head = (f'<head><meta name="description" content="{html.escape(s.summary)}">'
                f"<title>{html.escape(s.title)} - RoutineHub</title></head>")
        if layout:  # a redesign: no <h3> title, no information sidebar
            return (f"<!DOCTYPE html><html>{head}<body><main><h1 class='shortcut-name'>{html.escape(s.title)}</h1>"
                    f"<section>{paragraphs}</section></main></body></html>")
        return (
            f"<!DOCTYPE html><html>{head}<body><nav><a href='/'>RoutineHub</a></nav>"
            "<div id='content'><div class='columns'>"
            f"<article class='column'><div class='box'><h3 class='title is-3'>{html.escape(s.title)}</h3>"
            f"<h4 class='subtitle is-5'>{html.escape(s.summary)}</h4>"
            f"<div class='description content'>{paragraphs}</div></div></article>"
            "<div class='column sidebar is-2'>"
            f"<div class='heart has-text-centered'><span class='heart-count'>{s.hearts}</span></div>"
            "<div class='information'>"
            f"<p><strong>Author:</strong> <a href='/@{html.escape(s.author)}'>@{html.escape(s.author)}</a></p>"
            f"<p>Version: {html.escape(s.version)}</p><p>iOS: 17.0</p><p>Updated: Jan 2, 2024</p>"
            f"<p>Downloads: {s.downloads:,}</p>"
            f"<ul><li><a href='/category/{slug(s.category)}/'>{html.escape(s.category)}</a></li></ul></div>"
            f"<div class='actions'><a class='button' href='/download/{s.sid}'>Get Shortcut</a></div></div>"
            "</div></div><script>document.write('<h3>not the title</h3>')</script></body></html>")

    def latest(self, s: FakeShortcut) -> dict[str, Any]:
        return {"result": "success", "id": 10_000 + s.sid, "Version": s.version,
                "URL": f"https://www.icloud.com/shortcuts/{s.rid}", "Notes": "Bug fixes.", "Release": "2024-01-02",
                "iOS": "17.0"}

    def record(self, s: FakeShortcut) -> dict[str, Any]:
        with self.lock:
            self.serial += 1
            serial = self.serial
        expiry = int(time.time()) + self.expires_in
        base = self.url("content")

        def asset(kind: str) -> dict[str, Any]:
            return {"type": "ASSETID", "value": {
                "downloadURL": f"{base}/B/{s.rid}-{kind}-{serial}/${{f}}?o=A{serial}&v=1&x=3&e={expiry}",
                "size": len(s.data), "fileChecksum": f"AX{s.rid[:10]}"}}

        fields: dict[str, Any] = {"name": {"value": s.name, "type": "STRING"},
                                  "icon_color": {"value": 463140863, "type": "NUMBER_INT64"},
                                  "icon_glyph": {"value": 59446, "type": "NUMBER_INT64"},
                                  "signedShortcut": asset("signed"),
                                  "signingStatus": {"value": "APPROVED", "type": "STRING"}}
        if not s.signed_only:
            fields["shortcut"] = asset("plain")
        return {"recordName": s.rid.upper(), "recordType": "SharedShortcut", "recordChangeTag": "mi3vqvoa",
                "deleted": False, "created": {"timestamp": 1_700_000_000_000 + s.sid},
                "modified": {"timestamp": 1_700_000_500_000 + s.sid}, "pluginFields": {}, "fields": fields}


def _handler(sites: FakeSites, site: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = f"Fake{site}/1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def send(self, status: int, body: bytes | str, kind: str = "text/html; charset=utf-8",
                 headers: dict[str, str] | None = None, length: int | None = None) -> None:
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data) if length is None else length))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def faulted(self, what: str | None) -> bool:
            """Answer a generic fault; True if it was answered."""
            if what == "429":
                self.send(429, "<h1>Too Many Requests</h1>", headers={"Retry-After": "1"})
            elif what in ("500", "502", "503"):
                self.send(int(what), f"<h1>{what}</h1>")
            elif what == "redirect":
                self.send(302, "", headers={"Location": OFF_LIST})
            elif what == "hang":  # hold the answer until the test lets go (the client may be gone by then)
                sites.release.wait(60)
                try:
                    self.send(503, "too late")
                except OSError:
                    pass
            else:
                return False
            return True

        def do_GET(self) -> None:
            with sites.lock:
                sites.agents.add(self.headers.get("User-Agent", ""))
            parts = urlsplit(self.path)
            path, query = parts.path, parse_qs(parts.query)
            if path == "/robots.txt":
                if site == "routinehub":
                    rules = "".join(f"Disallow: {p}\n" for p in sites.disallow)
                    self.send(200, f"User-agent: *\n{rules}Disallow: /admin/\n", "text/plain")
                else:
                    self.send(404, "not found")
                return
            getattr(self, f"get_{site}")(path, query)

        def get_routinehub(self, path: str, query: dict[str, list[str]]) -> None:
            bits = [b for b in path.split("/") if b]
            page = int((query.get("page") or ["1"])[0])
            if bits == ["shortcuts"] or (len(bits) == 2 and bits[0] == "category"):
                if self.faulted(sites._take("listing", page)):
                    return
                self.send(200, sites.listing(bits[1] if bits[0] == "category" else None, page))
                return
            if len(bits) == 2 and bits[0] == "shortcut" and bits[1].isdigit():
                sid = int(bits[1])
                what = sites._take("page", sid)
                if self.faulted(what):
                    return
                s = sites.shortcuts.get(sid)
                if s is None:
                    self.send(404, "<h3>Error: Shortcut not found</h3>")
                else:
                    self.send(200, sites.page(s, layout=what == "layout"))
                return
            if bits[:3] == ["api", "v1", "shortcuts"] and len(bits) == 6 and bits[3].isdigit():
                sid = int(bits[3])
                if self.faulted(sites._take("api", sid)):
                    return
                s = sites.shortcuts.get(sid)
                if s is None:
                    self.send(404, "<!DOCTYPE html><html><body>Not Found</body></html>")
                else:
                    self.send(200, json.dumps(sites.latest(s)), "application/json")
                return
            self.send(404, "not found")

        def get_icloud(self, path: str, query: dict[str, list[str]]) -> None:
            bits = [b for b in path.split("/") if b]
            if bits[:3] == ["shortcuts", "api", "records"] and len(bits) == 4:
                rid = bits[3].lower()
                if self.faulted(sites._take("record", rid)):
                    return
                s = sites.by_rid.get(rid)
                if s is None:
                    self.send(404, json.dumps({"reason": "not found"}), "application/json")
                else:
                    self.send(200, json.dumps(sites.record(s)), "application/json")
                return
            self.send(404, "not found")

        def get_content(self, path: str, query: dict[str, list[str]]) -> None:
            bits = [b for b in path.split("/") if b]
            if len(bits) != 3 or bits[0] != "B" or "${f}" in path or "%7Bf%7D" in path:
                self.send(404, "not found")
                return
            rid = bits[1].split("-")[0]
            s = sites.by_rid.get(rid)
            expiry = int((query.get("e") or ["0"])[0])
            what = sites._take("download", rid)
            if s is None:
                self.send(404, "not found")
            elif what == "expired" or expiry < time.time():
                self.send(410, "Gone")
            elif self.faulted(what):
                pass
            elif what == "truncated":  # the connection closes before the announced length
                self.send(200, s.data[: len(s.data) // 2], "application/octet-stream", length=len(s.data))
            elif what == "short":
                self.send(200, s.data[: len(s.data) // 2], "application/octet-stream")
            elif what == "garbage":
                self.send(200, b"GIF89a" + bytes(len(s.data)), "application/octet-stream")  # an image
            else:
                self.send(200, s.data, "application/octet-stream")
                with sites.lock:
                    sites.downloads[rid] += 1

    return Handler


# --- test data ---------------------------------------------------------------------------------------

CATEGORIES = ("Productivity", "Utilities", "Health & Fitness", "Photography", "Music", "Social", "Developer",
              "Finance", "Travel", "Weather", "Home", "Education", "Entertainment", "Food & Drink", "News",
              "Shopping", "Games", "Business", "Reading", "Writing", "Sports", "Calendar", "Lifestyle", "Tools")
# What authors write about their shortcuts, first sentence first ({title}: the shortcut's title).
PURPOSES = (
    "This shortcut lets you log your daily water intake and keeps a running total for the week.",
    "{title} helps you plan meals for the week and builds a grocery list from your favourite recipes.",
    "Quickly convert prices between currencies using the latest exchange rates.",
    "A simple timer for focused work sessions with short breaks in between.",
    "Turns a batch of screenshots into one tidy PDF that you can share with your team.",
    "Allows you to save articles from Safari to a reading list and read them later offline.",
    "With {title} you can track your mileage on business trips and export a monthly report.",
    "Get a morning briefing with the weather, your first meetings and the top headlines.",
    "Creates a new journal entry with today's date, your location and the current weather.",
    "Download videos and photos from a shared link straight into your photo library.",
    "Randomly picks a restaurant nearby when you cannot decide where to eat tonight.",
    "Backs up your notes to a folder in iCloud Drive every evening.",
    "Send a quick message to your partner when you are running late, with your arrival time.",
    "Shows the battery level of all your devices and warns you when one needs charging.",
    "Clean up your clipboard: strips tracking parameters from links before you paste them.",
    "Lets you count the words and characters of any text you share to it.",
    "Generates a strong random password and copies it to the clipboard.",
    "Keeps track of the books you read and how many pages you finish each day.",
    "Translate the selected text into another language and speak it aloud.",
    "Adds a task to your to-do app with a due date you pick from a calendar.",
    "Scan a document with the camera, name it and file it in the right folder.",
    "Find the cheapest petrol station on your route and open directions to it.",
    "Post the song you are listening to on your social networks with its artwork.",
    "Split the bill at a restaurant between friends, tip included.",
    "Check the scores of your favourite teams and get notified when a game starts.",
)
BOILERPLATE = ("Updated for iOS 17.", "Follow me on Twitter for more shortcuts!",
               "Requires the Data Jar app. Please leave a heart if you like it.", "")


MORE = ("Works from the share sheet and with Siri.", "You can change the defaults in the first actions.",
        "Everything stays on your device.")


def description(i: int, title: str) -> tuple[str, str]:
    """(summary, description) for the i-th fake shortcut."""
    first = PURPOSES[i % len(PURPOSES)].format(title=title)
    more = MORE[i % len(MORE)] if i % 3 == 0 else ""
    summary = first.split(".")[0][:80]
    return summary, "\n".join(p for p in (first, more, BOILERPLATE[i % len(BOILERPLATE)]) if p)


def fake_shortcuts(files: list[tuple[str, bytes]], first_id: int = 1001) -> list[FakeShortcut]:
    """A fake shortcut for each (title, file bytes): metadata that varies with its position."""
    out = []
    for i, (title, data) in enumerate(files):
        summary, body = description(i, title)
        sid = first_id + 3 * i  # gaps, as on the real site
        rid = f"{sid:08x}{hashlib.sha256(title.encode()).hexdigest()}"[:32]
        name = title if i % 5 else f"{title} (iCloud)"  # the iCloud record and the page disagree now and then
        out.append(FakeShortcut(sid, rid, title, name, summary, body, CATEGORIES[i % len(CATEGORIES)],
                                f"author{i % 17}", f"1.{i % 4}", 100 + 37 * i, i % 23, data))
    return out
