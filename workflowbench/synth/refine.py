"""Refinement of a sample's plan and code: the request for an LLM to polish them, and offline, the
canonical rewrite (the code read into the model with ``from_code`` and written back as the
training view, each action keeping the comment it had). Either way, a refinement that changes which
APIs the sample uses is not taken: the caller keeps the sample and records why."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..checks.lines import action_lines as code_lines
from ..checks.lines import calls_action
from ..code.from_code import from_code
from ..code.view import training_view
from ..llm.prompts import Prompt
from ..shortcut.errors import ShortcutError
from ..shortcut.model import Workflow
from ..thoughts.chunks import with_comments
from ..thoughts.lines import action_lines


@dataclass(frozen=True)
class Refined:
    plan: str
    code: str
    workflow: Workflow


def messages(prompt: Prompt, query: str, plan: str, code: str, stubs: Sequence[str]) -> list[dict[str, str]]:
    apis = "\n".join(s.rstrip() + "\n" for s in stubs).rstrip() or "(only the code format's own helpers)"
    return prompt.messages(query=query, apis=apis, plan=plan.strip(), code=code.rstrip())


def comment_of(code: str, wf: Workflow, functions: Mapping[str, str]) -> list[str | None] | None:
    """Each action's comment (the ``#`` line right above its line), or None when the lines cannot be
    matched to the actions."""
    is_action = calls_action(functions)
    lines = code_lines(code, len(wf.actions), is_action)
    if None in lines:
        return None
    source = code.splitlines()
    out: list[str | None] = []
    for n in lines:
        above = source[n - 2].strip() if n and n >= 2 else ""  # type: ignore[operator]
        out.append(above[1:].strip() if above.startswith("#") and not above.startswith("# '''") else None)
    return out


def rewrite(code: str, plan: str, functions: Mapping[str, str], labels: Callable[[str], str | None]) -> Refined | None:
    """The canonical rewrite, or None when the code does not map or its comments cannot be carried."""
    try:
        wf = from_code(code, functions=functions)
    except (ShortcutError, SyntaxError, RecursionError):
        return None
    comments = comment_of(code, wf, functions)
    if comments is None:
        return None
    view = training_view(wf, labels=labels)
    placed = {line: comments[i] for line, i in action_lines(view.code).items() if i < len(comments) and comments[i]}
    return Refined(plan, with_comments(view.code.code, placed), view.workflow)  # type: ignore[arg-type]
