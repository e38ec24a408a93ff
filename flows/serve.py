"""Serve the build-bench deployments: ``build-bench/nightly`` (cron) and ``build-bench/adhoc``.

Run ``workflowbench serve`` (or ``python -m flows.serve``) with PREFECT_API_URL pointing at a
Prefect server; the process polls for scheduled and manual runs until stopped.
"""

from __future__ import annotations

from prefect import serve

from flows.build_bench import build_bench

NIGHTLY_CRON = "0 3 * * *"  # 03:00 every day, server time zone UTC


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
    ]


def main() -> None:
    serve(*deployments())


if __name__ == "__main__":
    main()
