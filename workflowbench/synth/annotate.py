"""The annotator's request (a query and the docs of the APIs it may use) and the strict reading of
its answer: a plan and code that parses and that ``from_code`` maps to a workflow.

Two answer forms are read, nothing looser: the JSON object of ``annotate.schema.json``
(``{"plan": [...], "code": "..."}``), and WorkflowLLM's inference form, which a model fine-tuned on
its data writes::

    Thought: <the plan>
    Code:
    ```python
    <the code>
    ```

An answer that is neither, or whose code does not parse or map, is an ``Unusable`` with a reason
slug; nothing is guessed, and the code is never run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from string import Template
from typing import Literal

import jsonschema

from ..code.from_code import from_code
from ..code.syntax import parse
from ..llm.prompts import Prompt
from ..shortcut.errors import ShortcutError
from ..shortcut.model import Workflow

API_HEADER = "The APIs you may use:"
THOUGHT_CODE = re.compile(
    r"Thought:[ \t]*(?P<plan>.+?)\n[ \t]*Code:[ \t]*\n```(?:python|py)?[ \t]*\n(?P<code>.*?)\n?```", re.DOTALL)
_STEP = re.compile(r"^\d+\.\s+")
Form = Literal["thought-code", "json"]


@dataclass(frozen=True)
class Annotation:
    plan: tuple[str, ...]
    code: str
    workflow: Workflow
    form: Form


@dataclass(frozen=True)
class Unusable:
    reason: str  # not-an-answer | schema | syntax | unmapped | no-actions
    detail: str


def system_text(prompt: Prompt, stubs: Sequence[str]) -> str:
    """The instructions, then the stubs of the APIs the request may use."""
    docs = "\n".join(s.rstrip() + "\n" for s in stubs) if stubs else "(none: only the code format's helpers)\n"
    return f"{prompt.system}\n\n{API_HEADER}\n\n{docs}".rstrip() + "\n"


def messages(prompt: Prompt, query: str, stubs: Sequence[str]) -> list[dict[str, str]]:
    return [{"role": "system", "content": system_text(prompt, stubs)},
            {"role": "user", "content": Template(prompt.user).substitute(query=query).strip()}]


def plan_steps(plan: str) -> list[str]:
    """'1. a\\n   - b\\n2. c' -> ['a\\n   - b', 'c']; a plan with no numbered line is one step."""
    steps: list[str] = []
    for line in plan.strip().splitlines():
        if _STEP.match(line):
            steps.append(_STEP.sub("", line, count=1))
        elif steps:
            steps[-1] += "\n" + line
        elif line.strip():
            steps.append(line.strip())
    return [s.rstrip() for s in steps if s.strip()]


def numbered(steps: Sequence[str]) -> str:
    return "\n".join(f"{i}. {s}" for i, s in enumerate(steps, start=1))


def answer_text(steps: Sequence[str], code: str, form: Form = "thought-code") -> str:
    """What an annotator should answer for this plan and code (the SFT target)."""
    if form == "json":
        return json.dumps({"plan": list(steps), "code": code}, ensure_ascii=False)
    return f"Thought: {numbered(steps)}\nCode:\n```python\n{code.rstrip()}\n```"


def read_answer(text: str, schema: Mapping[str, object], functions: Mapping[str, str] | None = None
                ) -> Annotation | Unusable:
    """The plan, code and workflow in an annotator's answer, or why there are none."""
    stripped = text.strip()
    form: Form
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
            jsonschema.validate(data, schema)
        except json.JSONDecodeError as exc:
            return Unusable("not-an-answer", f"not JSON: {exc}")
        except jsonschema.ValidationError as exc:
            return Unusable("schema", exc.message)
        steps, code, form = [" ".join(s.split()) if "\n" not in s else s.strip() for s in data["plan"]], \
            data["code"], "json"
    else:
        match = THOUGHT_CODE.fullmatch(stripped)
        if match is None or stripped.count("```") != 2:
            return Unusable("not-an-answer", "neither the JSON object nor 'Thought: ... Code: ```python ...```'")
        steps, code, form = plan_steps(match["plan"]), match["code"] + "\n", "thought-code"
        if not steps:
            return Unusable("schema", "the thought is empty")
    try:
        parse(code)
    except SyntaxError as exc:
        return Unusable("syntax", f"line {exc.lineno}: {exc.msg}")
    try:
        wf = from_code(code, functions=functions)
    except (ShortcutError, RecursionError) as exc:  # CodeError and the model's own errors
        return Unusable("unmapped", str(exc))
    if not wf.actions:
        return Unusable("no-actions", "the code has no actions")
    return Annotation(tuple(steps), code, wf, form)
