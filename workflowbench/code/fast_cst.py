"""libcst trees built from Python's own ``ast``, for ``from_code``: the same reading at a fraction
of the cost.

``from_code`` parses every code with ``ast`` first (a syntax check); building the libcst tree
afterwards costs about five times that parse and most of a read (some 25 ms for 60 actions). This
module turns the ``ast`` tree into the libcst nodes the reader looks at, with only the fields it
reads (the nodes are made without libcst's constructors and validation), and the comment lines
where libcst puts them (a statement's ``leading_lines``, a block's ``footer``: the lines up to the
last one indented at the block's level, as libcst's whitespace parser splits them).

It covers the forms ``to_code`` writes and the plain Python around them. Anything else (a form the
reader would refuse, one ``ast`` and libcst tell apart in ways not modelled here: implicit string
concatenation, a backslash continuation, a tab, a one-line block body, ...) raises ``Uncovered``
and the caller parses with libcst, so the result is always libcst's.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

import libcst as cst


class Uncovered(Exception):
    """The code holds a form this module does not build: read it with libcst."""


# One string literal, prefix and quotes included (implicit concatenation does not match). Each body
# is "plain characters, then (an escape or a lone quote, then plain characters) repeated": the
# same strings as (plain | escape | lone quote)*, matched a run at a time instead of a character.
_LITERAL = re.compile(r"""[A-Za-z]{0,2}(?:'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"""
                      r"""|\"\"\"[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*\"\"\""""
                      r"""|'[^'\\\n]*(?:\\.[^'\\\n]*)*'|"[^"\\\n]*(?:\\.[^"\\\n]*)*")""", re.S)
# What may follow a simple statement on its last line: a semicolon, a comment.
_AFTER_STATEMENT = re.compile(r"[ ;]*(?:#.*)?")
_AFTER_COLON = re.compile(r" *(?:#.*)?")
_ELSE = re.compile(r" *else *:(?: *#.*)?")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
_NUMBER_TEXT = re.compile(r"-?[0-9.][0-9A-Za-z_.]*")  # a number item as written, no spaces or parentheses


def _make(cls: type, **fields: Any) -> Any:
    """A libcst node holding only ``fields`` (no constructor, no validation: the reader only reads)."""
    node = object.__new__(cls)
    for k, v in fields.items():
        object.__setattr__(node, k, v)
    return node


def _maker(cls: type, *fields: str) -> Callable[..., Any]:
    """``_make`` for the frequent nodes: their fields set positionally through the slots' descriptors."""
    new = object.__new__
    sets = [getattr(cls, f).__set__ for f in fields]
    if len(sets) == 1:
        (s1,) = sets

        def make1(a: Any) -> Any:
            node = new(cls)
            s1(node, a)
            return node
        return make1
    if len(sets) == 2:
        s1, s2 = sets

        def make2(a: Any, b: Any) -> Any:
            node = new(cls)
            s1(node, a)
            s2(node, b)
            return node
        return make2
    s1, s2, s3 = sets

    def make3(a: Any, b: Any, c: Any) -> Any:
        node = new(cls)
        s1(node, a)
        s2(node, b)
        s3(node, c)
        return node
    return make3


class _String(cst.SimpleString):
    """A string whose value ``ast`` has read already (libcst's ``evaluated_value`` reads it again)."""

    __slots__ = ("evaluated",)

    @property
    def evaluated_value(self) -> Any:
        return self.evaluated


class _Integer(cst.Integer):
    __slots__ = ("evaluated",)

    @property
    def evaluated_value(self) -> Any:
        return self.evaluated


class _Float(cst.Float):
    __slots__ = ("evaluated",)

    @property
    def evaluated_value(self) -> Any:
        return self.evaluated


_Name = _maker(cst.Name, "value")
_Arg = _maker(cst.Arg, "value", "keyword", "star")
_Call = _maker(cst.Call, "func", "args")
_StringNode = _maker(_String, "value", "evaluated")
_Numbers = {int: _maker(_Integer, "value", "evaluated"), float: _maker(_Float, "value", "evaluated")}
_Element = _maker(cst.Element, "value")
_DictElement = _maker(cst.DictElement, "key", "value")
_Line = _maker(cst.SimpleStatementLine, "body", "leading_lines")
_Comment = _maker(cst.Comment, "value")
_EmptyLine = _maker(cst.EmptyLine, "comment")
_Expr = _maker(cst.Expr, "value")
_Assign = _maker(cst.Assign, "targets", "value")
_AssignTarget = _maker(cst.AssignTarget, "target")
_AnnAssign = _maker(cst.AnnAssign, "target", "annotation", "value")
_Annotation = _maker(cst.Annotation, "annotation")


_BLANK = _make(cst.EmptyLine, comment=None)
_OPERATORS: dict[type, type] = {
    ast.Lt: cst.LessThan, ast.LtE: cst.LessThanEqual, ast.Gt: cst.GreaterThan, ast.GtE: cst.GreaterThanEqual,
    ast.Eq: cst.Equal, ast.NotEq: cst.NotEqual, ast.In: cst.In, ast.NotIn: cst.NotIn, ast.Is: cst.Is,
    ast.IsNot: cst.IsNot,
}
_OPERATOR_NODES = {k: _make(v) for k, v in _OPERATORS.items()}
_MINUS, _NOT, _ADD, _ADD_ASSIGN = _make(cst.Minus), _make(cst.Not), _make(cst.Add), _make(cst.AddAssign)
_NAMED_CONSTANTS = {True: "True", False: "False", None: "None"}


class Module:
    """What the reader uses of a ``cst.Module``: its statements, header and footer comment lines,
    and the source of a node (f-strings and number items)."""

    def __init__(self, body: list[Any], header: list[Any], footer: list[Any], source: Callable[[Any], str]) -> None:
        self.body = body
        self.header = header
        self.footer = footer
        self.code_for_node = source


class Builder:
    """libcst nodes for one code, from its ``ast`` tree."""

    def __init__(self, code: str) -> None:
        if "\r" in code or "\t" in code or "\f" in code or "\v" in code or not code.endswith("\n"):
            raise Uncovered("line breaks or spacing not modelled")
        self.lines = code.split("\n")
        self.lines.pop()  # code ends with a newline
        # ast columns are UTF-8 offsets: up to a line's first other character, they are its indices
        self.ascii_head = [len(line) if line.isascii() else _NOT_ASCII.search(line).start()  # type: ignore[union-attr]
                           for line in self.lines]
        self.encoded: dict[int, bytes] = {}  # line number -> the line in UTF-8, for columns past that
        self.sources: dict[int, Any] = {}  # id(libcst node) -> its source text, or the ast node to cut it from
        self.constants: dict[int, list[Any]] = {}  # id(f-string node) -> its literal parts, as ast read them
        self._expr: dict[type, Callable[[Any], Any]] = {
            ast.Name: self._name, ast.Constant: self._constant, ast.Call: self._call, ast.Dict: self._dict,
            ast.List: self._list, ast.JoinedStr: self._fstring, ast.Attribute: self._attribute,
            ast.Subscript: self._subscript, ast.UnaryOp: self._unary, ast.BinOp: self._binary,
            ast.Compare: self._compare,
        }

    # positions -----------------------------------------------------------------------------

    def column(self, lineno: int, offset: int) -> int:
        """The character index of an ast column (a UTF-8 byte offset)."""
        if offset <= self.ascii_head[lineno - 1]:
            return offset
        encoded = self.encoded.get(lineno)
        if encoded is None:
            encoded = self.encoded[lineno] = self.lines[lineno - 1].encode("utf-8", "surrogatepass")
        return len(encoded[:offset].decode("utf-8"))

    def segment(self, node: ast.AST) -> str:
        first, last = node.lineno, node.end_lineno  # type: ignore[attr-defined]
        start = self.column(first, node.col_offset)  # type: ignore[attr-defined]
        end = self.column(last, node.end_col_offset)  # type: ignore[attr-defined]
        if first == last:
            return self.lines[first - 1][start:end]
        return "\n".join([self.lines[first - 1][start:], *self.lines[first:last - 1], self.lines[last - 1][:end]])

    def rest(self, lineno: int, offset: int) -> str:
        """The text after an ast position on its line."""
        return self.lines[lineno - 1][self.column(lineno, offset):]

    def source(self, node: Any) -> str:
        """``Module.code_for_node``: the text libcst would print for the node."""
        got = self.sources.get(id(node))
        if type(got) is str:
            return got
        if got is None:
            raise Uncovered("no source kept for this node")
        line = self.lines[got.lineno - 1]
        before = line[:self.column(got.lineno, got.col_offset)].rstrip(" ")
        after = self.rest(got.end_lineno, got.end_col_offset).lstrip(" ")
        text = self.segment(got)
        # libcst prints a node's own parentheses: keep to numbers written bare between separators
        if got.lineno != got.end_lineno or not before.endswith(("[", ",", ":", "{")) \
                or not after.startswith((",", "]", "}")) or not _NUMBER_TEXT.fullmatch(text):
            raise Uncovered("a number item written in another form")
        return text

    # comment lines -------------------------------------------------------------------------

    def empty(self, first: int, end: int) -> list[Any]:
        """Lines ``first`` .. ``end - 1`` (1-based) as libcst ``EmptyLine``s."""
        out: list[Any] = []
        for n in range(first, end):
            text = self.lines[n - 1]
            stripped = text.lstrip(" ")
            if not stripped:
                out.append(_BLANK)
            elif stripped[0] == "#":
                if text.endswith("\\"):
                    raise Uncovered("a comment line ending in a backslash")
                out.append(_EmptyLine(_Comment(stripped)))
            else:
                raise Uncovered(f"line {n} is not a comment line")
        return out

    def split(self, first: int, end: int, indent: str) -> int:
        """How many of the lines ``first`` .. ``end - 1`` after a block's last statement are its
        footer: up to the last one indented at the block's level (libcst's ``parse_empty_lines``
        with an absolute indent)."""
        for n in range(end - 1, first - 1, -1):
            if self.lines[n - 1].startswith(indent):
                return n - first + 1
        return 0

    def colon(self, node: ast.AST) -> int:
        """The line of the colon that ends a compound statement's header after ``node`` (its test,
        its iterable, its subject, a case's pattern or guard); the rest of that line must be a
        comment at most (a body on the header's line is not covered)."""
        text = self.rest(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        k = 0
        while k < len(text) and text[k] in " )":
            k += 1
        if k == len(text) or text[k] != ":" or not _AFTER_COLON.fullmatch(text, k + 1) or text.endswith("\\"):
            raise Uncovered("a compound statement's header in another form")
        return node.end_lineno  # type: ignore[attr-defined]

    def indent(self, st: ast.stmt) -> str:
        """The spaces before a statement that starts its line."""
        line = self.lines[st.lineno - 1]
        col = st.col_offset
        pad = line[:col]
        if pad != " " * col or line[col:col + 1] == " ":
            raise Uncovered("a statement that does not start its line")
        return pad

    # statements ----------------------------------------------------------------------------

    def module(self, tree: ast.Module) -> Module:
        if not tree.body:
            raise Uncovered("no statements")
        header = self.empty(1, tree.body[0].lineno)  # libcst: all lines before the first statement
        footer: list[Any] = []  # indented at the module's level (""): every line after the last statement
        body, pos = self.block(tree.body, "", tree.body[0].lineno, len(self.lines) + 1, footer)
        if any(self.lines[n - 1][:1] == " " for n in range(pos - len(footer), pos)):
            raise Uncovered("indented lines at the end")  # libcst's parser drops some of those
        return Module(body, header, footer, self.source)

    def block(self, stmts: list[ast.stmt], indent: str, pos: int, nxt: int, footer: list[Any]
              ) -> tuple[list[Any], int]:
        """The statements of one block, whose first statement's leading lines start at line ``pos``
        and whose next token after it is on line ``nxt``; its footer lines go into ``footer``.
        Returns the statements and the first line not taken."""
        out: list[Any] = []
        k = 0
        while k < len(stmts):
            st = stmts[k]
            if self.indent(st) != indent:
                raise Uncovered("a statement indented unlike its block")
            lead = self.empty(pos, st.lineno) if pos < st.lineno else []
            kind = type(st)
            if kind is ast.If or kind is ast.For or kind is ast.Match:
                after = stmts[k + 1].lineno if k + 1 < len(stmts) else nxt
                node, pos = self.compound(st, lead, indent, after)
                out.append(node)
                k += 1
                continue
            small = [self.simple(st)]
            end = st
            while k + 1 < len(stmts) and stmts[k + 1].lineno == end.end_lineno:  # `a(); b()`
                k += 1
                end = stmts[k]
                small.append(self.simple(end))
            after = self.rest(end.end_lineno, end.end_col_offset)
            if after and (not _AFTER_STATEMENT.fullmatch(after) or after.endswith("\\")):
                raise Uncovered("a statement line in another form")
            out.append(_Line(small, lead))
            pos = end.end_lineno + 1
            k += 1
        n = self.split(pos, nxt, indent)
        footer.extend(self.empty(pos, pos + n))  # the rest: the leading lines of what follows
        return out, pos + n

    def suite(self, stmts: list[ast.stmt], colon: int, nxt: int) -> tuple[Any, int]:
        """An indented block after a header ending on line ``colon``: (IndentedBlock, next line)."""
        if stmts[0].lineno <= colon:
            raise Uncovered("a block body on its header's line")
        footer: list[Any] = []
        body, pos = self.block(stmts, self.indent(stmts[0]), colon + 1, nxt, footer)
        return _make(cst.IndentedBlock, body=body, footer=footer), pos

    def compound(self, st: ast.stmt, lead: list[Any], indent: str, nxt: int) -> tuple[Any, int]:
        if type(st) is ast.If:
            return self.conditional(st, lead, indent, nxt)
        if type(st) is ast.For:
            if st.orelse or st.type_comment:
                raise Uncovered("for ... else")
            body, pos = self.suite(st.body, self.colon(st.iter), nxt)
            return _make(cst.For, target=self.target(st.target), iter=self.expr(st.iter), body=body, orelse=None,
                         leading_lines=lead), pos
        assert type(st) is ast.Match
        colon = self.colon(st.subject)
        subject = self.expr(st.subject)
        cases = []
        pos = colon + 1
        for k, case in enumerate(st.cases):
            line = case.pattern.lineno
            if not self.lines[line - 1].lstrip(" ").startswith("case"):
                raise Uncovered("a case in another form")
            case_lead = self.empty(pos, line)
            after = st.cases[k + 1].pattern.lineno if k + 1 < len(st.cases) else nxt
            body, pos = self.suite(case.body, self.colon(case.guard or case.pattern), after)
            cases.append(_make(cst.MatchCase, pattern=self.pattern(case.pattern),
                               guard=self.expr(case.guard) if case.guard is not None else None, body=body,
                               leading_lines=case_lead))
        # the match's own footer: lines indented like its cases (the reader skips them)
        case_indent = self.lines[st.cases[0].pattern.lineno - 1]
        case_indent = case_indent[:len(case_indent) - len(case_indent.lstrip(" "))]
        footer = self.split(pos, nxt, case_indent)
        return _make(cst.Match, subject=subject, cases=cases, leading_lines=lead,
                     footer=self.empty(pos, pos + footer)), pos + footer

    def conditional(self, st: ast.If, lead: list[Any], indent: str, nxt: int) -> tuple[Any, int]:
        colon = self.colon(st.test)
        orelse: Any = None
        if not st.orelse:
            body, pos = self.suite(st.body, colon, nxt)
        else:
            first = st.orelse[0]
            elif_ = type(first) is ast.If and len(st.orelse) == 1 and first.lineno > st.body[-1].end_lineno \
                and self.rest(first.lineno, first.col_offset).startswith("elif") \
                and self.column(first.lineno, first.col_offset) == len(indent)
            if elif_:
                body, pos = self.suite(st.body, colon, first.lineno)
                orelse, pos = self.conditional(first, self.empty(pos, first.lineno), indent, nxt)
            else:
                line = self.else_line(st.body[-1].end_lineno + 1, first.lineno)
                body, pos = self.suite(st.body, colon, line)
                else_lead = self.empty(pos, line)
                else_body, pos = self.suite(st.orelse, line, nxt)
                orelse = _make(cst.Else, body=else_body, leading_lines=else_lead)
        return _make(cst.If, test=self.expr(st.test), body=body, orelse=orelse, leading_lines=lead), pos

    def else_line(self, first: int, end: int) -> int:
        """The line of the ``else:`` between an If's body and its Otherwise body's first statement."""
        for n in range(first, end):
            stripped = self.lines[n - 1].lstrip(" ")
            if stripped and stripped[0] != "#":
                if not _ELSE.fullmatch(self.lines[n - 1]) or self.lines[n - 1].endswith("\\"):
                    raise Uncovered("an else line in another form")
                return n
        raise Uncovered("no else line")

    def simple(self, st: ast.stmt) -> Any:
        kind = type(st)
        if kind is ast.Expr:
            return _Expr(self.expr(st.value))  # type: ignore[attr-defined]
        if kind is ast.Assign:
            if len(st.targets) != 1 or type(st.targets[0]) is not ast.Name or st.type_comment:  # type: ignore[attr-defined]
                raise Uncovered("an assignment in another form")
            return _Assign([_AssignTarget(self._name(st.targets[0]))], self.expr(st.value))  # type: ignore[attr-defined]
        if kind is ast.AnnAssign:
            if type(st.target) is not ast.Name or st.value is None:  # type: ignore[attr-defined]
                raise Uncovered("an annotated assignment in another form")
            return _AnnAssign(self._name(st.target), _Annotation(self.expr(st.annotation)),  # type: ignore[attr-defined]
                              self.expr(st.value))  # type: ignore[attr-defined]
        if kind is ast.AugAssign:
            if type(st.op) is not ast.Add or type(st.target) is not ast.Name:  # type: ignore[attr-defined]
                raise Uncovered("an augmented assignment in another form")
            return _make(cst.AugAssign, target=self._name(st.target), operator=_ADD_ASSIGN,  # type: ignore[attr-defined]
                         value=self.expr(st.value))  # type: ignore[attr-defined]
        if kind is ast.Pass:
            return _make(cst.Pass)
        raise Uncovered(f"statement {kind.__name__}")

    def target(self, node: ast.expr) -> Any:
        """A for loop's target: a name or a tuple of two names."""
        if type(node) is ast.Name:
            return self._name(node)
        if type(node) is ast.Tuple and all(type(e) is ast.Name for e in node.elts):
            return _make(cst.Tuple, elements=[_make(cst.Element, value=self._name(e)) for e in node.elts])
        raise Uncovered("a loop target in another form")

    def pattern(self, node: ast.pattern) -> Any:
        if type(node) is ast.MatchValue:
            return _make(cst.MatchValue, value=self.expr(node.value))
        if type(node) is ast.MatchAs and node.pattern is None and node.name is None:
            return _make(cst.MatchAs, pattern=None, name=None)
        raise Uncovered("a case pattern in another form")

    # expressions ---------------------------------------------------------------------------

    def expr(self, node: ast.expr) -> Any:
        build = self._expr.get(type(node))
        if build is None:
            raise Uncovered(f"expression {type(node).__name__}")
        return build(node)

    def _name(self, node: ast.Name) -> Any:
        return _Name(node.id)

    def _constant(self, node: ast.Constant) -> Any:
        v = node.value
        kind = type(v)
        if kind is bool or v is None:
            return _Name(_NAMED_CONSTANTS[v])
        if kind is str or kind is bytes:
            text = self.segment(node)
            if not _LITERAL.fullmatch(text):
                raise Uncovered("implicitly concatenated strings")
            return _StringNode(text, v)  # v: what literal_eval(text) gives, read once
        if kind is int or kind is float:
            out = _Numbers[kind](self.segment(node), v)
            self.sources[id(out)] = node
            return out
        raise Uncovered(f"constant {kind.__name__}")

    def _fstring(self, node: ast.JoinedStr) -> Any:
        text = self.segment(node)
        if not _LITERAL.fullmatch(text):
            raise Uncovered("implicitly concatenated strings")
        quote = text.lstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        start = text[:len(text) - len(quote)] + quote[:3 if quote[:3] in ("'''", '"""') else 1]
        parts = []
        constants = []
        for v in node.values:
            if type(v) is ast.Constant:
                parts.append(_make(cst.FormattedStringText, value=v.value))
                constants.append(v.value)
            elif type(v) is ast.FormattedValue and v.conversion == -1 and v.format_spec is None:
                parts.append(_make(cst.FormattedStringExpression, expression=self.expr(v.value), conversion=None,
                                   format_spec=None))
            else:
                raise Uncovered("an f-string part in another form")
        out = _make(cst.FormattedString, start=start, parts=parts)
        self.sources[id(out)] = text
        self.constants[id(out)] = constants
        return out

    def _call(self, node: ast.Call) -> Any:
        args = []
        for a in node.args:
            if type(a) is ast.Starred:
                raise Uncovered("a starred argument")
            args.append(_Arg(self.expr(a), None, ""))
        for kw in node.keywords:
            if kw.arg is None:
                args.append(_Arg(self.expr(kw.value), None, "**"))
            else:
                args.append(_Arg(self.expr(kw.value), _Name(kw.arg), ""))
        return _Call(self.expr(node.func), args)

    def _dict(self, node: ast.Dict) -> Any:
        elements = []
        for k, v in zip(node.keys, node.values, strict=True):
            if k is None:
                raise Uncovered("** in a dictionary")
            elements.append(_DictElement(self.expr(k), self.expr(v)))
        return _make(cst.Dict, elements=elements)

    def _list(self, node: ast.List) -> Any:
        elements = []
        for e in node.elts:
            if type(e) is ast.Starred:
                raise Uncovered("a starred element")
            elements.append(_Element(self.expr(e)))
        return _make(cst.List, elements=elements)

    def _attribute(self, node: ast.Attribute) -> Any:
        return _make(cst.Attribute, value=self.expr(node.value), attr=_make(cst.Name, value=node.attr))

    def _subscript(self, node: ast.Subscript) -> Any:
        if type(node.slice) in (ast.Slice, ast.Tuple, ast.Starred):
            raise Uncovered("a subscript in another form")
        index = _make(cst.Index, value=self.expr(node.slice))
        return _make(cst.Subscript, value=self.expr(node.value), slice=[_make(cst.SubscriptElement, slice=index)])

    def _unary(self, node: ast.UnaryOp) -> Any:
        if type(node.op) is ast.USub:
            out = _make(cst.UnaryOperation, operator=_MINUS, expression=self.expr(node.operand))
            self.sources[id(out)] = node
            return out
        if type(node.op) is ast.Not:
            return _make(cst.UnaryOperation, operator=_NOT, expression=self.expr(node.operand))
        raise Uncovered("a unary operator in another form")

    def _binary(self, node: ast.BinOp) -> Any:
        if type(node.op) is not ast.Add:
            raise Uncovered("a binary operator in another form")
        return _make(cst.BinaryOperation, left=self.expr(node.left), operator=_ADD, right=self.expr(node.right))

    def _compare(self, node: ast.Compare) -> Any:
        targets = [_make(cst.ComparisonTarget, operator=_OPERATOR_NODES[type(op)], comparator=self.expr(c))
                   for op, c in zip(node.ops, node.comparators, strict=True)]
        return _make(cst.Comparison, left=self.expr(node.left), comparisons=targets)
