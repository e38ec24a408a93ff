"""The judge stage (role ``judge``): does each ok sample that no earlier gate dropped accomplish its
query using only the given APIs? One ``verdicts`` row per sample with ``gate = 'judge'``: ``keep`` for pass, ``drop``
(reason ``judge-fail``) for fail, with the judge's reason as the detail.

A call that failed, timed out or whose answer did not parse is ``unknown`` (``judge-error``), never
a fail; so is every sample offline (``offline``: there is no model to ask) and code too long for
the judge's budget (``too-long``). With a second judge (``second``), the two must agree, and a
disagreement is ``unknown`` (``judges-disagree``); it must be another model (the same one would
be the first judge's cached answer). Answers are journaled and cached like every
other LLM stage's: a rerun asks nothing again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field, field_validator

from ..checks.lines import action_lines, calls_action
from ..checks.rules import RULES
from ..code.from_code import from_code, function_map
from ..llm import LLMConfig, Request
from ..llm import client as llm
from ..llm.cache import WarehouseCache
from ..llm.prompts import Prompt, load
from ..shortcut.errors import ShortcutError
from ..warehouse.journal import Journal
from ..warehouse.reader import ShardReader
from .contract import ARRIVAL, Batch, Output, Settings, Stage, batches_by_id, now
from .min_actions import MIN_ACTIONS

STAGE = "judge"
PROMPT = "judge"
STEPS = "steps"
COLUMNS = ("sample_id", "query", "apis", "workflow_code")
OFFLINE_BATCHES = 40  # batch_size times this is an offline batch
STATIC = (MIN_ACTIONS.name, *RULES)  # the gates that decide from a sample alone, all before the judge


class JudgeSettings(Settings):
    llm: LLMConfig | None = None  # the judge role's endpoint; None: offline, every verdict unknown
    steps: bool = True  # with an endpoint, also a label per action from the judge (step_labels, source 'judge')
    second: LLMConfig | None = None  # a second judge that must agree
    max_code_chars: int = Field(48_000, ge=100, le=10_000_000)  # longer code is not sent: unknown
    batch_size: int = Field(500, ge=1, le=100_000)
    unversioned = frozenset({"batch_size"})

    @field_validator("second", mode="before")
    @classmethod
    def _endpoint(cls, v: Any) -> Any:
        """``{"base_url": ..., "model": ..., **options}`` from flow parameters or ``--set``."""
        if isinstance(v, dict):
            rest = dict(v)
            if "base_url" not in rest or "model" not in rest:
                raise ValueError("a second judge needs base_url and model")
            return LLMConfig(str(rest.pop("base_url")).rstrip("/"), str(rest.pop("model")), **rest)
        return v

    def version(self) -> Any:
        def who(c: LLMConfig | None) -> Any:
            return None if c is None else [c.base_url, c.model, c.sampling()]
        return [who(self.llm), who(self.second), load(PROMPT).version if self.llm else None, self.max_code_chars,
                load(STEPS).version if self.llm and self.steps else None]


def plan(reader: ShardReader, settings: JudgeSettings) -> list[Batch]:
    """Batches of the ok samples no earlier gate dropped (a call on a dropped sample is wasted) and
    every static gate that has run decided about. A sample another build wrote after this build's
    gates read the samples has no verdict of theirs yet: it is left to the judge of a build whose
    gates saw it (judged now, it could be one a static gate is about to drop)."""
    static = f"gate IN ({', '.join(repr(g) for g in STATIC)})"
    # One read of the verdicts: per sample, whether an earlier gate dropped it and how many static
    # gates decided about it; and how many static gates have decided about anything.
    verdicts = reader.rows("verdicts", f"DISTINCT sample_id, bool_or(verdict = 'drop' AND gate <> '{STAGE}') "
                           f"OVER (PARTITION BY sample_id), count(*) FILTER (WHERE {static}) OVER (PARTITION BY "
                           f"sample_id), count(DISTINCT gate) FILTER (WHERE {static}) OVER ()")
    gates = verdicts[0][3] if verdicts else 0
    dropped = {sid for sid, drop, _, _ in verdicts if drop}
    seen = {sid for sid, _, n, _ in verdicts if n == gates}  # with no static verdict at all (the judge run
    # alone, as in its own tests), there is nothing to wait for: every sample is judged
    rows = [r for r in reader.rows("samples", "sample_id, sha256(concat_ws('\x00', query, task_plan, workflow_code))",
                                   where="status = 'ok'", order=ARRIVAL)
            if r[0] not in dropped and (not gates or r[0] in seen)]
    inputs = (("apis", ",".join(reader.shards("apis"))),)
    # Offline there is no call to spread over tasks: a batch only makes a shard, and fewer shards are
    # fewer files for every later reader of the verdicts.
    size = settings.batch_size if settings.llm is not None else settings.batch_size * OFFLINE_BATCHES
    return batches_by_id(rows, size, inputs)


def messages(prompt: Prompt, query: str, stubs: Sequence[str], code: str) -> list[dict[str, str]]:
    apis = "\n".join(s.rstrip() + "\n" for s in stubs).rstrip() or "(only the code format's own helpers)"
    return prompt.messages(query=query, apis=apis, code=code.rstrip())


def decide(first: llm.Answer, second: llm.Answer | None) -> tuple[str, str, str]:
    """(verdict, reason, detail) from one answer, or two that must agree."""
    answers = [first] if second is None else [first, second]
    failed = [a for a in answers if a.status != "ok"]
    if failed:
        return "unknown", "judge-error", str(failed[0].error)[:500]
    said = {a.data["verdict"] for a in answers}
    if len(said) > 1:
        said_by = " | ".join(f"{a.data['verdict']}: {a.data['reason']}" for a in answers)
        return "unknown", "judges-disagree", said_by[:500]
    verdict = said.pop()
    detail = " ".join(first.data["reason"].split())[:500]
    return ("keep", "judge-pass", detail) if verdict == "pass" else ("drop", "judge-fail", detail)


def step_labels(rows: Sequence[dict[str, Any]], stubs: Mapping[str, str], reader: ShardReader, config: LLMConfig,
                at: Any) -> tuple[list[dict[str, Any]], int]:
    """The judge's label per action (``step_labels`` rows, source 'judge'), and the live calls it took.
    A sample whose code does not map, or whose lines cannot be matched to its actions, is not asked;
    an action the answer leaves out is 0 with reason 'not-labelled' (flagged); a failed call gives
    no labels (the static ones stand)."""
    prompt = load(STEPS)
    functions = function_map(i for (i,) in reader.rows("apis", "identifier"))

    is_action = calls_action(functions)
    work, requests = [], []
    for r in rows:
        code = r["workflow_code"] or ""
        try:
            wf = from_code(code, functions=functions)
        except (ShortcutError, SyntaxError, RecursionError):
            continue
        lines = action_lines(code, len(wf.actions), is_action)
        if not wf.actions or None in lines:
            continue
        wanted = sorted(set(lines))
        shown = "\n".join(f"{n:>5}| {line}" if n in wanted else f"     | {line}"
                          for n, line in enumerate(code.splitlines(), start=1))
        apis = "\n".join(stubs[a].rstrip() + "\n" for a in r["apis"] or () if a in stubs).rstrip() or "(none)"
        messages = prompt.messages(query=r["query"] or "", apis=apis, code=shown, lines=", ".join(map(str, wanted)))
        work.append((r["sample_id"], wf, lines))
        requests.append(Request(STAGE, prompt.name, prompt.version, messages, prompt.schema))
    if not requests:
        return [], 0
    with Journal(reader.warehouse) as journal:
        answers = llm.run(requests, config, WarehouseCache(reader.warehouse), journal.write)
    out = []
    for (sample_id, wf, lines), answer in zip(work, answers):
        if answer.status != "ok":
            continue
        said = {int(x["line"]): (int(x["label"]), " ".join(str(x.get("reason") or "").split())[:300])
                for x in answer.data["labels"]}
        for position, line in enumerate(lines):
            label, reason = said.get(line, (0, "not-labelled"))
            out.append({"sample_id": sample_id, "position": position, "line": line,
                        "identifier": wf.actions[position].identifier, "label": label,
                        "reason": reason or "judged", "source": STAGE, "created_at": at})
    return out, sum(a.row is not None for a in answers)


def run(batch: Batch, reader: ShardReader, settings: JudgeSettings) -> Output:
    # Offline every verdict is unknown: the ids are all it reads (not the code of every shard's rows).
    columns = COLUMNS if settings.llm is not None else ("sample_id",)
    rows = [dict(zip(columns, r)) for r in reader.rows("samples", ", ".join(columns), ids=batch.items,
                                                         where="status = 'ok'", order="sample_id")]
    at = now()
    labels: list[dict[str, Any]] = []
    decided: dict[str, tuple[str, str, str]] = {}
    asked: list[dict[str, Any]] = []
    for row in rows:
        if settings.llm is None:
            decided[row["sample_id"]] = ("unknown", "offline", "no endpoint for the judge role")
        elif len(row["workflow_code"] or "") > settings.max_code_chars:
            decided[row["sample_id"]] = ("unknown", "too-long", f"{len(row['workflow_code']):,} characters of code")
        else:
            asked.append(row)
    live = 0
    if asked:
        prompt = load(PROMPT)
        stubs = dict(reader.rows("apis", "identifier, stub"))
        requests = [Request(STAGE, prompt.name, prompt.version,
                            messages(prompt, r["query"] or "", [stubs[a] for a in r["apis"] or () if a in stubs],
                                     r["workflow_code"] or ""), prompt.schema) for r in asked]
        with Journal(reader.warehouse) as journal:
            cache = WarehouseCache(reader.warehouse)
            first = llm.run(requests, settings.llm, cache, journal.write)  # type: ignore[arg-type]
            second = llm.run(requests, settings.second, cache, journal.write) if settings.second else None
        live = sum(a.row is not None for a in first) + sum(a.row is not None for a in second or ())
        for i, row in enumerate(asked):
            decided[row["sample_id"]] = decide(first[i], second[i] if second else None)
        if settings.steps:
            labels, calls = step_labels(asked, stubs, reader, settings.llm, at)  # type: ignore[arg-type]
            live += calls
    out = [{"sample_id": sid, "gate": STAGE, "verdict": v, "reason": reason, "detail": detail, "decided_at": at}
           for sid, (v, reason, detail) in decided.items()]
    counts = Counter(v["verdict"] for v in out)
    unknown = Counter(f"unknown: {v['reason']}" for v in out if v["verdict"] == "unknown" and v["reason"] != "offline")
    return Output({"verdicts": out, "step_labels": labels}, journaled=live, items=len(out), failures=dict(unknown),
                  retry=any(v["reason"] == "judge-error" for v in out), counts={**counts, "calls": live})




JUDGE: Stage[JudgeSettings] = Stage(
    name=STAGE, reads=("samples", "apis"), writes=("verdicts", "step_labels"),
    code=(__name__, "workflowbench.checks.lines"),
    settings=JudgeSettings, plan=plan, run=run, retention="covered",
)
