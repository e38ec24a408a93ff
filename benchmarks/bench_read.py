"""Read + model throughput on the real corpus, against the floor of the stdlib parse alone.

    python -m benchmarks.bench_read [--rounds N] [--corpus PATH]

The floor parses the same bytes already unwrapped (the inner binary plist of signed files) with
``plistlib.loads`` / ``json.loads``; ours is ``read_shortcut`` on the file bytes: container
detection, AEA/LZFSE unwrapping with checks, the strict plist decoder and the typed model.
Both run in one process, alternating each round, so machine noise hits both; the figure that
counts is the median of the per-round ratios. Results go to stdout and benchmarks/results/.
"""

from __future__ import annotations

import json
import plistlib
import statistics
import time
from pathlib import Path

from benchmarks.common import alternate, arguments, report, representative
from workflowbench import read_shortcut
from workflowbench.shortcut.containers import DEFAULT_LIMITS, detect, extract_wflow, unwrap_aea


def load(corpus: Path) -> tuple[list[bytes], list[tuple[bool, bytes]], int]:
    rows = representative(corpus)
    files = [(corpus / r["path"]).read_bytes() for r in rows]
    inner = []
    for data in files:
        if data[:4] == b"AEA1":
            inner.append((False, extract_wflow(unwrap_aea(data, "bench", DEFAULT_LIMITS)[0], "bench")))
        else:
            inner.append((detect(data) == "json", data))
    return files, inner, sum(r["actions"] for r in rows)


def floor(inner: list[tuple[bool, bytes]]) -> float:
    start = time.perf_counter()
    for is_json, data in inner:
        json.loads(data) if is_json else plistlib.loads(data)
    return time.perf_counter() - start


def ours(files: list[bytes]) -> float:
    start = time.perf_counter()
    for data in files:
        read_shortcut(data)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    args = arguments(__doc__, argv)
    files, inner, actions = load(args.corpus)
    ours(files[:50]), floor(inner[:50])  # warm up imports and caches
    floors, reads = alternate(lambda: floor(inner), lambda: ours(files), args.rounds)
    ratios = [f / r for f, r in zip(floors, reads, strict=True)]  # = our throughput / floor throughput
    return report("bench_read", {
        "what": "read+model vs stdlib parse floor",
        "files": len(files),
        "actions": actions,
        "floor_actions_per_s_median": round(actions / statistics.median(floors)),
        "ours_actions_per_s_median": round(actions / statistics.median(reads)),
        "ratio_per_round": [round(r, 3) for r in ratios],
        "ratio_median": round(statistics.median(ratios), 3),
    }, args.rounds)


if __name__ == "__main__":
    main()
