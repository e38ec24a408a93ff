"""Control-flow tree from ``GroupingIdentifier`` + ``WFControlFlowMode``.

Damaged blocks never raise: they become ``Defect`` records with the action index,
and the tree stays a deterministic reading of the flat list (which is untouched).
Rules, in order:

- a mode on an action that is not a block action, or a mode outside 0/1/2: ``mode-on-non-block`` /
  ``bad-mode``; the action is a plain leaf;
- a start opens a block (``no-group`` if it has no GroupingIdentifier, ``duplicate-start`` if the
  group is already open);
- a middle or end goes to the innermost open block of its group (without a group: the innermost
  open block with the same identifier, and ``no-group``). If that block is not the innermost, every
  block above it is closed there (``interleaved``, one per closed block). If no open block matches:
  ``stray-middle`` / ``stray-end``, and the action is a plain leaf;
- a middle or end whose identifier differs from its start's: ``mismatched-block``;
- blocks still open at the end: ``unclosed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Action, iter_values
from .values import Unknown

BLOCK_ACTIONS = frozenset({
    "is.workflow.actions.conditional",
    "is.workflow.actions.choosefrommenu",
    "is.workflow.actions.repeat.count",
    "is.workflow.actions.repeat.each",
})


@dataclass(slots=True)
class Leaf:
    index: int


@dataclass(slots=True)
class Branch:
    header: int  # index of the start or middle action that opens this branch
    body: list[Node] = field(default_factory=list)


@dataclass(slots=True)
class Block:
    identifier: str
    group: str | None
    start: int
    branches: list[Branch]
    end: int | None = None  # None: closed by a defect, not by an end action


Node = Leaf | Block


@dataclass(frozen=True, slots=True)
class Defect:
    kind: str
    index: int
    group: str | None = None
    detail: str = ""


def build_tree(
    actions: list[Action], values: bool = True,
) -> tuple[list[Node], list[Defect], list[int], list[str | None]]:
    """Return (tree, defects, depth of each action, role of each action). ``values=False`` skips the
    scan for malformed values, for callers that only need the blocks."""
    root: list[Node] = []
    stack: list[Block] = []
    defects: list[Defect] = []
    depths = [0] * len(actions)
    roles: list[str | None] = [None] * len(actions)

    def body() -> list[Node]:
        return stack[-1].branches[-1].body if stack else root

    for i, action in enumerate(actions):
        mode = action.parameters.get("WFControlFlowMode")
        depths[i] = len(stack)
        if mode is None:  # most actions: body() inlined
            (stack[-1].branches[-1].body if stack else root).append(Leaf(i))
            continue
        if action.identifier not in BLOCK_ACTIONS:
            defects.append(Defect("mode-on-non-block", i, action.group, action.identifier))
            body().append(Leaf(i))
            continue
        if type(mode) is not int or mode not in (0, 1, 2):
            defects.append(Defect("bad-mode", i, action.group, repr(mode)))
            body().append(Leaf(i))
            continue
        group = action.group
        if mode == 0:
            if group is None:
                defects.append(Defect("no-group", i, None, "start without GroupingIdentifier"))
            elif any(b.group == group for b in stack):
                defects.append(Defect("duplicate-start", i, group))
            block = Block(action.identifier, group, i, [Branch(i)])
            body().append(block)
            stack.append(block)
            roles[i] = "start"
            continue
        pos = _find(stack, action)
        if pos is None:
            defects.append(Defect("stray-middle" if mode == 1 else "stray-end", i, group))
            body().append(Leaf(i))
            continue
        if group is None:
            defects.append(Defect("no-group", i, None, "middle or end without GroupingIdentifier"))
        while len(stack) - 1 > pos:
            inner = stack.pop()
            defects.append(Defect("interleaved", i, inner.group, f"closes block started at {inner.start}"))
        block = stack[-1]
        if block.identifier != action.identifier:
            defects.append(Defect("mismatched-block", i, group, f"{action.identifier} in {block.identifier}"))
        depths[i] = len(stack) - 1
        if mode == 1:
            block.branches.append(Branch(i))
            roles[i] = "middle"
        else:
            block.end = i
            stack.pop()
            roles[i] = "end"
    for block in stack:
        defects.append(Defect("unclosed", block.start, block.group))
    for i, action in enumerate(actions if values else ()):
        for v in iter_values(action.parameters):
            if isinstance(v, Unknown) and v.problem:
                defects.append(Defect("malformed-value", i, None, v.problem))
    return root, defects, depths, roles


def _find(stack: list[Block], action: Action) -> int | None:
    group = action.group
    for pos in range(len(stack) - 1, -1, -1):
        b = stack[pos]
        if (b.group == group) if group is not None else (b.identifier == action.identifier):
            return pos
    return None
