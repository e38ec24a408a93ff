"""The transpile stage: the workflows an ingest batch read, as code rows.

It runs inside each ingest batch on the ``Workflow`` objects the batch already holds, so no file
is read twice (its rows go into the ingest batch's shard, and the ingest version covers its code).
``transpile_batch`` is a pure function of its workflows (plus the clock); a workflow that cannot be
transpiled, or whose code ``ast`` rejects, becomes a ``failed`` code row and a reject with stage
``transpile``, and the batch goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..code.syntax import parse
from ..code.to_code import Transpiled, transpile
from ..shortcut.errors import ShortcutError
from ..shortcut.model import Workflow
from .contract import Reject, code_version

STAGE = "transpile"
# The code that decides what a code row holds: the code layer and the model it reads.
CODE = ("workflowbench.code", "workflowbench.shortcut", __name__)
# Part of the ingest shard key (and of every code row).
TRANSPILER_VERSION = code_version(*CODE)


class TranspileError(ShortcutError):
    """A workflow the transpiler failed on (``transpile-error``) or wrote invalid code for (``invalid-code``)."""

    reason = "transpile-error"


@dataclass(frozen=True, slots=True)
class Item:
    """One workflow a batch kept, with the file it came from (for the reject)."""

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
        parse(out.code, filename=source)
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


def transpile_batch(items: Iterable[Item], now: datetime) -> tuple[list[dict[str, Any]], list[Reject]]:
    """``code`` rows for every item, plus a reject (stage ``transpile``) for each failure."""
    rows: list[dict[str, Any]] = []
    rejects: list[Reject] = []
    for it in items:
        try:
            done = checked(it.workflow, it.path)
        except TranspileError as exc:
            rows.append(code_row(it.shortcut_id, None, now, exc.reason))
            rejects.append(Reject(it.path, exc.reason, exc.detail, it.source, it.file_sha256, STAGE))
            continue
        rows.append(code_row(it.shortcut_id, done, now))
    return rows, rejects
