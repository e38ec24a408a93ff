"""The transpile stage: the workflows an ingest batch read, as code rows.

It runs inside each ingest batch on the ``Workflow`` objects the batch already holds, so no file
is read twice. ``transpile_batch`` is a pure function of its workflows (plus the clock); a
workflow that cannot be transpiled, or whose code ``ast`` rejects, becomes a ``failed`` code row
and a ``rejects`` row, and the batch goes on.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import ShortcutError
from .model import Workflow
from .to_code import Transpiled, transpile

STAGE = "transpile"


def _version() -> str:
    """A hash of the transpiler's sources: any change to what it writes rebuilds the shards."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("to_code.py", "literals.py", "names.py", "inputs.py", "values.py", "controlflow.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:12]


# Part of the ingest shard key (and of every code row).
TRANSPILER_VERSION = _version()


class TranspileError(ShortcutError):
    """A workflow the transpiler failed on (``transpile-error``) or wrote invalid code for (``invalid-code``)."""

    reason = "transpile-error"


@dataclass(frozen=True, slots=True)
class Item:
    """One workflow a batch kept, with the file it came from (for the rejects row)."""

    shortcut_id: str
    workflow: Workflow
    source: str
    path: str
    file_sha256: str | None


def checked(wf: Workflow, source: str) -> Transpiled:
    """``transpile(wf)``, refused as a ``TranspileError`` unless ``ast`` parses the code.

    The code is only parsed, never run.
    """
    try:
        out = transpile(wf)
    except Exception as exc:  # a transpiler bug on this input: one failed row, not a failed batch
        raise TranspileError(source, f"{type(exc).__name__}: {exc}") from exc
    try:
        ast.parse(out.code, filename=source)
    except SyntaxError as exc:
        raise TranspileError(source, f"line {exc.lineno}: {exc.msg}", reason="invalid-code") from exc
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, nesting too deep for the parser
        raise TranspileError(source, f"{type(exc).__name__}: {exc}", reason="invalid-code") from exc
    return out


def code_row(shortcut_id: str, out: Transpiled | None, now: datetime, reason: str | None = None) -> dict[str, Any]:
    """The ``code`` row of one shortcut; ``out`` is None when it failed (the columns of the code are then NULL)."""
    row: dict[str, Any] = {
        "shortcut_id": shortcut_id, "status": "failed" if out is None else "ok", "reason": reason,
        "code": None, "names": None, "lines": None, "general": None, "line_count": None,
        "transpiler_version": TRANSPILER_VERSION, "transpiled_at": now,
    }
    if out is not None:
        row.update({
            "code": out.code,
            "names": json.dumps(out.names, ensure_ascii=False),
            "lines": json.dumps([[line, index] for line, index in out.lines]),
            "general": out.general,
            "line_count": len(out.code.splitlines()),
        })
    return row


def transpile_batch(items: Iterable[Item], now: datetime) -> dict[str, list[dict[str, Any]]]:
    """``code`` rows for every item, plus a ``rejects`` row (stage ``transpile``) for each failure."""
    out: dict[str, list[dict[str, Any]]] = {"code": [], "rejects": []}
    for it in items:
        try:
            done = checked(it.workflow, it.path)
        except TranspileError as exc:
            out["code"].append(code_row(it.shortcut_id, None, now, exc.reason))
            out["rejects"].append({
                "source": it.source, "path": it.path, "file_sha256": it.file_sha256, "stage": STAGE,
                "reason": exc.reason, "detail": exc.detail, "at": now,
            })
            continue
        out["code"].append(code_row(it.shortcut_id, done, now))
    return out
