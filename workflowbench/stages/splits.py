"""The splits stage: the kept samples (ok, no gate's drop; an unknown verdict keeps a sample unless
``keep_unknown`` is off) into train / reward / dev / test / ood, with the reason for each, and the
ones that would leak into a held-out split ``excluded`` (``workflowbench.checks.splits``). One
batch holds every kept sample: decontamination compares them all, by their sketches
(``stages.sketch``, the dedup gate's measure), read a part at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import Field

from ..checks.dedup import Sketch
from ..checks.splits import Member, assign
from ..warehouse.reader import ShardReader
from .contract import Batch, Output, Stage, now
from .sketch import CODE_HASH, SketchParams, read_sketches

STAGE = "splits"
MEMBERS = 20_000  # samples per query of the members: each scans the table once


class SplitsSettings(SketchParams):  # the sketches compared, as the dedup gate's
    split_seed: int = Field(0, ge=0)
    ood_share: float = Field(0.05, ge=0, lt=1)  # of the third-party apps, held out with every seed using them
    threshold: float = Field(0.8, gt=0, le=1)  # near duplicates across splits (the dedup gate's measure)
    keep_unknown: bool = True  # a sample some gate could not decide on is kept, flagged in `dataset`


def kept(reader: ShardReader, keep_unknown: bool) -> list[tuple[str, str]]:
    """(sample_id, content hash) of the kept samples."""
    against = "verdict = 'drop'" if keep_unknown else "verdict IN ('drop', 'unknown')"
    out = {s for (s,) in reader.rows("verdicts", "DISTINCT sample_id", where=against)}
    rows = reader.rows("samples", "sample_id, sha256(concat_ws('\x00', workflow_code, CAST(apis AS VARCHAR), "
                       "CAST(lineage AS VARCHAR)))", where="status = 'ok'", order="sample_id")
    return [(s, h) for s, h in rows if s not in out]


def plan(reader: ShardReader, settings: SplitsSettings) -> list[Batch]:
    rows = kept(reader, settings.keep_unknown)
    return [Batch(tuple(rows), tuple(s for s, _ in rows))] if rows else []


def run(batch: Batch, reader: ShardReader, settings: SplitsSettings) -> Output:
    apps = {i: a for i, a in reader.rows("apis", "identifier, app")}
    found: dict[str, Member] = {}
    code_hash: dict[str, str] = {}
    # a part at a time, only one part's lineage text held at once; the parts in the order the shards
    # hold them, so each part reads a few shards' code, not every shard's
    for _, rows in reader.chunks("samples", f"sample_id, origin, shortcut_id, apis, lineage, {CODE_HASH}",
                                 ids=reader.by_place("samples", batch.items), size=MEMBERS, where="status = 'ok'"):
        for sid, origin, shortcut, apis, lineage, h in rows:
            found[sid] = Member(sid, origin, shortcut, frozenset(apps.get(a, "shortcuts") for a in apis or ()),
                                _drew_on(lineage))
            code_hash[sid] = h
    members = [found[s] for s in sorted(found)]  # in sample id order, whatever order they were read in

    def sketched(ids: Sequence[str]) -> Iterator[tuple[str, Sketch | None]]:
        return read_sketches(reader, [(s, code_hash[s]) for s in ids], settings)

    at = now()
    assigned = assign(members, settings.split_seed, settings.ood_share, settings.threshold, sketched,
                      settings.num_perm)
    out = [{"sample_id": a.sample_id, "split": a.split, "reason": a.reason, "created_at": at} for a in assigned]
    counts: dict[str, int] = {}
    for a in assigned:
        counts[a.split] = counts.get(a.split, 0) + 1
    return Output({"splits": out}, items=len(out), counts=counts)


def _drew_on(lineage: Any) -> tuple[str, ...]:
    try:
        got = json.loads(lineage) if isinstance(lineage, str) else lineage or {}
    except ValueError:
        return ()
    seeds = [*(got.get("examples") or ()), *(got.get("fragments") or ())] if isinstance(got, dict) else []
    return tuple(dict.fromkeys(s for s in seeds if isinstance(s, str)))


SPLITS: Stage[SplitsSettings] = Stage(
    name=STAGE, reads=("samples", "verdicts", "apis", "sketches"), writes=("splits",),
    code=("workflowbench.checks.splits", "workflowbench.checks.dedup", "workflowbench.stages.sketch", __name__),
    settings=SplitsSettings, plan=plan, run=run, retention="latest",
)
