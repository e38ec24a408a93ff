"""Read + transpile throughput on the real corpus, against the original WorkflowLLM converter.

    python -m benchmarks.bench_transpile [--rounds N] [--corpus PATH] [--original PATH]

``--original`` is a checkout of github.com/XingYing-stack/WorkflowLLM (or the path of its
``preprocess/Convert_ShortCut_to_Python.py``); its code is loaded from there, never copied here.
Both sides get the same bytes, already in memory: ours is ``read_shortcut`` + ``to_code``; theirs is
``plistlib.loads`` + the steps of its ``convert_shortcut`` after the file read (``ShortcutParser``:
parse, its four passes over the tree, ``to_python``). plistlib cannot open signed (AEA1) files, so for those
both get the inner binary plist, unwrapped once before timing; the files plistlib reads as stored
are also reported apart. JSON files, which the original cannot read, are left out of the comparison.

Each round times ours and theirs file by file, taking turns on which goes first, so a change in
the machine's load hits both; the ratio of a round is their total time over ours (above 1: ours is
faster), and the figure that counts is the median over rounds. Each round also times read only and
read + transpile of every file (signed and JSON ones too) for our own throughput; figures are medians
over rounds, in one process. Outputs are checked once, outside the timing, with Python's parser
(never run). Without ``--original`` only our figures are measured. Results go to stdout and
benchmarks/results/.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import plistlib
import statistics
import sys
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.common import arguments, report, representative
from workflowbench import read_shortcut, to_code
from workflowbench.code.syntax import parse
from workflowbench.shortcut.containers import DEFAULT_LIMITS, extract_wflow, unwrap_aea

SCRIPT = Path("preprocess") / "Convert_ShortCut_to_Python.py"
# Imported at the top of the original script but unused by its conversion (downloads, Excel input,
# progress bars); stand-ins are installed only while it loads, and only for those not installed.
UNUSED_IMPORTS = {
    "shortcuts": {},
    "shortcuts.utils": {"download_shortcut": None, "is_shortcut_url": None},
    "shortcuts.exceptions": {"InvalidShortcutURLError": ValueError},
    "tqdm": {"tqdm": None},
    "pandas": {},
}


@contextlib.contextmanager
def _loading_from(folder: Path) -> Iterator[None]:
    """The script imports ``utils`` from its folder and opens its pickles relative to the cwd."""
    saved = {name: sys.modules.get(name) for name in [*UNUSED_IMPORTS, "utils"]}
    missing = {top for top in {n.split(".")[0] for n in UNUSED_IMPORTS} if importlib.util.find_spec(top) is None}
    for name, attrs in UNUSED_IMPORTS.items():
        if name.split(".")[0] in missing:
            sys.modules[name] = types.ModuleType(name)
            sys.modules[name].__dict__.update(attrs)
    cwd = os.getcwd()
    sys.path.insert(0, str(folder))
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(cwd)
        sys.path.remove(str(folder))
        for name, module in saved.items():  # the loaded module keeps what it bound
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def load_original(path: Path) -> Callable[[bytes], str | None]:
    """The original converter as a function of a file's bytes."""
    script = path if path.is_file() else path / SCRIPT
    if not script.is_file():
        raise SystemExit(f"no {SCRIPT} under {path}")
    spec = importlib.util.spec_from_file_location("workflowllm_convert", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with _loading_from(script.parent):
        spec.loader.exec_module(module)
    parser_class = module.ShortcutParser

    def convert(data: bytes) -> str | None:
        parser = parser_class(plistlib.loads(data)["WFWorkflowActions"])
        try:
            parser.parse()
        except Exception:  # convert_shortcut prints the error and returns None
            return None
        parser.add_necessary_UUID(parser.root)
        parser.handle_contrl_UUID(parser.root)
        parser.add_empty_child(parser.root)
        parser.mark_multi_repeat(parser.root)
        return parser.to_python()

    return convert


def load(corpus: Path) -> dict[str, Any]:
    """The bytes of each distinct shortcut, and what both converters can read."""
    rows = representative(corpus)
    files: list[bytes] = []
    shared: list[tuple[bytes, int]] = []
    stored: list[bool] = []  # per shared file: plistlib reads it as stored
    skipped = 0
    for r in rows:
        data = (corpus / r["path"]).read_bytes()
        files.append(data)
        inner = data
        if data[:4] == b"AEA1":
            inner = extract_wflow(unwrap_aea(data, "bench", DEFAULT_LIMITS)[0], "bench")
        try:
            plistlib.loads(inner)
        except Exception:  # JSON, or a plist plistlib refuses
            skipped += 1
            continue
        shared.append((inner, r["actions"]))
        stored.append(inner is data)
    return {"files": files, "actions": sum(r["actions"] for r in rows),
            "shared": shared, "stored": stored, "skipped": skipped}


def timed(fn: Callable[[bytes], object], files: list[bytes]) -> float:
    start = time.perf_counter()
    for data in files:
        fn(data)
    return time.perf_counter() - start


def paired(fns: list[Callable[[bytes], object]], files: list[bytes], turn: int) -> list[list[float]]:
    """Seconds of each of ``fns`` on each file, taking turns file by file on which goes first, so
    a change in the machine's load within a round hits all of them. An exception ends that file."""
    out: list[list[float]] = [[0.0] * len(files) for _ in fns]
    clock = time.perf_counter
    for k, data in enumerate(files):
        for step in range(len(fns)):
            j = (step + k + turn) % len(fns)
            start = clock()
            try:
                fns[j](data)
            except Exception:
                pass
            out[j][k] = clock() - start
    return out


def ours(data: bytes) -> str:
    return to_code(read_shortcut(data))


def valid(convert: Callable[[bytes], str | None], files: list[bytes]) -> dict[str, int]:
    counts = {"valid": 0, "invalid": 0, "no_output": 0}
    for data in files:
        try:
            code = convert(data)
        except Exception:
            code = None
        if code is None:
            counts["no_output"] += 1
            continue
        try:
            parse(code)
            counts["valid"] += 1
        except Exception:  # SyntaxError, or a ValueError / RecursionError from the parser
            counts["invalid"] += 1
    return counts


def rate(actions: int, seconds: list[float]) -> int:
    return round(actions / statistics.median(seconds))


def main(argv: list[str] | None = None) -> dict:
    args = arguments(__doc__, argv, extra=[(("--original",), {"type": Path, "default": None,
                                                              "help": "WorkflowLLM checkout or its converter script"})])
    data = load(args.corpus)
    original = load_original(args.original) if args.original else None
    if original is None:
        print("no --original: skipping the comparison with the WorkflowLLM converter", file=sys.stderr)
    shared = [d for d, _ in data["shared"]]
    fns: list[Callable[[bytes], object]] = [ours] if original is None else [ours, original]
    everything = data["files"]
    paired(fns, shared, 0), timed(read_shortcut, everything)  # warm up imports and caches
    per_file, reads, alls = [], [], []
    for i in range(args.rounds):
        # our own figures on every file (signed and JSON ones too), in turn with the comparison
        if i % 2:
            alls.append(timed(ours, everything))
        reads.append(timed(read_shortcut, everything))
        per_file.append(paired(fns, shared, i))
        if not i % 2:
            alls.append(timed(ours, everything))
    figures: dict[str, Any] = {
        "what": "read + transpile: ours vs the original WorkflowLLM converter, same bytes",
        "files": len(everything),
        "actions": data["actions"],
        "read_transpile_actions_per_s": rate(data["actions"], alls),
        "read_actions_per_s": rate(data["actions"], reads),
        "ours_valid": valid(ours, everything),
    }
    if original is None:
        figures["original"] = "not measured (no --original)"
        return report("bench_transpile", figures, args.rounds)
    groups = {"comparison": [True] * len(shared), "comparison_plistlib_as_stored": data["stored"]}
    for label, chosen in groups.items():
        actions = sum(a for (_, a), c in zip(data["shared"], chosen, strict=True) if c)
        mine = [sum(t for t, c in zip(rnd[0], chosen, strict=True) if c) for rnd in per_file]
        theirs = [sum(t for t, c in zip(rnd[1], chosen, strict=True) if c) for rnd in per_file]
        files = [d for d, c in zip(shared, chosen, strict=True) if c]
        figures[label] = {
            "files": len(files),
            "actions": actions,
            "ours_actions_per_s": rate(actions, mine),
            "original_actions_per_s": rate(actions, theirs),
            "median_ratio": round(statistics.median(t / m for t, m in zip(theirs, mine, strict=True)), 3),
            "ratios": [round(t / m, 3) for t, m in zip(theirs, mine, strict=True)],
            "ours_valid": valid(ours, files),
            "original_valid": valid(original, files),
        }
    figures["left_out_files"] = data["skipped"]
    return report("bench_transpile", figures, args.rounds)


if __name__ == "__main__":
    main()
