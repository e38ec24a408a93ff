"""Thoughts by an LLM, bottom-up as in WorkflowLLM: a comment for every action line, then a plan
from the commented code, then a query from the plan. Long code is split into pieces that fit the
token budget; the pieces' comments and plans are joined in order. Prompting lives here, parsing
in each request's check, transport in ``workflowbench.llm``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..llm import LLMConfig, Request
from ..llm import client as llm
from ..llm.prompts import Prompt, load
from .base import ApiDoc, Seed, Thoughts
from .chunks import CHARS_PER_TOKEN, Chunk, numbered, one_line, split, view
from .offline import action_lines, leaks

STAGE = "thoughts"
PROMPTS = ("comments", "plan", "query")
ABOUT_CHARS = 600  # of a publisher's description in a prompt


def prompt_versions() -> dict[str, str]:
    return {name: load(name).version for name in PROMPTS}


@dataclass
class _Work:
    seed: Seed
    lines: dict[int, int]  # action line -> action index
    chunks: list[Chunk]
    comments: dict[int, str] = field(default_factory=dict)
    plan: list[str] = field(default_factory=list)
    error: str | None = None


def _api_lines(seed: Seed, chunk: Chunk, lines: Mapping[int, int], apis: Mapping[str, ApiDoc]) -> str:
    seen: dict[str, None] = {}
    for n in chunk.lines:
        seen.setdefault(seed.workflow.actions[lines[n]].identifier)
    out = []
    for ident in seen:
        doc = apis.get(ident)
        if doc is None:
            continue
        about = " ".join((doc.description or "").split())[:240]
        out.append(f"- {doc.function}: {doc.name or ident}" + (f" — {about}" if about else ""))
    return "\n".join(out) or "(none described)"


def _check_comments(expected: Sequence[int]) -> Any:
    def check(data: Any) -> str | None:
        got = [c["line"] for c in data["comments"]]
        if sorted(got) != sorted(expected):
            missing = sorted(set(expected) - set(got))[:8]
            extra = sorted(set(got) - set(expected))[:8]
            return f"comments must cover exactly the given lines (missing {missing}, unexpected {extra})"
        if any(not one_line(c["text"]) for c in data["comments"]):
            return "a comment is empty"
        return None
    return check


def _check_query(seed: Seed, apis: Mapping[str, ApiDoc]) -> Any:
    def check(data: Any) -> str | None:
        named = leaks(data["query"], seed, apis)
        return f"the request names code or API identifiers: {', '.join(named[:5])}" if named else None
    return check


def _apps(seed: Seed, apis: Mapping[str, ApiDoc]) -> str:
    names: dict[str, None] = {}
    for action in seed.workflow.actions:
        ident = action.identifier
        if ident.startswith("is.workflow.actions."):
            continue
        doc = apis.get(ident)
        names.setdefault(doc.name if doc and doc.name else ident.rsplit(".", 1)[0])
    return ", ".join(list(names)[:8]) or "only built-in Shortcuts actions"


def _plan_text(steps: Sequence[str], budget_chars: int) -> str:
    out, size = [], 0
    for i, step in enumerate(steps, start=1):
        line = f"{i}. {step}"
        if out and size + len(line) > budget_chars:
            out.append(f"(… {len(steps) - i + 1} more steps)")
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)


def shown_name(seed: Seed) -> str:
    """The shortcut as the prompts name it: its name and, when its publisher described it, the
    description on the next line. Without one, the name alone: those prompts are what they always were."""
    name = seed.name or "(untitled)"
    if not seed.description:
        return name
    about = " ".join(seed.description.split())
    if len(about) > ABOUT_CHARS:
        about = about[:ABOUT_CHARS].rsplit(" ", 1)[0] + " …"
    return f"{name}\nWhat its publisher says it does (use it for the goal, in your own words): {about}"


def comments_messages(prompt: Prompt, seed: Seed, chunk: Chunk, lines: Mapping[int, int],
                      apis: Mapping[str, ApiDoc]) -> list[dict[str, str]]:
    return prompt.messages(name=shown_name(seed), apis=_api_lines(seed, chunk, lines, apis),
                           code=numbered(seed.code.code, chunk), lines=", ".join(map(str, chunk.lines)))


def plan_messages(prompt: Prompt, seed: Seed, comments: Mapping[int, str], chunk: Chunk, k: int = 1,
                  parts: int = 1) -> list[dict[str, str]]:
    part = f"(Part {k} of {parts}; its steps continue the previous part's.)\n" if parts > 1 else ""
    return prompt.messages(name=shown_name(seed), part=part, code=view(seed.code.code, comments, chunk))


def query_messages(prompt: Prompt, seed: Seed, plan: Sequence[str], apis: Mapping[str, ApiDoc],
                   budget_tokens: int) -> list[dict[str, str]]:
    return prompt.messages(name=shown_name(seed), apps=_apps(seed, apis),
                           plan=_plan_text(plan, budget_tokens * CHARS_PER_TOKEN))


def think(seeds: Sequence[Seed], apis: Mapping[str, ApiDoc], config: LLMConfig, cache: llm.Cache | None,
          budget_tokens: int, sink: Callable[[dict[str, Any]], None] | None = None,
          ) -> tuple[dict[str, Thoughts | str], list[dict[str, Any]], dict[str, int]]:
    """Thoughts (or the reason there are none) per shortcut id, the llm_calls rows of live calls, and
    how many pieces each shortcut's code was split into. ``sink`` gets each row as it arrives."""
    work = []
    for seed in seeds:
        lines = action_lines(seed.code)
        work.append(_Work(seed, lines, split(seed.code.code, sorted(lines), budget_tokens)))
    rows: list[dict[str, Any]] = []

    def ask(requests: list[tuple[_Work, Request]]) -> list[tuple[_Work, llm.Answer]]:
        answers = llm.run([r for _, r in requests], config, cache, sink)
        rows.extend(a.row for a in answers if a.row is not None)
        out = []
        for (w, _), answer in zip(requests, answers):
            if answer.status != "ok" and w.error is None:
                w.error = f"{answer.request.prompt}: {answer.error}"
            out.append((w, answer))
        return out

    comments, plan, query = (load(name) for name in PROMPTS)
    requests = []
    for w in work:
        for chunk in w.chunks:
            if not chunk.lines:
                continue
            messages = comments_messages(comments, w.seed, chunk, w.lines, apis)
            requests.append((w, Request(STAGE, comments.name, comments.version, messages, comments.schema,
                                        _check_comments(chunk.lines))))
    for w, answer in ask(requests):
        if answer.status == "ok":
            w.comments.update({c["line"]: one_line(c["text"]) for c in answer.data["comments"]})

    requests = []
    for w in work:
        if w.error is not None:
            continue
        for k, chunk in enumerate(w.chunks, start=1):
            messages = plan_messages(plan, w.seed, w.comments, chunk, k, len(w.chunks))
            requests.append((w, Request(STAGE, plan.name, plan.version, messages, plan.schema)))
    for w, answer in ask(requests):  # in chunk order, so the joined plan follows the code
        if answer.status == "ok":
            w.plan.extend(" ".join(s.split()) if "\n" not in s else s.strip() for s in answer.data["steps"])

    requests = []
    for w in work:
        if w.error is not None:
            continue
        messages = query_messages(query, w.seed, w.plan, apis, budget_tokens)
        requests.append((w, Request(STAGE, query.name, query.version, messages, query.schema,
                                    _check_query(w.seed, apis))))
    out: dict[str, Thoughts | str] = {}
    for w, answer in ask(requests):
        if answer.status == "ok" and w.error is None:
            out[w.seed.shortcut_id] = Thoughts(w.comments, w.plan, " ".join(answer.data["query"].split()))
    for w in work:
        if w.seed.shortcut_id not in out:
            out[w.seed.shortcut_id] = w.error or "no answer"
    return out, rows, {w.seed.shortcut_id: len(w.chunks) for w in work}
