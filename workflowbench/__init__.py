"""workflowbench: real Apple Shortcuts in, a WorkflowBench-style DuckDB warehouse out.

Layers: ``shortcut`` (the file formats and the typed model), ``code`` (shortcuts as Python-style code
and back), ``stages`` (the pipeline's stages and their contract), ``catalog`` and ``thoughts`` (what
two stages compute), ``llm`` (model-backed calls), ``warehouse`` (shards, the shard reader, publish),
``examples`` (the example shortcuts in raw_shortcuts/), ``reports`` and ``cli``."""

from . import moved
from .code.from_code import CodeError, from_code
from .code.to_code import to_code, transpile
from .shortcut.containers import Limits, Signing
from .shortcut.errors import BadStructure, Corrupt, ShortcutError, TooDeep, TooLarge, UnknownFormat, Unsupported
from .shortcut.model import Action, Icon, ImportQuestion, Workflow
from .shortcut.reader import read_shortcut

moved.install()

__all__ = [
    "Action",
    "BadStructure",
    "CodeError",
    "Corrupt",
    "Icon",
    "ImportQuestion",
    "Limits",
    "ShortcutError",
    "Signing",
    "TooDeep",
    "TooLarge",
    "UnknownFormat",
    "Unsupported",
    "Workflow",
    "from_code",
    "read_shortcut",
    "to_code",
    "transpile",
]
