"""Splits: by seed shortcut in the paper's proportions, stable; held-out apps make an ood split no
train sample touches; synthetic samples follow their seeds or are excluded; a train sample that
near-duplicates a held-out one is excluded; the stage's splits are the same on a rerun and the
published `dataset` view holds the kept samples with their flags and labels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import RAW
from workflowbench import warehouse as wh
from workflowbench.checks.splits import SHARES, Member, assign, held_out_apps, seed_split
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import run_stage
from workflowbench.stages.ingest import INGEST, IngestSettings
from workflowbench.stages.min_actions import MIN_ACTIONS, MinActionsSettings
from workflowbench.stages.rules import RULES_STAGE, RulesSettings
from workflowbench.stages.specs import SPECS, SpecsSettings
from workflowbench.stages.splits import SPLITS, SplitsSettings
from workflowbench.stages.synthesize import SYNTHESIZE, SynthesizeSettings
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings

CODE = "# Step {i}\nv{i} = is_workflow_actions_gettext(WFTextActionText=f'{word} {i}')\n"


def code(word: str, n: int = 30) -> str:
    return "".join(CODE.format(i=i, word=word) for i in range(n))


def test_seed_splits_follow_the_papers_proportions_and_never_move() -> None:
    ids = [f"shortcut-{i}" for i in range(20_000)]
    got = Counter(seed_split(i, 0) for i in ids)
    assert all(abs(got[k] / len(ids) - share) < 0.01 for k, share in SHARES.items())
    assert [seed_split(i, 0) for i in ids[:500]] == [seed_split(i, 0) for i in ids[:500]]
    assert [seed_split(i, 1) for i in ids[:500]] != [seed_split(i, 0) for i in ids[:500]]


def test_ood_lineage_and_decontamination() -> None:
    apps = {f"com.example.app{i}" for i in range(200)}
    held = held_out_apps(apps | {"shortcuts"}, 0.1, 0)
    assert 5 < len(held) < 40 and "shortcuts" not in held
    hidden, visible = sorted(held)[0], sorted(apps - held)[0]
    seeds = [f"s{i}" for i in range(400)]
    split = {s: seed_split(s, 0) for s in seeds}
    train = [s for s in seeds if split[s] == "train"]
    test = [s for s in seeds if split[s] == "test"]
    members = [Member(s, "seed", s, frozenset({visible}), ()) for s in seeds]
    members += [
        Member("ood-seed", "seed", "ood-seed", frozenset({hidden}), ()),
        Member("syn-train", "synthetic", "x1", frozenset({visible}), (train[0], train[1])),
        Member("syn-test", "synthetic", "x2", frozenset({visible}), (train[0], test[0])),
        Member("syn-hidden", "synthetic", "x3", frozenset({hidden}), (train[0],)),
        Member("syn-none", "synthetic", "x4", frozenset(), ()),
        Member("syn-copy", "synthetic", "x5", frozenset({visible}), (train[0],)),
    ]
    words = {"ood-seed": "hidden", "syn-train": "fresh", "syn-test": "other", "syn-hidden": "more",
             "syn-none": "none", "syn-copy": test[1]}
    read: list[str] = []

    def stream() -> Iterator[tuple[str, str]]:  # the code, read once, as the stage streams it
        for m in members:
            read.append(m.sample_id)
            yield m.sample_id, code(words.get(m.sample_id, m.sample_id))

    got = {a.sample_id: (a.split, a.reason) for a in assign(members, stream(), 0, 0.1, 0.8)}
    assert read == [m.sample_id for m in members]  # consumed once, in order
    assert got["ood-seed"] == ("ood", "held-out-app")
    assert got["syn-train"] == ("train", "lineage") and got["syn-none"] == ("train", "no-lineage")
    assert got["syn-test"] == ("excluded", "drew-on-held-out-seed")
    assert got["syn-hidden"] == ("excluded", "held-out-api")
    assert got["syn-copy"] == ("excluded", f"near-duplicate-of-held-out: {test[1]}")
    assert all(got[s][0] == split[s] for s in seeds)  # distinct code: no seed moved
    # a member whose code the stream does not hold is compared with nothing
    partial = assign(members, ((s, c) for s, c in stream() if s != "syn-copy"), 0, 0.1, 0.8)
    assert {a.sample_id: (a.split, a.reason) for a in partial} == {**got, "syn-copy": ("train", "lineage")}


def test_the_stage_is_stable_and_the_dataset_view_has_the_kept_samples(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    run_stage(INGEST, target, IngestSettings(sources=(str(RAW),)))
    run_stage(CATALOG, target, CatalogSettings())
    run_stage(THOUGHTS, target, ThoughtsSettings())
    run_stage(SPECS, target, SpecsSettings(count=28))
    run_stage(SYNTHESIZE, target, SynthesizeSettings())
    run_stage(MIN_ACTIONS, target, MinActionsSettings())
    run_stage(RULES_STAGE, target, RulesSettings())
    run_stage(SPLITS, target, SplitsSettings(ood_share=0.2))
    wh.publish(target)
    with wh.connect(target) as con:
        first = con.execute("SELECT sample_id, split, reason FROM splits ORDER BY 1").fetchall()
        kept = con.execute("SELECT count(*) FROM samples s WHERE status = 'ok' AND NOT EXISTS (SELECT 1 FROM "
                           "verdicts v WHERE v.sample_id = s.sample_id AND v.verdict = 'drop')").fetchone()[0]
        used = con.execute("SELECT p.split, list(DISTINCT a.app) FROM splits p JOIN samples s USING (sample_id), "
                           "unnest(s.apis) AS u(i) JOIN apis a ON a.identifier = u.i GROUP BY p.sample_id, p.split"
                           ).fetchall()
        dataset = con.execute("SELECT count(*), count(*) FILTER (len(labels) > 0), "
                              "count(DISTINCT split) FROM dataset").fetchone()
        excluded = con.execute("SELECT count(*) FROM splits WHERE split = 'excluded'").fetchone()[0]
    held = held_out_apps({app for _, apps in used for app in apps}, 0.2, 0)
    assert held and any(split == "ood" for split, _ in used)
    assert not [apps for split, apps in used if split in ("train", "reward") and set(apps) & held]  # no leak
    assert len(first) == kept > 17
    assert dataset[0] == kept - excluded and dataset[1] == dataset[0] and dataset[2] >= 2
    run_stage(SPLITS, target, SplitsSettings(ood_share=0.2))
    wh.publish(target)
    with wh.connect(target) as con:
        assert con.execute("SELECT sample_id, split, reason FROM splits ORDER BY 1").fetchall() == first
