"""Dedup: a copy with renamed variables and other comments is an exact duplicate, a copy with one
action more is a near duplicate, different workflows are left alone; the first (a seed before any
synthetic sample) wins, and the gate's verdicts name it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from rensa import RMinHash, RMinHashLSH

from tests.conftest import RAW
from workflowbench.checks.dedup import SEED, NearIndex, bands_for, canonical, duplicates, shingles, similarity, sketch
from workflowbench.stages.catalog import CATALOG, CatalogSettings
from workflowbench.stages.contract import run_stage
from workflowbench.stages.dedup import DEDUP, DedupSettings, survivors
from workflowbench.stages.ingest import INGEST, IngestSettings
from workflowbench.stages.min_actions import MIN_ACTIONS, MinActionsSettings
from workflowbench.stages.sketch import SKETCH, SketchSettings
from workflowbench.stages.thoughts import THOUGHTS, ThoughtsSettings
from workflowbench.warehouse.reader import ShardReader
from workflowbench.warehouse.shards import write_shard

STEPS = [f"# Step {i}\nvalue_{i} = is_workflow_actions_gettext(WFTextActionText=f'part {i} {{value_{i - 1}}}')\n"
         for i in range(1, 30)]
BASE = "# Start\nvalue_0 = is_workflow_actions_getbatterylevel()\n" + "".join(STEPS)


def renamed(code: str) -> str:
    return code.replace("value_", "thing_").replace("# Step", "# Do part")


def test_renamed_copies_near_copies_and_different_workflows() -> None:
    assert canonical(BASE) == canonical(renamed(BASE)) and canonical("x = (") is None
    near = BASE + "# One more\nis_workflow_actions_showresult(Text=f'{value_29}')\n"
    other = "# Read the clipboard\nclip = is_workflow_actions_getclipboard()\n" + "".join(
        f"# Speak {i}\nis_workflow_actions_speaktext(WFText=f'{{clip}} {i}')\n" for i in range(20))
    found = duplicates([(s, sketch(c)) for s, c in [("seed", BASE), ("copy", renamed(BASE)), ("near", near),
                                                    ("other", other), ("broken", "x = (")]])
    assert [(d.sample_id, d.of, d.kind) for d in found] == [("copy", "seed", "exact-duplicate"),
                                                            ("near", "seed", "near-duplicate")]
    assert 0.8 <= found[1].similarity < 1
    assert sketch("x = (") is None
    assert duplicates([("other", sketch(other)), ("seed", sketch(BASE))]) == []
    assert bands_for(0.8, 128) in (8, 16)


def test_the_gate_keeps_the_seed_and_drops_its_synthetic_copies(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    run_stage(INGEST, target, IngestSettings(sources=(str(RAW),)))
    run_stage(CATALOG, target, CatalogSettings())
    run_stage(THOUGHTS, target, ThoughtsSettings())
    reader = ShardReader(target)
    seeds = dict(reader.rows("samples", "sample_id, workflow_code", where="status = 'ok'", order="sample_id"))
    longest = max(seeds, key=lambda s: len(seeds[s]))
    copies = [{"sample_id": f"synthetic-copy-{i}", "shortcut_id": f"spec-copy-{i}", "origin": "synthetic",
               "status": "ok", "query": "q", "apis": [], "task_plan": "1. a", "workflow_code": code,
               "backend": "offline", "model": "test", "chunks": 1, "created_at": datetime(2020, 1, 1)}
              for i, code in enumerate([renamed(seeds[longest]), seeds[longest]])]
    write_shard(target, f"synthesize-{hashlib.sha256(b'copies').hexdigest()[:32]}", {"samples": copies})
    run_stage(MIN_ACTIONS, target, MinActionsSettings())
    run_stage(DEDUP, target, DedupSettings())
    got = {s: (v, r, d) for s, v, r, d in ShardReader(target).rows(
        "verdicts", "sample_id, verdict, reason, detail", where="gate = 'dedup'")}
    short = {s for (s,) in ShardReader(target).rows("verdicts", "sample_id",
                                                     where="gate = 'min-actions' AND verdict = 'drop'")}
    assert set(got) == (set(seeds) | {c["sample_id"] for c in copies}) - short  # dropped ones are not compared
    assert got[longest] == ("keep", None, None)
    for copy in copies:  # older than the seed, still not the winner: seeds come first
        verdict, reason, detail = got[copy["sample_id"]]
        assert (verdict, reason) == ("drop", "exact-duplicate") and detail.startswith(longest)


def test_seeds_win_by_id_whichever_was_written_first(tmp_path: Path) -> None:
    """Two builds may write duplicate seeds in either order: the same seed wins both ways. Among
    synthetic samples the earliest wins."""
    target = tmp_path / "w.duckdb"

    def row(sid: str, origin: str, at: datetime) -> dict[str, object]:
        return {"sample_id": sid, "shortcut_id": sid, "origin": origin, "status": "ok", "query": "q", "apis": [],
                "task_plan": "1. a", "workflow_code": BASE, "backend": "offline", "model": "test", "chunks": 1,
                "created_at": at}

    write_shard(target, f"thoughts-{hashlib.sha256(b'seeds').hexdigest()[:32]}", {"samples": [
        row("seed-b", "seed", datetime(2020, 1, 1)), row("seed-a", "seed", datetime(2021, 1, 1)),
        row("synthetic-z", "synthetic", datetime(2019, 1, 1)), row("synthetic-y", "synthetic", datetime(2022, 1, 1))]})
    assert [s for s, _ in survivors(ShardReader(target))] == ["seed-a", "seed-b", "synthetic-z", "synthetic-y"]
    run_stage(DEDUP, target, DedupSettings())
    got = dict(ShardReader(target).rows("verdicts", "sample_id, verdict", where="gate = 'dedup'"))
    assert got == {"seed-a": "keep", "seed-b": "drop", "synthetic-z": "drop", "synthetic-y": "drop"}


def test_canonical_reads_python_tokens() -> None:
    code = ("# Ask for a name, then greet # twice\nname = input('Name? # not a comment')\n"
            "greeting = is_workflow_actions_gettext(WFTextActionText=f'''Hi {name}, {format_date(value=name, "
            "WFDateFormat='{x}')} {{name}}''')  # trailing\nis_workflow_actions_showresult(Text=greeting.upper)\n")
    assert canonical(code) == (
        "v1 = input ( 'Name? # not a comment' ) v2 = is_workflow_actions_gettext ( WFTextActionText = "
        "f'''Hi  { v1 } ,  { format_date ( value = v1 , WFDateFormat = '{x}' ) }  {{name}}''' ) "
        "is_workflow_actions_showresult ( Text = v2 . upper )")
    # the same code laid out and commented otherwise, with other names, is the same
    other = code.replace("name", "who").replace("greeting", "hello").replace("# Ask", "#  Request").replace(
        " = ", "=")
    assert canonical(other) == canonical(code).replace("{{name}}", "{{who}}")
    assert canonical("x = 'never closed\n") is None and canonical("f(x") is None and canonical("s = f'{x") is None


def test_the_index_finds_what_rensas_lsh_finds_and_the_similarity_is_rensas() -> None:
    """Stored signatures are banded here (rensa cannot take one read back): the same candidates as
    its RMinHashLSH, and the same estimate as its jaccard, over variants of several workflows."""
    codes = [BASE, renamed(BASE)]
    for k in range(1, 60):  # one to three steps changed, and fewer steps: some near, some not
        steps = STEPS[:]
        for j in range(1 + k % 3):
            steps[(k * (j + 3)) % len(steps)] = f"# Other\nis_workflow_actions_speaktext(WFText='{k} {j}')\n"
        codes.append(BASE.split("# Step 1")[0] + "".join(steps[: len(steps) - k % 4]))
    lsh = RMinHashLSH(threshold=0.8, num_perm=128, num_bands=bands_for(0.8, 128))
    index = NearIndex(0.8, 128)
    kept: list[tuple[RMinHash, bytes]] = []
    compared = 0
    for k, c in enumerate(codes):
        [mh] = RMinHash.from_token_sets([shingles(canonical(c) or "", 5)], num_perm=128, seed=SEED)
        sk = sketch(c)
        assert sk is not None
        theirs = sorted(lsh.query(mh))
        assert index.candidates(sk.minhash) == theirs
        for j in theirs:
            assert abs(similarity(sk.minhash, kept[j][1]) - mh.jaccard(kept[j][0])) < 1e-9
            compared += 1
        lsh.insert(k, mh)
        index.add(k, sk.minhash)
        kept.append((mh, sk.minhash))
    assert compared > 20  # the variants did meet in the index


def test_the_gate_reads_the_sketch_stage_rows_of_the_current_code_only(tmp_path: Path) -> None:
    """With the sketch stage run, dedup decides from its rows (a row that says two codes are the
    same makes them exact duplicates); a row made from other code than the sample's now is ignored,
    and a sample with none is sketched by the gate itself: the verdicts equal those without."""
    target = tmp_path / "w.duckdb"

    def row(sid: str, code: str) -> dict[str, object]:
        return {"sample_id": sid, "shortcut_id": sid, "origin": "seed", "status": "ok", "query": "q", "apis": [],
                "task_plan": "1. a", "workflow_code": code, "backend": "offline", "model": "test", "chunks": 1,
                "created_at": datetime(2020, 1, 1)}

    other = "clip = is_workflow_actions_getclipboard()\n" + "".join(
        f"is_workflow_actions_speaktext(WFText=f'{{clip}} {i}')\n" for i in range(20))
    write_shard(target, f"thoughts-{hashlib.sha256(b'seeds').hexdigest()[:32]}", {"samples": [
        row("seed-a", BASE), row("seed-b", renamed(BASE)), row("seed-c", other)]})

    def verdicts() -> dict[str, tuple[str, str | None]]:  # the gate's run itself: its shard key is the code's
        reader, settings = ShardReader(target), DedupSettings()
        [batch] = DEDUP.plan(reader, settings)
        rows = DEDUP.run(batch, reader, settings).tables["verdicts"]
        return {r["sample_id"]: (r["verdict"], r["reason"]) for r in rows}

    alone = verdicts()
    assert alone == {"seed-a": ("keep", None), "seed-b": ("drop", "exact-duplicate"), "seed-c": ("keep", None)}
    run_stage(SKETCH, target, SketchSettings())
    rows = {s: (h, e) for s, h, e in ShardReader(target).rows("sketches", "sample_id, code_sha256, exact")}
    assert rows["seed-a"][1] == rows["seed-b"][1] != rows["seed-c"][1]
    assert rows["seed-a"][0] == hashlib.sha256(BASE.encode()).hexdigest()
    assert verdicts() == alone
    # a row that claims seed-c's code sketches as seed-a's, but made from other code: not seed-c's
    # sketch, so the gate sketches seed-c itself
    claim = {"sample_id": "seed-c", "code_sha256": "0" * 64, "num_perm": 128, "shingle": 5,
             "exact": rows["seed-a"][1], "minhash": sketch(BASE).minhash, "created_at": datetime(2030, 1, 1)}  # type: ignore[union-attr]
    write_shard(target, f"sketch-{hashlib.sha256(b'stale').hexdigest()[:32]}", {"sketches": [claim]})
    assert verdicts() == alone
    # the same claim for seed-c's current code: read, so seed-c is now a copy of seed-a
    write_shard(target, f"sketch-{hashlib.sha256(b'claim').hexdigest()[:32]}",
                {"sketches": [{**claim, "code_sha256": rows["seed-c"][0]}]})
    assert verdicts()["seed-c"] == ("drop", "exact-duplicate")
