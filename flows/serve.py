"""Serve the deployments: ``build-bench/nightly`` (cron), ``build-bench/adhoc`` and
``crawl-routinehub/weekly`` (cron; it writes into raw_shortcuts/routinehub, which the nightly build
reads).

Run ``workflowbench serve`` (or ``python -m flows.serve``) with PREFECT_API_URL pointing at a
Prefect server; the process polls for scheduled and manual runs until stopped. The runner is a flow
parameter: ``workflowbench serve --runner dask [--dask-address ...]`` makes it the deployments'
default, and any run can set ``runner``, ``dask_address`` and ``dask_workers`` when it is triggered.
"""

from __future__ import annotations

from typing import Any

from prefect import serve

from flows.build_bench import build_bench
from flows.crawl_routinehub import crawl_routinehub
from flows.engine import Runner, check_runner

NIGHTLY_CRON = "0 3 * * *"  # 03:00 every day, server time zone UTC
WEEKLY_CRON = "0 1 * * 0"  # 01:00 on Sundays: new shortcuts are in raw_shortcuts/ before the 03:00 build


def deployments(runner: Runner = "threads", dask_address: str | None = None,
                dask_workers: int | None = None) -> list:
    check_runner(runner, dask_address, dask_workers)
    # Only a runner other than the flow's default is written into the deployments' parameters.
    chosen: dict[str, Any] = {} if runner == "threads" else {
        k: v for k, v in {"runner": runner, "dask_address": dask_address, "dask_workers": dask_workers}.items()
        if v is not None}
    return [
        build_bench.to_deployment(
            name="nightly", cron=NIGHTLY_CRON, tags=["workflowbench", "scheduled"], parameters=chosen,
            description="Nightly rebuild of the warehouse from raw_shortcuts/ on the default settings.",
        ),
        build_bench.to_deployment(
            name="adhoc", tags=["workflowbench", "manual"], parameters=chosen,
            description="On-demand build; override sources, warehouse, batch_size, catalogs, llm_base_url, model, "
                        "llm_options, thoughts_budget, settings (per stage), roles (an endpoint per role) or "
                        "runner ('threads' or 'dask', with dask_address or dask_workers) when triggering (API keys "
                        "come from the serving process's OPENAI_API_KEY or WORKFLOWBENCH_<ROLE>_API_KEY).",
        ),
        crawl_routinehub.to_deployment(
            name="weekly", cron=WEEKLY_CRON, tags=["workflowbench", "scheduled", "crawl"],
            description="Weekly crawl of RoutineHub into raw_shortcuts/routinehub (read by build-bench): new "
                        "shortcuts only; trigger with refresh=true to look for new versions. Polite by default: "
                        "one request per 1.5-2.5 s, robots.txt, an allow-list of hosts.",
        ),
    ]


def main(runner: Runner = "threads", dask_address: str | None = None, dask_workers: int | None = None) -> None:
    serve(*deployments(runner, dask_address, dask_workers))


if __name__ == "__main__":
    main()
