"""The ast-built reading of code (``fast_cst``) against libcst's own: the same actions whenever it
reads a code, and libcst's reading (and errors) whenever it does not."""

from __future__ import annotations

import ast
import random

import pytest

from tests.support.shortcuts import action, text, workflow
from workflowbench import CodeError, from_code, to_code
from workflowbench.code.from_code import _read_fast, _read_libcst
from workflowbench.code.view import training_view

P = "is.workflow.actions."
FUNCTIONS: dict[str, str] = {}


def fast(code: str) -> list[tuple[str, object]] | None:
    actions = _read_fast(code, ast.parse(code), "<code>", FUNCTIONS, None)
    return None if actions is None else [(a.identifier, a.to_plist()) for a in actions]


def slow(code: str) -> list[tuple[str, object]] | str:
    try:
        return [(a.identifier, a.to_plist()) for a in _read_libcst(code, "<code>", FUNCTIONS, None)]
    except CodeError as exc:
        return f"error: {exc}"


def same(code: str, covered: bool = True) -> None:
    got = fast(code)
    if covered:
        assert got is not None, code
    if got is not None:
        assert got == slow(code), code


CODES = [
    "is_workflow_actions_gettext(WFTextActionText='a')\n",
    "text: 'Text' = is_workflow_actions_gettext(WFTextActionText='''a\nb''')\n"
    "is_workflow_actions_showresult(Text=text)\n",
    "x = is_workflow_actions_gettext(WFTextActionText=f'''a{x}b{{c}}''')\n",
    "is_workflow_actions_dictionary(WFItems={'a': 1, 'b': -2.5, 'c': [1, 'x', True], 'd': {'e': 'f'}})\n",
    "is_workflow_actions_gettext(**{'Show-text': True}, WFTextActionText=b'\\x00')\n",
    "v = 'text'\nv += [v]\npass\n",
    "a = is_workflow_actions_gettext(WFTextActionText='a'); b = is_workflow_actions_gettext(WFTextActionText=a)\n",
    "# '''top'''\n\n# plain\nis_workflow_actions_gettext(WFTextActionText='a')\n# '''end'''\n",
    "x = is_workflow_actions_gettext(WFTextActionText='a')\nif x == 'a':\n    # '''in'''\n"
    "    is_workflow_actions_notification(WFInput=x)\n"
    "    # '''deep footer'''\n# '''next'''\nelse:\n    pass\n",
    "x = is_workflow_actions_gettext(WFTextActionText='a')\nif x:\n    pass\nelif 'b' in x:\n    pass\n",
    "x = is_workflow_actions_gettext(WFTextActionText='a')\nif x:\n    pass\nelse:\n    if x:\n        pass\n",
    "x = is_workflow_actions_gettext(WFTextActionText='a')\nfor repeat_index, repeat_item in enumerate(x, start=1):\n"
    "    for repeat_index_2 in range(1, 3 + 1):\n        is_workflow_actions_notification(WFInput=repeat_item)\n"
    "        # '''inner'''\n    # '''outer'''\n# '''after'''\nis_workflow_actions_exit()\n",
    "match input(prompt='Choose'):\n    # '''first'''\n    case 'A':\n        pass\n        # '''in A'''\n"
    "    # '''before B'''\n    case 'B':\n        is_workflow_actions_exit()\n    # '''match footer'''\n"
    "# '''after'''\nis_workflow_actions_exit()\n",
    "x = is_workflow_actions_number(WFNumberActionNumber=3)\nif 1 <= x <= 5:\n    pass\nif x is True:\n    pass\n",
    "x = is_workflow_actions_gettext(WFTextActionText='a')\nif x['k'].Name.startswith('a'):\n    pass\n",
    "unknown()\n",  # an error: libcst's reading says what is wrong
    "x = 1 + 2\n",
]
# Forms the fast reading leaves to libcst.
UNCOVERED = [
    "is_workflow_actions_gettext(WFTextActionText='a' 'b')\n",  # implicit concatenation
    "if x:\n\tpass\n",  # a tab
    "if x: pass\n",  # a body on the header's line
    "is_workflow_actions_exit()\n    # '''indented at the end'''\n",  # libcst drops some of those
    "is_workflow_actions_gettext(WFTextActionText='a') \\\n    \n",
    "is_workflow_actions_gettext(WFTextActionText=f'{x!r}')\n",
    "is_workflow_actions_gettext(WFTextActionText=(1, 2))\n",
]


@pytest.mark.parametrize("code", CODES)
def test_fast_reading_is_libcsts(code: str) -> None:
    same(code, covered="unknown" not in code and "+" not in code.split("\n")[0])


@pytest.mark.parametrize("code", UNCOVERED)
def test_other_forms_are_left_to_libcst(code: str) -> None:
    assert fast(code) is None


def test_from_code_errors_are_libcsts() -> None:
    with pytest.raises(CodeError, match="line 1"):
        from_code("unknown()\n")


def test_shortcut_codes_read_the_same() -> None:
    wf = workflow(
        action("gettext", {"UUID": "A", "WFTextActionText": text("hello")}),
        action("conditional", {"GroupingIdentifier": "g", "WFControlFlowMode": 0, "WFCondition": 99,
                               "WFConditionalActionString": "h"}),
        action("comment", {"WFCommentActionText": "note\nsecond line"}),
        action("conditional", {"GroupingIdentifier": "g", "WFControlFlowMode": 2}),
        action("showresult", {"Text": "done"}),
    )
    for code in (to_code(wf), training_view(wf).code.code):
        same(code)


def _program(rng: random.Random, depth: int, pad: str) -> list[str]:
    lines: list[str] = []
    for _ in range(rng.randint(1, 3)):
        for _ in range(rng.choice((0, 0, 1, 2))):
            lines.append(" " * rng.choice((0, 2, 4, 8, len(pad))) + rng.choice(
                ("# '''n'''", "# '''open", "# close'''", "# plain", "", "#")))
        r = rng.random()
        if depth < 2 and r < 0.2:
            lines.append(f"{pad}if x == 'a':")
            lines += _program(rng, depth + 1, pad + "    ")
            if rng.random() < 0.5:
                lines.append(f"{pad}else:" if rng.random() < 0.5 else f"{pad}elif x:")
                lines += _program(rng, depth + 1, pad + "    ")
        elif depth < 2 and r < 0.3:
            lines.append(f"{pad}match input(prompt='Choose'):")
            for title in ("A", "B"):
                lines.append(f"{pad}    case '{title}':")
                lines += _program(rng, depth + 1, pad + "        ")
        else:
            lines.append(pad + rng.choice(("is_workflow_actions_notification(WFInput=x)", "pass",
                                           "x = is_workflow_actions_gettext(WFTextActionText='t')")))
    return lines


def test_comment_lines_anywhere_read_the_same() -> None:
    rng = random.Random(7)
    covered = 0
    for _ in range(300):
        code = "\n".join(["x = is_workflow_actions_gettext(WFTextActionText='s')", *_program(rng, 0, "")]) + "\n"
        got = fast(code)
        if got is not None:
            covered += 1
            assert got == slow(code), code
    assert covered > 200
