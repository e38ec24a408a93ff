"""The ``build-bench`` flow: the pipeline is an ordered list of stages (``PIPELINE``); each stage
plans its batches from the shards, one Prefect task runs each batch through the stage contract's
runner, and the stage's retention is applied when its batches are done. Tasks take a batch of
hundreds of items, never one, because a task run costs ~10 ms. The batch tasks run on threads of
the flow's process or, with ``runner="dask"``, on Dask worker processes (``flows.engine``)."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from flows.crashed import mark_killed_runs
from flows.engine import Engine, Runner, check_runner, engine, per_worker
from flows.memory import release
from workflowbench import warehouse as wh
from workflowbench.llm import LLMOptions
from workflowbench.llm.config import resolve
from workflowbench.llm.preflight import check_endpoint
from workflowbench.llm.roles import ROLES, Role, check_roles, describe, endpoint
from workflowbench.quality import published_quality, quality_markdown
from workflowbench.reports import build_markdown, build_summary, catalog_markdown, catalog_summary
from workflowbench.stages import memo
from workflowbench.stages.catalog import CATALOG
from workflowbench.stages.contract import Batch, Result, Settings, Stage, StageFailed, finish, run_batch, verdict
from workflowbench.stages.dedup import DEDUP
from workflowbench.stages.expand import EXPAND
from workflowbench.stages.ingest import DEFAULT_SOURCES, INGEST, check_sources
from workflowbench.stages.judge import JUDGE
from workflowbench.stages.min_actions import MIN_ACTIONS
from workflowbench.stages.negatives import NEGATIVES
from workflowbench.stages.refine import REFINE
from workflowbench.stages.rules import RULES_STAGE
from workflowbench.stages.sketch import SKETCH
from workflowbench.stages.specs import SPECS, SpecsSettings
from workflowbench.stages.splits import SPLITS
from workflowbench.stages.synthesize import SYNTHESIZE
from workflowbench.stages.thoughts import DEFAULT_BUDGET, THOUGHTS
from workflowbench.warehouse.reader import ShardReader

PIPELINE: tuple[Stage[Any], ...] = (INGEST, CATALOG, THOUGHTS, SPECS, EXPAND, SYNTHESIZE, REFINE, MIN_ACTIONS,
                                    RULES_STAGE, SKETCH, DEDUP, JUDGE, SPLITS, NEGATIVES)
STAGES = {s.name: s for s in PIPELINE}
# Plans that read files outside the warehouse (the sources, the catalog files): always planned.
PLANNED_FROM_FILES = frozenset({INGEST.name, CATALOG.name})
DEFAULT_BATCH_SIZE = INGEST.settings().batch_size
# With a target size, the stages from specs to splits run again with more specs until the kept
# samples reach it: at most this many times more, each adding what the last round's keep rate says
# is missing.
TARGET_ROUNDS = 6
MIN_KEEP_RATE = 0.05  # a round never asks for more than 1 / this times what is missing
QUALITY_SAMPLE = 5000  # the report's sample quality figures are of at most this many samples


@task(cache_policy=NO_CACHE)
def stage_batch(stage: str, batch: Batch, warehouse: str, settings: Settings) -> Result:
    """One batch of one stage into its shard (skipped when that shard exists)."""
    result = run_batch(STAGES[stage], batch, warehouse, settings)
    if not result.skipped:
        get_run_logger().info("%s: %s; %d rejects, %d live LLM calls", stage,
                              ", ".join(f"{k} {v}" for k, v in result.counts.items()) or "no rows",
                              result.rejects, result.calls)
    return result


@task(name="publish-warehouse", cache_policy=NO_CACHE)
def publish_task(warehouse: str) -> dict[str, int]:
    done = wh.publish(warehouse)
    get_run_logger().info("publish: %s", "nothing changed, the file is as it was" if done.unchanged else
                          f"{len(done.counts) - len(done.copied)} tables from their shards, "
                          f"{len(done.copied)} unchanged ones copied, {len(done.derived)} derived ones made again")
    return done.counts


def run_in_tasks(stage: Stage[Any], warehouse: str, settings: Settings,
                 on: Engine | None = None) -> tuple[list[Batch], list[Result]]:
    """Plan ``stage``, run its batches as tasks (on the flow's task runner, or ``on`` Dask workers,
    each batch with one worker's share of the LLM limits), then apply its retention. A stage none of
    whose inputs changed since its last complete run is not planned again (``memo``)."""
    logger = get_run_logger()
    if stage.name not in PLANNED_FROM_FILES and (same := memo.unchanged(stage, warehouse, settings)) is not None:
        logger.info("%s: nothing it reads changed since its last complete run; its %d batches are skipped "
                    "without planning", stage.name, len(same))
        return [], same
    reader = memo.ListingReader(warehouse)
    planned = stage.plan(reader, settings)
    runner = stage_batch.with_options(name=stage.task_name, retries=stage.retries)
    if on is None or on.dask is None:
        futures = runner.map(unmapped(stage.name), planned, warehouse=unmapped(warehouse),
                             settings=unmapped(settings))
    else:  # what Task.map does with the flow's runner, on the build's Dask runner instead
        futures = on.dask.map(runner, {"stage": unmapped(stage.name), "batch": planned,
                                       "warehouse": unmapped(warehouse),
                                       "settings": unmapped(per_worker(settings, on.workers()))})
    results = [f.result() for f in futures]
    finish(stage, warehouse, results)
    logger.info("%s: %d batches (%d unchanged and skipped)", stage.name, len(results),
                sum(r.skipped for r in results))
    warning = verdict(stage, results)  # raises StageFailed when every item failed
    if warning:
        logger.warning(warning)
    if stage.name not in PLANNED_FROM_FILES:
        memo.remember(stage, warehouse, settings, reader, results)
    return planned, results


def drawn(warehouse: str, seed: int) -> int:
    """How many specs of ``seed`` the warehouse holds."""
    return len(ShardReader(warehouse).rows("specs", "spec_id", where=f"seed = {int(seed)}"))


def kept(warehouse: str) -> tuple[int, int]:
    """(samples in a split, synthetic ones among them): what the dataset holds once negatives are made."""
    reader = ShardReader(warehouse)
    placed = {s for (s,) in reader.rows("splits", "sample_id", where="split <> 'excluded'")}
    synthetic = {s for (s,) in reader.rows("samples", "sample_id", where="origin = 'synthetic' AND status = 'ok'")}
    return len(placed), len(placed & synthetic)


def reach(target: int, warehouse: str, specs: SpecsSettings, more: Callable[[SpecsSettings], None]) -> None:
    """Call ``more`` with more specs until ``target`` samples are kept. Each round asks for what is
    missing divided by the share of specs that became kept samples so far."""
    logger = get_run_logger()
    for _ in range(TARGET_ROUNDS):
        have, synthetic = kept(warehouse)
        count = specs.count
        if have >= target:
            logger.info("target %d kept samples: %d kept (%d synthetic from %d specs)", target, have, synthetic, count)
            return
        rate = max(MIN_KEEP_RATE, synthetic / count if count and synthetic else 1.0)
        add = math.ceil((target - have) / rate)
        logger.info("target %d kept samples: %d kept; %d more specs (%.1f%% of specs are kept)", target, have, add,
                    100 * rate)
        specs = specs.model_copy(update={"count": count + add})
        more(specs)
    have, _ = kept(warehouse)
    if have < target:
        logger.warning("target %d kept samples not reached after %d rounds: %d kept", target, TARGET_ROUNDS, have)


def stage_settings(given: dict[str, dict[str, Any]], overrides: dict[str, dict[str, Any]] | None
                   ) -> dict[str, Settings]:
    """Each stage's settings: the flow's own parameters, then ``settings`` per stage name (validated
    by the stage's settings class: unknown stages, unknown keys and out-of-range values are refused)."""
    overrides = overrides or {}
    unknown = set(overrides) - set(STAGES)
    if unknown:
        raise ValueError(f"settings for unknown stages {sorted(unknown)}; stages are {list(STAGES)}")
    return {s.name: s.settings(**(given.get(s.name, {}) | overrides.get(s.name, {}))) for s in PIPELINE}


@flow(name="build-bench", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=True)
def build_bench(
    sources: list[str] | None = None,
    warehouse: str = str(wh.DEFAULT_WAREHOUSE),
    batch_size: int = DEFAULT_BATCH_SIZE,
    catalogs: str | None = None,
    llm_base_url: str | None = None,
    model: str | None = None,
    llm_options: LLMOptions | None = None,
    thoughts_budget: int = DEFAULT_BUDGET,
    settings: dict[str, dict[str, Any]] | None = None,
    roles: dict[str, Role] | None = None,
    samples: int | None = None,
    runner: Runner = "threads",
    dask_address: str | None = None,
    dask_workers: int | None = None,
) -> dict[str, Any]:
    """Ingest shortcut files from ``sources`` into the DuckDB warehouse, transpile them to code, build
    the API catalog, write a seed sample (comments, plan, query) for every shortcut, and run the
    gates over the samples. With no ``llm_base_url`` (nor $OPENAI_BASE_URL) the offline backend
    writes the thoughts; the API key is read from $OPENAI_API_KEY and is never a parameter.
    ``settings`` sets any stage's settings by stage name, e.g. ``{"min-actions": {"min_actions": 5}}``.
    ``roles`` gives a role (``thoughts``, ...) its own endpoint, e.g. ``{"thoughts": {"base_url": "http://
    127.0.0.1:8000/v1", "model": "m"}}``; a role's key comes from $WORKFLOWBENCH_<ROLE>_API_KEY if set.
    ``samples``: the kept samples wanted (after every gate, in a split): synthetic samples are made
    until there are that many; a larger target later adds only the difference.
    ``runner`` runs the batches on ``threads`` of this process (the default) or on ``dask`` workers:
    a local cluster of ``dask_workers`` processes (default: one per core), or the cluster whose
    scheduler is at ``dask_address`` (e.g. ``tcp://10.0.0.5:8786``); each worker gets its share of
    the LLM limits, and publish runs once, at the end, in this process."""
    if samples is not None and samples < 1:
        raise ValueError(f"samples must be at least 1, not {samples}")
    logger = get_run_logger()
    try:
        if crashed := mark_killed_runs("build-bench"):
            logger.warning("marked %d runs that were killed as Crashed: %s", len(crashed), ", ".join(crashed))
    except Exception as exc:  # bookkeeping of old runs must never stop this one
        logger.warning("could not check for killed runs: %s", exc)
    if swept := wh.sweep(warehouse):
        logger.info("removed %d temporary files that killed runs left", swept)
    check_sources(sources or DEFAULT_SOURCES)
    check_runner(runner, dask_address, dask_workers)
    given = check_roles(roles)
    main = resolve(llm_base_url, model, llm_options)
    ends = {role: endpoint(role, main, given.get(role)) for role in ROLES}
    for url in {c.base_url: c for c in ends.values() if c is not None}.values():
        check_endpoint(url)
    for role, config in ends.items():
        logger.info("%s backend: %s", role, describe(config))
    # specs and synthesis draw only on what the splits put in training: they share its split settings
    policy = {k: v for k, v in ((settings or {}).get(SPLITS.name) or {}).items() if k in ("split_seed", "ood_share")}
    chosen = stage_settings({
        INGEST.name: {"sources": tuple(sources or DEFAULT_SOURCES), "batch_size": batch_size},
        CATALOG.name: {"catalogs": catalogs},
        THOUGHTS.name: {"budget": thoughts_budget, "llm": ends["thoughts"]},
        EXPAND.name: {"llm": ends["expand"]},
        SPECS.name: policy,
        SYNTHESIZE.name: {"llm": ends["annotate"], "expanded": ends["expand"] is not None, **policy},
        REFINE.name: {"llm": ends["refine"]},
        JUDGE.name: {"llm": ends["judge"]},
    }, settings)
    done: dict[str, tuple[int, list[Result]]] = {}  # stage -> items planned, batch results (not the batches)
    spent: dict[str, dict[str, float]] = {}  # stage -> wall and CPU seconds of this process, summed over rounds
    with engine(runner, dask_address, dask_workers) as on:
        if on.dask is not None:
            logger.info("batches run on %d Dask workers, each with 1/%d of the LLM limits", on.workers(),
                        on.workers())

        def run_stages(stages: tuple[Stage[Any], ...]) -> None:
            for stage in stages:
                wall, cpu = time.perf_counter(), time.process_time()
                try:
                    planned, results = run_in_tasks(stage, warehouse, chosen[stage.name], on)
                    done[stage.name] = (sum(len(b.items) for b in planned), results)
                except StageFailed:
                    publish_task(warehouse)  # what the failures left (rejects, failed rows) can be queried
                    raise
                if planned:  # what it planned and its batches shared: the next stage starts from a smaller process
                    release()
                took = spent.setdefault(stage.name, {"wall_s": 0.0, "cpu_s": 0.0})
                took["wall_s"] += time.perf_counter() - wall
                took["cpu_s"] += time.process_time() - cpu

        grow, last = PIPELINE.index(SPECS), PIPELINE.index(SPLITS) + 1

        def more(specs: SpecsSettings) -> None:  # more specs: the stages from specs to splits again
            chosen[SPECS.name] = specs
            run_stages(PIPELINE[grow:last])

        specs = chosen[SPECS.name]
        assert isinstance(specs, SpecsSettings)
        if samples is not None:  # no fewer specs than a build before this one drew: reruns only add
            chosen[SPECS.name] = specs = specs.model_copy(
                update={"count": max(specs.count, drawn(warehouse, specs.seed))})
        run_stages(PIPELINE[:last])
        if samples is not None:
            reach(samples, warehouse, specs, more)
        run_stages(PIPELINE[last:])
    published = time.perf_counter()
    publish_task(warehouse)
    publish_s = time.perf_counter() - published
    summary = build_summary(warehouse)
    files, ingest = done[INGEST.name]
    thoughts = done[THOUGHTS.name][1]
    run = {"warehouse": warehouse, "files": files,
           "batches": len(ingest), "skipped": sum(r.skipped for r in ingest),
           "thoughts_batches": len(thoughts), "thoughts_skipped": sum(r.skipped for r in thoughts),
           "thoughts_calls": sum(r.calls for r in thoughts)}
    ok = sum(n for _, _, _, status, n in summary["samples"] if status == "ok")
    report = build_markdown(summary, run) + "\n" + quality_markdown(
        published_quality(warehouse, limit=QUALITY_SAMPLE), of=ok)
    create_markdown_artifact(key="build-bench-report", markdown=report,
                             description="Files, shortcuts, actions, rejects, code, samples and gates of this build")
    create_markdown_artifact(key="catalog-report", markdown=catalog_markdown(catalog_summary(warehouse)),
                             description="The API catalog of this build")
    rejected = Counter(dict(summary["rejects"]))
    logger.info("warehouse %s: %d shortcuts, %d actions, %d rejects; code %d ok, %d failed", warehouse,
                summary["shortcuts"], summary["actions"], sum(rejected.values()), summary["code"]["ok"],
                summary["code"]["failed"])
    samples: Counter[str] = Counter()
    synthetic: Counter[str] = Counter()
    for origin, _, _, status, n in summary["samples"]:
        (samples if origin == "seed" else synthetic)[status] += n
    verdicts: dict[str, Counter[str]] = {}  # gate -> keep / drop / unknown
    for gate, decided, _, n in summary["verdicts"]:
        verdicts.setdefault(gate, Counter())[decided] += n
    return {**run, **{k: summary[k] for k in ("shortcuts", "actions", "code")}, "rejects": dict(rejected),
            "samples": dict(samples), "synthetic": dict(synthetic), "publish_s": round(publish_s, 2),
            "stages": {name: {k: round(v, 2) for k, v in t.items()} for name, t in spent.items()},
            "verdicts": {gate: dict(c) for gate, c in verdicts.items()}}
