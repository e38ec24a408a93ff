"""Figures of a warehouse's synthetic samples: validity (each ok sample's code read back and checked
again, never run), category mix, built-in share, size against the paper's histogram, realised
structure per level, and diversity."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

from .. import warehouse as wh
from ..code.from_code import from_code, function_map
from ..code.syntax import parse
from ..shortcut.errors import ShortcutError
from .offline import SIZE_BINS, Library, api_specs, fits_level, problems

PAPER_BINS = tuple((low, high if i < len(SIZE_BINS) - 1 else None, share)
                   for i, (low, high, share) in enumerate(SIZE_BINS))


def _bin(n: int) -> int:
    for i, (low, high, _) in enumerate(PAPER_BINS):
        if n >= low and (high is None or n < high):
            return i
    return 0


def synthesis_figures(warehouse: str | os.PathLike[str]) -> dict[str, Any]:
    with wh.connect(warehouse) as con:
        kinds = dict(con.execute("SELECT bundle_id, kind FROM apps").fetchall())
        apis = api_specs(con.execute("SELECT identifier, app, json_schema, input_key, output_name, output_type "
                                     "FROM apis").fetchall(),
                         con.execute("SELECT identifier, key, type, required, default_value, enum_values, "
                                     "accepts_variables FROM api_params ORDER BY identifier, position").fetchall(),
                         kinds)
        rows = con.execute("SELECT s.status, s.error, s.workflow_code, s.category, p.level, p.apis FROM samples s "
                           "JOIN specs p ON p.spec_id = s.spec_id WHERE s.origin = 'synthetic'").fetchall()
    lib = Library(apis, {})
    functions = function_map(apis)
    ok = [r for r in rows if r[0] == "ok"]
    failed = Counter(str(r[1]).split(":")[0] for r in rows if r[0] != "ok")
    found_problems: Counter[str] = Counter()  # samples per reason (structure is counted per level)
    categories: Counter[str] = Counter()
    sizes: Counter[int] = Counter()
    levels: dict[str, list[int]] = {}
    builtin = total = 0
    sets: set[frozenset[str]] = set()
    for _, _, code, category, level, spec_apis in ok:
        categories[category] += 1
        try:
            parse(code)
            wf = from_code(code, functions=functions)
        except (SyntaxError, ShortcutError, RecursionError):
            found_problems["unmapped"] += 1
            continue
        idents = [a.identifier for a in wf.actions]
        found = problems(wf, spec_apis, level, lib)
        found_problems.update(f.split(":")[0] for f in found if not f.startswith("structure"))
        counts = levels.setdefault(level, [0, 0])
        counts[0] += 1
        counts[1] += fits_level(wf, level)
        sizes[_bin(len(idents))] += 1
        builtin += sum(apis[i].kind == "built-in" for i in idents if i in apis)
        total += len(idents)
        sets.add(frozenset(idents))
    n = len(ok)
    hist = [sizes[i] / n if n else 0.0 for i in range(len(PAPER_BINS))]
    return {
        "synthetic": len(rows), "ok": n, "failed": dict(failed), "problems": dict(found_problems),
        "valid_share": (n - sum(found_problems.values())) / n if n else 0.0,
        "category_share_min": min(categories.values()) / n if n else 0.0,
        "category_share_max": max(categories.values()) / n if n else 0.0,
        "categories": len(categories),
        "builtin_share": builtin / total if total else 0.0,
        "size_histogram": [round(h, 4) for h in hist],
        "paper_histogram": [share for _, _, share in PAPER_BINS],
        "size_tvd": sum(abs(h - p) for h, (_, _, p) in zip(hist, PAPER_BINS, strict=True)) / 2,
        "mean_actions": total / n if n else 0.0,
        "levels": {lv: {"samples": c[0], "structure_as_defined": c[1]} for lv, c in sorted(levels.items())},
        "distinct_code": len({r[2] for r in ok}),
        "distinct_api_sets": len(sets),
        "distinct_api_set_share": len(sets) / n if n else 0.0,
    }
