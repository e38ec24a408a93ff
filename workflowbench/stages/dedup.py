"""The dedup gate: exact and near duplicates among the ok samples no earlier gate dropped, seed and
synthetic together (``workflowbench.checks.dedup``). Seeds come first, in id order (so which seed
of a duplicate pair wins never depends on which batch or build wrote it first), then synthetic
samples, the earliest first, so a seed always wins over a synthetic copy of it; every other
sample of a duplicate group is ``drop`` with reason ``exact-duplicate`` or ``near-duplicate`` and
the sample it duplicates (and the estimated similarity) as the detail. One batch holds every
sample (a duplicate can be anywhere), compared by their sketches (``stages.sketch``), read a part at
a time: the gate holds one signature per sample, never every sample's code."""

from __future__ import annotations

from pydantic import Field

from ..checks.dedup import duplicates
from ..warehouse.reader import ShardReader
from .contract import Batch, Output, Stage, now
from .sketch import CODE_HASH, SketchParams, read_sketches

STAGE = "dedup"
LATER = ("dedup", "judge")  # gates after this one: their verdicts do not decide what is compared


class DedupSettings(SketchParams):  # the sketches compared: the sketch stage's made alike, others made here
    threshold: float = Field(0.8, gt=0, le=1)  # estimated Jaccard similarity of code shingles


def survivors(reader: ShardReader) -> list[tuple[str, str]]:
    """(sample_id, content hash) of the ok samples no earlier gate dropped: seeds by id, then
    synthetic samples, the earliest first."""
    later = ", ".join(f"'{g}'" for g in LATER)
    dropped = {s for (s,) in reader.rows("verdicts", "DISTINCT sample_id",
                                         where=f"verdict = 'drop' AND gate NOT IN ({later})")}
    rows = reader.rows("samples", f"sample_id, {CODE_HASH}", where="status = 'ok'",
                       order="origin <> 'seed', CASE WHEN origin <> 'seed' THEN created_at END, sample_id")
    return [(s, h) for s, h in rows if s not in dropped]


def plan(reader: ShardReader, settings: DedupSettings) -> list[Batch]:
    rows = survivors(reader)
    return [Batch(tuple(rows), tuple(s for s, _ in rows))] if rows else []


def run(batch: Batch, reader: ShardReader, settings: DedupSettings) -> Output:
    sketched = read_sketches(reader, batch.inputs, settings)
    found = {d.sample_id: d for d in duplicates(sketched, settings.threshold, settings.num_perm)}
    at = now()
    out = []
    for sid in batch.items:
        d = found.get(sid)
        out.append({"sample_id": sid, "gate": STAGE, "verdict": "keep" if d is None else "drop",
                    "reason": None if d is None else d.kind,
                    "detail": None if d is None else f"{d.of} (similarity {d.similarity:.2f})", "decided_at": at})
    drops = sum(d is not None for d in found.values())
    return Output({"verdicts": out}, items=len(out), counts={"keep": len(out) - drops, "drop": drops})


DEDUP: Stage[DedupSettings] = Stage(
    name=STAGE, reads=("samples", "verdicts", "sketches"), writes=("verdicts",),
    code=("workflowbench.checks.dedup", "workflowbench.stages.sketch", __name__),
    settings=DedupSettings, plan=plan, run=run, retention="latest",
)
