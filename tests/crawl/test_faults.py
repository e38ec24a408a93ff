"""Crawls against the fake sites with faults: each fault gives a clear, typed, recorded error (or is
overcome: a retry, a fresh download URL) and the crawl goes on; a rerun skips what it has and retries
what failed; ``refresh`` finds new versions; ``crawl icloud`` takes a list of links."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.crawl.conftest import corpus_files
from tests.support.sites import FakeShortcut, FakeSites, fake_shortcuts
from workflowbench.crawl import sidecar
from workflowbench.crawl.http import Politeness
from workflowbench.crawl.run import Crawler, CrawlSettings, Summary
from workflowbench.crawl.state import read_state
from workflowbench.crawl.urls import read_url_list

FAST = Politeness(delay=0, jitter=0, backoff=0.01, max_wait=5)


def crawl(sites: FakeSites, folder: Path, waits: list[float] | None = None, **options: object) -> Summary:
    settings = CrawlSettings(to=str(folder), politeness=FAST, **sites.settings(), **options)  # type: ignore[arg-type]
    with Crawler(settings, sleep=(waits if waits is not None else []).append) as crawler:
        return crawler.routinehub()


def stored(folder: Path, s: FakeShortcut) -> dict:
    """The metadata record of a collected shortcut, checked against its file."""
    data = (folder / f"{s.sid}.shortcut").read_bytes()
    assert data == s.data
    return sidecar.read(str(folder / f"{s.sid}.shortcut.meta.json"), hashlib.sha256(data).hexdigest())


@pytest.fixture(scope="module")
def shortcuts(manifest: list[dict]) -> list[FakeShortcut]:
    out = fake_shortcuts(corpus_files(manifest, 24))
    out[5].signed_only = True
    return out


def test_faults_are_recorded_and_the_crawl_goes_on(shortcuts: list[FakeShortcut], tmp_path: Path) -> None:
    s = shortcuts
    folder = tmp_path / "routinehub"
    with FakeSites(s, per_page=5, disallow=(f"/shortcut/{s[11].sid}/",)) as sites:
        sites.fault("api", s[0].sid, "429")  # Retry-After: 1, then fine
        sites.fault("api", s[1].sid, "503", times=2)  # then fine
        sites.fault("record", s[2].rid, "500", times=None)
        sites.fault("download", s[3].rid, "expired")  # a fresh record's URL works
        sites.fault("download", s[4].rid, "expired", times=None)
        sites.fault("download", s[6].rid, "truncated", times=None)
        sites.fault("download", s[7].rid, "short")
        sites.fault("download", s[8].rid, "garbage")
        sites.fault("page", s[9].sid, "redirect")
        sites.fault("page", s[10].sid, "layout")
        sites.fault("listing", 2, "502")  # the listing's second page, once
        waits: list[float] = []
        first = crawl(sites, folder, waits)

        failed = {e["item"]: e for e in first.errors}
        expected = {s[2]: "http-500", s[4]: "expired-url", s[6]: "truncated", s[7]: "truncated",
                    s[8]: "not-a-shortcut", s[9]: "off-list-redirect", s[10]: "layout-changed",
                    s[11]: "robots-disallowed"}
        assert {k: v["reason"] for k, v in failed.items()} == {str(x.sid): r for x, r in expected.items()}
        assert (first.listed, first.new, first.failed, first.gone) == (24, 16, 8, 0)
        assert 1.0 in waits  # the 429's Retry-After was honoured
        # every error names where and why
        assert failed[str(s[10].sid)]["url"].endswith(f"/shortcut/{s[10].sid}/")
        assert "title" in failed[str(s[10].sid)]["detail"]
        assert "elsewhere.invalid" in failed[str(s[9].sid)]["detail"]
        assert failed[str(s[8].sid)]["detail"].startswith("unknown-format")
        assert "received" in failed[str(s[7].sid)]["detail"] and "/B/" in failed[str(s[7].sid)]["url"]
        assert sites.hits[("record", s[3].rid)] == 2 and sites.downloads[s[3].rid] == 1  # re-resolved
        assert sites.hits[("page", s[11].sid)] == 0  # robots.txt: never asked
        for x in s:
            if x not in expected:
                meta = stored(folder, x)
                assert (meta["site"], meta["site_id"], meta["title"], meta["category"]) == (
                    "routinehub", str(x.sid), x.title, x.category)
                assert meta["asset"] == ("signedShortcut" if x.signed_only else "shortcut")
            else:
                assert not (folder / f"{x.sid}.shortcut").exists()
        with read_state(folder) as state:
            assert state.counts() == {"failed": 8, "ok": 16}

        # A rerun: what it has is skipped without a request; what failed once is tried again.
        before = sum(sites.hits.values())
        second = crawl(sites, folder)
        again = {e["item"]: e["reason"] for e in second.errors}
        assert again == {str(x.sid): r for x, r in expected.items() if x not in (s[7], s[8], s[9], s[10])}
        assert (second.skipped, second.new, second.failed) == (16, 4, 4)
        assert all(sites.downloads[x.rid] <= 1 for x in s)  # nothing downloaded twice
        asked = sum(sites.hits.values()) - before
        assert asked < 24 + 5 * 8  # listing pages and the failed ones' requests only

        # --no-retry-failed leaves them alone
        third = crawl(sites, folder, retry_failed=False)
        assert (third.skipped, third.failed, third.new) == (24, 0, 0)


def test_id_ranges_gone_shortcuts_and_refresh(shortcuts: list[FakeShortcut], tmp_path: Path) -> None:
    s = [*shortcuts[:4]]
    folder = tmp_path / "rh"
    with FakeSites(s) as sites:
        settings = CrawlSettings(to=str(folder), politeness=FAST, **sites.settings())
        with Crawler(settings, sleep=lambda _: None) as crawler:
            first = crawler.routinehub(ids=range(s[0].sid, s[3].sid + 1))  # ids 1001-1010: every third exists
        assert (first.listed, first.new, first.gone, first.failed) == (10, 4, 6, 0)
        assert {e["reason"] for e in first.errors} == {"not-found"}
        assert sites.hits[("listing", 1)] == 0  # an id range lists nothing

        s[1].version, s[1].data, s[1].description = "2.0", shortcuts[10].data, "Now with a widget."
        with Crawler(settings.model_copy(update={"refresh": True}), sleep=lambda _: None) as crawler:
            pages = sites.hits[("page", s[0].sid)]
            refreshed = crawler.routinehub(ids=[x.sid for x in s])
        assert (refreshed.updated, refreshed.unchanged, refreshed.new) == (1, 3, 0)
        assert sites.hits[("page", s[0].sid)] == pages  # an unchanged version costs one API request
        meta = stored(folder, s[1])
        assert (meta["version"], meta["description"]) == ("2.0", "Now with a widget.")


def test_icloud_link_lists(shortcuts: list[FakeShortcut], tmp_path: Path) -> None:
    s = shortcuts[:3]
    listing = tmp_path / "shortcutsbench.json"
    listing.write_text(json.dumps([
        {"Source": "https://routinehub.co/", "NameINStore": x.title, "CategoryInStore": "games",
         "DescriptionInStore": x.description, "Downloads": x.downloads, "Favorites": x.hearts,
         "URL": f"https://www.icloud.com/shortcuts/{x.rid}"} for x in s]
        + [{"NameINStore": "Gone", "URL": "https://www.icloud.com/shortcuts/" + "0" * 32}]))
    folder = tmp_path / "icloud"
    with FakeSites(s) as sites:
        sites.fault("download", s[0].rid, "expired")
        settings = CrawlSettings(to=str(folder), politeness=FAST, icloud_url=sites.icloud_url,
                                 content_hosts=(sites.content_host,))
        with Crawler(settings, sleep=lambda _: None) as crawler:
            first = crawler.icloud(read_url_list(listing))
            again = crawler.icloud(read_url_list(listing))
        with Crawler(settings.model_copy(update={"refresh": True}), sleep=lambda _: None) as crawler:
            refreshed = crawler.icloud(read_url_list(listing))
    assert (first.new, first.gone, again.skipped, refreshed.unchanged, refreshed.gone) == (3, 1, 4, 3, 1)
    for x in s:
        path = folder / f"{x.rid}.shortcut"
        meta = sidecar.read(str(path) + sidecar.SUFFIX, hashlib.sha256(path.read_bytes()).hexdigest())
        assert (meta["site"], meta["name"], meta["title"], meta["category"]) == ("icloud", x.name, x.title, "games")
        assert meta["description"] == x.description and meta["provenance"]["title"] == "url-list"
