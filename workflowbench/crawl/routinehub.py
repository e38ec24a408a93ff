"""RoutineHub: where its pages and API are, and what they say.

- ``GET /api/v1/shortcuts/<id>/versions/latest`` (no key): JSON ``{"result": "success", "id": <version
  id>, "Version", "URL" (the iCloud link), "Notes", "Release", "iOS"}``; an unknown id answers 404.
- ``GET /shortcut/<id>/``, the shortcut's page: the title is its first ``<h3>``, a one-line summary the
  first ``<h4>``, the long description the element of class ``description`` (else the ``description``
  meta tag); the sidebar ``.information`` holds ``<p>Label: value</p>`` lines (Author, Version, iOS,
  Updated, Downloads) and links to ``/category/<slug>/`` naming the categories; hearts are in
  ``.heart-count``. A page without a title or without the sidebar raises ``LayoutChanged``.
- Listings (``/shortcuts/?page=N`` for all, ``/category/<slug>/?page=N`` for one category) are read
  for their links to ``/shortcut/<id>/``, page after page, until a page adds no new id.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from .errors import BadAnswer, LayoutChanged
from .html import Node, parse

DEFAULT_BASE = "https://routinehub.co"
_SHORTCUT_HREF = re.compile(r"(?:^|/)shortcut/(\d+)/?(?:[?#]|$)")
_CATEGORY_HREF = re.compile(r"(?:^|/)category/([^/?#]+)/?")
_NUMBER = re.compile(r"\d[\d,.]*")


@dataclass(frozen=True)
class Page:
    """What a shortcut's page says."""

    title: str
    subtitle: str | None = None
    description: str | None = None
    categories: tuple[str, ...] = ()
    author: str | None = None
    version: str | None = None
    updated: str | None = None
    ios: str | None = None
    downloads: int | None = None
    hearts: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "categories": list(self.categories)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Page:
        return cls(**{**data, "categories": tuple(data.get("categories") or ())})


@dataclass(frozen=True)
class Latest:
    """The API's latest version of a shortcut."""

    url: str  # the iCloud link
    version: str | None = None
    notes: str | None = None
    released: str | None = None
    ios: str | None = None
    version_id: str | None = None


def shortcut_url(base: str, sid: int | str) -> str:
    return f"{base.rstrip('/')}/shortcut/{sid}/"


def api_url(base: str, sid: int | str) -> str:
    return f"{base.rstrip('/')}/api/v1/shortcuts/{sid}/versions/latest"


def listing_url(base: str, category: str | None, page: int) -> str:
    where = f"category/{category}/" if category else "shortcuts/"
    return f"{base.rstrip('/')}/{where}?page={page}"


def parse_listing(html: str) -> list[int]:
    """The shortcut ids a listing page links to, in page order, each once."""
    ids: dict[int, None] = {}
    for a in parse(html).find_all("a"):
        m = _SHORTCUT_HREF.search(urlsplit(a.attrs.get("href", "")).path)
        if m:
            ids.setdefault(int(m.group(1)))
    return list(ids)


def _number(text: str | None) -> int | None:
    m = _NUMBER.search(text or "")
    if not m:
        return None
    digits = m.group().replace(",", "")
    if "." in digits:  # 1.2k and the like: not a count this parser trusts
        return None
    return int(digits)


def _clean(text: str | None) -> str | None:
    return text.strip() or None if text else None


def parse_page(html: str, url: str) -> Page:
    """The page of one shortcut (see the module docstring); ``LayoutChanged`` names what is missing."""
    root = parse(html)
    title = root.find("h3")
    if title is None or not title.text():
        raise LayoutChanged(url, "title (the first <h3>)")
    info = root.find(cls="information")
    if info is None:
        raise LayoutChanged(url, "information sidebar (an element of class 'information')")
    fields: dict[str, str] = {}
    for p in info.find_all("p"):
        label, sep, value = p.text().partition(":")
        if sep:
            fields.setdefault(label.strip().lower(), value.strip())
    categories: dict[str, None] = {}
    for a in info.find_all("a"):
        if _CATEGORY_HREF.search(urlsplit(a.attrs.get("href", "")).path) and a.text():
            categories.setdefault(a.text())
    subtitle = root.find("h4")
    return Page(
        title=title.text(), subtitle=_clean(subtitle.text()) if subtitle is not None else None,
        description=_description(root), categories=tuple(categories), author=_clean(fields.get("author", "")
                                                                                     .lstrip("@")),
        version=_clean(fields.get("version")), updated=_clean(fields.get("updated") or fields.get("released")),
        ios=_clean(fields.get("ios")), downloads=_number(fields.get("downloads")),
        hearts=_number(heart.text()) if (heart := root.find(cls="heart-count")) is not None else None,
    )


def _description(root: Node) -> str | None:
    block = root.find(cls="description")
    if block is not None and block.paragraphs():
        return block.paragraphs()
    for meta in root.find_all("meta"):
        if meta.attrs.get("name") == "description" or meta.attrs.get("property") == "og:description":
            return _clean(meta.attrs.get("content"))
    return None


def parse_latest(body: bytes, url: str) -> Latest:
    """The versions/latest answer; ``BadAnswer`` when it is not the documented JSON."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadAnswer(url, "not JSON (the API answers an HTML page for errors)") from None
    if not isinstance(data, dict):
        raise BadAnswer(url, f"a JSON {type(data).__name__}, not an object")
    if data.get("result", "success") != "success":
        raise BadAnswer(url, f"result {data.get('result')!r}")
    link = data.get("URL")
    if not isinstance(link, str) or "/shortcuts/" not in link:
        raise BadAnswer(url, "no iCloud link in 'URL'")

    def text(key: str) -> str | None:
        value = data.get(key)
        return None if value is None else str(value).strip() or None

    return Latest(url=link.strip(), version=text("Version"), notes=text("Notes"), released=text("Release"),
                  ios=text("iOS"), version_id=text("id"))
