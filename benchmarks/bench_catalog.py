"""Catalog throughput on the corpus: observing what the shortcuts show (``observe``) and checking
every action against its API's schema (``check_action``), in actions per second.

    python -m benchmarks.bench_catalog [--rounds N] [--corpus DIR]

The catalog is merged from ../shared/catalogs and the corpus once; then the two steps take turns
over the 888 distinct shortcuts for each round. Medians over rounds; benchmarks/results/bench_catalog.json.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from benchmarks.common import alternate, arguments, report, representative
from workflowbench import read_shortcut
from workflowbench.catalog.build import build_catalog
from workflowbench.catalog.sources import observe
from workflowbench.catalog.validate import check_action, validators
from workflowbench.shortcut.model import Workflow


def timed_observe(workflows: list[Workflow]) -> float:
    start = time.perf_counter()
    observe(workflows)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    args = arguments(__doc__, argv)
    workflows = [read_shortcut(args.corpus / r["path"]) for r in representative(args.corpus)]
    actions = sum(len(wf.actions) for wf in workflows)
    catalogs = Path(args.corpus).parent / "catalogs"
    catalog = build_catalog(catalogs if catalogs.is_dir() else None, workflows)
    by_id = {a.identifier: a for a in catalog.apis}
    checks = validators(catalog.apis)

    def timed_check() -> float:
        start = time.perf_counter()
        for wf in workflows:
            for action in wf.actions:
                check_action(action, by_id, checks)
        return time.perf_counter() - start

    observed, checked = alternate(lambda: timed_observe(workflows), timed_check, args.rounds)
    return report("bench_catalog", {
        "what": "observe and check_action over the corpus",
        "shortcuts": len(workflows),
        "actions": actions,
        "apis": len(catalog.apis),
        "observe_actions_per_s": round(actions / statistics.median(observed)),
        "check_actions_per_s": round(actions / statistics.median(checked)),
    }, args.rounds)


if __name__ == "__main__":
    main()
