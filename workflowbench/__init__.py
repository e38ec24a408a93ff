"""workflowbench: real Apple Shortcuts in, a WorkflowBench-style DuckDB warehouse out."""

from .containers import Limits, Signing
from .errors import BadStructure, Corrupt, ShortcutError, TooDeep, TooLarge, UnknownFormat, Unsupported
from .from_code import CodeError, from_code
from .model import Action, Icon, ImportQuestion, Workflow
from .reader import read_shortcut
from .to_code import to_code, transpile

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
