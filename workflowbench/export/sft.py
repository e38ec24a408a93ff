"""``workflowbench export sft``: the seed samples as chat-format JSONL for fine-tuning an annotator.

Each record is one ok seed sample that no gate dropped: ``system`` = the annotator's instructions
and the stubs of the sample's APIs, ``user`` = the query, ``assistant`` = the plan and the commented
code in the form the annotator is read in (``thought-code``, WorkflowLLM's, or ``json``). The split
is by shortcut and deterministic: a shortcut is in dev when the hash of ``split_seed`` and its id
falls under ``dev_share``, so adding shortcuts never moves one that was there. Samples whose code
shows placeholders (blobs replaced, long texts cut) are left out unless asked for: a model trained
on them learns to write placeholders instead of data.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from .. import warehouse as wh
from ..llm.prompts import load
from ..synth.annotate import Form, answer_text, messages, plan_steps

PROMPT = "annotate"


def split_of(shortcut_id: str, dev_share: float, split_seed: int) -> str:
    h = int.from_bytes(hashlib.sha256(f"{split_seed}:{shortcut_id}".encode()).digest()[:8], "big")
    return "dev" if h / 2**64 < dev_share else "train"


def records(warehouse: str | os.PathLike[str], *, dev_share: float = 0.05, split_seed: int = 0,
            form: Form = "thought-code", placeholders: bool = False) -> tuple[list[dict[str, Any]], Counter[str]]:
    """The records, and how many samples were left out and why."""
    prompt = load(PROMPT)
    left: Counter[str] = Counter()
    with wh.connect(warehouse) as con:
        stubs = dict(con.execute("SELECT identifier, stub FROM apis").fetchall())
        rows = con.execute(
            "SELECT s.sample_id, s.shortcut_id, s.query, s.apis, s.task_plan, s.workflow_code, s.category, "
            "EXISTS (SELECT 1 FROM verdicts v WHERE v.sample_id = s.sample_id AND v.verdict = 'drop') AS dropped, "
            "EXISTS (SELECT 1 FROM placeholders p WHERE p.sample_id = s.sample_id) AS shown "
            "FROM samples s WHERE s.origin = 'seed' AND s.status = 'ok' ORDER BY s.sample_id").fetchall()
    out = []
    for sample_id, shortcut_id, query, apis, plan, code, category, dropped, shown in rows:
        if dropped:
            left["dropped by a gate"] += 1
            continue
        if shown and not placeholders:
            left["shows placeholders"] += 1
            continue
        steps = plan_steps(plan or "")
        if not query or not steps or not code:
            left["no query, plan or code"] += 1
            continue
        chat = messages(prompt, query, [stubs[a] for a in apis or () if a in stubs])
        chat.append({"role": "assistant", "content": answer_text(steps, code, form)})
        out.append({"id": sample_id, "shortcut_id": shortcut_id, "category": category,
                    "split": split_of(shortcut_id, dev_share, split_seed), "messages": chat})
    return out, left


def export_sft(warehouse: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, dev_share: float = 0.05,
               split_seed: int = 0, form: Form = "thought-code", placeholders: bool = False) -> dict[str, Any]:
    """Write ``train.jsonl``, ``dev.jsonl`` and ``manifest.json`` into ``out_dir`` (each atomically)."""
    if not 0 <= dev_share < 1:
        raise ValueError(f"dev_share must be in [0, 1), not {dev_share}")
    got, left = records(warehouse, dev_share=dev_share, split_seed=split_seed, form=form, placeholders=placeholders)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = Counter(r["split"] for r in got)
    for split in ("train", "dev"):
        _write(out / f"{split}.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n"
                                               for r in got if r["split"] == split))
    manifest = {"warehouse": str(warehouse), "prompt": load(PROMPT).version, "form": form,
                "dev_share": dev_share, "split_seed": split_seed, "placeholders": placeholders,
                "train": counts["train"], "dev": counts["dev"], "left_out": dict(left)}
    _write(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return manifest


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
