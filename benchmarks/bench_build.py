"""A whole offline build to a target size, from nothing, then again with nothing changed, per runner.

    python -m benchmarks.bench_build [--sizes 10000 50000 106763] [--runners threads dask] [--rounds 7]

For each size, each runner builds ``../shared/corpus`` (with ``../shared/catalogs``) into a new
warehouse with ``workflowbench build --samples SIZE --runner RUNNER`` in a child process, the
runners taking turns at each size so the machine's noise hits both. Per build: wall seconds, CPU
seconds of the whole process tree, peak RSS of the tree (summed over its processes, sampled every
0.2 s from /proc), kept samples per second, and the flow's own per-stage wall and CPU seconds and
publish time (``stages`` and ``publish_s`` in its JSON); then the same build again (nothing
changed: every batch skipped) and its wall time. Last, the median latency over ``--rounds`` of six
typical queries on the published warehouse: counts by category, one sample by id, samples with
their step labels, API usage, the gate report and a full-text LIKE on queries. Results go to stdout
and benchmarks/results/bench_build.json; cost per sample is compared with the smallest size's, and
at each size both runners built, ``dask_speedup`` gives the thread runner's wall over the Dask
runner's on the CPU-bound stages (``CPU_BOUND``), each and summed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.common import DEFAULT_CORPUS, ROOT, report

WORKFLOWBENCH = str(Path(sys.executable).with_name("workflowbench"))
QUERIES = {
    "counts by category": "SELECT category, count(*) FROM dataset GROUP BY 1 ORDER BY 2 DESC",
    "one sample by id": "SELECT * FROM samples WHERE sample_id = $id",
    "samples with their step labels": "SELECT s.sample_id, s.query, l.position, l.label, l.reason FROM samples s "
                                      "JOIN step_labels l USING (sample_id) WHERE s.origin = 'synthetic' "
                                      "ORDER BY s.sample_id, l.position LIMIT 5000",
    "API usage": "SELECT a, count(*) FROM (SELECT unnest(apis) AS a FROM dataset) GROUP BY 1 ORDER BY 2 DESC LIMIT 50",
    "gate report": "SELECT gate, verdict, reason, count(*) FROM verdicts GROUP BY ALL ORDER BY ALL",
    "full-text LIKE on queries": "SELECT sample_id, query FROM samples WHERE query ILIKE '%photo%' LIMIT 100",
}
# The stages whose batches are CPU work in Python (offline): what worker processes can run side by
# side, where one process's threads hold the GIL in turn.
CPU_BOUND = ("thoughts", "synthesize", "min-actions", "rules", "sketch", "negatives")


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                fields = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
        todo.extend(children.get(pid, ()))
    return total


def build(args: argparse.Namespace, warehouse: Path, size: int, runner: str) -> dict[str, Any]:
    command = [WORKFLOWBENCH, "build", "--source", str(args.corpus), "--catalogs", str(args.catalogs),
               "-w", str(warehouse), "--samples", str(size)] + (["--runner", runner] if runner != "threads" else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(child.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.returncode != 0:
        raise SystemExit(f"build failed ({child.returncode}): {err[-2000:]}")
    result = json.loads(out[out.index("{"):])
    return {"wall_s": round(wall, 1), "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime
                                                     - before.ru_stime, 1),
            "peak_rss_mb": round(peak / 2**20), "stages": result.get("stages"), "publish_s": result.get("publish_s")}


def query_latency(warehouse: Path, rounds: int) -> dict[str, float]:
    from workflowbench import warehouse as wh

    with wh.connect(warehouse) as con:
        some = con.execute("SELECT sample_id FROM samples ORDER BY sample_id LIMIT 1").fetchone()
        out = {}
        for name, sql in QUERIES.items():
            times = []
            for _ in range(rounds):
                start = time.perf_counter()
                con.execute(sql, {"id": some[0]} if "$id" in sql else {}).fetchall()
                times.append(time.perf_counter() - start)
            out[name] = round(1000 * statistics.median(times), 1)
    return out


def kept(warehouse: Path) -> int:
    from workflowbench import warehouse as wh

    with wh.connect(warehouse) as con:
        return int(con.execute("SELECT count(*) FROM dataset").fetchone()[0])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 106_763])
    parser.add_argument("--runners", nargs="+", default=["threads", "dask"])
    parser.add_argument("--rounds", type=int, default=7, help="runs of each query")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--catalogs", type=Path, default=DEFAULT_CORPUS.parent / "catalogs")
    parser.add_argument("--keep", type=Path, help="keep the warehouses in this folder")
    args = parser.parse_args(argv)
    if not (args.corpus / "MANIFEST.jsonl").exists():
        raise SystemExit(f"corpus not found at {args.corpus}")
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        base = args.keep or Path(scratch)
        for size in args.sizes:
            order = args.runners if len(runs) % 2 == 0 else list(reversed(args.runners))
            for runner in order:
                warehouse = base / f"{runner}-{size}" / "wb.duckdb"
                warehouse.parent.mkdir(parents=True, exist_ok=True)
                first = build(args, warehouse, size, runner)
                again = build(args, warehouse, size, runner)
                n = kept(warehouse)
                runs.append({"size": size, "runner": runner, "kept": n, **first,
                             "samples_per_s": round(n / first["wall_s"], 1),
                             "cpu_ms_per_sample": round(1000 * first["cpu_s"] / n, 2),
                             "rerun_wall_s": again["wall_s"], "query_ms": query_latency(warehouse, args.rounds)})
    smallest = min(args.sizes)
    for r in runs:
        ref = next(x for x in runs if x["size"] == smallest and x["runner"] == r["runner"])
        r["cost_per_sample_vs_smallest"] = round(r["cpu_ms_per_sample"] / ref["cpu_ms_per_sample"], 3)
    paired = [speedup(size, runs) for size in args.sizes]
    return report("bench_build", {"what": "offline build to a target size, per runner", "runs": runs,
                                  "dask_speedup": [p for p in paired if p is not None]}, args.rounds)


def speedup(size: int, runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """How many times faster (wall) the Dask runner ran the CPU-bound stages than the thread runner
    at ``size``: each stage's ratio and that of their summed walls. None unless both runners ran."""
    by = {r["runner"]: r.get("stages") or {} for r in runs if r["size"] == size}
    if "threads" not in by or "dask" not in by:
        return None
    both = [s for s in CPU_BOUND if s in by["threads"] and s in by["dask"] and by["dask"][s]["wall_s"] > 0]
    if not both:
        return None
    threads = sum(by["threads"][s]["wall_s"] for s in both)
    dask = sum(by["dask"][s]["wall_s"] for s in both)
    return {"size": size, "cpu_bound_stages": round(threads / dask, 3),
            "threads_wall_s": round(threads, 1), "dask_wall_s": round(dask, 1),
            "by_stage": {s: round(by["threads"][s]["wall_s"] / by["dask"][s]["wall_s"], 3) for s in both}}


if __name__ == "__main__":
    main()
