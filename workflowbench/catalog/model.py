"""The API catalog's records: one ``Api`` per action identifier, with its ``Param``s and ``App``.

Every field a source can set records which source set it (``provenance``: field -> source name),
so a reader of the catalog can tell an enum Apple defined from one guessed out of the corpus.
Sources, in the order of precedence used by ``merge`` (first wins, per field):

- ``wfactions``: Apple's action definitions (ScPL's dump): names, descriptions, parameter classes,
  defaults, enum items, input/output types;
- ``shortcutsbench``: ShortcutsBench's catalog: parameter types, defaults, descriptions;
- ``workflowllm``: WorkflowLLM's API docs: descriptions, required/optional lists, the 44 tags;
- ``corpus``: what the ingested shortcuts show: keys, value kinds, observed values, output labels,
  app descriptors.

Enum values are the union over sources (each value's first source is recorded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SOURCES = ("wfactions", "shortcutsbench", "workflowllm", "corpus")

# Parameter types, the JSON Schema each maps to is in catalog/schema.py.
TYPES = ("string", "number", "integer", "boolean", "enum", "date", "dictionary", "list", "file", "object", "unknown")


@dataclass
class Param:
    key: str
    label: str | None = None
    type: str = "unknown"  # one of TYPES
    required: bool = False
    default: Any = None
    enum: list[Any] = field(default_factory=list)
    accepts_variables: bool = True
    description: str | None = None
    provenance: dict[str, str] = field(default_factory=dict)  # field -> source
    shapes: list[dict[str, Any]] = field(default_factory=list)  # schema alternatives the corpus showed (widen)


@dataclass
class Api:
    identifier: str
    app: str  # bundle id, or 'shortcuts' for built-ins
    name: str | None = None  # human name, e.g. 'Get Contents of URL'
    description: str | None = None
    params: list[Param] = field(default_factory=list)
    input_key: str | None = None  # the parameter that takes the previous action's output
    output_name: str | None = None
    output_type: str | None = None
    tags: list[str] = field(default_factory=list)  # WorkflowLLM's functional tags
    provenance: dict[str, str] = field(default_factory=dict)  # field -> source
    uses: int = 0  # occurrences in the corpus

    def param(self, key: str) -> Param | None:
        return next((p for p in self.params if p.key == key), None)


@dataclass
class App:
    bundle_id: str
    name: str | None = None
    kind: str = "third-party"  # built-in | apple | third-party
    api_count: int = 0
