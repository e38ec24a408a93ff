"""Gates: stages that only decide about samples. A gate's ``check`` looks at one sample and returns
``None`` (keep), a ``Drop`` with its reason, or ``Unknown`` when the check itself could not be made
(the sample is then neither kept nor dropped, and never counted as a failure). The gate's runner
writes one ``verdicts`` row per sample; the stage contract does the rest."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ..code.from_code import from_code
from ..shortcut.errors import ShortcutError
from ..shortcut.model import Workflow
from ..warehouse.reader import ShardReader
from .contract import ARRIVAL, Batch, Output, Settings, Stage, batches_by_id, now


@dataclass(frozen=True)
class Drop:
    reason: str  # a slug, e.g. 'too-few-actions'
    detail: str = ""


@dataclass(frozen=True)
class Unknown:
    reason: str
    detail: str = ""


Verdict = Drop | Unknown | None


@dataclass(frozen=True)
class Sample:
    """What a check sees of one ok sample: its row and its workflow (from the stored shortcut for a
    seed, else read back from its code, never run); ``workflow`` is None when neither could be had,
    and ``problem`` says why."""

    row: dict[str, Any]
    workflow: Workflow | None
    problem: str = ""

    @property
    def sample_id(self) -> str:
        return str(self.row["sample_id"])


G = TypeVar("G", bound=Settings)
COLUMNS = "sample_id, shortcut_id, origin, query, apis, task_plan, workflow_code, action_count"


def gate(name: str, check: Callable[[Sample, G], Verdict], settings: type[G], code: tuple[str, ...],
         batch_size: int = 2000, reads: Callable[[Mapping[str, Any]], bool] = lambda row: True) -> Stage[G]:
    """A gate stage over every ok sample, in batches keyed by the samples' content. ``reads(row)``:
    whether the check needs that sample's workflow (reading it is most of a gate's cost)."""

    def plan(reader: ShardReader, s: G) -> list[Batch]:
        rows = reader.rows("samples", "sample_id, sha256(concat_ws('\x00', query, task_plan, workflow_code))",
                           where="status = 'ok'", order=ARRIVAL)
        return batches_by_id(rows, batch_size)

    def run(batch: Batch, reader: ShardReader, s: G) -> Output:
        at = now()
        out, counts = [], {"keep": 0, "drop": 0, "unknown": 0}
        for sample in samples(reader, batch.items, reads):
            try:
                verdict = check(sample, s)
            except Exception as exc:  # a broken check decides nothing
                verdict = Unknown("check-error", f"{type(exc).__name__}: {exc}")
            kind = "keep" if verdict is None else "drop" if isinstance(verdict, Drop) else "unknown"
            counts[kind] += 1
            out.append({"sample_id": sample.sample_id, "gate": name, "verdict": kind,
                        "reason": getattr(verdict, "reason", None), "detail": getattr(verdict, "detail", None),
                        "decided_at": at})
        return Output({"verdicts": out}, counts=counts, items=len(out), failures=_tally(out))

    return Stage(name=name, reads=("samples", "plists"), writes=("verdicts",),
                 code=(*code, __name__, "workflowbench.code", "workflowbench.shortcut"),
                 settings=settings, plan=plan, run=run, retention="covered")


def _tally(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Unknown verdicts by reason: the gate's own failures (a drop is a decision, not a failure)."""
    return dict(Counter(f"unknown: {v['reason']}" for v in rows if v["verdict"] == "unknown"))


def samples(reader: ShardReader, ids: tuple[str, ...], reads: Callable[[Mapping[str, Any]], bool] = lambda row: True
            ) -> list[Sample]:
    rows = reader.rows("samples", COLUMNS, ids=ids, where="status = 'ok'", order="sample_id")
    keys = [c.strip() for c in COLUMNS.split(",")]
    dicts = [dict(zip(keys, r)) for r in rows]
    stored = reader.workflows([d["shortcut_id"] for d in dicts
                               if d["origin"] == "seed" and d["shortcut_id"] and reads(d)])
    out = []
    for d in dicts:
        if not reads(d):
            out.append(Sample(d, None, "not read: the check does without it"))
            continue
        wf = stored.get(d["shortcut_id"]) if d["origin"] == "seed" else None
        if wf is not None:
            out.append(Sample(d, wf))
            continue
        try:
            out.append(Sample(d, from_code(d["workflow_code"] or "", source=d["sample_id"])))
        except ShortcutError as exc:  # CodeError names the line it cannot map
            out.append(Sample(d, None, f"{type(exc).__name__}: {exc}"))
    return out
