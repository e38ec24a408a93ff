"""The specs stage: the catalog and the seed samples -> ``specs``, what each synthetic sample must
cover (``workflowbench.synth.specs``: category, level, APIs, example seeds).

Spec ``i`` of a ``seed`` depends only on ``(seed, i)`` and the inputs, so batches are ranges of
indexes keyed by the inputs' shards: asking for more specs adds only the new ranges, and a rerun
adds nothing. ``latest`` retention: specs a run no longer asks for (a smaller count, another seed)
leave the warehouse.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import Field, field_validator

from ..checks.splits import held_out, trains_on
from ..synth.specs import BUILTIN, DEFAULT_MIX, ApiInfo, Inputs, SeedInfo, Spec, check_mix, make_specs, summary
from ..warehouse.reader import ShardReader
from .contract import Batch, Output, Settings, Stage, now

STAGE = "specs"
BRANCHES = ("is.workflow.actions.conditional", "is.workflow.actions.choosefrommenu")
LOOPS = ("is.workflow.actions.repeat.count", "is.workflow.actions.repeat.each")


class SpecsSettings(Settings):
    count: int = Field(28, ge=0, le=10_000_000)  # specs to draw (the default: one per category)
    seed: int = Field(0, ge=0)
    mix: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_MIX))  # level -> share
    batch_size: int = Field(5000, ge=1, le=1_000_000)
    split_seed: int = Field(0, ge=0)  # the splits stage's: specs draw on training seeds and on apps not held out
    ood_share: float = Field(0.05, ge=0, lt=1)
    unversioned = frozenset({"batch_size", "count"})  # a range's specs do not depend on how many there are

    @field_validator("mix")
    @classmethod
    def _mix(cls, v: dict[str, float]) -> dict[str, float]:
        return check_mix(v)


def load_inputs(reader: ShardReader, split_seed: int = 0, ood_share: float = 0.05) -> Inputs:
    """The catalog's APIs of apps not held out, and the seeds of the training splits."""
    kinds = dict(reader.rows("apps", "bundle_id, kind"))
    rows = reader.rows("apis", "identifier, app, uses, tags", order="identifier")
    app_of = {i: app for i, app, _, _ in rows}
    apis = tuple(ApiInfo(i, app, kinds.get(app, BUILTIN if app == "shortcuts" else "third-party"), uses or 0,
                         tuple(tags) if isinstance(tags, list) else tuple(_tags(tags)))
                 for i, app, uses, tags in rows if not held_out(app, ood_share, split_seed))
    samples = [(sample, sid, used) for sample, sid, used in reader.rows(
        "samples", "sample_id, shortcut_id, apis", where="origin = 'seed' AND status = 'ok'", order="sample_id")
        if trains_on(sid, {app_of.get(a, "shortcuts") for a in used or ()}, split_seed, ood_share)]
    ids = [s for _, s, _ in samples]
    shape = {i: (n, d) for i, n, d in reader.rows("shortcuts", "id, action_count, max_depth", ids=ids)}
    blocks: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for sid, ident in reader.rows("actions", "shortcut_id, identifier", ids=ids, where="role = 'start'"):
        blocks[sid][0 if ident in BRANCHES else 1] += ident in BRANCHES or ident in LOOPS
    seeds = tuple(SeedInfo(sample, frozenset(used or ()), shape.get(sid, (0, 0))[0], blocks[sid][0], blocks[sid][1],
                           shape.get(sid, (0, 0))[1]) for sample, sid, used in samples)
    return Inputs(apis, seeds)


def _tags(raw: Any) -> list[str]:
    import json

    try:
        got = json.loads(raw) if isinstance(raw, str) else []
    except ValueError:
        return []
    return [t for t in got if isinstance(t, str)] if isinstance(got, list) else []


def load_specs(reader: ShardReader, ids: Any) -> list[Spec]:
    """The specs ``ids`` as written, in their order."""
    rows = reader.rows("specs", "spec_id, seed, position, category, level, apps, apis, builtin, examples",
                       ids=ids, order="seed, position")
    return [Spec(i, seed, pos, cat, lvl, tuple(apps), tuple(apis), b, tuple(ex))
            for i, seed, pos, cat, lvl, apps, apis, b, ex in rows]


def plan(reader: ShardReader, settings: SpecsSettings) -> list[Batch]:
    if settings.count == 0:
        return []
    inputs = (*((table, ",".join(reader.shards(table))) for table in ("apis", "apps", "shortcuts")),
              ("samples", ",".join(reader.shards("samples", "thoughts"))))  # the seeds', not synthetic ones
    size = settings.batch_size
    return [Batch((*inputs, ("range", f"{start}-{min(start + size, settings.count)}")),
                  (start, min(start + size, settings.count))) for start in range(0, settings.count, size)]


def run(batch: Batch, reader: ShardReader, settings: SpecsSettings) -> Output:
    start, end = batch.items
    inputs = load_inputs(reader, settings.split_seed, settings.ood_share)
    specs = make_specs(inputs, settings.seed, range(start, end), settings.mix)
    at, fingerprint = now(), inputs.fingerprint()
    rows = [{**s.row(), "inputs": fingerprint, "created_at": at} for s in specs]
    info = summary(specs)
    return Output({"specs": rows}, items=len(specs),
                  counts={"specs": len(specs), "distinct_api_sets": int(info["distinct_api_sets"])})  # type: ignore[call-overload]


SPECS: Stage[SpecsSettings] = Stage(
    name=STAGE, reads=("apis", "apps", "samples", "shortcuts", "actions"), writes=("specs",),
    code=("workflowbench.synth", "workflowbench.catalog.categories", __name__),
    settings=SpecsSettings, plan=plan, run=run,
)
