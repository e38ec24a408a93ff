"""The offline thoughts' shortcuts say what the plain forms say: ``flat`` without the regex for a
printable text, ``vary`` trying only the patterns a text can match, the cached names."""

from __future__ import annotations

import random

from workflowbench.shortcut.model import Action
from workflowbench.thoughts import comments
from workflowbench.thoughts.comments import _VARIANTS, vary
from workflowbench.thoughts.words import SPACES, app_name, flat


def _flat(s: str) -> str:
    if not s.isprintable():
        s = "".join(c if c.isprintable() or c == "\u200d" else " " for c in s)
    return SPACES.sub(" ", s).strip()


def _vary(text: str, salt: int) -> str:
    text = comments._SAME_TWICE.sub(r"\1, leaving it as it is", text)
    for pattern, forms in _VARIANTS:
        m = pattern.fullmatch(text)
        if m is not None:
            form = forms[salt % len(forms)]
            for n, part in enumerate(m.groups(), start=1):
                form = form.replace(f"{{{n}}}", part or "")
            return form
    return text


def test_flat_is_the_plain_form() -> None:
    rng = random.Random(1)
    alphabet = "ab  \n\t\r\u00a0\u200b\u200d\u3000é\x00\x1f#"
    for _ in range(5000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert flat(s) == _flat(s), repr(s)


def test_vary_is_the_plain_form() -> None:
    texts = ["Set the variable `x` to `x`.", "Set the variable `a` to 'b' (the text).", "Add `a` to the variable `b`.",
             "Check whether `x` contains 'a'.", "Otherwise, when `x` is empty:", "Handle the menu option 'A':",
             "Get the value of `d`.", "Get the value for the key 'k' from `d`", "Write the text 'hi'",
             "Copy `x` to the clipboard.", "Repeat for each item in `l`.", "End the check.", "End the loop.",
             "End the check and keep the result of the branch that ran as `r`.", "Stop the shortcut.",
             "End the loop and collect the results of its runs as `r`.", "Do nothing, which clears the current result.",
             "Open the URL in `u`.", "Preview `f` with Quick Look.", "Save `f` to the file 'a'.",
             "Run another shortcut.",
             "Show `x`.", "", "Se", "Copy `a` to `a` now.", "Rename `a` to `a`."]
    for t in texts:
        for salt in range(8):
            assert vary(t, salt) == _vary(t, salt), t


def test_app_names_of_built_ins_and_apps() -> None:
    assert app_name(Action("is.workflow.actions.gettext", {})) is None
    assert app_name(Action("com.apple.mobilenotes.SharingExtension", {})) == "Notes"
    assert app_name(Action("com.x.Intent", {"AppIntentDescriptor": {"Name": " My  App "}})) == "My App"
    assert app_name(Action("shortcuts.thing", {})) is None
