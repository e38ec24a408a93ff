"""What the benchmarks share: the command line, alternating rounds in one process, the result file."""

from __future__ import annotations

import argparse
import json
import platform
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"


def arguments(doc: str | None, argv: list[str] | None,
              extra: Sequence[tuple[tuple[str, ...], dict[str, Any]]] = ()) -> argparse.Namespace:
    """The shared options, and ``extra`` ones as (flags, ``add_argument`` keywords)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    for flags, options in extra:
        parser.add_argument(*flags, **options)
    args = parser.parse_args(argv)
    if not (args.corpus / "MANIFEST.jsonl").exists():
        raise SystemExit(f"corpus not found at {args.corpus}")
    return args


def representative(corpus: Path) -> list[dict]:
    """Manifest rows of each distinct shortcut once."""
    rows = [json.loads(line) for line in (corpus / "MANIFEST.jsonl").read_text().splitlines() if line.strip()]
    return [r for r in rows if r["representative"]]


def alternate(first: Callable[[], float], second: Callable[[], float], rounds: int) -> tuple[list[float], list[float]]:
    """Seconds of each over ``rounds``, taking turns on which goes first, so machine noise hits both."""
    a, b = [], []
    for i in range(rounds):
        if i % 2:
            b.append(second())
            a.append(first())
        else:
            a.append(first())
            b.append(second())
    return a, b


def report(name: str, figures: dict[str, Any], rounds: int) -> dict[str, Any]:
    """Print the result and keep it in benchmarks/results/<name>.json."""
    result = {"benchmark": name, "at": datetime.now(UTC).isoformat(timespec="seconds"),
              "python": platform.python_version(), "rounds": rounds, **figures}
    print(json.dumps(result, indent=2))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    return result
