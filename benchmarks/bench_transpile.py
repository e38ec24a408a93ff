"""Read + transpile throughput on the real corpus, with read-only throughput in the same run.

    python -m benchmarks.bench_transpile [--rounds N] [--corpus PATH]

"read" is ``read_shortcut`` on each distinct shortcut's bytes; "read + transpile" adds ``to_code``
on the result. Both run in one process, alternating each round, so machine noise hits both; the
figures are medians over rounds, and the ratio is the median of per-round ratios. Results go to
stdout and benchmarks/results/. For reference, the original WorkflowLLM converter (string
concatenation, output mostly not valid Python) does about 18k actions/s on this kind of machine.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from benchmarks.common import alternate, arguments, report, representative
from workflowbench import read_shortcut, to_code

REFERENCE = 18_000  # actions/s of the original converter, as given in the issue


def load(corpus: Path) -> tuple[list[bytes], int]:
    rows = representative(corpus)
    return [(corpus / r["path"]).read_bytes() for r in rows], sum(r["actions"] for r in rows)


def read_only(files: list[bytes]) -> float:
    start = time.perf_counter()
    for data in files:
        read_shortcut(data)
    return time.perf_counter() - start


def read_transpile(files: list[bytes]) -> float:
    start = time.perf_counter()
    for data in files:
        to_code(read_shortcut(data))
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    args = arguments(__doc__, argv)
    files, actions = load(args.corpus)
    read_only(files[:50]), read_transpile(files[:50])  # warm up imports and caches
    reads, both = alternate(lambda: read_only(files), lambda: read_transpile(files), args.rounds)
    both_rate = actions / statistics.median(both)
    return report("bench_transpile", {
        "what": "read + transpile vs read only",
        "files": len(files),
        "actions": actions,
        "read_actions_per_s": round(actions / statistics.median(reads)),
        "read_transpile_actions_per_s": round(both_rate),
        "transpile_only_actions_per_s": round(actions / max(1e-9, statistics.median(both) - statistics.median(reads))),
        "median_ratio_read_transpile_to_read": round(
            statistics.median(r / b for r, b in zip(reads, both, strict=True)), 3),
        "reference_converter_actions_per_s": REFERENCE,
        "ratio_to_reference": round(both_rate / REFERENCE, 3),
    }, args.rounds)


if __name__ == "__main__":
    main()
