"""Offline synthesis throughput on one core, in samples per second: the workflow recombined for a
spec (``build``), that plus its training-view code (the annotator's output), and the whole sample
as the synthesize stage makes it (code read back and checked, offline thoughts).

    python -m benchmarks.bench_synth [--rounds N] [--corpus DIR] [--specs N]

The catalog is merged from ../shared/catalogs and the corpus, every distinct corpus shortcut is a
seed, and ``--specs`` specs (default 500) are drawn once; each round then runs the three steps
over them with one library, warm after the first use, as a build's batches share it. Medians over
rounds; benchmarks/results/bench_synth.json. ``cold_sample_samples_per_s`` is the whole sample
from a new library, its indexing and first uses included, as a build's first synth batch pays it.
``--steps`` also times each step of a sample as the stage makes it (milliseconds per sample): the
recombination, the training view, the checks of its workflow, and the thoughts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from benchmarks.common import DEFAULT_CORPUS, report, representative
from workflowbench import read_shortcut
from workflowbench.catalog.build import build_catalog, tables
from workflowbench.code.from_code import function_map
from workflowbench.code.view import view_of
from workflowbench.shortcut.model import Workflow
from workflowbench.stages.synthesize import synthesize
from workflowbench.synth.offline import ApiSpec, Library, api_specs, build, problems
from workflowbench.synth.specs import ApiInfo, Inputs, SeedInfo, Spec, make_specs
from workflowbench.thoughts import offline as thoughts
from workflowbench.thoughts.base import ApiDoc, Seed
from workflowbench.thoughts.chunks import with_comments


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--specs", type=int, default=500)
    parser.add_argument("--steps", action="store_true", help="also time each step of a sample")
    args = parser.parse_args(argv)
    if not (args.corpus / "MANIFEST.jsonl").exists():
        raise SystemExit(f"corpus not found at {args.corpus}")
    setup = corpus_setup(args.corpus)
    apis, seeds, docs = setup.apis, setup.seeds, setup.docs
    specs = make_specs(setup.inputs, 0, range(args.specs))
    # Cold: a new library, indexed and its caches warmed by these specs, as the first synth batch
    # of a build pays it (the batches after it share the library: stages.synthesize.shared_library).
    start = time.perf_counter()
    cold = Library(apis, seeds)
    _ = cold.fragments
    for s in specs:
        synthesize(s, cold, docs, "bench", datetime(2026, 1, 1))
    cold_s = time.perf_counter() - start
    lib = Library(apis, seeds)
    _ = lib.fragments  # built once, as a batch does
    functions = function_map(apis)
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.rounds):
        start = time.perf_counter()
        built = [build(lib, s) for s in specs]
        times["build"].append(time.perf_counter() - start)
        start = time.perf_counter()
        for s in specs:
            b = build(lib, s)
            view_of(b.raws, b.source, blobs=False)
        times["build_and_code"].append(time.perf_counter() - start)
        start = time.perf_counter()
        done = [synthesize(s, lib, docs, "bench", datetime(2026, 1, 1))[0] for s in specs]
        times["sample"].append(time.perf_counter() - start)
    n = len(specs)
    steps = {"steps_ms_per_sample": _steps(specs, lib, docs, functions, args.rounds)} if args.steps else {}
    return report("bench_synth", {
        "what": "offline synthesis per spec, one core",
        "seeds": len(seeds), "apis": len(apis), "specs": n,
        "mean_actions": round(sum(len(b.raws) for b in built) / n, 1),
        "ok_samples": sum(r["status"] == "ok" for r in done),
        "build_samples_per_s": round(n / statistics.median(times["build"]), 1),
        "build_and_code_samples_per_s": round(n / statistics.median(times["build_and_code"]), 1),
        "sample_samples_per_s": round(n / statistics.median(times["sample"]), 1),
        "cold_sample_samples_per_s": round(n / cold_s, 1),
        **steps,
    }, args.rounds)


@dataclass(frozen=True)
class Setup:
    """What a synthesis benchmark starts from: the corpus read, its catalog tables, the API specs,
    every distinct shortcut as a seed, the specs' inputs and the APIs' docs."""

    workflows: dict[str, Workflow]  # sha256 -> workflow
    rows: dict[str, list[dict]]
    kinds: dict[str, str]
    apis: dict[str, ApiSpec]
    seeds: dict[str, Workflow]
    inputs: Inputs
    docs: dict[str, ApiDoc]


def corpus_setup(corpus: Path) -> Setup:
    """The catalog merged from ../shared/catalogs (beside ``corpus``) and the corpus, and the rest of
    ``Setup``."""
    workflows = {r["sha256"]: read_shortcut(corpus / r["path"]) for r in representative(corpus)}
    catalogs = Path(corpus).parent / "catalogs"
    rows = tables(build_catalog(catalogs if catalogs.is_dir() else None, workflows.values()), list(workflows.items()))
    kinds = {r["bundle_id"]: r["kind"] for r in rows["apps"]}
    apis = api_specs([(r["identifier"], r["app"], r["json_schema"], r["input_key"], r["output_name"], r["output_type"])
                      for r in rows["apis"]],
                     [(r["identifier"], r["key"], r["type"], r["required"], r["default_value"], r["enum_values"],
                       r["accepts_variables"]) for r in rows["api_params"]], kinds)
    seeds = {f"seed-{k}": wf for k, wf in workflows.items()}
    infos = tuple(SeedInfo(sid, frozenset(a.identifier for a in wf.actions), len(wf.actions),
                           sum(a.mode == 0 and a.identifier.endswith(("conditional", "choosefrommenu"))
                               for a in wf.actions),
                           sum(a.mode == 0 and ".repeat." in a.identifier for a in wf.actions), 1)
                  for sid, wf in seeds.items())
    tags = {r["identifier"]: tuple(json.loads(r["tags"]) or ()) for r in rows["apis"]}
    inputs = Inputs(tuple(ApiInfo(r["identifier"], r["app"], kinds.get(r["app"], "third-party"), r["uses"],
                                  tags[r["identifier"]]) for r in rows["apis"]), infos)
    return Setup(workflows, rows, kinds, apis, seeds, inputs, docs_of(rows))


def docs_of(rows: dict[str, list[dict]]) -> dict[str, ApiDoc]:
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    for r in rows["api_params"]:
        if r["label"]:
            labels[r["identifier"]][r["key"]] = r["label"]
    return {r["identifier"]: ApiDoc(r["identifier"], r["function"], r["name"], r["description"],
                                    labels[r["identifier"]], r["output_name"]) for r in rows["apis"]}


def _steps(specs: list[Spec], lib: Library, docs: dict[str, ApiDoc], functions: dict[str, str], rounds: int
           ) -> dict[str, float]:
    """Milliseconds per sample of each step ``synthesize`` takes (the same calls), medians over rounds."""
    def label(identifier: str) -> str | None:
        doc = docs.get(identifier)
        return doc.output_name if doc is not None else None

    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(rounds):
        spent: dict[str, float] = defaultdict(float)
        for s in specs:
            t0 = time.perf_counter()
            built = build(lib, s)
            t1 = time.perf_counter()
            view = view_of(built.raws, built.source, labels=label, blobs=False)
            t2 = time.perf_counter()
            problems(view.workflow, s.apis, s.level, lib, built.checked - view.changed)
            t3 = time.perf_counter()
            th = thoughts.think(Seed(f"spec-{s.spec_id}", "", view.workflow, view.code, s.category), docs)
            with_comments(view.code.code, th.comments)
            t4 = time.perf_counter()
            for step, a, b in (("build", t0, t1), ("training_view", t1, t2), ("checks", t2, t3),
                               ("thoughts", t3, t4)):
                spent[step] += b - a
        for step, secs in spent.items():
            times[step].append(secs)
    return {step: round(1000 * statistics.median(v) / len(specs), 2) for step, v in times.items()}


if __name__ == "__main__":
    main()
