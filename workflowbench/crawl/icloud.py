"""iCloud shortcut links and records.

A link is ``https://www.icloud.com/shortcuts/<id>``; ``GET /shortcuts/api/records/<id>`` answers a
``SharedShortcut`` record whose ``fields.name.value`` is the shortcut's name, and whose
``fields.shortcut.value.downloadURL`` (the unsigned binary plist) and
``fields.signedShortcut.value.downloadURL`` (the signed file) point to the content hosts
(``*.icloud-content.com``). A download URL carries ``${f}`` where a file name goes, and expires soon
(its ``e`` parameter is the expiry, in seconds since the epoch).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

from .errors import BadAnswer

DEFAULT_BASE = "https://www.icloud.com"
CONTENT_HOSTS = ("*.icloud-content.com",)
ASSETS = ("shortcut", "signedShortcut")  # preferred first: the plain plist, then the signed file
_ID = re.compile(r"[A-Za-z0-9]{8,64}")
_LINK = re.compile(r"https?://[^\s\"'<>,]*?/shortcuts/(?:api/records/)?([A-Za-z0-9]{8,64})(?![A-Za-z0-9])")


def record_id(link: str) -> str:
    """The id in a shortcut link: the path segment after ``/shortcuts/``."""
    parts = [p for p in urlsplit(link.strip()).path.split("/") if p]
    if "shortcuts" in parts:
        rest = parts[parts.index("shortcuts") + 1:]
        if rest[:2] == ["api", "records"]:
            rest = rest[2:]
        if rest and _ID.fullmatch(rest[0]):
            return rest[0].lower()
    raise BadAnswer(link, "not an iCloud shortcut link (https://www.icloud.com/shortcuts/<id>)")


def links_in(text: str) -> list[str]:
    """Every iCloud shortcut link in a text, in order, each once (as share links)."""
    return list(dict.fromkeys(share_url(m.group(1)) for m in _LINK.finditer(text)))


def share_url(rid: str) -> str:
    return f"{DEFAULT_BASE}/shortcuts/{rid.lower()}"


def record_url(base: str, rid: str) -> str:
    return f"{base.rstrip('/')}/shortcuts/api/records/{rid}"


@dataclass(frozen=True)
class Asset:
    field: str  # 'shortcut' or 'signedShortcut'
    url: str  # with ${f} in it
    size: int | None = None

    def download_url(self, filename: str) -> str:
        return self.url.replace("${f}", quote(filename))

    def expires(self) -> float | None:
        """When the URL stops working (its ``e`` parameter), if it says."""
        value = parse_qs(urlsplit(self.url).query).get("e", [""])[0]
        return float(value) if value.isdigit() else None


@dataclass(frozen=True)
class Record:
    rid: str
    name: str | None
    assets: tuple[Asset, ...]
    modified: int | None = None  # ms since the epoch

    def asset(self) -> Asset | None:
        by_field = {a.field: a for a in self.assets}
        return next((by_field[f] for f in ASSETS if f in by_field), None)


def parse_record(body: bytes, url: str, rid: str) -> Record:
    """A SharedShortcut record; ``BadAnswer`` when it is not one or has no file to download."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadAnswer(url, "not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise BadAnswer(url, "no 'fields' object: not a shortcut record")
    kind = data.get("recordType")
    if kind is not None and kind != "SharedShortcut":
        raise BadAnswer(url, f"recordType {kind!r}, not 'SharedShortcut'")
    fields = data["fields"]
    name = (fields.get("name") or {}).get("value") if isinstance(fields.get("name"), dict) else None
    assets = []
    for key in ASSETS:
        value = (fields.get(key) or {}).get("value") if isinstance(fields.get(key), dict) else None
        if isinstance(value, dict) and isinstance(value.get("downloadURL"), str):
            size = value.get("size")
            assets.append(Asset(key, value["downloadURL"], size if isinstance(size, int) else None))
    if not assets:
        raise BadAnswer(url, "the record has no shortcut file (fields.shortcut / fields.signedShortcut)")
    modified = (data.get("modified") or {}).get("timestamp") if isinstance(data.get("modified"), dict) else None
    return Record(rid, name.strip() if isinstance(name, str) and name.strip() else None, tuple(assets),
                  modified if isinstance(modified, int) else None)
