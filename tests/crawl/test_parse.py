"""What the crawler reads: RoutineHub pages and API answers, iCloud records and links, lists of links,
metadata records; and what the pipeline makes of them (categories, the goal a description states)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.sites import FakeSites, fake_shortcuts
from workflowbench.catalog.categories import CATEGORIES, site_category
from workflowbench.crawl import icloud, routinehub, sidecar
from workflowbench.crawl.errors import BadAnswer, LayoutChanged
from workflowbench.crawl.urls import read_url_list
from workflowbench.thoughts.described import MAX_COPIED, copied, goal, names

RID = "f00836becd2845109809720d2a70e32f"


def sites() -> FakeSites:
    return FakeSites(fake_shortcuts([("Water Log", b"x"), ("Pomodoro", b"y")]))


def test_shortcut_page_in_the_documented_layout() -> None:
    fake = sites()
    s = fake.shortcuts[1001]
    page = routinehub.parse_page(fake.page(s), "https://routinehub.co/shortcut/1001/")
    assert page.title == "Water Log" and page.subtitle == s.summary
    assert page.description == s.description  # paragraphs on lines of their own; the script's <h3> is not read
    assert page.categories == (s.category,) and page.author == s.author and page.version == s.version
    assert (page.downloads, page.hearts, page.ios, page.updated) == (s.downloads, s.hearts, "17.0", "Jan 2, 2024")
    assert routinehub.Page.from_json(json.loads(json.dumps(page.to_json()))) == page


def test_a_changed_layout_names_the_page_and_what_is_missing() -> None:
    fake = sites()
    with pytest.raises(LayoutChanged) as exc:
        routinehub.parse_page(fake.page(fake.shortcuts[1001], layout=True), "https://routinehub.co/shortcut/1001/")
    assert exc.value.reason == "layout-changed" and exc.value.url.endswith("/shortcut/1001/")
    assert "title" in exc.value.detail
    with pytest.raises(LayoutChanged, match="information sidebar"):
        routinehub.parse_page("<html><h3>Only a title</h3></html>", "https://routinehub.co/shortcut/2/")


def test_listing_links_and_api_answers() -> None:
    fake = sites()
    assert routinehub.parse_listing(fake.listing(None, 1)) == [1004, 1001]
    assert routinehub.parse_listing(fake.listing(None, 2)) == []
    html = '<a href="https://routinehub.co/shortcut/77/">x</a><a href="/shortcut/77">again</a><a href="/user/8/">u</a>'
    assert routinehub.parse_listing(html) == [77]
    latest = routinehub.parse_latest(json.dumps(fake.latest(fake.shortcuts[1001])).encode(), "u")
    assert latest.version == "1.0" and icloud.record_id(latest.url) == fake.shortcuts[1001].rid
    with pytest.raises(BadAnswer, match="not JSON"):
        routinehub.parse_latest(b"<!DOCTYPE html><html>Not Found</html>", "u")
    with pytest.raises(BadAnswer, match="result"):
        routinehub.parse_latest(b'{"result": "error"}', "u")
    with pytest.raises(BadAnswer, match="iCloud link"):
        routinehub.parse_latest(b'{"result": "success", "Version": "1"}', "u")


def test_icloud_links_and_records() -> None:
    assert icloud.record_id(f"https://www.icloud.com/shortcuts/{RID}") == RID
    assert icloud.record_id(f"https://www.icloud.com/shortcuts/api/records/{RID.upper()}") == RID
    with pytest.raises(BadAnswer):
        icloud.record_id("https://www.icloud.com/photos/abc")
    fake = sites()
    s = fake.shortcuts[1004]
    with fake:
        record = icloud.parse_record(json.dumps(fake.record(s)).encode(), "u", s.rid)
    assert record.name == s.name and [a.field for a in record.assets] == ["shortcut", "signedShortcut"]
    asset = record.asset()
    assert asset is not None and asset.field == "shortcut" and asset.size == 1 and asset.expires()
    assert "${f}" in asset.url and asset.download_url("a b.shortcut").count("a%20b.shortcut") == 1
    with pytest.raises(BadAnswer, match="no shortcut file"):
        icloud.parse_record(b'{"recordType": "SharedShortcut", "fields": {"name": {"value": "x"}}}', "u", RID)
    with pytest.raises(BadAnswer, match="not 'SharedShortcut'"):
        icloud.parse_record(b'{"recordType": "Other", "fields": {}}', "u", RID)


def test_url_lists_text_and_shortcutsbench_json(tmp_path: Path) -> None:
    text = tmp_path / "links.txt"
    text.write_text(f"https://www.icloud.com/shortcuts/{RID}\nnot a link\n"
                    f"see https://www.icloud.com/shortcuts/{RID} again, and https://www.icloud.com/shortcuts/"
                    "0123456789abcdef0123456789abcdef\n")
    assert [e.rid for e in read_url_list(text)] == [RID, "0123456789abcdef0123456789abcdef"]
    bench = tmp_path / "routinehub.co.json"
    bench.write_text(json.dumps([
        {"Source": "https://routinehub.co/", "NameINStore": "Dice", "CategoryInStore": "games",
         "DescriptionInStore": "Roll a die.\n\tUpdate: more dice", "Downloads": 12, "Favorites": None,
         "URL": f"https://www.icloud.com/shortcuts/{RID}"},
        {"NameINStore": "No link", "URL": None}]))
    [entry] = read_url_list(bench)
    assert (entry.title, entry.category, entry.downloads, entry.hearts) == ("Dice", "games", 12, None)
    assert entry.description == "Roll a die.\n\tUpdate: more dice" and entry.source == "https://routinehub.co/"


def test_metadata_records_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "1.shortcut.meta.json"
    good = {"sidecar": 1, "site": "routinehub", "sha256": "ab" * 32, "title": "T", "downloads": 3}
    path.write_bytes(sidecar.dumps(good))
    assert sidecar.read(str(path), "ab" * 32)["title"] == "T"
    assert sidecar.described(str(path)) == str(tmp_path / "1.shortcut")
    for bad, reason, what in ((b"{", "bad-metadata", "not JSON"),
                              (sidecar.dumps({**good, "sidecar": 2}), "bad-metadata", "not a workflowbench"),
                              (sidecar.dumps({**good, "downloads": "many"}), "bad-metadata", "not a count"),
                              (sidecar.dumps(good), "metadata-mismatch", "describes sha256")):
        path.write_bytes(bad)
        with pytest.raises(sidecar.BadSidecar) as exc:
            sidecar.read(str(path), "cd" * 32)
        assert (exc.value.reason, exc.value.path) == (reason, str(path)) and what in exc.value.detail


def test_site_categories_map_onto_the_28() -> None:
    assert all(site_category(c) == c for c in CATEGORIES)
    assert site_category("health and fitness") == site_category("health-fitness") == "Health & Fitness"
    assert site_category("Photography") == "Photography & Video" and site_category("Social") == "Social Networking"
    assert site_category("games") == "Games" and site_category("Food & Drinks") == "Food & Drink"
    assert site_category("Other") is None and site_category("") is None and site_category(None) is None


@pytest.mark.parametrize(("description", "kind", "text"), [
    ("This shortcut lets you log your daily water intake and keeps a running total.", "verb",
     "log my daily water intake and keep a running total"),
    ("Water Log helps you plan meals for the week.", "verb", "plan meals for the week"),
    ("A simple timer for focused work sessions.", "thing", "a simple timer for focused work sessions"),
    ("Updated for iOS 17!\nRandomly picks a restaurant nearby when you cannot decide.", "verb",
     "pick a restaurant nearby when I cannot decide"),
    ("Easily log into Roblox with this shortcut. Should work on most iOS versions", "verb", "log into Roblox"),
    ("Are you bored? 🎲 Roll [two dice](https://example.com) and show the total (works offline)", "verb",
     "roll two dice and show the total"),
])
def test_the_goal_a_description_states(description: str, kind: str, text: str) -> None:
    found = goal(description, ["Water Log"])
    assert found is not None and (found.kind, found.text) == (kind, text)


def test_nothing_to_say_and_the_measures() -> None:
    assert goal("Updated for iOS 17. Thanks to @someone!") is None
    assert goal("Water Log", ["Water Log"]) is None
    assert copied("I want to log my daily water intake", "Log your daily water intake.") == 3
    assert MAX_COPIED == 6
    assert names("Make a quick save clipboard thing", "quickSaveClipboard")
    assert not names("sosa", "sos") and not names("anything", "ab")
