"""CPU the rules gate spends per sample, in milliseconds, seed and synthetic samples apart: the rules
stage's own ``run`` on a batch of each, in one process.

    python -m benchmarks.bench_gates [--rounds N] [--corpus DIR] [--samples N] [-w WAREHOUSE]

Without ``-w`` the samples are made here, as bench_synth makes its input: the catalog merged from
../shared/catalogs and the corpus, up to ``--samples`` (default 500) distinct corpus shortcuts as
seed samples (their training view and offline thoughts, as the thoughts stage writes them) and
``--samples`` synthetic samples from specs drawn once (``stages.synthesize.synthesize``), written
with the catalog and the specs as one shard of a temporary warehouse. With ``-w WAREHOUSE``, up to
``--samples`` ok samples of each origin of that warehouse, spread over its ids (it is only read).

Each round runs the stage on the seed batch, then on the synthetic batch; CPU seconds
(``time.process_time``: DuckDB's reading threads included) per sample, medians over rounds. The
stage keeps the catalog per process (``stages.rules.shared_catalog``): the first round loads it and
warms its schema checks, as a build's first rules batch does, and is also reported on its own
(``cold_*``). benchmarks/results/bench_gates.json.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.bench_synth import corpus_setup
from benchmarks.common import DEFAULT_CORPUS, report
from workflowbench.code.view import training_view
from workflowbench.shortcut.model import Workflow
from workflowbench.stages.contract import Batch
from workflowbench.stages.rules import RulesSettings, run
from workflowbench.stages.synthesize import synthesize
from workflowbench.stages.thoughts import sample_row
from workflowbench.synth.offline import Library
from workflowbench.synth.specs import make_specs
from workflowbench.thoughts import offline as thoughts
from workflowbench.thoughts.base import ApiDoc, Seed
from workflowbench.warehouse.reader import ShardReader
from workflowbench.warehouse.shards import write_shard

AT = datetime(2026, 1, 1)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--samples", type=int, default=500, help="samples of each origin")
    parser.add_argument("-w", "--warehouse", type=Path, help="time the samples of this warehouse (only read)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = args.warehouse or make_warehouse(args.corpus, args.samples, Path(tmp) / "bench.duckdb")
        batches = pick(ShardReader(warehouse), args.samples)
        if not batches:
            raise SystemExit(f"no ok samples in {warehouse}")
        times: dict[str, list[float]] = {origin: [] for origin in batches}
        for _ in range(args.rounds):
            for origin, ids in batches.items():
                start = time.process_time()
                out = run(Batch((("bench", origin),), tuple(ids)), ShardReader(warehouse), RulesSettings())
                times[origin].append(time.process_time() - start)
                assert out.items == len(ids)
    figures: dict[str, Any] = {"what": "rules stage CPU per sample", "source": str(args.warehouse or args.corpus)}
    for origin, ids in batches.items():
        figures[f"{origin}_samples"] = len(ids)
        figures[f"{origin}_ms_per_sample"] = round(1000 * statistics.median(times[origin]) / len(ids), 3)
        figures[f"cold_{origin}_ms_per_sample"] = round(1000 * times[origin][0] / len(ids), 3)
    return report("bench_gates", figures, args.rounds)


def pick(reader: ShardReader, n: int) -> dict[str, list[str]]:
    """Up to ``n`` ok sample ids of each origin, evenly spread over the ids in order."""
    ids: dict[str, list[str]] = {"seed": [], "synthetic": []}
    for sample_id, origin in reader.rows("samples", "sample_id, origin", where="status = 'ok'", order="sample_id"):
        ids.setdefault(origin, []).append(sample_id)
    return {origin: got[::max(1, len(got) // n)][:n] for origin, got in ids.items() if got}


def make_warehouse(corpus: Path, n: int, target: Path) -> Path:
    """A warehouse of one shard: the catalog, ``n`` seed and ``n`` synthetic samples, and their specs."""
    if not (corpus / "MANIFEST.jsonl").exists():
        raise SystemExit(f"corpus not found at {corpus}")
    setup = corpus_setup(corpus)
    rows, docs = setup.rows, setup.docs
    samples = [row for k, wf in list(setup.workflows.items())[:n] if (row := seed_sample(k, wf, docs)) is not None]
    specs = make_specs(setup.inputs, 0, range(n))
    lib = Library(setup.apis, setup.seeds)
    samples += [synthesize(s, lib, docs, "bench", AT)[0] for s in specs]
    write_shard(target, "bench-" + "0" * 32, {
        "apps": rows["apps"], "apis": rows["apis"], "api_params": rows["api_params"], "samples": samples,
        "specs": [{**s.row(), "inputs": "bench", "created_at": AT} for s in specs]})
    return target


def seed_sample(key: str, wf: Workflow, docs: dict[str, ApiDoc]) -> dict[str, Any] | None:
    """The seed's sample row as the offline thoughts stage writes it; None when it would fail (the
    rules check ok samples only)."""
    def label(identifier: str) -> str | None:
        doc = docs.get(identifier)
        return doc.output_name if doc is not None else None

    try:
        view = training_view(wf, labels=label)
        seed = Seed(key, "", view.workflow, view.code, None)
        return sample_row(seed, thoughts.think(seed, docs), "offline", "bench", None, 1, AT)
    except Exception:  # the stage writes such a seed as a failed sample
        return None


if __name__ == "__main__":
    main()
