"""Query expansion: the request that asks an LLM for a new query a spec's APIs answer, and the
check of its answer. The prompt gives the APIs' stubs (parameters, enums, what they return), the
theme, the level and its control flow, and the example seeds' queries with the actions their
shortcuts use; the answer is ``{"query": ...}`` and must name none of the APIs (the project's
identifier-leak check)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..llm.prompts import Prompt
from ..thoughts.base import ApiDoc
from ..thoughts.query import code_words, named_code
from .specs import LEVELS, Spec

EXAMPLE_CHARS = 600  # of an example's query: enough to show the register, not a whole description
EXAMPLE_APIS = 12
ABOUT_CHARS = 300  # of an example shortcut's description by its publisher


@dataclass(frozen=True)
class Example:
    query: str
    apis: tuple[str, ...]  # the display names of the actions its shortcut uses
    about: str | None = None  # what its publisher says the shortcut does (table shortcut_metadata)


def api_block(spec: Spec, stubs: Mapping[str, str]) -> str:
    return "\n".join(stubs.get(a, f"def {a}(): ...  # no documentation").rstrip() + "\n" for a in spec.apis).rstrip()


def example_block(examples: Sequence[Example]) -> str:
    if not examples:
        return "(none)"
    out = []
    for i, ex in enumerate(examples, start=1):
        query = " ".join(ex.query.split())
        if len(query) > EXAMPLE_CHARS:
            query = query[:EXAMPLE_CHARS].rsplit(" ", 1)[0] + " …"
        names = ", ".join(ex.apis[:EXAMPLE_APIS]) + (", …" if len(ex.apis) > EXAMPLE_APIS else "")
        out.append(f"{i}. Request: {query}\n   Actions: {names or '(only built-in helpers)'}")
        if ex.about:  # only examples with a publisher's description get the line
            about = " ".join(ex.about.split())
            if len(about) > ABOUT_CHARS:
                about = about[:ABOUT_CHARS].rsplit(" ", 1)[0] + " …"
            out[-1] += f"\n   What its publisher says it does: {about}"
    return "\n".join(out)


def messages(prompt: Prompt, spec: Spec, stubs: Mapping[str, str], examples: Sequence[Example]
             ) -> list[dict[str, str]]:
    level = LEVELS[spec.level]
    return prompt.messages(theme=spec.category, level=spec.level, flow=level.flow, count=str(len(spec.apis)),
                           apis=api_block(spec, stubs), examples=example_block(examples))


def check(spec: Spec, apis: Mapping[str, ApiDoc]) -> Callable[[Any], str | None]:
    """Why an answer's query is unusable (it names an API or code), or None."""
    words = code_words(spec.apis, [a for a in spec.apps if a != "shortcuts"], apis)

    def usable(data: Any) -> str | None:
        named = named_code(data["query"], words)
        return f"leak: the request names code or API identifiers: {', '.join(named[:5])}" if named else None
    return usable
