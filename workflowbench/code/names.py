"""Python names for shortcut things: action functions, outputs, variables.

Rules (documented in docs/CODE.md):

- an action's function name is its identifier with ``.`` and every character not allowed in a Python
  name replaced by ``_`` (``is.workflow.actions.downloadurl`` -> ``is_workflow_actions_downloadurl``);
- names are NFKC-normalised first, because Python itself does that to identifiers and two spellings
  would otherwise become one name behind our back;
- keywords, soft keywords, builtins and the code's own helper functions are never used as names;
- ``Repeat Item``/``Repeat Index`` (and their numbered forms for nested loops) are the loop variables
  ``Repeat_Item``/``Repeat_Index`` (``Repeat_Item_2``...) in both directions;
- a collision gets ``_2``, ``_3``... in the order names are claimed.
"""

from __future__ import annotations

import builtins
import functools
import keyword
import re
import unicodedata

# Helper calls the code uses for things that are not actions (see docs/CODE.md).
HELPERS = frozenset({
    "input", "shortcut_input", "action_input", "get_clipboard", "current_date", "device_details",
    "missing_output", "labeled", "coerce_variable", "get_property", "format_date", "aggrandize",
    "quantity", "content_filter", "plist", "number", "dict", "datetime", "float", "range", "enumerate",
})
RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins)) | HELPERS | {"_"}

_INVALID = re.compile(r"[^\w]|^(?=\d)", re.ASCII)
_NOT_WORD = re.compile(r"\W+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_UNDERSCORES = re.compile(r"_+")
_LOOP = re.compile(r"Repeat (Item|Index)(?: ([1-9]\d*))?")
_LOOP_NAME = re.compile(r"Repeat_(Item|Index)(?:_([1-9]\d*))?")


@functools.lru_cache(maxsize=8192)  # asked for every action, by the writer, the reader and the thoughts
def function_name(identifier: str) -> str:
    """The plain rule: every character that cannot appear in a Python name becomes ``_``."""
    name = _INVALID.sub("_", identifier)
    return name if name.isidentifier() and not keyword.iskeyword(name) else "_" + name


def plain_identifier(name: str) -> str:
    """The inverse of the plain rule when the identifier had no ``_`` or odd characters."""
    return name.replace("_", ".")


def _clean(text: str) -> str:
    text = _NOT_WORD.sub("_", unicodedata.normalize("NFKC", text))
    if not text.isascii():  # \w admits a few characters that cannot continue a name
        text = "".join(c if c.isascii() or ("_" + c).isidentifier() else "_" for c in text)
    return _UNDERSCORES.sub("_", text).strip("_")


def identifier(text: str, fallback: str = "var") -> str:
    """A Python name close to ``text``: case kept, other characters become ``_``."""
    name = _clean(text)
    if not name:
        return fallback
    if not name.isidentifier():  # starts with a digit
        name = f"{fallback}_{name}"
    return name


@functools.lru_cache(maxsize=16384)  # the same labels in workflow after workflow
def snake(text: str, fallback: str = "output") -> str:
    """snake_case of a label: 'Contents of URL' -> contents_of_url, 'GetDraftIntent' -> get_draft_intent."""
    return identifier(_CAMEL.sub("_", unicodedata.normalize("NFKC", text)).lower(), fallback)


def loop_name(variable: str) -> str | None:
    """'Repeat Item 2' -> 'Repeat_Item_2'; None for other names."""
    m = _LOOP.fullmatch(variable)
    if m is None:
        return None
    return f"Repeat_{m[1]}" + (f"_{m[2]}" if m[2] else "")


def loop_variable(name: str) -> str | None:
    """'Repeat_Item_2' -> 'Repeat Item 2'; None for other names."""
    m = _LOOP_NAME.fullmatch(name)
    if m is None:
        return None
    return f"Repeat {m[1]}" + (f" {m[2]}" if m[2] else "")


def loop_names(depth: int) -> tuple[str, str]:
    """Index and item names of a loop nested ``depth`` repeats deep (1 = outermost)."""
    suffix = "" if depth <= 1 else f"_{depth}"
    return f"Repeat_Index{suffix}", f"Repeat_Item{suffix}"


def action_label(identifier_: str) -> str:
    """A readable name for an action from its identifier alone: 'is.workflow.actions.text.split' ->
    'text split', 'com.agiletortoise.Drafts5.CaptureIntent' -> 'Capture'."""
    if identifier_.startswith("is.workflow.actions."):
        return identifier_[len("is.workflow.actions."):].replace(".", " ")
    last = identifier_.rpartition(".")[2]
    return last.removesuffix("Intent") or last


class Namer:
    """Hands out unique names; what has been claimed stays claimed."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken: set[str] = set(RESERVED) if taken is None else taken
        self.counts: dict[str, int] = {}  # base -> last suffix tried, so many equal labels stay linear

    def claim(self, base: str) -> str:
        if _LOOP_NAME.fullmatch(base):  # every numbered form of a loop name is a loop name too
            base += "_"
        n = self.counts.get(base, 1)
        name = base if n == 1 else f"{base}_{n}"
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.counts[base] = n
        self.taken.add(name)
        return name
