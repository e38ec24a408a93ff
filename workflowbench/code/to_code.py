"""Workflow -> Python-style code (the forms are listed in docs/CODE.md).

Every construct has a readable form and a general one, and the readable form is used only when
``from_code`` reads it back to the same parameters; otherwise the general form (the action called
with all its parameters, or ``plist(...)`` for a value) keeps the shortcut whole. Text is written
from small token emitters (``literals``) rather than libcst nodes: building and printing libcst
nodes costs about 140 µs per action, several times the whole read, while each emitter returns a
valid token whatever the value holds. libcst reads the code back (``from_code``) and the tests
parse every output with ``ast`` and libcst.
"""

from __future__ import annotations

import heapq
import keyword
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..shortcut.controlflow import Block, Defect, Leaf, Node, build_tree
from ..shortcut.model import Workflow
from ..shortcut.values import (
    Aggrandizement,
    Array,
    Attachment,
    Dictionary,
    PredicateTable,
    Quantity,
    Substitutable,
    Text,
    Variable,
    attachments,
    dump_value,
)
from .inputs import INPUT_KEYS, PASSTHROUGH
from .literals import can_quote_bare, date, number, quote, quote_bare, triple_body
from .names import Namer, action_label, function_name, identifier, loop_name, loop_names, snake

P = "is.workflow.actions."
COMMENT, SETVAR, APPENDVAR = P + "comment", P + "setvariable", P + "appendvariable"
IF, MENU, REPEAT, EACH = P + "conditional", P + "choosefrommenu", P + "repeat.count", P + "repeat.each"
STRUCTURAL = ("GroupingIdentifier", "WFControlFlowMode")

# Attachment types without a name of their own, as helper calls.
HELPER_OF = {
    "ExtensionInput": "shortcut_input()",
    "Ask": "input()",
    "Clipboard": "get_clipboard()",
    "CurrentDate": "current_date()",
    "DeviceDetails": "device_details()",
    "Input": "action_input()",
}
# Condition codes (WFCondition) as Python comparisons; legacy string codes map onto them.
COMPARE = {0: "<", 1: "<=", 2: ">", 3: ">=", 4: "==", 5: "!="}
LEGACY = {
    "Is Less Than": 0, "Is Greater Than": 2, "Equals": 4, "Is": 4, "Is Not": 5, "Not Equal To": 5,
    "Begins With": 8, "Ends With": 9, "Contains": 99, "Does Not Contain": 999,
}
_TEXTUAL = {8: "startswith", 9: "endswith"}
# What a condition can compare its input with (the If action's operand parameters).
OPERANDS = frozenset({
    "WFConditionalActionString", "WFNumberValue", "WFAnotherNumber", "WFBoundedNumber", "WFAnotherBoundedNumber",
    "WFDate", "WFAnotherDate", "WFMeasurement", "WFAnotherMeasurement", "WFDuration", "WFAnotherDuration",
    "WFEnumeration", "WFNumericEnumeration", "WFLinkEnumeration",
})


class _Fallback(Exception):
    """Internal: this value has no readable form here; write the general one."""


@dataclass
class Transpiled:
    code: str
    names: dict[str, str] = field(default_factory=dict)  # output UUID -> name in code
    # (line, action index): the 1-based code line the action's statement starts on; an end written
    # implicitly shares the line of its body's last statement (or of the ``pass`` of an empty body).
    lines: list[tuple[int, int]] = field(default_factory=list)
    general: int = 0  # values written as plist(...) because no readable form fits


@dataclass
class Plan:
    """What the code shows besides the actions' own parameters; ``from_code`` and the round-trip
    normalisation rely on the same decisions."""

    tree: list[Node]
    producer: dict[str, int]  # output UUID -> index of the action producing it
    bound: dict[int, str]  # action index -> name of its output in code
    labels: dict[int, str | None]  # action index -> label references to it carry
    annotate: set[int]  # bound outputs whose label is written (it is not the default)
    implicit: dict[int, tuple[str, int]]  # action index -> (input key, producer index)
    variables: dict[str, str]  # variable name -> name in code
    healthy: set[int]  # start indices of blocks written as Python blocks


def default_label(action_params: Mapping, identifier_: str, labels: Callable[[str], str | None] | None) -> str | None:
    custom = action_params.get("CustomOutputName")
    if isinstance(custom, str):
        return custom
    return labels(identifier_) if labels is not None else None


def plan(wf: Workflow, input_keys: Mapping[str, str] | None = None,
         labels: Callable[[str], str | None] | None = None, reuse_names: bool = False) -> Plan:
    """What the code shows. ``reuse_names``: an output's name is handed on once no later action
    refers to it (``from_code`` resolves a name to its latest assignment above the reference)."""
    actions = wf.actions
    keys = INPUT_KEYS if input_keys is None else {**INPUT_KEYS, **input_keys}
    producer = {u: i for i, a in enumerate(actions) if (u := a.uuid) is not None}
    first_label: dict[int, str | None] = {}
    referenced: set[int] = set()
    names: dict[str, None] = {}  # variable names in order of appearance
    uses: dict[int, list[int]] = {}  # producer -> [first, last] index of the actions referring to it

    def used(i: int, k: int) -> None:
        span = uses.setdefault(i, [k, k])
        span[0], span[1] = min(span[0], k), max(span[1], k)

    for k, a in enumerate(actions):
        if a.identifier in (SETVAR, APPENDVAR) and type(a.parameters.get("WFVariableName")) is str:
            names.setdefault(a.parameters["WFVariableName"])  # type: ignore[arg-type]
        for att in attachments(a.parameters):
            if att.type == "ActionOutput":
                i = producer.get(att.output_uuid)  # type: ignore[arg-type]
                if i is not None:
                    referenced.add(i)
                    first_label.setdefault(i, att.output_name)
                    used(i, k)
            elif att.type == "Variable" and att.variable_name is not None:
                names.setdefault(att.variable_name)
    tree, defects = blocks(wf)
    healthy = _healthy_blocks(wf, tree, defects, referenced)
    implicit: dict[int, tuple[str, int]] = {}
    _implicit(tree, wf, keys, healthy, implicit)
    referenced.update(p for _, p in implicit.values())
    for k, (_, i) in implicit.items():
        used(i, k)
    # Variables keep their names; outputs get snake_case names that avoid them.
    namer = Namer()
    variables: dict[str, str] = {}
    seen = list(names)
    for name in seen:
        if name.isidentifier() and name.isascii() and name not in namer.taken and loop_name(name) is None:
            variables[name] = namer.claim(name)
    for name in seen:
        if name not in variables and loop_name(name) is None:
            variables[name] = namer.claim(identifier(name))
    bound: dict[int, str] = {}
    label_of: dict[int, str | None] = {}
    annotate: set[int] = set()
    alive: list[tuple[int, str, str]] = []  # (last use, name, base) of names that may be handed on
    free: dict[str, list[str]] = {}  # base -> names no later action refers to
    for i in sorted(referenced):
        a = actions[i]
        dflt = default_label(a.parameters, a.identifier, labels)
        label = first_label.get(i)
        label_of[i] = label if label is not None else dflt
        if label is not None and label != dflt:
            annotate.add(i)
        base = snake(label_of[i] or action_label(a.identifier))
        if not reuse_names:
            bound[i] = namer.claim(base)
            continue
        while alive and alive[0][0] <= i:  # a reference in action i itself is read before i binds
            _, name, b = heapq.heappop(alive)
            free.setdefault(b, []).append(name)
        first, last = uses.get(i, [i + 1, i + 1])
        if first > i and free.get(base):  # a reference above the binding must find it first: fresh name
            bound[i] = free[base].pop()
        else:
            bound[i] = namer.claim(base)
        if first > i:
            heapq.heappush(alive, (last, bound[i], base))
    return Plan(tree, producer, bound, label_of, annotate, implicit, variables, healthy)


def blocks(wf: Workflow) -> tuple[list[Node], list[Defect]]:
    """The block tree and its defects; the model's cached structure when it has been built."""
    cached = wf.__dict__.get("structure")
    if cached is not None:
        return cached[0], cached[1]
    # The code and the thoughts of one workflow both ask; kept with the list it was built from, so
    # a workflow given other actions gets a new tree.
    mine = wf.__dict__.get("_blocks")
    if mine is not None and mine[0] is wf.actions and mine[1] == len(wf.actions):
        return mine[2], mine[3]
    tree, defects, _, _ = build_tree(wf.actions, values=False)
    wf.__dict__["_blocks"] = (wf.actions, len(wf.actions), tree, defects)
    return tree, defects


def _healthy_blocks(wf: Workflow, tree: list[Node], defects: list[Defect], referenced: set[int]) -> set[int]:
    """Blocks that can be written as Python blocks: closed, no defect on their actions, the shape
    Python can hold, and no output of a start or middle in use."""
    bad = {d.index for d in defects if d.kind != "malformed-value"}
    members: dict[object, int] = {}
    for a in wf.actions:
        g = a.parameters.get("GroupingIdentifier")
        if type(g) is str:
            members[g] = members.get(g, 0) + 1
    out: set[int] = set()

    def visit(nodes: list[Node]) -> None:
        for node in nodes:
            if type(node) is not Block:
                continue
            for br in node.branches:
                visit(br.body)
            heads = [br.header for br in node.branches]
            if node.end is None or any(h in bad for h in heads) or node.end in bad:
                continue
            if any(h in referenced for h in heads):
                continue
            n = len(node.branches)
            if members.get(node.group) != n + 1:  # the group id is also on actions outside the block
                continue
            if node.identifier == IF:
                if n > 2 or (n == 2 and _rest(wf.actions[heads[1]].parameters)):
                    continue
            elif node.identifier == MENU:
                if n < 2 or node.branches[0].body:
                    continue
            elif n != 1:
                continue
            out.add(node.start)

    visit(tree)
    return out


def _rest(params: Mapping) -> dict:
    """Parameters other than the block bookkeeping and the output id."""
    return {k: v for k, v in params.items()
            if k not in STRUCTURAL and not (k == "UUID" and isinstance(v, str))}


def _implicit(nodes: list[Node], wf: Workflow, keys: Mapping[str, str], healthy: set[int],
              out: dict[int, tuple[str, int]]) -> None:
    """Actions that take the previous action's output without saying so."""
    actions = wf.actions
    prev: int | None = None
    for node in nodes:
        if type(node) is Leaf:
            a = actions[node.index]
            if a.identifier == COMMENT:
                continue
            if a.mode is None:
                key = keys.get(a.identifier)
                if key is not None and key not in a.parameters and prev is not None:
                    out[node.index] = (key, prev)
            prev = node.index if a.identifier not in PASSTHROUGH and a.mode is None else None
            continue
        start = node.start
        if start in healthy:
            a = actions[start]
            key = keys.get(a.identifier)
            if key is not None and key not in a.parameters and prev is not None:
                out[start] = (key, prev)
        for br in node.branches:
            _implicit(br.body, wf, keys, healthy, out)
        prev = node.end if start in healthy else None


# --- writing ----------------------------------------------------------------------------------


class _Writer:
    def __init__(self, wf: Workflow, p: Plan) -> None:
        self.wf = wf
        self.p = p
        self.lines: list[str] = []  # statements; a multi-line literal spans several code lines
        self.where: list[tuple[int, int]] = []
        self.line = 0  # code lines written so far, so ``where`` holds real line numbers
        self.last = 0  # the line the latest statement starts on (a multi-line one ends further down)
        self.general = 0
        self.loops = 0

    # values ------------------------------------------------------------------------------------

    def value(self, v: object) -> str:
        t = type(v)
        if t is str:
            return quote(v)  # type: ignore[arg-type]
        if t is Variable:
            try:
                if v.extra:  # type: ignore[union-attr]
                    raise _Fallback
                return self.attachment(v.attachment, False)  # type: ignore[union-attr]
            except _Fallback:
                return self.general_form(v)
        if t is Text:
            return self.text(v)  # type: ignore[arg-type]
        if t is bool:
            return "True" if v else "False"
        if t is int or t is float:
            return number(v)  # type: ignore[arg-type]
        if t is Dictionary:
            try:
                return self.dictionary(v)  # type: ignore[arg-type]
            except _Fallback:
                return self.general_form(v)
        if t is list:
            return f"[{', '.join([self.value(x) for x in v])}]"  # type: ignore[union-attr]
        if t is dict:
            return self.plain_dict(v)  # type: ignore[arg-type]
        if v is None:
            return "None"
        if t is _Ref:
            return self.p.bound[v.index]  # type: ignore[union-attr]
        if t is bytes:
            return repr(v)
        if t is datetime:
            return date(v)  # type: ignore[arg-type]
        if t is Quantity and not (v.extra or v.value_extra) and v.magnitude is not None and v.unit is not None:  # type: ignore[union-attr]
            return f"quantity({self.value(v.magnitude)}, {self.value(v.unit)})"  # type: ignore[union-attr]
        if t is PredicateTable and not v.extra and all(  # type: ignore[union-attr]
                _keyword(k) and k != "prefix" for k in v.value_extra):  # type: ignore[union-attr]
            prefix = "" if v.prefix is None else f", prefix={v.prefix}"  # type: ignore[union-attr]
            more = "".join(f", {k}={self.value(x)}" for k, x in v.value_extra.items())  # type: ignore[union-attr]
            return f"content_filter({self.value(v.templates)}{prefix}{more})"  # type: ignore[union-attr]
        return self.general_form(v)

    def general_form(self, v: object) -> str:
        self.general += 1
        return f"plist({self.value(dump_value(v))})"

    def plain_dict(self, d: dict) -> str:
        if d.get("Type") == "ActionOutput" and d.get("OutputUUID") in self.p.producer:
            # a raw attachment (inside a plain dictionary or a general form): the id becomes the name
            d = {**d, "OutputUUID": _Ref(self.p.producer[d["OutputUUID"]])}
        if all(type(k) is str and k.isidentifier() and k.isascii() and not keyword.iskeyword(k) for k in d):
            return "dict(" + ", ".join([f"{k}={self.value(v)}" for k, v in d.items()]) + ")"
        return "dict({" + ", ".join([f"{self.value(k)}: {self.value(v)}" for k, v in d.items()]) + "})"

    def text(self, t: Text) -> str:
        if t.extra or t.value_extra:
            return self.general_form(t)
        if (len(t.parts) == 1 and type(t.parts[0]) is str) or not t.parts:
            s = t.parts[0] if t.parts else ""
            return f"{'f' if t.has_ranges else ''}'''{triple_body(s, t.has_ranges)}'''"  # type: ignore[arg-type]
        if not t.has_ranges:
            return self.general_form(t)
        out = ["f'''"]
        try:
            for part in t.parts:
                if type(part) is str:
                    out.append(triple_body(part, True))
                else:
                    out.append("{" + self.attachment(part, True) + "}")  # type: ignore[arg-type]
        except _Fallback:
            return self.general_form(t)
        out.append("'''")
        return "".join(out)

    def lit(self, s: object, inner: bool) -> str:
        if type(s) is not str:
            raise _Fallback
        if inner:
            if not can_quote_bare(s):
                raise _Fallback
            return quote_bare(s)
        return quote(s)

    def attachment(self, a: Attachment, inner: bool) -> str:
        """The expression for a variable reference; ``inner``: it goes inside an f-string."""
        if a.extra and a.extra.keys() != {"VariableUUID"}:
            raise _Fallback
        kind = a.type
        if kind == "ActionOutput":
            if a.variable_name is not None or a.output_uuid is None:
                raise _Fallback
            i = self.p.producer.get(a.output_uuid)
            if i is None:
                e = "missing_output()" if a.output_name is None else f"missing_output({self.lit(a.output_name, inner)})"
            else:
                e = self.p.bound[i]
                if a.output_name != self.p.labels[i]:  # this reference shows another label than the rest
                    e = f"labeled({e}, {'None' if a.output_name is None else self.lit(a.output_name, inner)})"
        elif kind == "Variable":
            if a.variable_name is None or a.output_uuid is not None or a.output_name is not None:
                raise _Fallback
            e = loop_name(a.variable_name) or self.p.variables[a.variable_name]
        else:
            e = HELPER_OF.get(kind)  # type: ignore[arg-type]
            if e is None or a.output_uuid is not None or a.output_name is not None or a.variable_name is not None:
                raise _Fallback
        if a.aggrandizements is not None:
            if not a.aggrandizements:
                raise _Fallback
            for g in a.aggrandizements:
                e = self.aggrandize(e, g, inner)
        return e

    def aggrandize(self, e: str, g: Aggrandizement, inner: bool) -> str:
        f = g.fields
        kind = g.type
        if kind == "WFDictionaryValueVariableAggrandizement" and f.keys() == {"DictionaryKey"}:
            return f"{e}[{self.lit(f['DictionaryKey'], inner)}]"
        if kind == "WFCoercionVariableAggrandizement" and f.keys() == {"CoercionItemClass"}:
            return f"coerce_variable(value={e}, coercion_class={self.lit(f['CoercionItemClass'], inner)})"
        if kind == "WFPropertyVariableAggrandizement" and "PropertyName" in f \
                and f.keys() <= {"PropertyName", "PropertyUserInfo"}:
            name = f["PropertyName"]
            if len(f) == 1 and _keyword(name):
                return f"{e}.{name}"
            info = f", info={self.inner_value(f['PropertyUserInfo'], inner)}" if "PropertyUserInfo" in f else ""
            return f"get_property(value={e}, name={self.lit(name, inner)}{info})"
        if not all(k.isidentifier() and k.isascii() and not keyword.iskeyword(k) and k not in ("value", "type")
                   for k in f):
            raise _Fallback
        args = "".join(f", {k}={self.inner_value(v, inner)}" for k, v in f.items())
        if kind == "WFDateFormatVariableAggrandizement":
            return f"format_date(value={e}{args})"
        return f"aggrandize(value={e}, type={self.lit(kind, inner)}{args})"

    def inner_value(self, v: object, inner: bool) -> str:
        if type(v) is str:
            return self.lit(v, inner)
        s = self.value(v)
        if inner and ("\\" in s or "\n" in s or "'''" in s):
            raise _Fallback
        return s

    def dictionary(self, d: Dictionary, wrapped: bool = False) -> str:
        """``{...}``; a dictionary inside a dictionary is always wrapped twice in real files."""
        if d.wrapped != wrapped or d.extra or d.value_extra or d.wrapper_extra:
            raise _Fallback
        items = []
        for it in d.items:
            if it.extra or it.key is None or type(it.key) not in (str, Text):
                raise _Fallback
            items.append(f"{self.value(it.key)}: {self.item(it.item_type, it.value)}")
        return f"{{{', '.join(items)}}}"

    def item(self, kind: int | None, v: object) -> str:
        """A dictionary item's value; its item type must follow from the form written."""
        t = type(v)
        if kind == 0 and t in (str, Text):
            return self.value(v)
        if kind == 1 and t is Dictionary:
            return self.dictionary(v, True)  # type: ignore[arg-type]
        if kind == 2 and t is Array and not v.extra:  # type: ignore[union-attr]
            return f"[{', '.join([self.element(x) for x in v.items])}]"  # type: ignore[union-attr]
        if kind == 3 and t is Text and not v.has_ranges and not (v.extra or v.value_extra):  # type: ignore[union-attr]
            s = v.parts[0] if len(v.parts) == 1 and type(v.parts[0]) is str else None  # type: ignore[union-attr]
            if s is not None and _numeric(s):
                return s  # type: ignore[return-value]
        if t is Substitutable and not v.extra:  # type: ignore[union-attr]
            inner = v.value  # type: ignore[union-attr]
            if kind == 4 and v.type == "WFNumberSubstitutableState" and type(inner) is bool:  # type: ignore[union-attr]
                return "True" if inner else "False"
            if kind == 5 and v.type == "WFTokenAttachmentParameterState" \
                    and type(inner) is Variable and not inner.extra:  # type: ignore[union-attr]
                return self.attachment(inner.attachment, False)
        raise _Fallback

    def element(self, x: object) -> str:
        """An array item: ``{WFItemType, WFValue}`` written as its value, like a dictionary item."""
        if type(x) is dict and x.keys() == {"WFItemType", "WFValue"} and type(x["WFItemType"]) is int:
            return self.item(x["WFItemType"], x["WFValue"])
        raise _Fallback

    # statements ------------------------------------------------------------------------------

    def emit(self, depth: int, text: str, index: int | None = None) -> None:
        if index is not None:
            self.where.append((self.line + 1, index))
        self.lines.append("    " * depth + text)  # later lines of a multi-line literal are its text
        self.last = self.line + 1
        self.line += text.count("\n") + 1 if "\n" in text else 1  # `in` skips megabyte lines quicker

    def args(self, params: list[tuple[str, object]]) -> str:
        """Keyword arguments in the stored order; keys that are not Python names go in ``**{...}``
        at their place (a call may mix the two), so reading back keeps the order."""
        out: list[str] = []
        odd: list[str] = []
        for k, v in params:
            if _keyword(k):
                if odd:
                    out.append("**{" + ", ".join(odd) + "}")
                    odd = []
                out.append(f"{k}={self.value(v)}")
            else:
                odd.append(f"{quote(k)}: {self.value(v)}")
        if odd:
            out.append("**{" + ", ".join(odd) + "}")
        return ", ".join(out)

    def params(self, i: int, keep_structure: bool) -> list[tuple[str, object]]:
        a = self.wf.actions[i]
        out = [(k, v) for k, v in a.parameters.items()
               if not (k == "UUID" and isinstance(v, str)) and (keep_structure or k not in STRUCTURAL)]
        hand = self.p.implicit.get(i)
        if hand is not None:
            ref = _Ref(hand[1])
            out.append((hand[0], {"Type": "Variable", "Variable": ref} if a.identifier == IF else ref))
        return out

    def call(self, i: int, params: list[tuple[str, object]]) -> str:
        return f"{function_name(self.wf.actions[i].identifier)}({self.args(params)})"

    def target(self, i: int) -> str:
        name = self.p.bound.get(i)
        if name is None:
            return ""
        if i in self.p.annotate or self.wf.actions[i].identifier in (SETVAR, APPENDVAR):
            # a plain assignment from Set Variable names the variable; an annotated one, its output
            label = self.p.labels[i]
            return f"{name}: {'None' if label is None else quote(label)} = "
        return f"{name} = "

    def leaf(self, i: int, depth: int) -> bool:
        """Write one action; False if it became comment lines (not a Python statement)."""
        a = self.wf.actions[i]
        params = self.params(i, True)
        ident = a.identifier
        if ident == COMMENT and self.comment(i, params, depth):
            return False
        if ident in (SETVAR, APPENDVAR) and i not in self.p.bound:
            name = a.parameters.get("WFVariableName")
            if type(name) is str:
                py = self.p.variables[name] if loop_name(name) is None else loop_name(name)
                keys = [k for k, _ in params]
                if py == name and keys in (["WFVariableName", "WFInput"], ["WFInput", "WFVariableName"]):
                    v = self.value(dict(params)["WFInput"])
                    self.emit(depth, f"{py} = {v}" if ident == SETVAR else f"{py} += [{v}]", i)
                else:
                    self.emit(depth, f"{py} = {self.call(i, params)}", i)
                return True
        self.emit(depth, self.target(i) + self.call(i, params), i)
        return True

    def comment(self, i: int, params: list[tuple[str, object]], depth: int) -> bool:
        if len(params) != 1 or params[0][0] != "WFCommentActionText" or type(params[0][1]) is not str:
            return False
        text: str = params[0][1]  # type: ignore[assignment]
        if "'''" in text or not all(line.isprintable() for line in text.split("\n")) or text.endswith("'"):
            return False
        lines = text.split("\n")
        lines[0] = "'''" + lines[0]
        lines[-1] += "'''"
        self.where.append((self.line + 1, i))
        pad = "    " * depth
        self.lines.extend(pad + ("# " + line if line else "#") for line in lines)
        self.last = self.line + 1
        self.line += len(lines)
        return True

    def body(self, nodes: list[Node], depth: int) -> None:
        statements = 0
        for k, node in enumerate(nodes):
            if type(node) is Leaf:
                statements += self.leaf(node.index, depth)
            elif node.start in self.p.healthy:
                self.block(node, depth, nodes[k + 1] if k + 1 < len(nodes) else None)
                statements += 1
            else:
                statements += self.flat(node, depth)
        if statements == 0:
            self.emit(depth, "pass")

    def flat(self, block: Block, depth: int) -> int:
        """A damaged block: its actions as plain calls with their block bookkeeping, in file order."""
        count = 0
        for br in block.branches:
            self.emit(depth, self.target(br.header) + self.call(br.header, self.params(br.header, True)), br.header)
            count += 1
            for k, node in enumerate(br.body):
                if type(node) is Leaf:
                    count += self.leaf(node.index, depth)
                elif node.start in self.p.healthy:
                    self.block(node, depth, br.body[k + 1] if k + 1 < len(br.body) else None)
                    count += 1
                else:
                    count += self.flat(node, depth)
        if block.end is not None:
            self.emit(depth, self.target(block.end) + self.call(block.end, self.params(block.end, True)), block.end)
            count += 1
        return count

    def block(self, block: Block, depth: int, after: Node | None) -> None:
        wf = self.wf
        head = block.start
        params = self.params(head, False)
        ident = block.identifier
        if ident == IF:
            self.emit(depth, f"if {self.condition(head, params)}:", head)
            self.body(block.branches[0].body, depth + 1)
            if len(block.branches) == 2:
                self.emit(depth, "else:", block.branches[1].header)
                self.body(block.branches[1].body, depth + 1)
        elif ident == MENU:
            self.menu(block, params, depth)
        else:
            self.loops += 1
            index, item = loop_names(self.loops)
            if ident == REPEAT:
                if [k for k, _ in params] == ["WFRepeatCount"]:
                    self.emit(depth, f"for {index} in range(1, {self.value(params[0][1])} + 1):", head)
                else:
                    self.emit(depth, f"for {index} in {self.call(head, params)}:", head)
            else:
                if [k for k, _ in params] == ["WFInput"]:
                    self.emit(depth, f"for {index}, {item} in enumerate({self.value(params[0][1])}, start=1):", head)
                else:
                    self.emit(depth, f"for {index}, {item} in {self.call(head, params)}:", head)
            self.body(block.branches[0].body, depth + 1)
            self.loops -= 1
        end = block.end
        assert end is not None
        rest = self.params(end, False)
        clash = (type(after) is Leaf and wf.actions[after.index].identifier == ident
                 and wf.actions[after.index].mode is None)
        if rest or end in self.p.bound or clash:
            self.emit(depth, self.target(end) + self.call(end, rest), end)
        else:
            self.where.append((self.last, end))  # an implicit end: the body's last statement

    def condition(self, head: int, params: list[tuple[str, object]]) -> str:
        got = dict(params)
        readable = condition_form(got, self.value, self.attachment)
        if readable is None:
            return self.call(head, params)
        expr, implied = readable
        if implied == got:
            return expr
        extra = sorted((k, v) for k, v in params if k not in implied or implied[k] != v)
        return function_name(IF) + "(" + expr + (", " + self.args(extra) if extra else "") + ")"

    def menu(self, block: Block, params: list[tuple[str, object]], depth: int) -> None:
        actions = self.wf.actions
        titles = [actions[br.header].parameters.get("WFMenuItemTitle") for br in block.branches[1:]]
        got = dict(params)
        if got.get("WFMenuItems") == titles and got.keys() <= {"WFMenuPrompt", "WFMenuItems"}:
            prompt = f"prompt={self.value(got['WFMenuPrompt'])}" if "WFMenuPrompt" in got else ""
            self.emit(depth, f"match input({prompt}):", block.start)
        else:
            self.emit(depth, f"match {self.call(block.start, params)}:", block.start)
        for br in block.branches[1:]:
            rest = self.params(br.header, False)
            if len(rest) == 1 and rest[0][0] == "WFMenuItemTitle" and type(rest[0][1]) is str:
                self.emit(depth + 1, f"case {quote(rest[0][1])}:", br.header)  # type: ignore[arg-type]
            else:
                self.emit(depth + 1, f"case _ if {self.call(br.header, rest)}:", br.header)
            self.body(br.body, depth + 2)


class _Ref:
    """The previous action's output, handed over implicitly and written as an argument."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


def condition_form(got: dict, value: Callable[[object], str], attachment: Callable) -> tuple[str, dict] | None:
    """The comparison for a conditional's parameters, and the parameters that comparison stands for."""
    code = got.get("WFCondition")
    if type(code) is str:
        code = LEGACY.get(code)
    if type(code) is not int or "WFInput" not in got:
        return None
    subject = got["WFInput"]
    if type(subject) is dict and subject.keys() == {"Type", "Variable"} and type(subject["Variable"]) is _Ref:
        lhs = value(subject["Variable"])
    elif type(subject) is dict and subject.keys() == {"Type", "Variable"} and subject["Type"] == "Variable" \
            and type(subject["Variable"]) is Variable and not subject["Variable"].extra:
        try:
            lhs = attachment(subject["Variable"].attachment, False)
        except _Fallback:
            return None
    else:
        return None
    implied: dict = {"WFInput": subject, "WFCondition": code}
    operands = OPERANDS & got.keys()
    if code in (4, 5) and not operands and _boolean(subject["Variable"]):
        # a Boolean input's "is"/"is not" with the switch left alone: the app reads "is true"
        return f"{lhs} {'is' if code == 4 else 'is not'} True", implied
    if code in COMPARE and code < 4 and operands == {"WFMeasurement"} and type(got["WFMeasurement"]) is Quantity:
        implied["WFMeasurement"] = got["WFMeasurement"]
        return f"{lhs} {COMPARE[code]} {value(got['WFMeasurement'])}", implied
    if code in COMPARE or code == 1003:
        textual = code in (4, 5) and "WFConditionalActionString" in got
        key = "WFConditionalActionString" if textual else "WFNumberValue"
        if key not in got:
            return None
        rhs = got[key]
        if type(rhs) not in (str, Text) if textual else type(rhs) is Text:
            return None  # from_code tells the two keys apart by the operand's form
        implied[key] = rhs
        if code == 1003:
            if "WFAnotherNumber" not in got or type(got["WFAnotherNumber"]) is Text:
                return None
            implied["WFAnotherNumber"] = got["WFAnotherNumber"]
            return f"{operand(rhs, value)} <= {lhs} <= {operand(got['WFAnotherNumber'], value)}", implied
        return f"{lhs} {COMPARE[code]} {operand(rhs, value) if not textual else value(rhs)}", implied
    if code in (8, 9, 99, 999):
        rhs = got.get("WFConditionalActionString")
        if type(rhs) not in (str, Text):
            return None
        implied["WFConditionalActionString"] = rhs
        if code in _TEXTUAL:
            return f"{lhs}.{_TEXTUAL[code]}({value(rhs)})", implied
        return f"{value(rhs)} {'in' if code == 99 else 'not in'} {lhs}", implied
    if code == 100:
        return lhs, implied
    if code == 101:
        return f"not {lhs}", implied
    return None


def _boolean(v: object) -> bool:
    """A variable coerced to a Boolean (its last coercion says so)."""
    if type(v) is not Variable:
        return False
    coercions = [a.fields.get("CoercionItemClass") for a in v.attachment.aggrandizements or ()
                 if a.type == "WFCoercionVariableAggrandizement"]
    return bool(coercions) and coercions[-1] == "WFBooleanContentItem"


def operand(v: object, value: Callable[[object], str]) -> str:
    """A number operand; text that holds a number is ``number('...')`` so it reads back as text."""
    return f"number({quote(v)})" if type(v) is str else value(v)


_KEYWORD: dict[str, bool] = {}  # parameter keys repeat across actions and files


def _keyword(k: object) -> bool:
    if type(k) is not str:
        return False
    ok = _KEYWORD.get(k)
    if ok is None:
        if len(_KEYWORD) > 4096:
            _KEYWORD.clear()
        ok = _KEYWORD[k] = k.isidentifier() and k.isascii() and not keyword.iskeyword(k)
    return ok


def _numeric(s: str) -> bool:
    try:
        return str(int(s)) == s
    except ValueError:
        pass
    try:
        return repr(float(s)) == s and "n" not in s
    except ValueError:
        return False


def transpile(wf: Workflow, *, input_keys: Mapping[str, str] | None = None,
              labels: Callable[[str], str | None] | None = None, reuse_names: bool = False) -> Transpiled:
    p = plan(wf, input_keys, labels, reuse_names)
    w = _Writer(wf, p)
    if wf.actions:
        w.body(p.tree, 0)
    if w.lines:
        w.lines.append("")  # the final newline, without copying the code once more
    code = "\n".join(w.lines)
    names = {a.uuid: p.bound[i] for i, a in enumerate(wf.actions) if i in p.bound and a.uuid is not None}
    return Transpiled(code, names, w.where, w.general)


def to_code(wf: Workflow, *, input_keys: Mapping[str, str] | None = None,
            labels: Callable[[str], str | None] | None = None) -> str:
    """Python-style code for a workflow: valid Python, the same for the same workflow."""
    return transpile(wf, input_keys=input_keys, labels=labels).code
