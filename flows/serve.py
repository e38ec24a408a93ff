"""Serve the deployments: ``build-bench/nightly`` (cron), ``build-bench/adhoc`` and
``crawl-routinehub/weekly`` (cron; it writes into raw_shortcuts/routinehub, which the nightly build
reads).

Run ``workflowbench serve`` (or ``python -m flows.serve``) with PREFECT_API_URL pointing at a
Prefect server; the process polls for scheduled and manual runs until stopped.
"""

from __future__ import annotations

from prefect import serve

from flows.build_bench import build_bench
from flows.crawl_routinehub import crawl_routinehub

NIGHTLY_CRON = "0 3 * * *"  # 03:00 every day, server time zone UTC
WEEKLY_CRON = "0 1 * * 0"  # 01:00 on Sundays: new shortcuts are in raw_shortcuts/ before the 03:00 build


def deployments() -> list:
    return [
        build_bench.to_deployment(
            name="nightly", cron=NIGHTLY_CRON, tags=["workflowbench", "scheduled"],
            description="Nightly rebuild of the warehouse from raw_shortcuts/ on the default settings.",
        ),
        build_bench.to_deployment(
            name="adhoc", tags=["workflowbench", "manual"],
            description="On-demand build; override sources, warehouse, batch_size, catalogs, llm_base_url, model, "
                        "llm_options, thoughts_budget, settings (per stage) or roles (an endpoint per role) "
                        "when triggering (API keys come from the serving process's OPENAI_API_KEY or "
                        "WORKFLOWBENCH_<ROLE>_API_KEY).",
        ),
        crawl_routinehub.to_deployment(
            name="weekly", cron=WEEKLY_CRON, tags=["workflowbench", "scheduled", "crawl"],
            description="Weekly crawl of RoutineHub into raw_shortcuts/routinehub (read by build-bench): new "
                        "shortcuts only; trigger with refresh=true to look for new versions. Polite by default: "
                        "one request per 1.5-2.5 s, robots.txt, an allow-list of hosts.",
        ),
    ]


def main() -> None:
    serve(*deployments())


if __name__ == "__main__":
    main()
