"""The code line of each action of a workflow read from code, found from Python's own parse of
the same code by the rules ``from_code`` follows: one action per simple statement that calls an
action (inline calls in its arguments come first), a block's start on its ``if``/``for``/``match``
line, Otherwise on the first line of the ``else`` branch, a menu case on its ``case`` line, and the
block's end on its last line. When the count differs from the workflow's, the lines are unknown
(None), never guessed."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Mapping, Sequence

from ..code.names import HELPERS
from ..code.syntax import parse

COMMENT_ACTION = re.compile(r"\s*# '''")  # from_code: a comment action, not a note


def calls_action(functions: Mapping[str, str]) -> Callable[[str], bool]:
    """Whether a called name is an action, by from_code's rule: a catalog function, or a name of
    three or more underscore-joined parts that is not one of the code format's helpers."""
    def is_action(name: str) -> bool:
        return name not in HELPERS and (name in functions or (name.count("_") >= 2 and "" not in name.split("_")))
    return is_action


def action_lines(code: str, count: int, is_action: Callable[[str], bool], tree: ast.Module | None = None
                 ) -> list[int | None]:
    """Line (1-based) per action; ``is_action(name)`` says whether a called name is an action.
    ``tree``: ``ast.parse(code)``, when the caller has it."""
    if tree is None:
        try:
            tree = parse(code)
        except SyntaxError:
            return [None] * count
    out: list[int] = []
    _body(tree.body, out, is_action)
    if "# '''" in code:  # no comment action without its marker: no need to look line by line
        notes = [n for n, line in enumerate(code.splitlines(), start=1) if COMMENT_ACTION.match(line)]
        if notes:  # comment actions sit on lines of their own, in order among the statements
            out = sorted(out + notes)
    return list(out) if len(out) == count else [None] * count


def _calls(node: ast.AST, is_action: Callable[[str], bool]) -> int:
    """Actions called inside an expression (an inline action runs before the one that uses it)."""
    n = 0
    stack = [node]
    while stack:  # the nodes ast.walk finds, but below names, constants and contexts (no call there)
        sub = stack.pop()
        kind = type(sub)
        if kind is ast.Call:  # the frequent nodes first, their children by name
            func = sub.func
            if type(func) is ast.Name:
                name = func.id
                n += bool(sub.args) if name == "input" else is_action(name)  # input('prompt') asks; input() is a value
            else:
                stack.append(func)
            stack.extend(sub.args)
            stack.extend(sub.keywords)
        elif kind is ast.keyword:
            stack.append(sub.value)
        elif kind not in _LEAVES:
            for field in _fields(kind):
                child = getattr(sub, field, None)
                if type(child) is list:
                    stack.extend(c for c in child if isinstance(c, ast.AST))
                elif isinstance(child, ast.AST):
                    stack.append(child)
    return n


_LEAVES = frozenset({ast.Name, ast.Constant, ast.Load, ast.Store, ast.Del})


@functools.cache
def _fields(kind: type) -> tuple[str, ...]:
    return tuple(f for f in kind._fields if f != "ctx")  # type: ignore[attr-defined]


def _end(node: ast.stmt) -> int:
    return node.end_lineno or node.lineno


_ENDS = {ast.If: ("is_workflow_actions_conditional",), ast.Match: ("is_workflow_actions_choosefrommenu",),
         ast.For: ("is_workflow_actions_repeat_each", "is_workflow_actions_repeat_count")}


def _carrier(st: ast.stmt | None, kind: type) -> bool:
    """The statement right after a block that holds its End action (``menu_result = ...menu()``)."""
    if isinstance(st, (ast.Assign, ast.AnnAssign, ast.Expr)) and isinstance(st.value, ast.Call):
        call = st.value
        return (isinstance(call.func, ast.Name) and call.func.id in _ENDS[kind] and not call.args
                and all(k.arg not in (None, "WFControlFlowMode") for k in call.keywords))
    return False


def _body(statements: Sequence[ast.stmt], out: list[int], is_action: Callable[[str], bool]) -> None:
    skip = False
    for k, st in enumerate(statements):
        if skip:
            skip = False
            continue
        if isinstance(st, (ast.If, ast.For, ast.Match)):
            if isinstance(st, ast.If):
                out.extend([st.lineno] * (1 + _calls(st.test, is_action)))
                _body(st.body, out, is_action)
                if st.orelse:
                    out.append(st.orelse[0].lineno)
                    _body(st.orelse, out, is_action)
            elif isinstance(st, ast.For):
                out.extend([st.lineno] * (1 + _calls(st.iter, is_action)))
                _body(st.body, out, is_action)
            else:
                out.extend([st.lineno] * (1 + _calls(st.subject, is_action)))
                for case in st.cases:
                    out.append(case.pattern.lineno)
                    _body(case.body, out, is_action)
            nxt = statements[k + 1] if k + 1 < len(statements) else None
            skip = _carrier(nxt, type(st))
            out.append(nxt.lineno if skip and nxt is not None else _end(st))
        elif isinstance(st, ast.Pass):
            continue
        else:
            out.extend([st.lineno] * max(1, _calls(st, is_action)))
