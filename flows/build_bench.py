"""The ``build-bench`` flow: each stage is a pure batch function (workflowbench.*) wired in by a
thin task. Tasks take a batch of hundreds of files, never one, because a task run costs ~10 ms."""

from __future__ import annotations

from collections import Counter
from typing import Any

from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from workflowbench import warehouse as wh
from workflowbench.catalog.stage import catalog_to_shard
from workflowbench.ingest import SourceFile, batches, discover, ingest_to_shard
from workflowbench.llm import LLMConfig
from workflowbench.llm.config import resolve
from workflowbench.thoughts import stage as thoughts
from workflowbench.transpile_stage import TRANSPILER_VERSION

DEFAULT_SOURCES = ["raw_shortcuts"]
DEFAULT_BATCH_SIZE = 500
THOUGHTS_BATCH = 500  # seeds per thoughts task: with an endpoint, a batch is ~3 requests per seed in flight


@task(name="ingest-transpile-batch", cache_policy=NO_CACHE, retries=1)
def ingest_task(files: list[SourceFile], warehouse: str) -> dict[str, Any]:
    """Ingest one batch, then transpile the shortcuts it read (stage ``transpile``, on the workflows
    already in memory), into one shard; a batch whose shard exists (same files, same bytes, same
    transpiler version) is skipped."""
    done = ingest_to_shard(files, warehouse)
    if not done["skipped"]:
        get_run_logger().info("ingest: %d shortcuts, %d rejected; transpile: %d ok, %d failed", done["shortcuts"],
                              done["rejected"], done["transpiled"], done["transpile_failed"])
    return done


@task(name="catalog", cache_policy=NO_CACHE)
def catalog_task(warehouse: str, catalogs: str | None) -> dict[str, Any]:
    """Merge the public catalogs (if given) with the ingested corpus into the catalog shard."""
    done = catalog_to_shard(warehouse, catalogs)
    if not done["skipped"]:
        get_run_logger().info("catalog: %d APIs over %d apps, %d findings", done["apis"], done["apps"],
                              done["findings"])
    for problem in done.get("problems", []):
        get_run_logger().warning("catalog source: %s", problem)
    return done


@task(name="thoughts-batch", cache_policy=NO_CACHE)
def thoughts_task(seeds: list[tuple[str, str]], warehouse: str, config: LLMConfig | None,
                  budget: int) -> dict[str, Any]:
    """Comments, plan and query for one batch of seed shortcuts into a samples shard (LLM calls are
    throttled in-process; the task itself is never retried, the calls are)."""
    done = thoughts.thoughts_to_shard(warehouse, seeds, config, budget)
    if not done["skipped"]:
        get_run_logger().info("thoughts: %d ok, %d failed, %d live LLM calls", done["ok"], done["failed"],
                              done["calls"])
    return done


@task(name="publish-warehouse", cache_policy=NO_CACHE)
def publish_task(warehouse: str) -> dict[str, int]:
    return wh.publish(warehouse).counts


def catalog_summary(warehouse: str) -> dict[str, Any]:
    """Figures for the catalog report, read back from the published warehouse."""
    with wh.connect(warehouse) as con:
        def rows(sql: str) -> list[tuple[Any, ...]]:
            return con.execute(sql).fetchall()

        return {
            "by_kind": rows("SELECT p.kind, count(*) FROM apis a JOIN apps p ON p.bundle_id = a.app "
                            "GROUP BY 1 ORDER BY 2 DESC, 1"),
            "apis": rows("SELECT count(*) FROM apis")[0][0],
            "apps": rows("SELECT count(*) FROM apps")[0][0],
            "top_apps": rows("SELECT coalesce(p.name, p.bundle_id), p.api_count FROM apps p "
                             "ORDER BY 2 DESC, 1 LIMIT 10"),
            "coverage": rows("SELECT count(*), count(*) FILTER (WHERE a.description IS NOT NULL) FROM actions x "
                             "LEFT JOIN apis a ON a.identifier = x.identifier")[0],
            "enum_params": rows("SELECT count(*) FROM api_params WHERE enum_values IS NOT NULL")[0][0],
            "findings": rows("SELECT reason, count(*) FROM catalog_findings GROUP BY 1 ORDER BY 2 DESC, 1"),
            "valid": rows("SELECT count(*), count(*) FILTER (WHERE f.position IS NULL) FROM actions x LEFT JOIN "
                          "(SELECT DISTINCT shortcut_id, position FROM catalog_findings "
                          " WHERE reason <> 'unknown-key') f USING (shortcut_id, position)")[0],
        }


def catalog_markdown(s: dict[str, Any]) -> str:
    def table(head: str, items: list[tuple[Any, ...]]) -> str:
        lines = [f"| {head} | count |", "|---|---:|"] + [f"| {k} | {v:,} |" for k, v in items]
        return "\n".join(lines if items else [*lines, "| (none) | 0 |"]) + "\n"

    total, described = s["coverage"]
    actions, valid = s["valid"]
    return (
        "# API catalog\n\n"
        f"**{s['apis']:,} APIs** over **{s['apps']:,} apps**; {s['enum_params']:,} parameters with enum values.\n\n"
        f"Corpus action occurrences covered by an API with a description: {described:,} of {total:,} "
        f"({described / max(1, total):.2%}). Actions that validate against their API's schema (unknown keys "
        f"aside): {valid:,} of {actions:,} ({valid / max(1, actions):.2%}).\n\n"
        "## APIs by app kind\n\n" + table("kind", s["by_kind"]) +
        "\n## Top apps\n\n" + table("app", s["top_apps"]) +
        "\n## Validation findings by reason\n\n" + table("reason", s["findings"])
    )


def summarize(warehouse: str) -> dict[str, Any]:
    """Figures for the run report, read back from the published warehouse."""
    with wh.connect(warehouse) as con:
        def rows(sql: str) -> list[tuple[Any, ...]]:
            return con.execute(sql).fetchall()

        return {
            "containers": rows("SELECT container, count(*) FROM files GROUP BY 1 ORDER BY 2 DESC, 1"),
            "shortcuts": rows("SELECT count(*) FROM shortcuts")[0][0],
            "actions": rows("SELECT count(*) FROM actions")[0][0],
            "defects": rows("SELECT kind, count(*) FROM defects GROUP BY 1 ORDER BY 2 DESC, 1"),
            "rejects": rows("SELECT reason, count(*) FROM rejects GROUP BY 1 ORDER BY 2 DESC, 1"),
            "code": dict.fromkeys(("ok", "failed"), 0) | dict(rows("SELECT status, count(*) FROM code GROUP BY 1")),
            "transpile_rejects": rows("SELECT reason, count(*) FROM rejects WHERE stage = 'transpile' "
                                      "GROUP BY 1 ORDER BY 2 DESC, 1"),
            "samples": rows("SELECT backend, model, status, count(*) FROM samples GROUP BY ALL ORDER BY ALL"),
            "sample_errors": rows("SELECT coalesce(split_part(error, ':', 1) || ':' || split_part(error, ':', 2), "
                                  "'') AS e, count(*) FROM samples WHERE status = 'failed' GROUP BY 1 "
                                  "ORDER BY 2 DESC, 1 LIMIT 10"),
            "llm_calls": rows("SELECT prompt, status, count(*), sum(attempts), sum(tokens_in), sum(tokens_out), "
                              "round(sum(cost), 4), round(median(latency_ms)) FROM llm_calls GROUP BY ALL "
                              "ORDER BY ALL"),
        }


def report_markdown(summary: dict[str, Any], run: dict[str, Any]) -> str:
    def table(head: str, pairs: list[tuple[Any, ...]]) -> str:
        body = "\n".join(f"| {k} | {v:,} |" for k, v in pairs) or "| (none) | 0 |"
        return f"| {head} | count |\n|---|---:|\n{body}\n"

    return (
        "# build-bench\n\n"
        f"Warehouse `{run['warehouse']}`: **{summary['shortcuts']:,} shortcuts**, "
        f"**{summary['actions']:,} actions**, **{summary['code']['ok']:,} transpiled to code** "
        f"({summary['code']['failed']:,} failed).\n\n"
        f"This run: {run['files']:,} files in {run['batches']} batches ({run['skipped']} unchanged and skipped).\n\n"
        "## Files by container format\n\n" + table("container", summary["containers"]) +
        "\n## Rejects by reason\n\n" + table("reason", summary["rejects"]) +
        "\n## Defects by kind\n\n" + table("kind", summary["defects"]) +
        "\n## Transpile stage\n\n"
        f"Each ingest batch transpiles the shortcuts it read to code (table `code`, transpiler version "
        f"{TRANSPILER_VERSION}); a failure is a `failed` row plus a reject with stage `transpile`.\n\n" +
        table("status", list(summary["code"].items())) +
        "\n### Transpile failures by reason\n\n" + table("reason", summary["transpile_rejects"]) +
        "\n## Thoughts stage (samples)\n\n"
        f"This run: {run.get('thoughts_calls', 0):,} live LLM calls "
        f"({run.get('thoughts_skipped', 0)} of {run.get('thoughts_batches', 0)} batches unchanged and skipped).\n\n"
        "| backend | model | status | samples |\n|---|---|---|---:|\n" +
        ("\n".join(f"| {b} | {m} | {s} | {n:,} |" for b, m, s, n in summary["samples"]) or "| (none) | | | 0 |") +
        "\n\n### Failed samples by reason\n\n" + table("reason", summary["sample_errors"]) +
        "\n### LLM calls (all runs)\n\n| prompt | status | calls | attempts | tokens in | tokens out | cost | "
        "median ms |\n|---|---|---:|---:|---:|---:|---:|---:|\n" +
        ("\n".join("| " + " | ".join(str(v) for v in r) + " |" for r in summary["llm_calls"]) or "| (none) |||||||") +
        "\n"
    )


@flow(name="build-bench", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=True)
def build_bench(
    sources: list[str] | None = None,
    warehouse: str = str(wh.DEFAULT_WAREHOUSE),
    batch_size: int = DEFAULT_BATCH_SIZE,
    catalogs: str | None = None,
    llm_base_url: str | None = None,
    model: str | None = None,
    llm_options: dict[str, Any] | None = None,
    thoughts_budget: int = thoughts.DEFAULT_BUDGET,
) -> dict[str, Any]:
    """Ingest shortcut files from ``sources`` into the DuckDB warehouse, transpile them to code, build
    the API catalog, and write a seed sample (comments, plan, query) for every shortcut. With no
    ``llm_base_url`` (nor $OPENAI_BASE_URL) the offline backend writes the thoughts; the API key is
    read from $OPENAI_API_KEY and is never a parameter."""
    logger = get_run_logger()
    files = discover(sources or DEFAULT_SOURCES)
    planned = list(batches(files, batch_size))
    logger.info("%d files in %d batches of up to %d", len(files), len(planned), batch_size)
    futures = ingest_task.map(planned, warehouse=unmapped(warehouse))
    results = [f.result() for f in futures]
    catalog_task(warehouse, catalogs)
    config = resolve(llm_base_url, model, **(llm_options or {}))
    logger.info("thoughts backend: %s", f"{config.model} at {config.base_url}" if config else "offline")
    seeds = thoughts.seed_ids(warehouse)
    seed_batches = [seeds[i:i + THOUGHTS_BATCH] for i in range(0, len(seeds), THOUGHTS_BATCH)]
    done = [f.result() for f in thoughts_task.map(seed_batches, warehouse=unmapped(warehouse),
                                                   config=unmapped(config), budget=unmapped(thoughts_budget))]
    thoughts.prune(warehouse, [d["key"] for d in done])
    publish_task(warehouse)
    summary = summarize(warehouse)
    run = {"warehouse": warehouse, "files": len(files), "batches": len(planned),
           "skipped": sum(r["skipped"] for r in results), "thoughts_batches": len(done),
           "thoughts_skipped": sum(d["skipped"] for d in done), "thoughts_calls": sum(d["calls"] for d in done)}
    create_markdown_artifact(key="build-bench-report", markdown=report_markdown(summary, run),
                             description="Files, shortcuts, actions, rejects and transpiled code of this build")
    create_markdown_artifact(key="catalog-report", markdown=catalog_markdown(catalog_summary(warehouse)),
                             description="The API catalog of this build")
    rejected = Counter(dict(summary["rejects"]))
    logger.info("warehouse %s: %d shortcuts, %d actions, %d rejects; code %d ok, %d failed", warehouse,
                summary["shortcuts"], summary["actions"], sum(rejected.values()), summary["code"]["ok"],
                summary["code"]["failed"])
    samples = Counter({status: n for _, _, status, n in summary["samples"]})
    return {**run, **{k: summary[k] for k in ("shortcuts", "actions", "code")}, "rejects": dict(rejected),
            "samples": dict(samples)}
