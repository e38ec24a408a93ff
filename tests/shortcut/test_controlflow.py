"""Control-flow tree, roles and depths, and every kind of damaged block."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.support.shortcuts import action, block, workflow, workflow_dict
from workflowbench.examples.shortcuts import build_samples
from workflowbench.shortcut.controlflow import Block, Branch, Defect, Leaf, Node, build_tree

IF = "is.workflow.actions.conditional"
MENU = "is.workflow.actions.choosefrommenu"
COUNT = "is.workflow.actions.repeat.count"
EACH = "is.workflow.actions.repeat.each"


def indices(nodes: list[Node]) -> list[int]:
    """Every action index the tree places, in order."""
    out: list[int] = []
    for node in nodes:
        if isinstance(node, Leaf):
            out.append(node.index)
            continue
        for branch in node.branches:
            out.append(branch.header)
            out.extend(indices(branch.body))
        if node.end is not None:
            out.append(node.end)
    return out


NESTED = (
    action("comment", WFCommentActionText="start"),                      # 0
    block(IF, 0, "G1", WFCondition=4, WFConditionalActionString="yes"),  # 1
    block(COUNT, 0, "G2", WFRepeatCount=3),                              # 2
    block(MENU, 0, "G3", WFMenuItems=["A", "B"], WFMenuPrompt="Pick"),   # 3
    block(MENU, 1, "G3", WFMenuItemTitle="A"),                           # 4
    action("gettext", WFTextActionText="a", UUID="U5"),                  # 5
    block(MENU, 1, "G3", WFMenuItemTitle="B"),                           # 6
    block(MENU, 2, "G3", UUID="U7"),                                     # 7
    block(COUNT, 2, "G2"),                                               # 8
    block(IF, 1, "G1"),                                                  # 9
    block(EACH, 0, "G4"),                                                # 10
    block(EACH, 2, "G4"),                                                # 11
    block(IF, 2, "G1"),                                                  # 12
    action("showresult"),                                                # 13
)


def test_nested_tree_shape() -> None:
    wf, plist = workflow(*NESTED), workflow_dict(*NESTED)
    menu = Block(MENU, "G3", 3, [Branch(3, []), Branch(4, [Leaf(5)]), Branch(6, [])], end=7)
    repeat = Block(COUNT, "G2", 2, [Branch(2, [menu])], end=8)
    each = Block(EACH, "G4", 10, [Branch(10, [])], end=11)
    expected = [Leaf(0), Block(IF, "G1", 1, [Branch(1, [repeat]), Branch(9, [each])], end=12), Leaf(13)]
    assert wf.tree == expected
    assert wf.defects == []
    assert indices(wf.tree) == list(range(14))
    assert wf.to_plist() == plist


def test_nested_roles_depths_and_max_depth() -> None:
    wf = workflow(*NESTED)
    assert wf.roles == [None, "start", "start", "start", "middle", None, "middle", "end", "end", "middle",
                        "start", "end", "end", None]
    assert wf.depths == [0, 0, 1, 2, 2, 3, 2, 2, 1, 0, 1, 1, 0, 0]
    assert wf.max_depth == 3


@pytest.mark.parametrize(("actions", "expected"), [
    ((), 0),
    ((action("comment"),), 0),
    ((block(IF, 0, "A"), block(IF, 2, "A")), 1),
    ((block(EACH, 0, "A"), block(COUNT, 0, "B"), action("gettext"), block(COUNT, 2, "B"), block(EACH, 2, "A")), 2),
])
def test_max_depth(actions: tuple[dict[str, Any], ...], expected: int) -> None:
    wf = workflow(*actions)
    assert wf.max_depth == expected


def test_sample_trees() -> None:
    samples = build_samples()
    planner = samples["Weekly Planner"]
    [_, each, *_] = planner.tree
    assert isinstance(each, Block) and each.identifier == EACH
    inner = [n for n in each.branches[0].body if isinstance(n, Block)]
    assert [b.identifier for b in inner] == [COUNT]
    assert planner.max_depth == 2
    tip = samples["Tip Calculator"]
    menu = next(n for n in tip.tree if isinstance(n, Block))
    assert menu.identifier == MENU
    assert len(menu.branches) == 5  # the start plus four cases
    titles = [tip.actions[b.header].parameters.get("WFMenuItemTitle") for b in menu.branches[1:]]
    assert titles == tip.actions[menu.start].parameters["WFMenuItems"]
    for wf in samples.values():
        assert indices(wf.tree) == list(range(len(wf.actions)))


# --- damaged blocks -----------------------------------------------------------------------------

DAMAGED = {
    "unclosed": (
        [block(IF, 0, "A"), action("gettext")],
        [Defect("unclosed", 0, "A")],
    ),
    "stray-end": (
        [action("gettext"), block(IF, 2, "Z")],
        [Defect("stray-end", 1, "Z")],
    ),
    "stray-middle": (
        [block(MENU, 1, "Z", WFMenuItemTitle="Lost")],
        [Defect("stray-middle", 0, "Z")],
    ),
    "interleaved": (
        [block(IF, 0, "A"), block(COUNT, 0, "B"), block(IF, 2, "A"), block(COUNT, 2, "B")],
        [Defect("interleaved", 2, "B", "closes block started at 1"), Defect("stray-end", 3, "B")],
    ),
    "mode-on-non-block": (
        [block("comment", 0, "A")],
        [Defect("mode-on-non-block", 0, "A", "is.workflow.actions.comment")],
    ),
    "bad-mode": (
        [block(IF, 3, "A"), block(IF, "0", "B"), block(IF, True, "C")],
        [Defect("bad-mode", 0, "A", "3"), Defect("bad-mode", 1, "B", "'0'"), Defect("bad-mode", 2, "C", "True")],
    ),
    "no-group": (
        [block(IF, 0), block(IF, 1), block(IF, 2)],
        [Defect("no-group", 0, None, "start without GroupingIdentifier"),
         Defect("no-group", 1, None, "middle or end without GroupingIdentifier"),
         Defect("no-group", 2, None, "middle or end without GroupingIdentifier")],
    ),
    "duplicate-start": (
        [block(IF, 0, "A"), block(IF, 0, "A"), block(IF, 2, "A"), block(IF, 2, "A")],
        [Defect("duplicate-start", 1, "A")],
    ),
    "mismatched-block": (
        [block(IF, 0, "A"), block(MENU, 2, "A")],
        [Defect("mismatched-block", 1, "A", f"{MENU} in {IF}")],
    ),
}


@pytest.mark.parametrize(("actions", "expected"), DAMAGED.values(), ids=DAMAGED.keys())
def test_damaged_block(actions: list[dict[str, Any]], expected: list[Defect]) -> None:
    wf, plist = workflow(*actions), workflow_dict(*actions)
    assert wf.defects == expected
    assert wf.to_plist() == plist
    assert indices(wf.tree) == list(range(len(actions)))
    assert len(wf.depths) == len(wf.roles) == len(actions)


def test_damaged_trees() -> None:
    wf = workflow(*DAMAGED["unclosed"][0])
    assert wf.tree == [Block(IF, "A", 0, [Branch(0, [Leaf(1)])], end=None)]
    assert (wf.roles, wf.depths) == (["start", None], [0, 1])

    wf = workflow(*DAMAGED["stray-end"][0])
    assert wf.tree == [Leaf(0), Leaf(1)]
    assert wf.roles == [None, None]

    wf = workflow(*DAMAGED["interleaved"][0])
    # The repeat is closed where the If ends; its own end then has nothing to close.
    assert wf.tree == [Block(IF, "A", 0, [Branch(0, [Block(COUNT, "B", 1, [Branch(1, [])], end=None)])], end=2),
                       Leaf(3)]
    assert wf.roles == ["start", "start", "end", None]
    assert wf.depths == [0, 1, 0, 0]

    wf = workflow(*DAMAGED["duplicate-start"][0])
    inner = Block(IF, "A", 1, [Branch(1, [])], end=2)
    assert wf.tree == [Block(IF, "A", 0, [Branch(0, [inner])], end=3)]
    assert wf.depths == [0, 1, 1, 0]

    wf = workflow(*DAMAGED["no-group"][0])
    assert wf.tree == [Block(IF, None, 0, [Branch(0, []), Branch(1, [])], end=2)]

    wf = workflow(*DAMAGED["mismatched-block"][0])
    assert wf.tree == [Block(IF, "A", 0, [Branch(0, [])], end=1)]
    assert wf.roles == ["start", "end"]

    wf = workflow(*DAMAGED["mode-on-non-block"][0])
    assert (wf.tree, wf.roles) == ([Leaf(0)], [None])


def test_control_flow_defects_come_before_malformed_values() -> None:
    bad = {"WFSerializationType": "WFArrayParameterState", "Value": "x"}
    actions = [block(IF, 0, "A", WFInput=bad), action("gettext")]
    wf, plist = workflow(*actions), workflow_dict(*actions)
    assert [(d.kind, d.index) for d in wf.defects] == [("unclosed", 0), ("malformed-value", 0)]
    assert wf.to_plist() == plist


def test_random_damage_never_raises() -> None:
    rng = random.Random(20240229)
    identifiers = [IF, MENU, COUNT, EACH, "is.workflow.actions.gettext", "is.workflow.actions.comment"]
    modes = [None, None, 0, 1, 2, 2, 5, "1"]
    groups = [None, "A", "B", "C"]
    kinds: set[str] = set()
    for _ in range(400):
        actions = [block(rng.choice(identifiers), rng.choice(modes), rng.choice(groups))
                   for _ in range(rng.randint(0, 12))]
        wf, plist = workflow(*actions), workflow_dict(*actions)
        tree, defects, depths, roles = build_tree(wf.actions)
        assert indices(tree) == list(range(len(actions)))
        assert len(depths) == len(roles) == len(actions)
        assert all(0 <= d.index < len(actions) for d in defects)
        assert all(r in (None, "start", "middle", "end") for r in roles)
        assert wf.to_plist() == plist
        kinds.update(d.kind for d in defects)
    assert kinds >= {"unclosed", "stray-end", "stray-middle", "interleaved", "mode-on-non-block", "bad-mode",
                     "no-group", "duplicate-start", "mismatched-block"}
