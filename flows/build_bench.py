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
from workflowbench.transpile_stage import TRANSPILER_VERSION

DEFAULT_SOURCES = ["raw_shortcuts"]
DEFAULT_BATCH_SIZE = 500


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
        "\n### Transpile failures by reason\n\n" + table("reason", summary["transpile_rejects"])
    )


@flow(name="build-bench", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=True)
def build_bench(
    sources: list[str] | None = None,
    warehouse: str = str(wh.DEFAULT_WAREHOUSE),
    batch_size: int = DEFAULT_BATCH_SIZE,
    catalogs: str | None = None,
) -> dict[str, Any]:
    """Ingest shortcut files from ``sources`` into the DuckDB warehouse and transpile them to code."""
    logger = get_run_logger()
    files = discover(sources or DEFAULT_SOURCES)
    planned = list(batches(files, batch_size))
    logger.info("%d files in %d batches of up to %d", len(files), len(planned), batch_size)
    futures = ingest_task.map(planned, warehouse=unmapped(warehouse))
    results = [f.result() for f in futures]
    catalog_task(warehouse, catalogs)
    publish_task(warehouse)
    summary = summarize(warehouse)
    run = {"warehouse": warehouse, "files": len(files), "batches": len(planned),
           "skipped": sum(r["skipped"] for r in results)}
    create_markdown_artifact(key="build-bench-report", markdown=report_markdown(summary, run),
                             description="Files, shortcuts, actions, rejects and transpiled code of this build")
    create_markdown_artifact(key="catalog-report", markdown=catalog_markdown(catalog_summary(warehouse)),
                             description="The API catalog of this build")
    rejected = Counter(dict(summary["rejects"]))
    logger.info("warehouse %s: %d shortcuts, %d actions, %d rejects; code %d ok, %d failed", warehouse,
                summary["shortcuts"], summary["actions"], sum(rejected.values()), summary["code"]["ok"],
                summary["code"]["failed"])
    return {**run, **{k: summary[k] for k in ("shortcuts", "actions", "code")}, "rejects": dict(rejected)}
