"""Python-style code -> Workflow, read with libcst (the forms are listed in docs/CODE.md).

The reader accepts what ``to_code`` writes and hand- or model-written code in the same style. It
never runs the code: it reads the syntax tree. Anything it cannot map is a ``CodeError`` naming the
line. A function name goes back to an action identifier by, in order: the identifiers the caller
knows (a catalog), the app bundle id in the call's own ``AppIntentDescriptor`` /
``IntentAppDefinition``, then the plain rule (``_`` -> ``.``).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gc
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ..shortcut.errors import ShortcutError
from ..shortcut.model import Action, Workflow
from ..shortcut.values import (
    Aggrandizement,
    Array,
    Attachment,
    Dictionary,
    DictItem,
    PredicateTable,
    Quantity,
    Substitutable,
    Text,
    Variable,
    dump_value,
    parse_value,
)
from . import fast_cst
from .names import HELPERS, function_name, loop_variable, plain_identifier
from .syntax import parse
from .to_code import APPENDVAR, COMMENT, COMPARE, EACH, IF, MENU, REPEAT, SETVAR

_NS = uuid.UUID("6f1c2b1e-7a53-4e0c-9a53-2f1f5e0b7c11")  # ids written by from_code derive from this
_HELPER_ATTACHMENTS = {
    "shortcut_input": "ExtensionInput",
    "input": "Ask",
    "get_clipboard": "Clipboard",
    "current_date": "CurrentDate",
    "device_details": "DeviceDetails",
    "action_input": "Input",
}
_OPS = {v: k for k, v in COMPARE.items()}
_CST_OPS = {cst.LessThan: "<", cst.LessThanEqual: "<=", cst.GreaterThan: ">", cst.GreaterThanEqual: ">=",
            cst.Equal: "==", cst.NotEqual: "!="}
ASK = "is.workflow.actions.ask"


class CodeError(ShortcutError):
    """Code that cannot be mapped to a shortcut; ``line`` is 1-based (0 when unknown)."""

    reason = "bad-code"

    def __init__(self, source: str, line: int, detail: str) -> None:
        super().__init__(source, f"line {line}: {detail}" if line else detail)
        self.line = line


def function_map(identifiers: Iterable[str]) -> dict[str, str]:
    """Function name -> identifier for known identifiers (a catalog's): this is how names the plain
    rule cannot give back, or too short to look like an action, are read."""
    return {function_name(ident): ident for ident in identifiers}


@functools.lru_cache(maxsize=8192)  # the same few hundred ids in every code read
def _id(n: int, kind: str) -> str:
    return str(uuid.uuid5(_NS, f"{kind}:{n}")).upper()


class _Binding:
    __slots__ = ("index", "label", "uuid")

    def __init__(self, uuid_: str, label: str | None) -> None:
        self.uuid = uuid_
        self.label = label
        self.index = -1


class _Reader:
    def __init__(self, module: cst.Module, source: str, functions: Mapping[str, str],
                 labels: Callable[[str], str | None] | None) -> None:
        self.source = source
        self.functions = functions
        self.labels = labels
        self.pos: Mapping[cst.CSTNode, Any] | None = None  # positions cost more than the reading: only on error
        self.module = module
        self.actions: list[Action] = []
        self.outputs: dict[str, _Binding] = {}  # name -> latest binding so far
        self.ahead: dict[str, _Binding] = {}  # name -> first binding anywhere (for forward references)
        self.aliases: dict[str, str] = {}  # name in code -> variable name
        self.scopes: list[dict[str, str]] = []  # loop targets -> Repeat Index / Repeat Item
        self.groups = 0
        self.missing = 0
        self.nested = 0
        self.bindings: dict[int, _Binding] = {}  # id(assign node) -> binding
        self.repeat_depth = 0

    # errors and positions ---------------------------------------------------------------

    def fail(self, node: cst.CSTNode | None, detail: str) -> CodeError:
        line = 0
        if node is not None:
            if self.pos is None:
                self.pos = MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)
            position = self.pos.get(node)
            line = position.start.line if position is not None else 0
        return CodeError(self.source, line, detail)

    # first pass: names bound to outputs and variable aliases -----------------------------

    def scan(self, statements: Iterable[cst.CSTNode]) -> None:
        count = 0
        for node in _walk_statements(statements):
            target, value, label = _assignment(node)
            if target is None or not isinstance(value, cst.Call):
                continue
            ident = self.action_of(value, quiet=True)
            if ident is None:
                continue
            if ident in (SETVAR, APPENDVAR) and not isinstance(node, cst.AnnAssign):
                name = _kwarg(value, "WFVariableName")
                if isinstance(name, cst.SimpleString) and isinstance(name.evaluated_value, str):
                    self.aliases.setdefault(target, name.evaluated_value)
                    continue
            count += 1
            if label is None and not isinstance(node, cst.AnnAssign):  # `name: None = ...` has no label
                custom = _kwarg(value, "CustomOutputName")
                if isinstance(custom, cst.SimpleString) and len(custom.quote) == 1 \
                        and isinstance(custom.evaluated_value, str):  # a plain string, as to_code's default
                    label = custom.evaluated_value
                elif self.labels is not None:
                    label = self.labels(ident)
            b = _Binding(_id(count, "output"), label)
            self.bindings[id(node)] = b
            self.ahead.setdefault(target, b)

    # statements ------------------------------------------------------------------------

    def body(self, statements: list[cst.BaseStatement] | tuple, footer: Iterable[cst.EmptyLine] = ()) -> None:
        k = 0
        while k < len(statements):
            st = statements[k]
            self.comments(st.leading_lines)
            if isinstance(st, cst.SimpleStatementLine):  # first: the most frequent, and a cheap test
                for small in st.body:
                    self.simple(small)
            elif isinstance(st, (cst.If, cst.For, cst.Match)):
                start = len(self.actions)
                ident, group = self.compound(st)
                nxt = statements[k + 1] if k + 1 < len(statements) else None
                carrier = self.carrier(nxt, ident)
                if carrier is not None:
                    self.comments(nxt.leading_lines)  # type: ignore[union-attr]
                    k += 1
                self.close(ident, group, carrier, start)
            else:
                raise self.fail(st, f"unsupported statement: {type(st).__name__}")
            k += 1
        self.comments(footer)

    def comments(self, lines: Iterable[cst.EmptyLine]) -> None:
        """``# '''text'''`` lines are comment actions; other comments are notes and are skipped."""
        group: list[str] | None = None
        for line in lines:
            if line.comment is None:
                group = None
                continue
            text = line.comment.value[1:]
            text = text[1:] if text.startswith(" ") else text
            if group is None:
                if not text.startswith("'''"):
                    continue
                group = []
                text = text[3:]
                if len(text) >= 3 and text.endswith("'''"):
                    self.add(COMMENT, {"WFCommentActionText": text[:-3]})
                    group = None
                    continue
                group.append(text)
                continue
            if text.endswith("'''"):
                group.append(text[:-3])
                self.add(COMMENT, {"WFCommentActionText": "\n".join(group)})
                group = None
            else:
                group.append(text)

    def add(self, ident: str, params: dict[str, Any]) -> int:
        self.actions.append(Action(ident, params))
        return len(self.actions) - 1

    def simple(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Pass):
            return
        if isinstance(small, cst.Expr):
            if not isinstance(small.value, cst.Call):
                raise self.fail(small, "a statement must be an action call")
            ident, params = self.call(small.value)
            self.add(ident, params)
            return
        if isinstance(small, cst.AugAssign):
            if not isinstance(small.operator, cst.AddAssign) or not isinstance(small.target, cst.Name) \
                    or not isinstance(small.value, cst.List) or len(small.value.elements) != 1:
                raise self.fail(small, "only `name += [value]` (add to variable) is supported")
            name = self.variable_name(small.target.value)
            self.add(APPENDVAR, {"WFVariableName": name, "WFInput": self.value(small.value.elements[0].value)})
            return
        target, value, _ = _assignment(small)
        if target is None:
            raise self.fail(small, f"unsupported statement: {type(small).__name__}")
        binding = self.bindings.get(id(small))
        if isinstance(value, cst.Call) and self.action_of(value, quiet=True) is not None:
            ident, params = self.call(value)
            if binding is not None:
                params = {"UUID": binding.uuid, **params}
                binding.index = self.add(ident, params)
                self.bind(target, binding)
            else:
                self.add(ident, params)
            return
        self.add(SETVAR, {"WFVariableName": self.variable_name(target), "WFInput": self.value(value)})

    def bind(self, name: str, b: _Binding) -> None:
        self.outputs[name] = b

    def variable_name(self, name: str) -> str:
        return loop_variable(name) or self.aliases.get(name, name)

    # action calls ------------------------------------------------------------------------

    def action_of(self, call: cst.Call, quiet: bool = False) -> str | None:
        func = call.func
        if not isinstance(func, cst.Name):
            if quiet:
                return None
            raise self.fail(call, "a call must name an action")
        name = func.value
        if name == "input" and call.args:  # `x = input('prompt')`: the Ask for Input action
            return ASK
        if name in HELPERS:
            if quiet:
                return None
            raise self.fail(call, f"{name}() is a value, not an action")
        known = self.functions.get(name)
        if known is not None:
            return known
        for key in ("AppIntentDescriptor", "IntentAppDefinition"):
            desc = _kwarg(call, key)
            bundle = _dict_string(desc, "BundleIdentifier") if desc is not None else None
            if bundle and name.startswith(function_name(bundle) + "_"):
                return bundle + "." + plain_identifier(name[len(function_name(bundle)) + 1:])
        if name.count("_") >= 2 and "" not in name.split("_"):
            return plain_identifier(name)
        if quiet:
            return None
        raise self.fail(call, f"unknown function {name}()")

    def call(self, call: cst.Call, positional: int = 0) -> tuple[str, dict[str, Any]]:
        ident = self.action_of(call)
        assert ident is not None
        if ident == ASK and _name(call.func) == "input":
            if len(call.args) != 1 or (call.args[0].keyword not in (None,) and call.args[0].keyword.value != "prompt"):
                raise self.fail(call, "input() takes one prompt")
            return ident, {"WFAskActionPrompt": self.value(call.args[0].value)}
        return ident, self.kwargs(call, positional)

    def kwargs(self, call: cst.Call, positional: int = 0) -> dict[str, Any]:
        params: dict[str, Any] = {}
        seen = 0
        for arg in call.args:
            if arg.star == "**":
                if not isinstance(arg.value, cst.Dict):
                    raise self.fail(arg, "** needs a dictionary literal")
                for el in arg.value.elements:
                    if not isinstance(el, cst.DictElement):
                        raise self.fail(el, "** in ** is not supported")
                    key = self.plain(el.key)
                    if not isinstance(key, str):
                        raise self.fail(el, "parameter names are strings")
                    params[key] = self.value(el.value)
            elif arg.keyword is not None:
                params[arg.keyword.value] = self.value(arg.value)
            elif seen < positional and not arg.star:
                seen += 1
            else:
                raise self.fail(arg, "action parameters are keyword arguments")
        return params

    # blocks ------------------------------------------------------------------------------

    def compound(self, st: cst.If | cst.For | cst.Match) -> tuple[str, str]:
        self.groups += 1
        group = _id(self.groups, "group")
        if isinstance(st, cst.If):
            self.conditional(st, group)
            return IF, group
        if isinstance(st, cst.For):
            return self.loop(st, group), group
        self.menu(st, group)
        return MENU, group

    def open(self, ident: str, group: str, params: dict[str, Any], mode: int) -> int:
        return self.add(ident, {"GroupingIdentifier": group, "WFControlFlowMode": mode, **params})

    def conditional(self, st: cst.If, group: str) -> None:
        self.open(IF, group, self.condition(st.test), 0)
        self.body(st.body.body, st.body.footer)
        orelse = st.orelse
        if orelse is None:
            return
        self.comments(orelse.leading_lines)
        self.open(IF, group, {}, 1)
        if isinstance(orelse, cst.Else):
            self.body(orelse.body.body, orelse.body.footer)
        else:  # elif: the rest is an If inside the Otherwise branch
            start = len(self.actions)
            self.groups += 1
            inner = _id(self.groups, "group")
            self.conditional(orelse, inner)
            self.close(IF, inner, None, start)

    def close(self, ident: str, group: str, carrier: tuple[dict, _Binding | None, str | None] | None,
              start: int) -> None:
        params: dict[str, Any] = {}
        if carrier is not None:
            params, binding, _ = carrier
            if binding is not None:
                params = {"UUID": binding.uuid, **params}
        index = self.open(ident, group, params, 2)
        if carrier is not None and carrier[1] is not None:
            carrier[1].index = index
            self.bind(carrier[2], carrier[1])  # type: ignore[arg-type]

    def carrier(self, st: cst.CSTNode | None, ident: str) -> tuple[dict, _Binding | None, str | None] | None:
        """The statement right after a block that holds its End action's parameters and output."""
        if not isinstance(st, cst.SimpleStatementLine) or len(st.body) != 1:
            return None
        small = st.body[0]
        target, value, _ = _assignment(small)
        if isinstance(small, cst.Expr):
            value = small.value
        if not isinstance(value, cst.Call) or self.action_of(value, quiet=True) != ident:
            return None
        if any(a.keyword is not None and a.keyword.value == "WFControlFlowMode" for a in value.args) \
                or any(a.keyword is None for a in value.args if a.star != "**"):
            return None
        return self.kwargs(value), self.bindings.get(id(small)), target

    def condition(self, test: cst.BaseExpression) -> dict[str, Any]:
        if isinstance(test, cst.Call) and self.action_of(test, quiet=True) == IF:
            pos = [a for a in test.args if a.keyword is None and not a.star]
            if len(pos) > 1:
                raise self.fail(test, "a conditional takes at most one comparison")
            params = self.comparison(pos[0].value) if pos else {}
            params.update(self.kwargs(test, len(pos)))
            return params
        return self.comparison(test)

    def comparison(self, test: cst.BaseExpression) -> dict[str, Any]:
        if isinstance(test, cst.Comparison):
            ops = test.comparisons
            if len(ops) == 2 and all(isinstance(c.operator, cst.LessThanEqual) for c in ops):
                return {"WFInput": self.subject(ops[0].comparator), "WFCondition": 1003,
                        "WFNumberValue": self.operand(test.left), "WFAnotherNumber": self.operand(ops[1].comparator)}
            if len(ops) != 1:
                raise self.fail(test, "a condition compares two things")
            op, right = ops[0].operator, ops[0].comparator
            if isinstance(op, (cst.In, cst.NotIn)):
                return {"WFInput": self.subject(right), "WFCondition": 99 if isinstance(op, cst.In) else 999,
                        "WFConditionalActionString": self.value(test.left)}
            if isinstance(op, (cst.Is, cst.IsNot)):
                if not (isinstance(right, cst.Name) and right.value == "True"):
                    raise self.fail(test, "'is' compares a Boolean with True: `x is True` or `x is not True`")
                return {"WFInput": self.subject(test.left), "WFCondition": 4 if isinstance(op, cst.Is) else 5}
            symbol = _CST_OPS.get(type(op))
            if symbol is None:
                raise self.fail(test, f"unsupported comparison {type(op).__name__}")
            code = _OPS[symbol]
            rhs = self.operand(right)
            if type(rhs) is Quantity and code < 4:
                return {"WFInput": self.subject(test.left), "WFCondition": code, "WFMeasurement": rhs}
            textual = code in (4, 5) and not _is_number_call(right) and type(rhs) in (str, Text)
            return {"WFInput": self.subject(test.left), "WFCondition": code,
                    ("WFConditionalActionString" if textual else "WFNumberValue"): rhs}
        if isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute) \
                and test.func.attr.value in ("startswith", "endswith") and len(test.args) == 1:
            code = 8 if test.func.attr.value == "startswith" else 9
            return {"WFInput": self.subject(test.func.value), "WFCondition": code,
                    "WFConditionalActionString": self.value(test.args[0].value)}
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            return {"WFInput": self.subject(test.expression), "WFCondition": 101}
        return {"WFInput": self.subject(test), "WFCondition": 100}

    def subject(self, node: cst.BaseExpression) -> dict[str, Any]:
        return {"Type": "Variable", "Variable": Variable(self.attachment(node))}

    def operand(self, node: cst.BaseExpression) -> Any:
        if _is_number_call(node):
            return self.plain(node.args[0].value)  # type: ignore[attr-defined]
        return self.value(node)

    def loop(self, st: cst.For, group: str) -> str:
        it = st.iter
        target = st.target
        self.repeat_depth += 1
        d = self.repeat_depth
        suffix = "" if d == 1 else f" {d}"
        if isinstance(target, cst.Name):
            ident = REPEAT
            names = {target.value: "Repeat Index" + suffix}
            if isinstance(it, cst.Call) and _name(it.func) == "range" and len(it.args) in (1, 2):
                count = it.args[-1].value
                if len(it.args) == 2:
                    if not (isinstance(count, cst.BinaryOperation) and isinstance(count.operator, cst.Add)
                            and _int(count.right) == 1 and _int(it.args[0].value) == 1):
                        raise self.fail(it, "use range(n) or range(1, n + 1)")
                    count = count.left
                if isinstance(count, cst.Call) and _name(count.func) == "int" and len(count.args) == 1:
                    count = count.args[0].value  # WorkflowBench writes range(int(2.0))
                params = {"WFRepeatCount": self.value(count)}
            elif isinstance(it, cst.Call) and self.action_of(it, quiet=True) == REPEAT:
                params = self.kwargs(it)
            else:
                raise self.fail(it, "a counted loop is `for i in range(...)`")
        elif isinstance(target, cst.Tuple) and len(target.elements) == 2 \
                and all(isinstance(e.value, cst.Name) for e in target.elements):
            ident = EACH
            i_name, item = (e.value.value for e in target.elements)  # type: ignore[attr-defined]
            names = {i_name: "Repeat Index" + suffix, item: "Repeat Item" + suffix}
            if isinstance(it, cst.Call) and _name(it.func) == "enumerate" and it.args:
                params = {"WFInput": self.value(it.args[0].value)}
            elif isinstance(it, cst.Call) and self.action_of(it, quiet=True) == EACH:
                params = self.kwargs(it)
            else:
                raise self.fail(it, "a loop over items is `for i, item in enumerate(items, start=1)`")
        else:
            raise self.fail(target, "loop targets are `i` or `i, item`")
        if st.orelse is not None:
            raise self.fail(st.orelse, "for ... else is not supported")
        self.open(ident, group, params, 0)
        self.scopes.append(names)
        self.body(st.body.body, st.body.footer)
        self.scopes.pop()
        self.repeat_depth -= 1
        return ident

    def menu(self, st: cst.Match, group: str) -> None:
        subject = st.subject
        # The header's references are read before the cases: a name bound again inside a case must
        # not be what the header refers to.
        if isinstance(subject, cst.Call) and _name(subject.func) == "input":
            params: dict[str, Any] = {}
            for arg in subject.args:
                if (arg.keyword is not None and arg.keyword.value == "prompt") or (arg.keyword is None and not params):
                    params["WFMenuPrompt"] = self.value(arg.value)
                else:
                    raise self.fail(arg, "input() takes only a prompt")
            titled = True
        elif isinstance(subject, cst.Call) and self.action_of(subject, quiet=True) == MENU:
            params, titled = self.kwargs(subject), False
        else:
            raise self.fail(subject, "a menu is `match input(prompt=...)`")
        start = self.open(MENU, group, {}, 0)
        titles: list[Any] = []
        for case in st.cases:
            self.comments(case.leading_lines)
            pattern = case.pattern
            if isinstance(pattern, cst.MatchValue) and isinstance(pattern.value, cst.SimpleString) \
                    and case.guard is None:
                item: dict[str, Any] = {"WFMenuItemTitle": self.plain(pattern.value)}
            elif isinstance(pattern, cst.MatchAs) and pattern.pattern is None and pattern.name is None \
                    and isinstance(case.guard, cst.Call) and self.action_of(case.guard, quiet=True) == MENU:
                item = self.kwargs(case.guard)
            else:
                raise self.fail(case, "a menu case is `case 'title':`")
            titles.append(item.get("WFMenuItemTitle"))
            self.open(MENU, group, item, 1)
            self.body(case.body.body, case.body.footer)
        if titled:
            params["WFMenuItems"] = titles
        self.actions[start].parameters.update(params)

    # values ------------------------------------------------------------------------------

    def value(self, node: cst.BaseExpression) -> Any:
        """A parameter value."""
        if type(node) is cst.Name and node.value not in ("True", "False", "None"):
            return Variable(self.base(node))  # what the checks below come to for a plain name
        if isinstance(node, cst.SimpleString):
            v = node.evaluated_value
            if isinstance(v, str) and node.quote in ("'''", '"""'):
                return Text([v] if v else [], False)
            return v
        if isinstance(node, cst.FormattedString):
            return self.text(node)
        if isinstance(node, cst.Dict):
            return self.dictionary(node)
        if isinstance(node, cst.List):
            return [self.value(e.value) for e in node.elements]
        if isinstance(node, cst.Call):
            name = _name(node.func)
            if name == "dict":
                return self.plain(node)
            if name == "plist":
                if len(node.args) != 1:
                    raise self.fail(node, "plist() takes one value")
                return parse_value(dump_value(self.plain(node.args[0].value)))
            if name == "quantity" and len(node.args) == 2:
                return Quantity(self.value(node.args[0].value), self.value(node.args[1].value))
            if name == "content_filter" and node.args:
                templates = self.value(node.args[0].value)
                prefix = None
                more = {}
                for arg in node.args[1:]:
                    if arg.keyword is None:
                        raise self.fail(arg, "content_filter() takes rules, then keywords")
                    if arg.keyword.value == "prefix":
                        prefix = self.plain(arg.value)
                    else:
                        more[arg.keyword.value] = self.value(arg.value)
                return PredicateTable(prefix, templates, more)
            if name in ("datetime", "float", "number"):
                return self.plain(node)
        literal = self.literal(node)
        if literal is not _NO:
            return literal
        return Variable(self.attachment(node))

    def literal(self, node: cst.BaseExpression) -> Any:
        if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.value]
        if isinstance(node, (cst.Integer, cst.Float)):
            return node.evaluated_value
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            inner = self.literal(node.expression)
            if inner is _NO and isinstance(node.expression, cst.Call) and _name(node.expression.func) == "float":
                inner = self.plain(node.expression)  # -float('inf')
            if type(inner) in (int, float):
                return -inner
            if inner is not _NO:
                raise self.fail(node, "unsupported negative value")
        return _NO

    def plain(self, node: cst.BaseExpression) -> Any:
        """A value inside plist(...) or dict(...): plain plist data."""
        if isinstance(node, cst.SimpleString):
            return node.evaluated_value
        if isinstance(node, cst.List):
            return [self.plain(e.value) for e in node.elements]
        if isinstance(node, cst.Dict):
            out: dict[Any, Any] = {}
            for el in node.elements:
                if not isinstance(el, cst.DictElement):
                    raise self.fail(el, "** is not supported here")
                out[self.plain(el.key)] = self.plain(el.value)
            return out
        if isinstance(node, cst.Call):
            name = _name(node.func)
            if name == "dict":
                out = {}
                for arg in node.args:
                    key = arg.keyword.value if arg.keyword is not None else None
                    if key == "OutputUUID" and isinstance(arg.value, cst.Name):
                        out[key] = self.base(arg.value).output_uuid  # a raw attachment names its output
                    elif arg.keyword is not None:
                        out[arg.keyword.value] = self.value(arg.value)
                    elif isinstance(arg.value, cst.Dict) and not arg.star:
                        for el in arg.value.elements:
                            if not isinstance(el, cst.DictElement):
                                raise self.fail(el, "** is not supported here")
                            out[self.plain(el.key)] = self.value(el.value)
                    else:
                        raise self.fail(arg, "dict() takes keywords or one dictionary")
                return out
            if name == "datetime" and 3 <= len(node.args) <= 7:
                parts = [_int(a.value) for a in node.args]
                if None in parts:
                    raise self.fail(node, "datetime() takes integers")
                return datetime(*parts)  # type: ignore[arg-type]
            if name == "float" and len(node.args) == 1 and isinstance(node.args[0].value, cst.SimpleString):
                v = node.args[0].value.evaluated_value
                if v in ("nan", "inf"):
                    return float(v)
            if name == "number" and len(node.args) == 1 and isinstance(node.args[0].value, cst.SimpleString):
                return node.args[0].value.evaluated_value
        literal = self.literal(node)
        if literal is not _NO:
            return literal
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            inner = self.plain(node.expression)
            if type(inner) is float:
                return -inner
        raise self.fail(node, f"unsupported value: {type(node).__name__}")

    def text(self, node: cst.FormattedString) -> Text:
        if "r" in node.prefix.lower() or "b" in node.prefix.lower():
            raise self.fail(node, "raw and byte f-strings are not supported")
        constants = self.literals(node)
        parts: list[str | Attachment] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(constants.pop(0))
            else:
                if part.conversion is not None or part.format_spec is not None:
                    raise self.fail(part, "conversions and format specs are not supported")
                parts.append(self.attachment(part.expression))
        return Text(parts, True)

    def literals(self, node: cst.FormattedString) -> list[Any]:
        """The literal parts of an f-string, evaluated (by ``ast``: libcst keeps them as written)."""
        try:
            evaluated = parse(self.module.code_for_node(node).strip(), mode="eval").body
        except SyntaxError as exc:  # pragma: no cover - libcst accepted it
            raise self.fail(node, f"f-string: {exc.msg}") from exc
        return [v.value for v in evaluated.values if isinstance(v, ast.Constant)]  # type: ignore[attr-defined]

    def dictionary(self, node: cst.Dict) -> Dictionary:
        items = []
        for el in node.elements:
            if not isinstance(el, cst.DictElement):
                raise self.fail(el, "** is not supported in a dictionary")
            key = self.value(el.key)
            if type(key) not in (str, Text):
                raise self.fail(el.key, "dictionary keys are text")
            kind, value = self.item(el.value)
            items.append(DictItem(key, kind, value))
        return Dictionary(items)

    def item(self, node: cst.BaseExpression) -> tuple[int, Any]:
        """A dictionary item or array element: its item type follows from its form."""
        if isinstance(node, (cst.SimpleString, cst.FormattedString)):
            return 0, self.value(node)
        if isinstance(node, cst.Dict):
            inner = self.dictionary(node)
            inner.wrapped = True
            return 1, inner
        if isinstance(node, cst.List):
            elements = []
            for e in node.elements:
                kind, value = self.item(e.value)
                elements.append({"WFItemType": kind, "WFValue": value})
            return 2, Array(elements)
        if isinstance(node, (cst.Integer, cst.Float)) or (isinstance(node, cst.UnaryOperation) \
                and isinstance(node.operator, cst.Minus) and isinstance(node.expression, (cst.Integer, cst.Float))):
            return 3, Text([self.module.code_for_node(node)], False)
        if isinstance(node, cst.Name) and node.value in ("True", "False"):
            return 4, Substitutable("WFNumberSubstitutableState", node.value == "True")
        if isinstance(node, cst.Call) and _name(node.func) == "plist":
            value = self.value(node)
            kind = _ITEM_KINDS.get(type(value))
            if kind is None:
                raise self.fail(node, "this plist() value cannot be a dictionary item")
            return kind, value
        return 5, Substitutable("WFTokenAttachmentParameterState", Variable(self.attachment(node)))

    def attachment(self, node: cst.BaseExpression) -> Attachment:
        """A variable reference: a name, a helper call, and any subscripts, properties and coercions."""
        aggs: list[Aggrandizement] = []
        while True:
            if isinstance(node, cst.Subscript):
                if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
                    raise self.fail(node, "subscripts take one key")
                key = self.plain(node.slice[0].slice.value)
                aggs.append(Aggrandizement("WFDictionaryValueVariableAggrandizement", {"DictionaryKey": key}))
                node = node.value
            elif isinstance(node, cst.Attribute):
                aggs.append(Aggrandizement("WFPropertyVariableAggrandizement", {"PropertyName": node.attr.value}))
                node = node.value
            elif isinstance(node, cst.Call) and _name(node.func) in ("coerce_variable", "get_property",
                                                                      "format_date", "aggrandize"):
                kw = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
                if "value" not in kw or len(kw) != len(node.args):
                    raise self.fail(node, f"{_name(node.func)}() takes value= and keywords")
                name = _name(node.func)
                if name == "coerce_variable":
                    fields = {"CoercionItemClass": self.plain(kw["coercion_class"])} if "coercion_class" in kw else {}
                    aggs.append(Aggrandizement("WFCoercionVariableAggrandizement", fields))
                elif name == "get_property":
                    fields = {"PropertyName": self.plain(kw["name"])} if "name" in kw else {}
                    if "info" in kw:
                        fields["PropertyUserInfo"] = self.value(kw["info"])
                    aggs.append(Aggrandizement("WFPropertyVariableAggrandizement", fields))
                else:
                    kind = "WFDateFormatVariableAggrandizement" if name == "format_date" else self.plain(kw.get("type"))
                    if not isinstance(kind, str):
                        raise self.fail(node, "aggrandize() needs type=")
                    aggs.append(Aggrandizement(kind, {k: self.value(v) for k, v in kw.items()
                                                      if k not in ("value", "type")}))
                node = kw["value"]
            else:
                break
        att = self.base(node)
        if aggs:
            aggs.reverse()
            att.aggrandizements = aggs
        return att

    def base(self, node: cst.BaseExpression) -> Attachment:
        if isinstance(node, cst.Name):
            name = node.value
            for scope in reversed(self.scopes):
                if name in scope:
                    return Attachment("Variable", variable_name=scope[name])
            magic = loop_variable(name)
            if magic is not None:
                return Attachment("Variable", variable_name=magic)
            b = self.outputs.get(name) or self.ahead.get(name)
            if b is not None:
                return Attachment("ActionOutput", output_uuid=b.uuid, output_name=b.label)
            if name in ("True", "False", "None"):
                raise self.fail(node, f"{name} is not a variable")
            return Attachment("Variable", variable_name=self.aliases.get(name, name))
        if isinstance(node, cst.Call):
            name = _name(node.func)
            kind = _HELPER_ATTACHMENTS.get(name or "")
            if kind is not None and not node.args:
                return Attachment(kind)
            if name == "labeled" and len(node.args) == 2:
                att = self.base(node.args[0].value)
                if att.type != "ActionOutput":
                    raise self.fail(node, "labeled() takes an action's output")
                att.output_name = self.plain(node.args[1].value)
                return att
            ident = self.action_of(node, quiet=True)
            if ident is not None:  # an action written inline: it runs first, its output is the value
                _, params = self.call(node)
                self.nested += 1
                output = _id(self.nested, "nested")
                custom = params.get("CustomOutputName")
                self.add(ident, {"UUID": output, **params})
                if not isinstance(custom, str):
                    custom = self.labels(ident) if self.labels else None
                return Attachment("ActionOutput", output_uuid=output, output_name=custom)
            if name == "missing_output" and len(node.args) <= 1:
                self.missing += 1
                label = self.plain(node.args[0].value) if node.args else None
                return Attachment("ActionOutput", output_uuid=_id(self.missing, "missing"), output_name=label)
        raise self.fail(node, f"not a value this code can hold: {type(node).__name__}")


class _FastReader(_Reader):
    """The reader over the nodes ``fast_cst`` builds: any failure hands the code to libcst, so
    errors (and their lines) are always libcst's."""

    def __init__(self, built: fast_cst.Builder, module: fast_cst.Module, source: str, functions: Mapping[str, str],
                 labels: Callable[[str], str | None] | None) -> None:
        super().__init__(module, source, functions, labels)  # type: ignore[arg-type]
        self.built = built

    def fail(self, node: cst.CSTNode | None, detail: str) -> CodeError:
        raise fast_cst.Uncovered(detail)

    def literals(self, node: cst.FormattedString) -> list[Any]:
        return list(self.built.constants[id(node)])  # read off the ast tree already parsed


def _read_fast(code: str, tree: ast.Module, source: str, functions: Mapping[str, str],
               labels: Callable[[str], str | None] | None) -> list[Action] | None:
    """The actions of ``code`` read from its ``ast`` tree, or None when libcst must read it."""
    try:
        built = fast_cst.Builder(code)
        module = built.module(tree)
        reader = _FastReader(built, module, source, functions, labels)
        reader.scan(module.body)
        reader.comments(module.header)
        reader.body(module.body, module.footer)
    except Exception:  # not covered, or an error: libcst reads it again and says what is wrong
        return None
    return reader.actions


_NO = object()
_ITEM_KINDS = {str: 0, Text: 0, Dictionary: 1, Array: 2}


def _name(node: cst.BaseExpression) -> str | None:
    return node.value if isinstance(node, cst.Name) else None


def _int(node: cst.BaseExpression) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.evaluated_value)
    return None


def _is_number_call(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.Call) and _name(node.func) == "number" and len(node.args) == 1
            and isinstance(node.args[0].value, cst.SimpleString))


def _kwarg(call: cst.Call, key: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == key:
            return arg.value
    return None


def _dict_string(node: cst.BaseExpression, key: str) -> str | None:
    """A string field of a dict(...) argument written in code, read without evaluating anything."""
    if isinstance(node, cst.Call) and _name(node.func) == "dict":
        v = _kwarg(node, key)
        if isinstance(v, cst.SimpleString) and isinstance(v.evaluated_value, str):
            return v.evaluated_value
    return None


def _assignment(node: cst.CSTNode) -> tuple[str | None, cst.BaseExpression | None, str | None]:
    """(target name, value, label) of ``name = value`` / ``name: 'label' = value``."""
    if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
        return node.targets[0].target.value, node.value, None
    if isinstance(node, cst.AnnAssign) and isinstance(node.target, cst.Name) and node.value is not None:
        ann = node.annotation.annotation
        label = ann.evaluated_value if isinstance(ann, cst.SimpleString) else None  # `None`: no label
        return node.target.value, node.value, label if isinstance(label, str) else None
    return None, None, None


def _walk_statements(statements: Iterable[cst.CSTNode]):
    """Every small statement, in file order, through blocks."""
    for st in statements:
        if isinstance(st, cst.SimpleStatementLine):
            yield from st.body
        elif isinstance(st, cst.If):
            yield from _walk_statements(st.body.body)
            if st.orelse is not None:
                yield from _walk_statements([st.orelse] if isinstance(st.orelse, cst.If) else st.orelse.body.body)
        elif isinstance(st, cst.For):
            yield from _walk_statements(st.body.body)
        elif isinstance(st, cst.Match):
            for case in st.cases:
                yield from _walk_statements(case.body.body)


def _read_libcst(code: str, source: str, functions: Mapping[str, str],
                 labels: Callable[[str], str | None] | None) -> list[Action]:
    """The actions of ``code`` read from libcst's own tree (what ``_read_fast`` must agree with)."""
    try:
        module = cst.parse_module(code)
    except cst.ParserSyntaxError as exc:
        raise CodeError(source, exc.editor_line, exc.message) from None
    reader = _Reader(module, source, functions, labels)
    try:
        reader.scan(module.body)
        reader.comments(module.header)
        reader.body(module.body, module.footer)
    except RecursionError:
        raise CodeError(source, 0, "nested too deeply") from None
    return reader.actions


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a code is parsed and read: the trees (tens of thousands
    of nodes for a long shortcut) hold no cycles and die with the read, and collections in between
    would walk them again and again, and push them into the oldest generation, whose full
    collections walk the whole heap. Reads in several threads overlap: the first in turns the
    collector off, the last out restores the state the first found."""
    global _paused, _resume
    with _pause_lock:
        if _paused == 0:
            _resume = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _pause_lock:
            _paused -= 1
            if _paused == 0 and _resume:
                gc.enable()


_pause_lock = threading.Lock()
_paused = 0  # reads under way in this process
_resume = False  # whether the collector was on when the first of them began


def from_code(code: str, *, source: str = "<code>", functions: Mapping[str, str] | None = None,
              labels: Callable[[str], str | None] | None = None, name: str = "",
              tree: ast.Module | None = None) -> Workflow:
    """Read Python-style code back into a workflow. ``functions`` maps function names to identifiers
    the plain rule cannot give back (see ``function_map``). ``tree``: ``ast.parse(code)``, when the
    caller has it (it is only read)."""
    # Python's own parser first (it only parses): its errors name the line, and it refuses nesting
    # deep enough to overflow libcst's native parser, null bytes and the like.
    with collector_paused():
        try:
            if tree is None:
                tree = parse(code, filename=source)
        except SyntaxError as exc:
            raise CodeError(source, exc.lineno or 0, exc.msg) from None
        except (ValueError, RecursionError, MemoryError) as exc:
            raise CodeError(source, 0, f"cannot parse: {exc}") from None
        # That tree, turned into the libcst nodes the reader needs, reads most code (fast_cst); the
        # rest is parsed again by libcst.
        actions = _read_fast(code, tree, source, functions or {}, labels)
        del tree
    if actions is None:
        actions = _read_libcst(code, source, functions or {}, labels)
    wf = Workflow(actions=actions, source=source)
    wf.name = name
    return wf
