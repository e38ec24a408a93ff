"""Read + model throughput on the real corpus, against the floor of the stdlib parse alone.

    python -m benchmarks.bench_read [--rounds N] [--corpus PATH]

The floor parses the same bytes already unwrapped (the inner binary plist of signed files) with
``plistlib.loads`` / ``json.loads``; ours is ``read_shortcut`` on the file bytes: container
detection, AEA/LZFSE unwrapping with checks, the strict plist decoder and the typed model.
Both run in one process, alternating each round, so machine noise hits both; the figure that
counts is the median of the per-round ratios. Results go to stdout and benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import platform
import plistlib
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from workflowbench import read_shortcut
from workflowbench.containers import DEFAULT_LIMITS, detect, extract_wflow, unwrap_aea

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"


def load(corpus: Path) -> tuple[list[bytes], list[tuple[bool, bytes]], int]:
    rows = [json.loads(line) for line in (corpus / "MANIFEST.jsonl").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r["representative"]]  # each distinct shortcut once
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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)
    if not (args.corpus / "MANIFEST.jsonl").exists():
        raise SystemExit(f"corpus not found at {args.corpus}")
    files, inner, actions = load(args.corpus)
    ours(files[:50]), floor(inner[:50])  # warm up imports and caches
    floors, reads = [], []
    for i in range(args.rounds):
        if i % 2:
            reads.append(ours(files))
            floors.append(floor(inner))
        else:
            floors.append(floor(inner))
            reads.append(ours(files))
    ratios = [f / r for f, r in zip(floors, reads, strict=True)]  # = our throughput / floor throughput
    result = {
        "benchmark": "read+model vs stdlib parse floor",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "files": len(files),
        "actions": actions,
        "rounds": args.rounds,
        "floor_actions_per_s_median": round(actions / statistics.median(floors)),
        "ours_actions_per_s_median": round(actions / statistics.median(reads)),
        "ratio_per_round": [round(r, 3) for r in ratios],
        "ratio_median": round(statistics.median(ratios), 3),
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_read.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
