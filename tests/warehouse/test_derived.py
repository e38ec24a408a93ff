"""Derived tables: publish makes them from the loaded tables, the `dataset` view over them gives the
rows the view over the base tables gives, and a republish makes them again exactly when one of
their inputs changed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from workflowbench import warehouse as wh
from workflowbench.warehouse.derived import derived

# The dataset as a view over the base tables alone: what `dataset` must keep giving.
BASE_DATASET = """
SELECT s.sample_id, p.split, s.origin, s.category, s.query, s.apis, s.task_plan, s.workflow_code,
       s.backend, s.model, s.spec_id, s.lineage,
       coalesce(u.gates, []) AS unknown_gates,
       coalesce(l.good, 0) AS steps_good, coalesce(l.neutral, 0) AS steps_neutral, coalesce(l.wrong, 0) AS steps_wrong,
       coalesce(l.labels, []) AS labels
FROM samples s
JOIN splits p USING (sample_id)
LEFT JOIN (SELECT sample_id, list(gate ORDER BY gate) AS gates FROM verdicts WHERE verdict = 'unknown'
           GROUP BY 1) u USING (sample_id)
LEFT JOIN (SELECT sample_id, count(*) FILTER (label = 1) AS good, count(*) FILTER (label = 0) AS neutral,
                  count(*) FILTER (label = -1) AS wrong, list(label ORDER BY position) AS labels
           FROM step_labels GROUP BY 1) l USING (sample_id)
WHERE p.split <> 'excluded'
"""

T0 = datetime(2026, 1, 1)


def sample(sample_id: str, **kw: Any) -> dict[str, Any]:
    return {"sample_id": sample_id, "shortcut_id": "sc-" + sample_id, "origin": "seed", "status": "ok",
            "query": f"do {sample_id}", "apis": ["is.workflow.actions.gettext"], "task_plan": "1. x",
            "workflow_code": "x = 1\n", "category": "Productivity", "backend": "offline", "model": "m",
            "chunks": 1, "created_at": T0} | kw


def split(sample_id: str, name: str) -> dict[str, Any]:
    return {"sample_id": sample_id, "split": name, "reason": "seed-hash", "created_at": T0}


def verdict(sample_id: str, gate: str, verdict: str, at: datetime = T0) -> dict[str, Any]:
    return {"sample_id": sample_id, "gate": gate, "verdict": verdict,
            "reason": None if verdict == "keep" else "check-failed", "detail": None, "decided_at": at}


def label(sample_id: str, position: int, value: int, at: datetime = T0) -> dict[str, Any]:
    return {"sample_id": sample_id, "position": position, "line": position + 1, "identifier": "x",
            "label": value, "reason": "ok" if value == 1 else "no-effect", "source": "static", "created_at": at}


def warehouse(tmp_path: Path) -> Path:
    """`a`: labels in shuffled order and an unknown gate; `b`: no step labels; `c`: excluded;
    `d`: no split; `e`: synthetic, in another split."""
    target = tmp_path / "w.duckdb"
    wh.write_shard(target, "base", {
        "samples": [sample("a"), sample("b", apis=[]), sample("c"), sample("d"),
                    sample("e", origin="synthetic", category="Utilities", spec_id="s1", lineage='{"spec": "s1"}')],
        "splits": [split("a", "train"), split("b", "dev"), split("c", "excluded"), split("e", "test")],
        "verdicts": [verdict("a", "min-actions", "keep"), verdict("a", "rules", "unknown"),
                     verdict("a", "dedup", "unknown"), verdict("b", "rules", "keep"), verdict("e", "rules", "keep")],
        "step_labels": [label("a", 2, -1), label("a", 0, 1), label("a", 1, 0), label("e", 1, 1), label("e", 0, 1),
                        label("c", 0, 1)],
    })
    return target


def dataset(target: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The published `dataset` (column names and types, rows) and the base tables' view of it (rows)."""
    with duckdb.connect(str(target), read_only=True) as con:
        return ([c[:2] for c in con.execute("DESCRIBE dataset").fetchall()],
                con.execute("SELECT * FROM dataset ORDER BY sample_id").fetchall(),
                con.execute(f"SELECT * FROM ({BASE_DATASET}) ORDER BY sample_id").fetchall())


def test_the_dataset_gives_what_the_view_over_the_base_tables_gives(tmp_path: Path) -> None:
    target = warehouse(tmp_path)
    done = wh.publish(target)
    assert done.derived == tuple(derived()) == ("kept_samples",)
    columns, rows, expected = dataset(target)
    assert rows == expected
    with duckdb.connect(str(target), read_only=True) as con:
        assert columns == [c[:2] for c in con.execute(f"DESCRIBE ({BASE_DATASET})").fetchall()]  # names, types
        # step labels are stored in sample and action order
        stored = con.execute("SELECT sample_id, position FROM step_labels ORDER BY rowid").fetchall()
        assert stored == sorted(stored)
    got = {r[0]: r for r in rows}
    assert set(got) == {"a", "b", "e"}  # c is excluded, d has no split
    assert got["a"][12:] == (["dedup", "rules"], 1, 1, 1, [1, 0, -1])
    assert got["b"][12:] == ([], 0, 0, 0, [])
    assert got["e"][1:4] == ("test", "synthetic", "Utilities") and got["e"][12:] == ([], 2, 0, 0, [1, 1])


def test_derived_tables_follow_their_inputs_and_nothing_is_rewritten_without_a_change(tmp_path: Path) -> None:
    target = warehouse(tmp_path)
    wh.publish(target)
    stamp = target.stat()
    again = wh.publish(target)
    assert again.unchanged and not again.derived and target.stat().st_ino == stamp.st_ino

    # Only verdicts change: a decides on its rules gate, b's becomes unknown.
    later = datetime(2026, 1, 2)
    wh.write_shard(target, "verdicts-2", {"verdicts": [verdict("a", "rules", "keep", later),
                                                       verdict("b", "rules", "unknown", later)]})
    done = wh.publish(target)
    assert set(wh.tables()) - set(done.copied) == {"verdicts"} and done.derived == ("kept_samples",)
    _, rows, expected = dataset(target)
    assert rows == expected
    assert {r[0]: r[12] for r in rows} == {"a": ["dedup"], "b": ["rules"], "e": []}

    # Only step labels change: b gets labels, a's last step is relabelled.
    wh.write_shard(target, "labels-2", {"step_labels": [label("b", 0, -1, later), label("a", 2, 1, later)]})
    done = wh.publish(target)
    assert set(wh.tables()) - set(done.copied) == {"step_labels"} and done.derived == ("kept_samples",)
    _, rows, expected = dataset(target)
    assert rows == expected
    assert {r[0]: r[16] for r in rows} == {"a": [1, 0, 1], "b": [-1], "e": [1, 1]}

    # A table it is not made from: copied as it was, and the view still shows the new rows.
    wh.write_shard(target, "samples-2", {"samples": [sample("b", query="new", created_at=later)]})
    done = wh.publish(target)
    assert set(wh.tables()) - set(done.copied) == {"samples"} and not done.derived
    _, rows, expected = dataset(target)
    assert rows == expected and {r[0]: r[4] for r in rows}["b"] == "new"

    stamp = target.stat()
    assert wh.publish(target).unchanged and target.stat().st_ino == stamp.st_ino


def test_labels_of_one_action_from_two_sources_come_in_source_order(tmp_path: Path) -> None:
    target = warehouse(tmp_path)
    wh.write_shard(target, "judge", {"step_labels": [label("e", 0, 0) | {"source": "judge"},
                                                     label("e", 1, -1) | {"source": "judge"}]})
    wh.publish(target)
    _, rows, expected = dataset(target)
    got = {r[0]: r for r in rows}
    assert got["e"][12:] == ([], 2, 1, 1, [0, 1, -1, 1])  # position 0: judge, static; then position 1
    # the view over the base tables gives the same labels, in some order of the sources
    assert [r[:16] for r in rows] == [r[:16] for r in expected]
    assert [sorted(r[16]) for r in rows] == [sorted(r[16]) for r in expected]
