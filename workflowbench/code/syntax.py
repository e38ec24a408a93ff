"""Python's parser, one thread at a time.

CPython 3.11 keeps the depth counter of its AST constructor per interpreter, not per thread: when
a collection during one thread's parse runs Python code (a finaliser) and another thread parses
meanwhile, the counter goes wrong and ``ast.parse`` raises ``SystemError: AST constructor
recursion depth mismatch`` (seen in a build whose rules batches ran side by side). A parse holds the
GIL anyway, so a lock costs nothing but that failure. Every parse in the package goes through here.
"""

from __future__ import annotations

import ast
import threading
from typing import Any

_LOCK = threading.Lock()


def parse(code: str, filename: str = "<unknown>", mode: str = "exec") -> Any:
    """``ast.parse(code, filename, mode)``, never at the same time as another thread's."""
    with _LOCK:
        return ast.parse(code, filename=filename, mode=mode)


def literal(text: str) -> Any:
    """``ast.literal_eval`` of ``text`` (its parse through ``parse``)."""
    return ast.literal_eval(parse(text, mode="eval"))
