"""LLM layer throughput against the project's test server with a fixed latency.

    python -m benchmarks.bench_llm [--rounds N] [--requests 2000] [--latency 0.2] [--concurrency 32 64 128]

The server (tests/support/llm_server.py) runs in its own process and answers every request after L
seconds with a small JSON object that matches the request's schema. For each concurrency C, a
fresh client process sends the requests through ``workflowbench.llm.run`` (real openai client,
limiter, retries, jsonschema validation, llm_calls rows) and reports requests/s as a fraction of
the bound C/L, its CPU seconds and its peak RSS; then a fully cached rerun (the rows written as a
warehouse shard and read back through ``WarehouseCache``) and how many requests it sent (0 is
right). Figures are medians over rounds; results go to stdout and benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, report

SCHEMA = {"type": "object", "properties": {"label": {"type": "string", "maxLength": 40},
                                           "score": {"type": "integer", "minimum": 0, "maximum": 10}},
          "required": ["label", "score"], "additionalProperties": False}


def worker(url: str, concurrency: int, requests: int) -> dict[str, Any]:
    """One measurement in this (fresh) process."""
    from workflowbench import warehouse as wh
    from workflowbench.llm import LLMConfig, Request, run
    from workflowbench.llm.cache import WarehouseCache

    config = LLMConfig(url, "bench-model", concurrency=concurrency, timeout=30.0)
    batch = [Request("bench", "probe", "bench-v1", [{"role": "user", "content": f"Rate item {i} from 0 to 10."}],
                     SCHEMA) for i in range(requests)]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    answers = run(batch, config)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ok = sum(a.status == "ok" for a in answers)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "wh.duckdb"
        wh.write_shard(target, "llm-bench", {"llm_calls": [a.row for a in answers if a.row]})
        cached0 = time.perf_counter()
        again = run(batch, config, WarehouseCache(target))
        cached = time.perf_counter() - cached0
    return {"wall_s": wall, "cpu_s": cpu, "rss_mb": rss_mb, "ok": ok, "cached_s": cached,
            "cached_hits": sum(a.cached for a in again)}


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "tests.support.llm_server", "--port", "0", "--latency", str(latency)]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if not line.startswith("READY "):
        proc.kill()
        raise SystemExit(f"test server did not start: {line!r}")
    return proc, line.split()[1]


def requests_seen(url: str) -> int | None:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url.removesuffix("/v1") + "/stats", timeout=10) as r:
            return int(json.load(r)["requests"])
    except (urllib.error.URLError, ValueError, KeyError):
        return None


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--worker", nargs=3, metavar=("URL", "C", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        url, c, n = args.worker
        print(json.dumps(worker(url, int(c), int(n))))
        return {}
    proc, url = start_server(args.latency)
    try:
        runs: dict[int, list[dict[str, Any]]] = {c: [] for c in args.concurrency}
        for _ in range(args.rounds):
            for c in args.concurrency:  # each in a fresh process: its own CPU time and peak memory
                out = subprocess.run([sys.executable, "-m", "benchmarks.bench_llm", "--worker", url, str(c),
                                      str(args.requests)], cwd=ROOT, capture_output=True, text=True, check=True)
                runs[c].append(json.loads(out.stdout.strip().splitlines()[-1]))
        figures: dict[str, Any] = {"what": "requests through workflowbench.llm.run vs the bound C/L",
                                   "requests": args.requests, "latency_s": args.latency, "by_concurrency": {}}
        for c, rs in runs.items():
            bound = c / args.latency
            rate = statistics.median(args.requests / r["wall_s"] for r in rs)
            figures["by_concurrency"][str(c)] = {
                "requests_per_s": round(rate, 1), "bound_per_s": bound, "fraction_of_bound": round(rate / bound, 3),
                "cpu_s": round(statistics.median(r["cpu_s"] for r in rs), 2),
                "peak_rss_mb": round(statistics.median(r["rss_mb"] for r in rs), 1),
                "ok": min(r["ok"] for r in rs),
                "cached_rerun_s": round(statistics.median(r["cached_s"] for r in rs), 3),
                "cached_rerun_hits": min(r["cached_hits"] for r in rs),
            }
        figures["server_requests_total"] = requests_seen(url)
        figures["expected_requests_total"] = args.requests * len(args.concurrency) * args.rounds
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return report("bench_llm", figures, args.rounds)


if __name__ == "__main__":
    main()
