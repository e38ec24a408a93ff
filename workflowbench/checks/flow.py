"""Data flow of a workflow, read from its actions: which earlier actions each action takes values
from (action outputs, named variables and the loop variables), and what it refers to that nothing
before it defines.

A named variable is defined by an earlier Set Variable / Add to Variable of that name, and its
value comes from those actions; ``Repeat Item``/``Repeat Index`` (``… 2``, ``… 3`` for nested
loops) are defined inside that many open Repeat blocks and come from the loop's start. Shortcut
input, Ask, Clipboard, Current Date and Device Details always exist. An implicit input (an action
taking the previous action's output without naming it) is not a reference here: nothing in the
file says the action uses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..shortcut.model import Workflow
from ..shortcut.values import dump_value

SETTERS = frozenset({"is.workflow.actions.setvariable", "is.workflow.actions.appendvariable"})
LOOPS = frozenset({"is.workflow.actions.repeat.count", "is.workflow.actions.repeat.each"})
LOOP_VARIABLE = re.compile(r"Repeat (?:Item|Index)(?: (\d+))?")
ALWAYS = frozenset({"ExtensionInput", "Ask", "Clipboard", "CurrentDate", "DeviceDetails", "Input"})
START, END = 0, 2  # WFControlFlowMode


@dataclass(frozen=True)
class Step:
    position: int
    uses: frozenset[int]  # positions of the earlier actions it takes values from
    undefined: tuple[str, ...]  # what it refers to that nothing before it defines


def data_flow(wf: Workflow, params: Sequence[Mapping[str, Any]] | None = None) -> list[Step]:
    """The steps of ``wf``. ``params``: each action's parameters as plist values (``dump_value``),
    when the caller has them."""
    if params is None:
        params = [{k: dump_value(v) for k, v in a.parameters.items()} for a in wf.actions]
    producers: dict[str, int] = {}  # output UUID -> position
    uuids = [a.uuid for a in wf.actions]
    later = {u: i for i, u in enumerate(uuids) if u}
    variables: dict[str, set[int]] = {}  # name -> the setters so far
    loops: list[tuple[str | None, int]] = []  # open Repeat blocks: (group, start position)
    out = []
    for i, action in enumerate(wf.actions):
        if action.identifier in LOOPS and action.mode == END:
            _close(loops, action.group)
        uses: set[int] = set()
        undefined: list[str] = []
        for key, value in params[i].items():
            if key in ("UUID", "GroupingIdentifier") or not isinstance(value, (dict, list)):
                continue  # a plain value refers to nothing
            for kind, uuid, label, name in plist_references(value):
                if kind == "ActionOutput":
                    at = producers.get(uuid or "")
                    if at is None:
                        where = later.get(uuid or "")
                        undefined.append(f"output {label or uuid!r}"
                                         + (f" (made later, by action {where})" if where is not None else ""))
                    else:
                        uses.add(at)
                elif kind == "Variable":
                    name = name or ""
                    loop = LOOP_VARIABLE.fullmatch(name)
                    if loop is not None:
                        level = int(loop.group(1) or 1)
                        if level <= len(loops):
                            uses.add(loops[level - 1][1])
                            continue
                    if name in variables:
                        uses |= variables[name]
                    else:
                        undefined.append(f"variable {name!r}")
                elif kind not in ALWAYS:
                    undefined.append(f"{kind or 'untyped'} reference")
        out.append(Step(i, frozenset(uses), tuple(dict.fromkeys(undefined))))
        output = uuids[i]
        if output:
            producers[output] = i
        if action.identifier in SETTERS:
            name = action.parameters.get("WFVariableName")
            if isinstance(name, str):
                variables.setdefault(name, set()).add(i)
        if action.identifier in LOOPS and action.mode == START:
            loops.append((action.group, i))
    return out


def references(value: object) -> list[tuple[str | None, str | None, str | None, str | None]]:
    """(type, output UUID, output name, variable name) of every reference in a parameter value: the
    parsed attachments, and raw reference dictionaries wherever they sit (a quantity's magnitude,
    a dictionary left unparsed), found in the value's plist form."""
    return plist_references(dump_value(value))


def plist_references(value: object) -> list[tuple[str | None, str | None, str | None, str | None]]:
    """``references`` of a value already in its plist form (``dump_value``)."""
    out = []
    stack: list[object] = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            kind = v.get("Type")
            if isinstance(kind, str) and ("OutputUUID" in v or "VariableName" in v or kind in ALWAYS):
                out.append((kind, _text(v.get("OutputUUID")), _text(v.get("OutputName")), _text(v.get("VariableName"))))
                if "Aggrandizements" in v:
                    stack.append(v["Aggrandizements"])
                continue
            stack.extend(reversed(v.values()))
        elif isinstance(v, list):
            stack.extend(reversed(v))
    return out


def _text(v: object) -> str | None:
    return v if isinstance(v, str) else None


def _close(loops: list[tuple[str | None, int]], group: str | None) -> None:
    for k in range(len(loops) - 1, -1, -1):
        if loops[k][0] == group:
            del loops[k:]
            return
