"""Specs: deterministic for a seed, balanced over the 28 categories, each level as defined, about
half built-in APIs, apps drawn as they occur together in the seeds, examples chosen by overlap and
structure; the stage adds only what a larger count asks for and a rerun adds nothing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import RAW
from workflowbench import warehouse as wh
from workflowbench.catalog.categories import CATEGORIES
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import run_stage
from workflowbench.stages.ingest import INGEST, IngestSettings
from workflowbench.stages.specs import SPECS, SpecsSettings, load_inputs
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings
from workflowbench.synth.specs import LEVELS, ApiInfo, Inputs, SeedInfo, check_mix, make_spec, make_specs
from workflowbench.warehouse.reader import ShardReader

B = "is.workflow.actions."


def inputs() -> Inputs:
    apis = [ApiInfo(B + n, "shortcuts", "built-in", u) for n, u in (
        ("gettext", 500), ("showresult", 300), ("downloadurl", 200), ("getvalueforkey", 150), ("alert", 120),
        ("setclipboard", 80), ("openurl", 60), ("ask", 50), ("text.split", 20), ("math", 10), ("conditional", 900))]
    for app, tags, n in (("com.weather.app", ("Weather",), 4), ("com.maps.app", ("Mapping",), 5),
                         ("com.bank.app", ("Payments",), 3), ("com.notes.app", ("Search",), 6),
                         ("com.music.app", ("Music",), 2)):
        apis += [ApiInfo(f"{app}.Intent{i}", app, "third-party", 3 - i % 3, tags) for i in range(n)]
    seeds = [SeedInfo("seed-linear", frozenset({B + "gettext", B + "showresult"}), 4, 0, 0, 0),
             SeedInfo("seed-branch", frozenset({B + "downloadurl", B + "getvalueforkey", B + "conditional"}),
                      9, 1, 0, 1),
             SeedInfo("seed-nested", frozenset({B + "ask", B + "math", B + "conditional"}), 20, 2, 1, 2),
             SeedInfo("seed-weather", frozenset({"com.weather.app.Intent0", "com.maps.app.Intent1", B + "alert"}),
                      6, 0, 0, 0),
             SeedInfo("seed-weather-2", frozenset({"com.weather.app.Intent1", "com.maps.app.Intent0"}), 5, 0, 0, 0),
             SeedInfo("seed-huge", frozenset({B + "gettext"}), 500, 3, 3, 4)]
    return Inputs(tuple(apis), tuple(seeds))


def test_specs_are_the_same_for_a_seed_and_differ_for_another() -> None:
    a, b = make_specs(inputs(), 7, range(60)), make_specs(inputs(), 7, range(60))
    assert a == b
    assert make_spec(inputs(), 7, 41) == a[41]  # a spec does not depend on which others are drawn
    other = make_specs(inputs(), 8, range(60))
    assert sum(x.apis != y.apis for x, y in zip(a, other, strict=True)) > 40
    assert len({s.spec_id for s in a}) == 60 and not {s.spec_id for s in a} & {s.spec_id for s in other}


def test_categories_are_balanced_and_levels_follow_the_mix() -> None:
    specs = make_specs(inputs(), 0, range(28 * 5))
    assert Counter(s.category for s in specs) == dict.fromkeys(CATEGORIES, 5)
    levels = Counter(s.level for s in make_specs(inputs(), 0, range(1000), {"easy": 1, "medium": 2, "hard": 1}))
    assert abs(levels["easy"] - 250) <= 2 and abs(levels["medium"] - 500) <= 2 and abs(levels["hard"] - 250) <= 2
    only = Counter(s.level for s in make_specs(inputs(), 0, range(50), {"hard": 1}))
    assert only == {"hard": 50}
    with pytest.raises(ValueError, match="unknown levels"):
        check_mix({"trivial": 1})


def test_each_level_is_as_defined_and_about_half_the_apis_are_built_in() -> None:
    data = inputs()
    specs = make_specs(data, 3, range(600))
    builtin = total = 0
    for s in specs:
        level = LEVELS[s.level]
        assert level.apis[0] <= len(s.apis) <= level.apis[1], s
        assert level.apps[0] <= len(s.apps) <= level.apps[1], s
        assert len(set(s.apis)) == len(s.apis) and not any(a.endswith(".conditional") for a in s.apis)
        assert s.builtin == sum(data.by_id[a].kind == "built-in" for a in s.apis)
        assert 1 <= len(s.examples) <= 3 and "seed-huge" not in s.examples  # too long to show
        builtin += s.builtin
        total += len(s.apis)
    assert 0.45 <= builtin / total <= 0.6


def test_apps_follow_the_category_and_the_seeds_and_examples_share_apis_and_shape() -> None:
    data = inputs()
    specs = make_specs(data, 0, range(28 * 40))
    weather = [s for s in specs if s.category == "Weather" and s.level == "easy" and s.builtin == 0]
    assert weather and Counter(s.apps[0] for s in weather).most_common(1)[0][0] == "com.weather.app"
    with_weather = [s for s in specs if "com.weather.app" in s.apps and len(s.apps) >= 3]
    partners = Counter(a for s in with_weather for a in s.apps if a not in ("com.weather.app", "shortcuts"))
    assert partners.most_common(1)[0][0] == "com.maps.app"  # they occur in the same seeds
    in_seeds = {a for seed in data.seeds for a in seed.apis}
    weather_apis = {"com.weather.app.Intent0", "com.weather.app.Intent1"}
    checked = 0
    for s in specs:  # a rare API shared with a seed outranks the shape of another
        if set(s.apis) & weather_apis and not (set(s.apis) - weather_apis) & in_seeds:
            assert s.examples[0].startswith("seed-weather"), s
            checked += 1
        if s.level == "easy" and s.apis == (B + "gettext",):
            assert s.examples[0] == "seed-linear"  # shares the API and the (linear) shape
    assert checked >= 5


def test_the_stage_adds_only_the_new_range_and_a_rerun_adds_nothing(tmp_path: Path) -> None:
    target = tmp_path / "s.duckdb"
    run_stage(INGEST, target, IngestSettings(sources=(str(RAW),)))
    run_stage(CATALOG, target, CatalogSettings())
    run_stage(THOUGHTS, target, ThoughtsSettings())
    first = run_stage(SPECS, target, SpecsSettings(count=10, batch_size=5))
    assert [r.skipped for r in first] == [False, False] and sum(r.count("specs") for r in first) == 10
    more = run_stage(SPECS, target, SpecsSettings(count=15, batch_size=5))
    assert [r.skipped for r in more] == [True, True, False]
    again = run_stage(SPECS, target, SpecsSettings(count=15, batch_size=5))
    assert all(r.skipped for r in again)
    wh.publish(target)
    with wh.connect(target) as con:
        rows = con.execute("SELECT position, level, apis, examples FROM specs ORDER BY position").fetchall()
        seeds = {s for (s,) in con.execute("SELECT sample_id FROM samples WHERE status = 'ok'").fetchall()}
    assert [r[0] for r in rows] == list(range(15))
    assert all(set(r[3]) <= seeds and r[2] for r in rows)
    expected = make_specs(load_inputs(ShardReader(target)), 0, range(15))
    assert [list(s.apis) for s in expected] == [r[2] for r in rows]
    other = run_stage(SPECS, target, SpecsSettings(count=15, batch_size=5, seed=1))
    assert not any(r.skipped for r in other)  # another seed: other specs, which replace these
    wh.publish(target)
    with wh.connect(target) as con:
        assert con.execute("SELECT count(*), min(seed), max(seed) FROM specs").fetchone() == (15, 1, 1)
