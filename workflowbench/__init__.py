"""workflowbench: real Apple Shortcuts in, a WorkflowBench-style DuckDB warehouse out."""

from .containers import Limits, Signing
from .errors import BadStructure, Corrupt, ShortcutError, TooDeep, TooLarge, UnknownFormat, Unsupported
from .model import Action, Icon, ImportQuestion, Workflow
from .reader import read_shortcut

__all__ = [
    "Action",
    "BadStructure",
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
    "read_shortcut",
]
