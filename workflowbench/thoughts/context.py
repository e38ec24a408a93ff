"""The context of one seed: its actions, code lines, names and block tree, and its values as prose."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from ..code.names import identifier as py_name
from ..code.names import loop_name
from ..code.to_code import APPENDVAR, SETVAR, blocks
from ..shortcut.controlflow import Block, Node
from ..shortcut.values import (
    ATTACHMENT_TYPES,
    Array,
    Attachment,
    Dictionary,
    Quantity,
    Substitutable,
    Text,
    Variable,
    parse_attachment,
)
from .base import ApiDoc, Seed
from .lines import code_map
from .words import app_name, clip, flat, human_name, join, literal, lower_first, number

_SPECIAL = {
    "ExtensionInput": "the shortcut input", "Clipboard": "the clipboard", "CurrentDate": "the current date",
    "Ask": "a value asked for when run", "DeviceDetails": "the device details", "Input": "the action's input",
}
_SPECIAL_SHORT = {"ExtensionInput": "shortcut input", "Clipboard": "clipboard", "CurrentDate": "current date",
                  "Ask": "asked value", "DeviceDetails": "device details", "Input": "input"}
_TARGET = re.compile(r"\s*([^\W\d]\w*)\s*(?:\+=|=|:)")
_NAME_ARG = r"\b{}=([^\W\d]\w*)\s*[,)]"
_ASSIGNED = re.compile(r"\s*[^\W\d]\w*\s*\+?=\s*\[?([^\W\d]\w*)\]?\s*$")


_UNSET = object()  # an app not looked up yet (None is an answer: a built-in)

class Context:
    """What describing one seed needs: its actions, code lines, names and block tree."""

    def __init__(self, seed: Seed, apis: Mapping[str, ApiDoc]) -> None:
        self.seed = seed
        self.apis = apis
        self.actions = seed.workflow.actions
        self.names = seed.code.names
        self.code_lines, self.pairs = code_map(seed.code)
        self.line_of: dict[int, int] = {}
        for line, index in self.pairs:
            self.line_of.setdefault(index, line)
        self.tree, _ = blocks(seed.workflow)
        self.owner: dict[int, Block] = {}
        for block in walk_blocks(self.tree):
            for br in block.branches:
                self.owner[br.header] = block
            if block.end is not None:
                self.owner[block.end] = block
        self.variables = self._variable_names()
        self._apps: dict[int, str | None] = {}
        self._names: dict[str, str] = {}

    def app(self, i: int) -> str | None:
        """``app_name`` of action ``i``, once (comments, plan and query each ask)."""
        got = self._apps.get(i, _UNSET)  # not try/except: every action misses once
        if got is _UNSET:
            got = self._apps[i] = app_name(self.actions[i])
        return got  # type: ignore[return-value]

    def _variable_names(self) -> dict[str, str]:
        """Named variable -> its name in code, read off the code lines of Set/Add to Variable."""
        out: dict[str, str] = {}
        for i, a in enumerate(self.actions):
            if a.identifier not in (SETVAR, APPENDVAR) or (a.uuid is not None and a.uuid in self.names):
                continue
            name = a.parameters.get("WFVariableName")
            line = self.line_of.get(i)
            if type(name) is str and name not in out and line is not None:
                m = _TARGET.match(self.code_lines[line - 1])
                if m is not None:
                    out[name] = m[1]
        return out

    def line_text(self, i: int) -> str:
        line = self.line_of.get(i)
        return self.code_lines[line - 1] if line is not None else ""

    def doc(self, i: int) -> ApiDoc | None:
        return self.apis.get(self.actions[i].identifier)

    def name_of(self, i: int) -> str:
        """``human_name`` of action ``i``'s API, once per API."""
        ident = self.actions[i].identifier
        got = self._names.get(ident)
        if got is None:
            got = self._names[ident] = human_name(ident, self.apis.get(ident))
        return got

    # values -------------------------------------------------------------------------------------

    def variable(self, name: str) -> str:
        return loop_name(name) or self.variables.get(name) or py_name(name)

    def attachment(self, a: Attachment, short: bool = False) -> str:
        """A reference as prose: `name` for what has a name in code, else a short description."""
        code: str | None = None
        if a.type == "ActionOutput":
            code = self.names.get(a.output_uuid) if a.output_uuid is not None else None
            plain = f"the '{clip(flat(a.output_name), 30)}' result" if a.output_name else "an earlier result"
        elif a.type == "Variable" and a.variable_name is not None:
            code = self.variable(a.variable_name)
            plain = code
        else:
            table = _SPECIAL_SHORT if short else _SPECIAL
            plain = table.get(a.type or "", "a value")
        keys = ""
        prop: str | None = None
        for g in a.aggrandizements or ():
            field = g.fields.get("DictionaryKey") if g.kind == "DictionaryValue" else g.fields.get("PropertyName")
            if type(field) is not str:
                continue
            if g.kind == "DictionaryValue":
                keys += "['" + clip(flat(field), 24) + "']"
            elif g.kind == "Property":
                prop = lower_first(clip(flat(field), 24))
        if short:
            out = (code or plain) + keys
            return f"{prop} of {out}" if prop else out
        if code is not None:
            out = f"`{code}{keys}`"
        else:
            out = plain + (f" (key {keys[1:-1]})" if keys else "")
        return f"the {prop} of {out}" if prop else out

    def ref(self, v: object, n: int = 40) -> str | None:
        """A parameter value as prose, or None when it says nothing worth a comment."""
        if isinstance(v, Variable):
            return self.attachment(v.attachment)
        if isinstance(v, Attachment):
            return self.attachment(v)
        if isinstance(v, Text):
            return self.text(v, n)
        if isinstance(v, str):
            return literal(v, n)
        if isinstance(v, bool):
            return "on" if v else "off"
        if isinstance(v, int | float):
            return number(v)
        if isinstance(v, Substitutable):
            return self.ref(v.value, n)
        if isinstance(v, dict):
            kind = v.get("Type")
            if kind == "Variable" and "Variable" in v:  # the subject of an If
                return self.ref(v["Variable"], n)
            if kind in ATTACHMENT_TYPES:  # a raw attachment, as old files keep them
                return self.attachment(parse_attachment(v, 0, 50))
            return None
        if isinstance(v, Dictionary):
            keys = self.keys(v)
            return f"a dictionary with the keys {join(keys)}" if keys else "a dictionary"
        if isinstance(v, list | Array):
            items = v if isinstance(v, list) else v.items
            return f"a list of {len(items)} items" if items else "an empty list"
        if isinstance(v, Quantity):
            mag = self.ref(v.magnitude, n)
            unit = v.unit if isinstance(v.unit, str) else ""
            return f"{mag} {unit}".strip() if mag else None
        return None

    def text(self, t: Text, n: int) -> str:
        parts = t.parts
        if len(parts) == 1 and isinstance(parts[0], Attachment):
            return self.attachment(parts[0])
        if all(isinstance(p, str) for p in parts):
            return literal("".join(p for p in parts if isinstance(p, str)), n)
        shown: list[str] = []
        size = 0
        for p in parts:  # a template: 'Hello {name}!'
            piece = p[: n * 2] if isinstance(p, str) else "{" + self.attachment(p, True) + "}"
            shown.append(piece)
            size += len(piece)
            if size > n * 2:
                break
        return "'" + clip(flat("".join(shown)), n + 10) + "'"

    def keys(self, d: Dictionary, most: int = 3) -> list[str]:
        keys = [self.ref(it.key, 24) for it in d.items[: most + 1] if it.key is not None]
        shown = [k for k in keys if k][:most]
        if len(d.items) > most and shown:
            shown.append(f"{len(d.items) - most} more")
        return shown

    def param(self, i: int, key: str, n: int = 40) -> str | None:
        v = self.actions[i].parameters.get(key)
        return None if v is None else self.ref(v, n)

    def input(self, i: int, key: str, fallback: str = "the previous result") -> str:
        """The action's input: its parameter, or the name the code hands over implicitly."""
        got = self.param(i, key)
        if got is not None:
            return got
        line = self.line_text(i)
        m = re.search(_NAME_ARG.format(re.escape(key)), line)
        if m is None and self.actions[i].identifier in (SETVAR, APPENDVAR):
            m = _ASSIGNED.match(line)  # `x = name`, `x += [name]`
        return f"`{m[1]}`" if m is not None else fallback



def walk_blocks(nodes: list[Node]) -> Iterator[Block]:
    stack = [nodes]
    while stack:
        for node in stack.pop():
            if isinstance(node, Block):
                yield node
                stack.extend(br.body for br in node.branches)
