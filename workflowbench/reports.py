"""The run's reports: figures read back from the published warehouse, as the markdown artifacts
``build-bench-report`` and ``catalog-report``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

from . import warehouse as wh
from .stages.transpile import TRANSPILER_VERSION


def table(head: str, pairs: list[tuple[Any, ...]]) -> str:
    """A markdown table of (value, count) pairs."""
    body = "\n".join(f"| {k} | {v:,} |" for k, v in pairs) or "| (none) | 0 |"
    return f"| {head} | count |\n|---|---:|\n{body}\n"


def _rows(con: duckdb.DuckDBPyConnection) -> Callable[[str], list[tuple[Any, ...]]]:
    return lambda sql: con.execute(sql).fetchall()


def catalog_summary(warehouse: str) -> dict[str, Any]:
    """Figures for the catalog report, read back from the published warehouse."""
    with wh.connect(warehouse) as con:
        rows = _rows(con)
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


def build_summary(warehouse: str) -> dict[str, Any]:
    """Figures for the run report, read back from the published warehouse."""
    with wh.connect(warehouse) as con:
        rows = _rows(con)
        return {
            "containers": rows("SELECT container, count(*) FROM files GROUP BY 1 ORDER BY 2 DESC, 1"),
            "shortcuts": rows("SELECT count(*) FROM shortcuts")[0][0],
            "actions": rows("SELECT count(*) FROM actions")[0][0],
            "defects": rows("SELECT kind, count(*) FROM defects GROUP BY 1 ORDER BY 2 DESC, 1"),
            "rejects": rows("SELECT reason, count(*) FROM rejects GROUP BY 1 ORDER BY 2 DESC, 1"),
            "code": dict.fromkeys(("ok", "failed"), 0) | dict(rows("SELECT status, count(*) FROM code GROUP BY 1")),
            "transpile_rejects": rows("SELECT reason, count(*) FROM rejects WHERE stage = 'transpile' "
                                      "GROUP BY 1 ORDER BY 2 DESC, 1"),
            "samples": rows("SELECT origin, backend, model, status, count(*) FROM samples GROUP BY ALL ORDER BY ALL"),
            "sample_errors": rows("SELECT coalesce(split_part(error, ':', 1) || ':' || split_part(error, ':', 2), "
                                  "'') AS e, count(*) FROM samples WHERE status = 'failed' GROUP BY 1 "
                                  "ORDER BY 2 DESC, 1 LIMIT 10"),
            "llm_calls": rows("SELECT prompt, status, count(*), sum(attempts), sum(tokens_in), sum(tokens_out), "
                              "round(sum(cost), 4), round(median(latency_ms)) FROM llm_calls GROUP BY ALL "
                              "ORDER BY ALL"),
            "verdicts": rows("SELECT gate, verdict, coalesce(reason, ''), count(*) FROM verdicts GROUP BY ALL "
                             "ORDER BY ALL"),
            "labels": rows("SELECT s.origin, l.label, count(*) FROM step_labels l JOIN samples s USING (sample_id) "
                           "GROUP BY ALL ORDER BY ALL"),
            "label_reasons": rows("SELECT split_part(reason, ':', 1), count(*) FROM step_labels WHERE label = -1 "
                                  "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"),
            "splits": rows("SELECT split, reason, count(*) FROM splits GROUP BY ALL ORDER BY ALL"),
            "negatives": rows("SELECT kind, count(*), round(avg(list_count(list_filter(labels, lambda x: x = -1)) / "
                              "len(labels)), 3) FROM negatives GROUP BY 1 ORDER BY 1"),
            "positive_wrong": rows("SELECT round(sum(steps_wrong) / nullif(sum(len(labels)), 0), 3) FROM dataset"),
            "spec_levels": rows("SELECT level, count(*), round(avg(len(apis)), 2), round(avg(len(apps)), 2), "
                                "round(sum(builtin) / sum(len(apis)), 3) FROM specs GROUP BY 1 ORDER BY 1"),
            "spec_categories": rows("SELECT count(DISTINCT category), min(n), max(n) FROM (SELECT category, "
                                    "count(*) AS n FROM specs GROUP BY 1)"),
            "spec_sets": rows("SELECT count(*), count(DISTINCT list_sort(apis)) FROM specs")[0],
            "queries": rows("SELECT backend, model, status, count(*), round(avg(length(query))) FROM queries "
                            "GROUP BY ALL ORDER BY ALL"),
            "query_errors": rows("SELECT coalesce(split_part(error, ':', 1) || ':' || split_part(error, ':', 2), '') "
                                 "AS e, count(*) FROM queries WHERE status = 'failed' GROUP BY 1 ORDER BY 2 DESC, 1 "
                                 "LIMIT 10"),
            "synthetic": rows("SELECT p.level, s.backend, s.status, count(*), round(avg(len(s.apis)), 1) "
                              "FROM samples s JOIN specs p ON p.spec_id = s.spec_id WHERE s.origin = 'synthetic' "
                              "GROUP BY ALL ORDER BY ALL"),
            "synthetic_errors": rows("SELECT split_part(error, ':', 1), count(*) FROM samples WHERE origin = "
                                     "'synthetic' AND status = 'failed' GROUP BY 1 ORDER BY 2 DESC, 1"),
        }


def build_markdown(summary: dict[str, Any], run: dict[str, Any]) -> str:
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
        "| origin | backend | model | status | samples |\n|---|---|---|---|---:|\n" +
        ("\n".join(f"| {o} | {b} | {m} | {s} | {n:,} |" for o, b, m, s, n in summary["samples"])
         or "| (none) | | | | 0 |") +
        "\n\n### Failed samples by reason\n\n" + table("reason", summary["sample_errors"]) +
        "\n### LLM calls (all runs)\n\n| prompt | status | calls | attempts | tokens in | tokens out | cost | "
        "median ms |\n|---|---|---:|---:|---:|---:|---:|---:|\n" +
        ("\n".join("| " + " | ".join(str(v) for v in r) + " |" for r in summary["llm_calls"]) or "| (none) |||||||") +
        "\n\n## Gates (verdicts on ok samples)\n\nUnknown means the check could not be made; it is not a drop.\n\n"
        "| gate | verdict | reason | samples |\n|---|---|---|---:|\n" +
        ("\n".join(f"| {g} | {v} | {r} | {n:,} |" for g, v, r, n in summary["verdicts"]) or "| (none) | | | 0 |") +
        "\n\n## Step labels (static analysis, rules stage)\n\n"
        "| origin | label | actions |\n|---|---:|---:|\n" +
        ("\n".join(f"| {o} | {lb:+d} | {n:,} |" for o, lb, n in summary["labels"]) or "| (none) | | 0 |") +
        "\n\n### Wrong (-1) steps by reason\n\n" + table("reason", summary["label_reasons"]) +
        "\n## Splits\n\n" + "| split | reason | samples |\n|---|---|---:|\n" +
        ("\n".join(f"| {sp} | {r} | {n:,} |" for sp, r, n in summary["splits"]) or "| (none) | | 0 |") +
        "\n\n## Negatives (corrupted copies for reward models)\n\n"
        f"Share of -1 steps in the dataset's positives: {summary['positive_wrong'][0][0]}.\n\n"
        "| corruption | negatives | share of -1 steps |\n|---|---:|---:|\n" +
        ("\n".join(f"| {k} | {n:,} | {w} |" for k, n, w in summary["negatives"]) or "| (none) | 0 | |") +
        "\n\n## Specs stage (what synthetic samples must cover)\n\n" + _specs(summary) +
        "\n\n## Expand stage (a query per spec)\n\n"
        "Role `expand`; offline, the query is written from the workflow the offline annotator recombined.\n\n"
        "| backend | model | status | queries | mean characters |\n|---|---|---|---:|---:|\n" +
        ("\n".join(f"| {b} | {m} | {st} | {n:,} | {c} |" for b, m, st, n, c in summary["queries"])
         or "| (none) | | | 0 | |") +
        "\n\n### Failed queries by reason\n\n" + table("reason", summary["query_errors"]) +
        "\n## Synthesize stage (synthetic samples)\n\n"
        "Role `annotate`: a plan and code per query; offline, recombined from real seed fragments "
        "(not a language model).\n\n"
        "| level | backend | status | samples | distinct APIs per sample |\n|---|---|---|---:|---:|\n" +
        ("\n".join(f"| {lv} | {b} | {st} | {n:,} | {a} |" for lv, b, st, n, a in summary["synthetic"])
         or "| (none) | | | 0 | |") +
        "\n\n### Failed synthetic samples by reason\n\n" + table("reason", summary["synthetic_errors"]) + "\n"
    )


def _specs(summary: dict[str, Any]) -> str:
    total, distinct = summary["spec_sets"]
    if not total:
        return "No specs (`specs.count` is 0)."
    [(categories, least, most)] = summary["spec_categories"]
    return (f"{total:,} specs over {categories} categories ({least:,}-{most:,} each); "
            f"{distinct:,} distinct API sets.\n\n"
            "| level | specs | APIs per spec | apps per spec | built-in share |\n|---|---:|---:|---:|---:|\n" +
            "\n".join(f"| {lv} | {n:,} | {a} | {p} | {b} |" for lv, n, a, p, b in summary["spec_levels"]))
