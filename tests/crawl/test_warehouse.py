"""Collected metadata reaches the warehouse and the samples: ingest reads each file's metadata record
into ``shortcut_metadata`` (a bad one is a reject, the file is still read), the site's category wins
over the tag vote, the description goes into the thoughts and expansion prompts, and the offline query
draws on it without copying it or naming the shortcut. Shortcuts without metadata are as before.

The end-to-end test: 200 corpus shortcuts crawled from the fake sites, ingested and turned into samples."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
from pathlib import Path

from tests.conftest import RAW
from tests.crawl.conftest import corpus_files
from tests.support.sites import FakeSites, fake_shortcuts
from workflowbench import read_shortcut
from workflowbench import warehouse as wh
from workflowbench.catalog.categories import site_category
from workflowbench.code.to_code import transpile
from workflowbench.crawl import sidecar
from workflowbench.crawl.http import Politeness
from workflowbench.crawl.run import Crawler, CrawlSettings
from workflowbench.llm.prompts import load
from workflowbench.quality import quotes_title
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import run_stage
from workflowbench.stages.ingest import INGEST, IngestSettings, discover
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings
from workflowbench.synth import expand
from workflowbench.thoughts import llm_backend, offline
from workflowbench.thoughts.base import Seed
from workflowbench.thoughts.chunks import split
from workflowbench.thoughts.described import MAX_COPIED, copied

STOP = frozenset("a an and the of for to in on my your you i me it with from by at or this that is be".split())


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if w not in STOP and len(w) > 2}


def build(folder: Path, target: Path) -> None:
    run_stage(INGEST, target, IngestSettings(sources=(str(folder),)))
    run_stage(CATALOG, target, CatalogSettings())
    run_stage(THOUGHTS, target, ThoughtsSettings())
    wh.publish(target)


def record(path: Path, **fields: object) -> None:
    """A metadata record for the file at ``path``, as the crawler writes it."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    meta = {"sidecar": 1, "site": "routinehub", "site_id": "7", "sha256": digest, "bytes": path.stat().st_size,
            "retrieved_at": "2024-05-01T10:00:00Z", "provenance": {"title": "routinehub-page"}, **fields}
    Path(sidecar.sidecar_path(str(path))).write_bytes(sidecar.dumps(meta))


def test_metadata_records_at_ingest(tmp_path: Path) -> None:
    folder = tmp_path / "raw_shortcuts"
    folder.mkdir()
    names = ["Tip Calculator", "Word Count", "Weekly Planner", "Battery Saver"]
    for n in names:
        shutil.copy(RAW / f"{n}.shortcut", folder / f"{n}.shortcut")
    record(folder / "Tip Calculator.shortcut", name="Tipper", title="Tip Calculator Pro", category="Finance",
           description="Work out the tip and split the bill.", downloads=42)
    (folder / "Word Count.shortcut.meta.json").write_text("{not json")
    record(folder / "Weekly Planner.shortcut")
    (folder / "Weekly Planner.shortcut").write_bytes((RAW / "Pomodoro Timer.shortcut").read_bytes())  # replaced
    (folder / "Orphan.shortcut.meta.json").write_text("{}")  # no file beside it: read like any file
    found = {Path(f.path).name: f.meta for f in discover([folder])}
    assert found == {"Battery Saver.shortcut": None, "Orphan.shortcut.meta.json": None,
                     "Tip Calculator.shortcut": str(folder / "Tip Calculator.shortcut.meta.json"),
                     "Weekly Planner.shortcut": str(folder / "Weekly Planner.shortcut.meta.json"),
                     "Word Count.shortcut": str(folder / "Word Count.shortcut.meta.json")}
    target = tmp_path / "w.duckdb"
    build(folder, target)
    with wh.connect(target) as con:
        assert con.execute("SELECT s.name, title, site_category, downloads, description FROM shortcut_metadata m "
                           "JOIN shortcuts s ON s.id = m.shortcut_id").fetchall() == [
            ("Tipper", "Tip Calculator Pro", "Finance", 42, "Work out the tip and split the bill.")]
        assert sorted(con.execute("SELECT reason, path FROM rejects").fetchall()) == [
            ("bad-metadata", str(folder / "Word Count.shortcut.meta.json")),
            ("metadata-mismatch", str(folder / "Weekly Planner.shortcut.meta.json")),
            ("no-workflow-actions", str(folder / "Orphan.shortcut.meta.json"))]
        assert con.execute("SELECT count(*) FROM shortcuts").fetchone() == (4,)  # every file was still read
        assert dict(con.execute("SELECT s.name, c.rule FROM shortcut_categories c JOIN shortcuts s ON s.id = "
                                "c.shortcut_id").fetchall())["Tipper"] == "routinehub"
        without = con.execute("SELECT s.name, p.query FROM samples p JOIN shortcuts s ON s.id = p.shortcut_id "
                              "WHERE s.name <> 'Tipper' ORDER BY 1").fetchall()
    # shortcuts without metadata: the same rows as a folder that never had any
    alone = tmp_path / "alone" / "raw_shortcuts"
    alone.mkdir(parents=True)
    for n in ("Word Count", "Battery Saver"):
        shutil.copy(RAW / f"{n}.shortcut", alone / f"{n}.shortcut")
    shutil.copy(RAW / "Pomodoro Timer.shortcut", alone / "Weekly Planner.shortcut")
    build(alone, tmp_path / "alone.duckdb")
    with wh.connect(tmp_path / "alone.duckdb") as con:
        assert con.execute("SELECT s.name, p.query FROM samples p JOIN shortcuts s ON s.id = p.shortcut_id "
                           "ORDER BY 1").fetchall() == without


def seed(name: str, description: str | None = None, titles: tuple[str, ...] = ()) -> Seed:
    wf = read_shortcut(RAW / f"{name}.shortcut")
    return Seed(wf.fingerprint(), name, wf, transpile(wf), "Utilities", description, titles)


def test_prompts_carry_a_description_and_only_then() -> None:
    plain, described = seed("Tip Calculator"), seed("Tip Calculator", "Work out the tip and split the bill.")
    chunk = split(plain.code.code, sorted(offline.action_lines(plain.code)), 3000)[0]
    lines = offline.action_lines(plain.code)
    prompts = {n: load(n) for n in llm_backend.PROMPTS}
    before = [llm_backend.comments_messages(prompts["comments"], plain, chunk, lines, {}),
              llm_backend.plan_messages(prompts["plan"], plain, {}, chunk),
              llm_backend.query_messages(prompts["query"], plain, ["**Tip**"], {}, 3000)]
    after = [llm_backend.comments_messages(prompts["comments"], described, chunk, lines, {}),
             llm_backend.plan_messages(prompts["plan"], described, {}, chunk),
             llm_backend.query_messages(prompts["query"], described, ["**Tip**"], {}, 3000)]
    for old, new in zip(before, after):
        assert "publisher" not in old[-1]["content"] and old[:-1] == new[:-1]
        assert "What its publisher says it does (use it for the goal, in your own words): Work out the tip and " \
               "split the bill." in new[-1]["content"]
        assert old[-1]["content"].replace("Tip Calculator", "Tip Calculator\nWhat its publisher says it does (use "
                                          "it for the goal, in your own words): Work out the tip and split the "
                                          "bill.", 1) == new[-1]["content"]
    examples = [expand.Example("Split a bill", ("Calculate",)), expand.Example("Log water", ("Log", ), "Logs it.")]
    assert expand.example_block(examples) == ("1. Request: Split a bill\n   Actions: Calculate\n"
                                              "2. Request: Log water\n   Actions: Log\n"
                                              "   What its publisher says it does: Logs it.")


def test_the_offline_query_draws_on_the_description() -> None:
    plain = seed("Daily Journal Entry")
    described = dataclasses.replace(plain, description="Daily Journal Entry creates a new journal entry with "
                                    "today's date, your location and the current weather.\nUpdated for iOS 17.",
                                    titles=("Journal Helper",))
    assert offline.think(plain, {}).query == offline.think(dataclasses.replace(plain, titles=("x",)), {}).query
    query = offline.think(described, {}).query
    assert "journal entry" in query and query != offline.think(plain, {}).query
    assert not quotes_title(query, "Daily Journal Entry") and not quotes_title(query, "Journal Helper")
    assert copied(query, described.description or "") <= MAX_COPIED
    nothing = dataclasses.replace(plain, description="Updated for iOS 17. Thanks!")  # says nothing usable
    assert not quotes_title(offline.think(nothing, {}).query, "Daily Journal Entry")


def test_two_hundred_shortcuts_crawled_ingested_and_sampled(manifest: list[dict], tmp_path: Path) -> None:
    fakes = fake_shortcuts(corpus_files(manifest, 200))
    raw = tmp_path / "raw_shortcuts"
    with FakeSites(fakes, per_page=24) as sites:
        settings = CrawlSettings(to=str(raw / "routinehub"), politeness=Politeness(delay=0, jitter=0),
                                 **sites.settings())
        with Crawler(settings, sleep=lambda _: None) as crawler:
            summary = crawler.routinehub()
    assert (summary.listed, summary.new, summary.failed) == (200, 200, 0), summary.errors[:3]
    target = tmp_path / "w.duckdb"
    build(raw, target)
    by_sid = {str(f.sid): f for f in fakes}
    with wh.connect(target) as con:
        assert con.execute("SELECT count(*) FROM files").fetchone() == (200,)
        assert con.execute("SELECT count(*) FROM rejects").fetchone() == (0,)
        rows = con.execute(
            "SELECT m.site_id, s.name, m.name, m.title, m.icloud_name, m.description, m.site_category, m.author, "
            "m.version, m.downloads, m.url, m.icloud_url, m.provenance, c.category, c.rule, p.status, p.query, "
            "p.category FROM shortcut_metadata m JOIN shortcuts s ON s.id = m.shortcut_id "
            "JOIN shortcut_categories c USING (shortcut_id) JOIN samples p USING (shortcut_id)").fetchall()
    assert len(rows) == 200
    drawn = 0
    for (sid, name, meta_name, title, icloud_name, description, site_cat, author, version, downloads, url,
         icloud_url, provenance, category, rule, status, query, sample_category) in rows:
        fake = by_sid[sid]
        assert (name, meta_name, title, icloud_name) == (fake.name, fake.name, fake.title, fake.name)
        assert (description, site_cat, author, version, downloads) == (
            fake.description, fake.category, fake.author, fake.version, fake.downloads)
        assert url.endswith(f"/shortcut/{sid}/") and icloud_url.endswith(fake.rid)
        assert json.loads(provenance)["description"] == "routinehub-page"
        assert (category, rule, sample_category) == (site_category(fake.category), "routinehub", category)
        assert status == "ok"
        assert not quotes_title(query, title) and not quotes_title(query, name)
        assert copied(query, description) <= MAX_COPIED
        first = description.split("\n")[0]
        drawn += len(content_words(query) & content_words(first)) >= 2
    assert drawn == 200  # every query draws on its description
    assert sum(t != n for _, n, _, t, *_ in rows) == 40  # the iCloud name and the page's title both kept
