"""The negatives stage: for a share of the samples in a split (the ``dataset`` view's), corrupted
copies of their code with a known label on every step (``workflowbench.checks.negatives``), in
table ``negatives``. They are never samples: the dataset and its splits hold positives only, and a
negative keeps its source's split so a reward model is trained and tested on the same sides."""

from __future__ import annotations

import hashlib
from typing import Any

import pyarrow as pa
from pydantic import Field, field_validator

from ..checks.negatives import KINDS, negatives
from ..warehouse.reader import ShardReader
from ..warehouse.schema import table
from .contract import ARRIVAL, Batch, Output, Settings, Stage, batches_by_id, now
from .rules import shared_catalog

STAGE = "negatives"
CHUNK = 250  # samples read and corrupted at once
NEGATIVES_SCHEMA = table("negatives").arrow


class NegativesSettings(Settings):
    share: float = Field(0.1, ge=0, le=1)  # of the samples in a split
    kinds: tuple[str, ...] = KINDS
    seed: int = Field(0, ge=0)
    batch_size: int = Field(2000, ge=1, le=1_000_000)
    unversioned = frozenset({"batch_size"})

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(v) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown corruptions {sorted(unknown)}; they are {list(KINDS)}")
        return v


def chosen(sample_id: str, share: float, seed: int) -> bool:
    h = hashlib.sha256(f"{seed}:negative:{sample_id}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(h[:8], "big") / 2**64 < share


def plan(reader: ShardReader, settings: NegativesSettings) -> list[Batch]:
    if settings.share == 0:
        return []
    split = dict(reader.rows("splits", "sample_id, split", where="split <> 'excluded'"))
    rows = [r for r in reader.rows("samples", "sample_id, sha256(coalesce(workflow_code, ''))", where="status = 'ok'",
                                   order=ARRIVAL) if r[0] in split and chosen(r[0], settings.share, settings.seed)]
    inputs = tuple((t, ",".join(reader.shards(t))) for t in ("apis", "api_params", "apps", "splits"))
    return batches_by_id(rows, settings.batch_size, inputs)


def run(batch: Batch, reader: ShardReader, settings: NegativesSettings) -> Output:
    catalog = shared_catalog(reader)
    split = dict(reader.rows("splits", "sample_id, split", ids=batch.items))
    at = now()
    made_rows: list[pa.RecordBatch] = []
    failures: dict[str, int] = {}
    kinds: dict[str, int] = {}
    # A part of the batch at a time: each negative is a whole copy of its sample's code, so a part's
    # rows are kept as Arrow (compact UTF-8) before the next part is read.
    for _, part in reader.chunks("samples", "sample_id, workflow_code, query, task_plan", ids=batch.items,
                                 size=CHUNK, where="status = 'ok'", order="sample_id"):
        out: list[dict[str, Any]] = []
        for sample_id, code, query, plan_text in part:
            try:
                made = negatives(code or "", catalog, f"{settings.seed}:{sample_id}", settings.kinds)
            except Exception as exc:  # one odd sample must not stop its batch: it gets no negative
                reason = f"error: {type(exc).__name__}"
                failures[reason] = failures.get(reason, 0) + 1
                continue
            for n in made:
                out.append({"negative_id": f"{sample_id}~{n.kind}", "sample_id": sample_id,
                            "split": split.get(sample_id), "kind": n.kind, "position": n.position, "query": query,
                            "task_plan": plan_text, "workflow_code": n.code, "labels": [lb.label for lb in n.labels],
                            "reasons": [lb.reason for lb in n.labels], "lines": [lb.line for lb in n.labels],
                            "created_at": at})
                kinds[n.kind] = kinds.get(n.kind, 0) + 1
        made_rows.append(pa.RecordBatch.from_pylist(out, schema=NEGATIVES_SCHEMA))
    return Output({"negatives": pa.Table.from_batches(made_rows, schema=NEGATIVES_SCHEMA)}, items=len(batch.items),
                  counts=kinds, failures=failures)


NEGATIVES: Stage[NegativesSettings] = Stage(
    name=STAGE, reads=("samples", "splits", "apis", "api_params", "apps"), writes=("negatives",),
    code=("workflowbench.checks", "workflowbench.code", __name__), settings=NegativesSettings, plan=plan,
    run=run,
)
