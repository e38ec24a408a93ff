"""Read + transpile throughput on the real corpus, with read-only throughput in the same run.

    python -m benchmarks.bench_transpile [--rounds N] [--corpus PATH]

"read" is ``read_shortcut`` on each distinct shortcut's bytes; "read + transpile" adds ``to_code``
on the result. Both run in one process, alternating each round, so machine noise hits both; the
figures are medians over rounds, and the ratio is the median of per-round ratios. Results go to
stdout and benchmarks/results/. For reference, the original WorkflowLLM converter (string
concatenation, output mostly not valid Python) does about 18k actions/s on this kind of machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from workflowbench import read_shortcut, to_code

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
REFERENCE = 18_000  # actions/s of the original converter, as given in the issue


def load(corpus: Path) -> tuple[list[bytes], int]:
    rows = [json.loads(line) for line in (corpus / "MANIFEST.jsonl").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r["representative"]]  # each distinct shortcut once
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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)
    if not (args.corpus / "MANIFEST.jsonl").exists():
        raise SystemExit(f"corpus not found at {args.corpus}")
    files, actions = load(args.corpus)
    read_only(files[:50]), read_transpile(files[:50])  # warm up imports and caches
    reads, both = [], []
    for i in range(args.rounds):
        if i % 2:
            both.append(read_transpile(files))
            reads.append(read_only(files))
        else:
            reads.append(read_only(files))
            both.append(read_transpile(files))
    result = {
        "benchmark": "read + transpile vs read only",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "files": len(files),
        "actions": actions,
        "rounds": args.rounds,
        "read_actions_per_s": round(actions / statistics.median(reads)),
        "read_transpile_actions_per_s": round(actions / statistics.median(both)),
        "transpile_only_actions_per_s": round(actions / max(1e-9, statistics.median(both) - statistics.median(reads))),
        "median_ratio_read_transpile_to_read": round(
            statistics.median(r / b for r, b in zip(reads, both, strict=True)), 3),
        "reference_converter_actions_per_s": REFERENCE,
    }
    result["ratio_to_reference"] = round(result["read_transpile_actions_per_s"] / REFERENCE, 3)
    print(json.dumps(result, indent=2))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_transpile.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
