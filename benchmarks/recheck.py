"""An independent re-check of the static rules on the published dataset: every sample the `dataset`
view holds is checked again here, written apart from ``workflowbench.checks`` (its own walk of the
actions' parameters, its own placeholder patterns, ``jsonschema`` called directly), so a bug in the
gates does not hide itself. Nothing is run.

    python -m benchmarks.recheck --warehouse PATH [--max-actions 300] [--max-tokens 16000]

Prints the violations by rule (0 everywhere when the gates did their work) and writes
benchmarks/results/recheck.json; exits 1 when any kept sample breaks a rule.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema

from benchmarks.common import ROOT
from workflowbench import warehouse as wh
from workflowbench.code.from_code import from_code, function_map

LOOP = re.compile(r"Repeat (Item|Index)( \d+)?")
ALWAYS = {"ExtensionInput", "Ask", "Clipboard", "CurrentDate", "DeviceDetails", "Input"}
SETTERS = {"is.workflow.actions.setvariable", "is.workflow.actions.appendvariable"}
MARKERS = re.compile(r"<[^<>\n]{0,60}, [\d,.]+ (bytes|KB|MB)>|more characters cut\]|more items>")
BASE64 = re.compile(r"[A-Za-z0-9+/]{200,}")
SKIP = {"UUID", "GroupingIdentifier", "WFControlFlowMode", "CustomOutputName"}
# typed-values, its own reading: a class name of pictures, recordings, places or people, and the
# parameter types that cannot take one
UNTAKEABLE = re.compile(r"(?i).*(image|photo|phasset|gif|avasset|audio|movie|mpeg|mpmediaitem|location|mapitem|"
                        r"placemark|streetaddress|contact).*")
STRICT = {"number", "integer", "boolean", "date", "enum", "dictionary"}


def refs(value: Any) -> list[dict[str, Any]]:
    """Every attachment dictionary inside a raw parameter value."""
    out, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if isinstance(v.get("Type"), str) and ("OutputUUID" in v or "VariableName" in v or v["Type"] in ALWAYS):
                out.append(v)
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return out


_VALIDATORS: dict[str, Any] = {}


def validator(ident: str, schemas: dict[str, dict[str, Any]]) -> Any:
    """One validator per API (``jsonschema.validate`` would check the schema itself on every call)."""
    if ident not in _VALIDATORS:
        _VALIDATORS[ident] = jsonschema.Draft202012Validator(schemas[ident])
    return _VALIDATORS[ident]


def canonical(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: canonical(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [canonical(x) for x in v]
    if isinstance(v, bytes):
        return v.hex()
    return v


def untakeable(output_type: str | None) -> bool:
    """Every class an output type names is a picture, a recording, a place or a person."""
    names = [n for n in re.split(r"[\s|()]+|\bor\b|array", output_type or "") if n and n != "Object"]
    return bool(names) and all(UNTAKEABLE.fullmatch(n) for n in names)


def direct_output(value: Any) -> str | None:
    """The output id a raw value hands over as it is: one attachment with no aggrandizement."""
    if isinstance(value, dict) and value.get("Type") == "Variable":
        value = value.get("Variable")
    if not isinstance(value, dict) or value.get("WFSerializationType") == "WFTextTokenString":
        return None
    inner = value.get("Value")
    if isinstance(inner, dict) and inner.get("Type") == "ActionOutput" and not inner.get("Aggrandizements"):
        return inner.get("OutputUUID")
    return None


def violations(row: dict[str, Any], schemas: dict[str, dict[str, Any]], functions: dict[str, str],
               specs: dict[str, list[str]], max_actions: int, max_tokens: int,
               types: tuple[dict[str, str], dict[tuple[str, str], str]] = ({}, {})) -> list[str]:
    code = row["workflow_code"] or ""
    try:
        tree = ast.parse(code)
        wf = from_code(code, functions=functions)
    except Exception as exc:  # the code must map: anything else is a violation
        return [f"code-maps: {type(exc).__name__}"]
    out = []
    actions = [a.to_plist() for a in wf.actions]
    idents = [a["WFWorkflowActionIdentifier"] for a in actions]
    if not actions:
        out.append("code-maps: no actions")
    if any(i not in schemas for i in idents):
        out.append("known-apis")
    made: set[str] = set()
    producers: dict[str, str] = {}  # output id -> the API that made it
    named: set[str] = set()
    loops = 0
    for raw in actions:
        ident, params = raw["WFWorkflowActionIdentifier"], raw.get("WFWorkflowActionParameters") or {}
        mode = params.get("WFControlFlowMode")
        if ident.startswith("is.workflow.actions.repeat.") and mode == 2:
            loops -= 1
        if ident in schemas and not validator(ident, schemas).is_valid(
                canonical({k: v for k, v in params.items() if k not in SKIP})):
            out.append("valid-parameters")
        for key, value in params.items():
            if key in ("UUID", "GroupingIdentifier"):
                continue
            if types[1].get((ident, key)) in STRICT and direct_output(value) in producers and \
                    untakeable(types[0].get(producers[direct_output(value)])):
                out.append("typed-values")
            for r in refs(value):
                if r["Type"] == "ActionOutput" and r.get("OutputUUID") not in made:
                    out.append("defined-before-use")
                elif r["Type"] == "Variable":
                    name = r.get("VariableName") or ""
                    m = LOOP.fullmatch(name)
                    if (m and int((m.group(2) or " 1").strip()) > loops) or (not m and name not in named):
                        out.append("defined-before-use")
        if isinstance(params.get("UUID"), str):
            made.add(params["UUID"])
            producers[params["UUID"]] = ident
        if ident in SETTERS and isinstance(params.get("WFVariableName"), str):
            named.add(params["WFVariableName"])
        if ident.startswith("is.workflow.actions.repeat.") and mode == 0:
            loops += 1
    if row["spec_id"] and not set(specs.get(row["spec_id"], ())) <= set(idents):
        out.append("spec-apis")
    if MARKERS.search(code) or BASE64.search(code) or \
            any(isinstance(n, ast.Constant) and isinstance(n.value, bytes) for n in ast.walk(tree)):
        out.append("no-placeholders")
    query = row["query"] or ""
    names = {f for f, i in functions.items() if i in idents}
    if not query.strip() or "`" in query or any(n in query for n in names) or \
            re.search(r"\b[a-z]+_[a-z_]+\b", query) or re.search(r"\b[a-z]{2,}(\.[a-z0-9-]+){2,}\b", query):
        out.append("clean-query")
    chars = sum(len(row[k] or "") for k in ("query", "task_plan", "workflow_code"))
    if not 1 <= len(actions) <= max_actions or chars // 4 > max_tokens:
        out.append("size")
    steps = len(re.findall(r"^\d+\.\s", row["task_plan"] or "", re.M)) or bool((row["task_plan"] or "").strip())
    if not steps or steps > len(actions) + 1:
        out.append("plan-steps")
    return sorted(set(out))


def near_pairs(warehouse: Path, threshold: float) -> tuple[int, int]:
    """Pairs of dataset samples whose code is a near duplicate (every pair LSH proposes, confirmed by
    the estimated Jaccard), and how many of them straddle training and held-out splits."""
    from rensa import RMinHash, RMinHashLSH

    from workflowbench.checks.dedup import SEED, bands_for, canonical, shingles

    with wh.connect(warehouse) as con:
        rows = con.execute("SELECT sample_id, split, workflow_code FROM dataset ORDER BY sample_id").fetchall()
    lsh = RMinHashLSH(threshold=threshold, num_perm=128, num_bands=bands_for(threshold, 128))
    hashes, splits = [], []
    for _, split, code in rows:
        text = canonical(code or "") or (code or "")
        [mh] = RMinHash.from_token_sets([shingles(text, 5)], num_perm=128, seed=SEED)
        lsh.insert(len(hashes), mh)
        hashes.append(mh)
        splits.append(split)
    pairs = across = 0
    for i, mh in enumerate(hashes):
        for j in lsh.query(mh):
            if j > i and mh.jaccard(hashes[j]) >= threshold:
                pairs += 1
                across += (splits[i] in ("train", "reward")) != (splits[j] in ("train", "reward"))
    return pairs, across


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", "-w", type=Path, default=wh.DEFAULT_WAREHOUSE)
    parser.add_argument("--max-actions", type=int, default=300)
    parser.add_argument("--max-tokens", type=int, default=16_000)
    parser.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args(argv)
    with wh.connect(args.warehouse) as con:
        schemas = {i: json.loads(s) for i, s in con.execute("SELECT identifier, json_schema FROM apis").fetchall()}
        specs = dict(con.execute("SELECT spec_id, apis FROM specs").fetchall())
        types = (dict(con.execute("SELECT identifier, output_type FROM apis").fetchall()),
                 {(i, k): t for i, k, t in con.execute("SELECT identifier, key, type FROM api_params").fetchall()})
        cols = ["sample_id", "spec_id", "query", "task_plan", "workflow_code"]
        rows = [dict(zip(cols, r)) for r in con.execute(f"SELECT {', '.join(cols)} FROM dataset").fetchall()]
    functions = function_map(schemas)
    broken: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for row in rows:
        for rule in violations(row, schemas, functions, specs, args.max_actions, args.max_tokens, types):
            broken[rule.split(":")[0]] += 1
            examples.setdefault(rule, row["sample_id"])
    pairs, across = near_pairs(args.warehouse, args.threshold)
    n = len(rows)
    result = {"warehouse": str(args.warehouse), "samples": n, "violations": dict(broken), "examples": examples,
              "near_duplicate_pairs": pairs, "pairs": n * (n - 1) // 2,
              "near_duplicate_pair_share": pairs / max(1, n * (n - 1) // 2), "train_vs_held_out_pairs": across}
    out = ROOT / "benchmarks" / "results" / "recheck.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{len(rows):,} kept samples re-checked; violations: {dict(broken) or 'none'}; near-duplicate pairs "
          f"(Jaccard >= {args.threshold}): {pairs:,} of {result['pairs']:,}, {across} between train/reward and "
          "dev/test/ood")
    return result


if __name__ == "__main__":
    sys.exit(1 if main()["violations"] else 0)
