"""The plan: one step per top-level block or run of like actions, with the block's branches and body
as sub-lines, bounded in steps, sub-lines and nesting."""

from __future__ import annotations

from collections import Counter

from ..code.to_code import COMMENT, IF, MENU
from ..shortcut.controlflow import BLOCK_ACTIONS, Block, Leaf, Node
from ..shortcut.model import BUILTIN_PREFIX
from .comments import Commenter
from .context import Context, walk_blocks
from .words import human_name, join, sentence

MAX_STEPS = 60
MAX_SUBLINES = 12  # sub-lines under one plan step
MAX_NESTING = 4  # sub-line levels under one plan step
INDENT = "   "

_MERGED = {BUILTIN_PREFIX + short: text for short, text in {
    "setvariable": "Set {n} variables", "appendvariable": "Add to variables {n} times",
    "gettext": "Prepare {n} texts", "getvalueforkey": "Read {n} dictionary values", "number": "Define {n} numbers",
    "url": "Define {n} URLs", "dictionary": "Build {n} dictionaries", "downloadurl": "Make {n} web requests",
    "alert": "Show {n} alerts", "notification": "Show {n} notifications",
    "setvalueforkey": "Set {n} dictionary values", "text.replace": "Make {n} text replacements",
    "getvariable": "Get {n} variables",
}.items()}


def _is_note(c: Context, node: Node) -> bool:
    return isinstance(node, Leaf) and c.actions[node.index].identifier == COMMENT


def _size(node: Node) -> int:
    """How many actions a node holds."""
    if isinstance(node, Leaf):
        return 1
    total = 0
    for block in walk_blocks([node]):
        total += len(block.branches) + (block.end is not None)
        total += sum(1 for br in block.branches for n in br.body if isinstance(n, Leaf))
    return total


def _groups(c: Context, nodes: list[Node]) -> list[Block | list[Leaf]]:
    """Nodes to show, with runs of the same simple action merged into one group."""
    out: list[Block | list[Leaf]] = []
    for node in nodes:
        if _is_note(c, node):
            continue
        if isinstance(node, Block):
            out.append(node)
            continue
        last = out[-1] if out else None
        ident = c.actions[node.index].identifier
        if isinstance(last, list) and c.actions[last[0].index].identifier == ident and ident not in BLOCK_ACTIONS:
            last.append(node)
        else:
            out.append([node])
    return out


class Planner:
    """The plan steps of one seed, from its comment sentences and block tree."""

    def __init__(self, c: Commenter) -> None:
        self.c = c

    def steps(self) -> list[str]:
        c = self.c
        if not c.actions:
            return ["Do nothing: the shortcut has no actions."]
        groups = _groups(c, c.tree)
        if not groups:
            return [f"Keep {len(c.actions)} notes as comments; the shortcut has no other actions."]
        out: list[str] = []
        for k, group in enumerate(groups):
            if len(out) == MAX_STEPS - 1 and k < len(groups) - 1:
                out.append(self.rest(groups[k:]))
                break
            out.append(self.step(group))
        return out

    def step(self, group: Block | list[Leaf]) -> str:
        c = self.c
        budget = [MAX_SUBLINES]
        if isinstance(group, Block):
            return "\n".join(self.block(group, 0, budget))
        if len(group) == 1:
            return c.phrase(group[0].index)
        first = group[0].index
        head = _MERGED.get(c.actions[first].identifier, "Use '{name}' {n} times in a row")
        return "\n".join([head.format(n=len(group), name=c.name_of(first)) + ":", *self.body(list(group), 1, budget)])

    def block(self, block: Block, level: int, budget: list[int]) -> list[str]:
        """The block's header line at ``level`` and its branches below it."""
        c = self.c
        head = sentence(c.header(block.start), ":")
        pad = INDENT * level
        if level >= MAX_NESTING - 1:
            return [pad + head[:-1] + f" ({_size(block) - 1} more actions inside)."]
        lines = [pad + head]
        if block.identifier in (IF, MENU):
            for k, br in enumerate(block.branches):
                if block.identifier == MENU and k == 0 and not [n for n in br.body if not _is_note(c, n)]:
                    continue
                if budget[0] <= 0:
                    lines.append(INDENT * (level + 1) + "- …and the other branches.")
                    break
                budget[0] -= 1
                lines.append(INDENT * (level + 1) + "- " + self.label(block, k))
                lines += self.body(br.body, level + 2, budget)
        else:
            lines += self.body(block.branches[0].body, level + 1, budget)
        return lines

    def label(self, block: Block, k: int) -> str:
        c = self.c
        if block.identifier == IF:
            return "If so:" if k == 0 else "Otherwise:"
        if k == 0:
            return "Before the options:"
        title = c.param(block.branches[k].header, "WFMenuItemTitle", 40)
        return f"For {title}:" if title else "For the next option:"

    def body(self, nodes: list[Node], level: int, budget: list[int]) -> list[str]:
        c = self.c
        pad = INDENT * level
        shown = [n for n in nodes if not _is_note(c, n)]
        if not shown:
            return [pad + "- Nothing."]
        lines: list[str] = []
        for k, node in enumerate(shown):
            if budget[0] <= 0 or level > MAX_NESTING:
                left = sum(_size(n) for n in shown[k:])
                lines.append(pad + f"- …and {left} more action{'s' if left != 1 else ''}.")
                break
            budget[0] -= 1
            if isinstance(node, Leaf):
                lines.append(pad + "- " + c.phrase(node.index))
            else:
                inner = self.block(node, level, budget)
                inner[0] = pad + "- " + inner[0].lstrip()
                lines += inner
        return lines

    def rest(self, groups: list[Block | list[Leaf]]) -> str:
        """The last step: what the steps left out hold."""
        c = self.c
        kinds: Counter[str] = Counter()
        actions = 0
        for group in groups:
            if isinstance(group, Block):
                actions += _size(group)
                kinds[group.identifier] += 1
            else:
                actions += len(group)
                kinds[c.actions[group[0].index].identifier] += len(group)
        top = [f"'{human_name(ident, c.apis.get(ident))}'" for ident, _ in kinds.most_common(3)]
        return f"…and {len(groups)} more steps ({actions} actions), mostly {join(top)}."
