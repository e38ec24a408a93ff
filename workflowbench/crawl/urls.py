"""Lists of iCloud shortcut links for ``crawl icloud``: a text file (every link in it, e.g. one a line),
or JSON / JSON Lines whose items are links or objects with a link under ``URL`` (``url``, ``link``,
``icloud_url``). Objects in ShortcutsBench's shape also give the store's title (``NameINStore``),
description (``DescriptionInStore``), category (``CategoryInStore``), ``Downloads``, ``Favorites`` and
``Source``, kept as the shortcut's metadata. Each record id is kept once, the first time it appears."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import CrawlError
from .icloud import links_in, record_id, share_url

_LINK_KEYS = ("URL", "url", "link", "icloud_url")
_FIELDS = {"title": ("NameINStore", "title", "name"), "description": ("DescriptionInStore", "description"),
           "category": ("CategoryInStore", "category"), "downloads": ("Downloads", "downloads"),
           "hearts": ("Favorites", "hearts"), "source": ("Source", "source")}


@dataclass(frozen=True)
class Listed:
    rid: str
    link: str
    title: str | None = None
    description: str | None = None
    category: str | None = None
    downloads: int | None = None
    hearts: int | None = None
    source: str | None = None  # the store or list it came from

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _entry(item: Any) -> Listed | None:
    if isinstance(item, str):
        links = links_in(item)
        return Listed(record_id(links[0]), links[0]) if links else None
    if not isinstance(item, dict):
        return None
    link = next((item[k] for k in _LINK_KEYS if isinstance(item.get(k), str)), None)
    if link is None or not links_in(link):
        return None
    rid = record_id(links_in(link)[0])
    found: dict[str, Any] = {}
    for name, keys in _FIELDS.items():
        value = next((item[k] for k in keys if item.get(k) not in (None, "")), None)
        if name in ("downloads", "hearts"):
            found[name] = value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
        else:
            found[name] = " ".join(str(value).split()) if name != "description" and value is not None else (
                str(value).strip() if value is not None else None)
    return Listed(rid, share_url(rid), **found)


def read_url_list(path: str | Path) -> list[Listed]:
    """The shortcuts a list names, in order; ``CrawlError`` when the file cannot be read."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CrawlError(str(path), f"cannot read: {exc.strerror or exc}", reason="bad-list") from None
    items: list[Any]
    stripped = text.lstrip()
    try:
        data = json.loads(text) if stripped.startswith(("[", "{")) else None
    except json.JSONDecodeError:
        data = None
        try:  # JSON Lines
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            items = links_in(text)
    else:
        items = data if isinstance(data, list) else [data] if data is not None else links_in(text)
    out: dict[str, Listed] = {}
    for item in items:
        entry = _entry(item)
        if entry is not None:
            out.setdefault(entry.rid, entry)
    if not out:  # JSON of another shape: any link in it
        out = {e.rid: e for e in (_entry(link) for link in links_in(text)) if e is not None}
    return list(out.values())
