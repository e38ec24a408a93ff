"""What the thoughts stage works on and what it produces, shared by the offline and LLM backends."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..code.to_code import Transpiled
from ..shortcut.model import Workflow


@dataclass(frozen=True)
class ApiDoc:
    """The catalog's view of one API, as much as a comment or a prompt needs."""

    identifier: str
    function: str  # the name used in code
    name: str | None = None  # human name, e.g. 'Get Contents of URL'
    description: str | None = None
    labels: dict[str, str] = field(default_factory=dict)  # parameter key -> label
    output_name: str | None = None


@dataclass(frozen=True)
class Seed:
    """One seed shortcut: its model, its code (with the action -> line map) and its name; with metadata
    (table shortcut_metadata), what its publisher says it does and the other names it goes by."""

    shortcut_id: str
    name: str
    workflow: Workflow
    code: Transpiled
    category: str | None = None
    description: str | None = None
    titles: tuple[str, ...] = ()  # other names: a site's title where it differs from ``name``


@dataclass(frozen=True)
class Thoughts:
    """Comments keyed by the 1-based code line they precede, numbered plan steps, and the query."""

    comments: dict[int, str]
    plan: list[str]
    query: str
