"""The sketch stage: the ``checks.dedup.Sketch`` of every ok sample's code (canonical hash and
MinHash signature), in batches by arrival like the gates', so they run in parallel and a larger
target only sketches what it adds. The dedup gate and the splits compare these instead of reading
every sample's code into one process; ``read_sketches`` gives them a part at a time, sketching a
sample itself when no row matches its current code and settings (code a later stage rewrote, a
sketch stage not run, other ``num_perm`` or ``shingle``), so their verdicts never depend on it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pydantic import Field

from ..checks.dedup import Sketch, sketches
from ..warehouse.reader import ShardReader
from .contract import ARRIVAL, Batch, Output, Settings, Stage, batches_by_id, now

STAGE = "sketch"
CODE_HASH = "sha256(coalesce(workflow_code, ''))"  # what a sketch row says it was made from
CODE_CHUNK = 1000  # samples whose code is read and sketched at once


class SketchParams(Settings):
    """How a sketch is made: the sketch stage's, and the dedup gate's and the splits' (which read the
    sketches made with their own)."""

    num_perm: int = Field(128, ge=16, le=1024)
    shingle: int = Field(5, ge=1, le=50)  # tokens per shingle


class SketchSettings(SketchParams):
    batch_size: int = Field(2000, ge=1, le=1_000_000)
    unversioned = frozenset({"batch_size"})


def plan(reader: ShardReader, settings: SketchSettings) -> list[Batch]:
    rows = reader.rows("samples", f"sample_id, {CODE_HASH}", where="status = 'ok'", order=ARRIVAL)
    return batches_by_id(rows, settings.batch_size)


def run(batch: Batch, reader: ShardReader, settings: SketchSettings) -> Output:
    hashes = dict(batch.inputs)
    made = made_from_code(reader, batch.items, settings)
    at = now()
    out = [{"sample_id": sid, "code_sha256": hashes[sid], "num_perm": settings.num_perm, "shingle": settings.shingle,
            "exact": sk.exact if sk else None, "minhash": sk.minhash if sk else None, "created_at": at}
           for sid, sk in made.items()]
    untokenized = sum(r["exact"] is None for r in out)
    return Output({"sketches": out}, items=len(out), counts={"sketched": len(out) - untokenized,
                                                            "untokenized": untokenized})


def made_from_code(reader: ShardReader, ids: Sequence[str], params: SketchParams) -> dict[str, Sketch | None]:
    """The sketch of each ok sample of ``ids`` (in their order), made from its code read ``CODE_CHUNK``
    samples at a time: a batch's code read at once held ~0.5 GB at its peak (8,000 samples, 79 MB of
    code), and two batches run side by side."""
    made: dict[str, Sketch | None] = {}
    for part, rows in reader.chunks("samples", "sample_id, workflow_code", ids=ids, size=CODE_CHUNK,
                                    where="status = 'ok'"):
        code = dict(rows)
        found = [s for s in part if s in code]
        made.update(zip(found, sketches([code[s] or "" for s in found], params.num_perm, params.shingle)))
    return made


def read_sketches(reader: ShardReader, wanted: Sequence[tuple[str, str]], params: SketchParams
                  ) -> Iterator[tuple[str, Sketch | None]]:
    """(sample id, sketch) of each (sample id, sha256 of its code) in ``wanted``, in that order, read a
    chunk of ids at a time (``ShardReader.chunks``); a sample with no sketch row for that code and
    these settings is sketched here from its code (None if it is no longer an ok sample)."""
    hashes = dict(wanted)
    for part, rows in reader.chunks("sketches", "sample_id, code_sha256, exact, minhash", ids=[s for s, _ in wanted],
                                    where=f"num_perm = {int(params.num_perm)} AND shingle = {int(params.shingle)}"):
        stored = {sid: Sketch(exact, bytes(minhash)) if exact is not None else None
                  for sid, h, exact, minhash in rows if h == hashes[sid]}
        missing = [s for s in part if s not in stored]
        if missing:
            stored.update(made_from_code(reader, missing, params))
        for sid in part:
            yield sid, stored.get(sid)


SKETCH: Stage[SketchSettings] = Stage(
    name=STAGE, reads=("samples",), writes=("sketches",), code=("workflowbench.checks.dedup", __name__),
    settings=SketchSettings, plan=plan, run=run, retention="latest",
)
