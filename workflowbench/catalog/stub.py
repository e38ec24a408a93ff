"""Python stubs of catalog actions, in the WorkflowBench style, for prompts (never executed).

::

    def is_workflow_actions_downloadurl(
        WFURL: str,
        WFHTTPMethod: str = 'GET',
        Show_headers: bool = None,
    ) -> dict:
        \"\"\"Get Contents of URL

        Gets the contents of URLs.

        Parameters:
        - WFURL (str): URL.
        - WFHTTPMethod (str): Method. One of: 'GET', 'POST'. Default: 'GET'.
        - Show_headers (bool): Headers. Stored under the key 'Show-headers'.

        Returns:
        - Contents of URL (dict)
        \"\"\"

The function is named as in the workflow code (``names.function_name``). Required parameters come
first without defaults, then optional ones with their default (``None`` when the catalog has none).
A key that is not a plain Python name (``Show-text``, ``class``, non-ASCII) gets a safe name from
``param_names`` and the docstring gives the real key. Every stub parses, whatever the catalog holds:
text goes through the escapes of ``literals``.
"""

from __future__ import annotations

import keyword
import re
from datetime import datetime
from typing import Any

from ..code.literals import date, number, quote, triple_body
from ..code.names import action_label, function_name, identifier
from .model import Api, Param

# Python type hints of the catalog's parameter types (enum: see ``hint``).
HINTS = {
    "string": "str", "number": "float", "integer": "int", "boolean": "bool", "date": "str",
    "dictionary": "dict", "list": "list", "file": "object", "object": "object", "unknown": "object",
}
# Output types as Apple names them (content item classes), for the return hint.
OUTPUT_HINTS = {
    "WFStringContentItem": "str", "WFRichTextContentItem": "str", "WFNumberContentItem": "float",
    "WFBooleanContentItem": "bool", "WFDictionaryContentItem": "dict", "WFDateContentItem": "datetime",
    "WFURLContentItem": "str", "WFGenericFileContentItem": "object",
}
ENUM_SHOWN = 50  # enum values listed in a docstring; the rest are counted
_SPACES = re.compile(r"\s+")


def _plain(key: str) -> bool:
    """Keys that can stay as they are: ASCII Python names that are not keywords (as in the code);
    ``__debug__`` parses but does not compile as a parameter."""
    return key.isascii() and key.isidentifier() and not keyword.iskeyword(key) and key != "__debug__"


def param_names(api: Api) -> list[str]:
    """The Python name of each of ``api.params``, in order: the key when it is a plain name, else a
    safe name close to it ('Show-text' -> 'Show_text', 'class' -> 'class_'); plain keys keep their
    names and a clash gets '_2', '_3', ... in param order, so the result is unique and deterministic."""
    names: list[str | None] = [p.key if _plain(p.key) else None for p in api.params]
    taken: set[str] = set()
    for i, name in enumerate(names):  # plain names first; a repeated key is renamed like an odd one
        if name is not None:
            if name in taken:
                names[i] = None
            else:
                taken.add(name)
    out: list[str] = []
    for p, name in zip(api.params, names):
        if name is None:
            base = identifier(p.key, "param")
            if not base.isascii():
                base = identifier(base.encode("ascii", "replace").decode().replace("?", "_"), "param")
            if keyword.iskeyword(base):
                base += "_"
            name, n = base, 1
            while name in taken:
                n += 1
                name = f"{base}_{n}"
            taken.add(name)
        out.append(name)
    return out


def hint(param: Param) -> str:
    """The type hint of a parameter; an enum takes the type its values share."""
    if param.type != "enum":
        return HINTS.get(param.type, "object")
    kinds = {type(v) for v in param.enum}
    if not kinds or kinds == {str}:
        return "str"
    if kinds == {bool}:
        return "bool"
    if kinds == {int}:
        return "int"
    if kinds <= {int, float}:
        return "float"
    return "object"


def return_hint(api: Api) -> str:
    if api.output_type in HINTS:
        return HINTS[api.output_type]
    if api.output_type:
        return OUTPUT_HINTS.get(api.output_type, "object")
    return "object" if api.output_name else "None"


def literal(value: Any, depth: int = 0) -> str:
    """A Python literal for a catalog value (default or enum value); anything odd becomes its text."""
    kind = type(value)
    if value is None or kind is bool:
        return repr(value)
    if kind in (int, float):
        return number(value)
    if kind is str:
        return quote(value)
    if kind is bytes:
        return repr(value)
    if kind is datetime:
        return date(value)
    if depth < 20 and kind in (list, tuple):
        return "[" + ", ".join(literal(v, depth + 1) for v in value) + "]"
    if depth < 20 and kind is dict:
        return "{" + ", ".join(f"{literal(k, depth + 1)}: {literal(v, depth + 1)}" for k, v in value.items()) + "}"
    return quote(str(value))


def _text(value: Any) -> str:
    """Catalog text on one line: whitespace runs become one space."""
    return _SPACES.sub(" ", value).strip() if isinstance(value, str) else ""


def _sentence(text: str) -> str:
    return text if not text or text[-1] in ".!?:" else text + "."


def param_line(param: Param, name: str) -> str:
    """The docstring line of one parameter."""
    parts = []
    label, description = _text(param.label), _text(param.description)
    if label:
        parts.append(_sentence(label))
    if description and description != label:
        parts.append(_sentence(description))
    if name != param.key:
        parts.append(f"Stored under the key {quote(param.key)}.")
    if param.type == "enum" and param.enum:
        shown = ", ".join(literal(v) for v in param.enum[:ENUM_SHOWN])
        more = len(param.enum) - ENUM_SHOWN
        parts.append(f"One of: {shown}" + (f" (and {more} more)." if more > 0 else "."))
    if param.default is not None:
        parts.append(f"Default: {literal(param.default)}.")
    if not param.accepts_variables:
        parts.append("Takes no variables.")
    return f"- {name} ({hint(param)}): " + " ".join(parts) if parts else f"- {name} ({hint(param)})"


def docstring(api: Api, names: list[str]) -> list[str]:
    """The docstring's lines, unescaped and unindented."""
    lines = [_text(api.name) or action_label(api.identifier)]
    description = api.description.strip() if isinstance(api.description, str) else ""
    if description:
        lines += ["", *(line.rstrip() for line in description.splitlines())]
    order = _order(api)
    if order:
        lines += ["", "Parameters:", *(param_line(api.params[i], names[i]) for i in order)]
    returns = return_hint(api)
    if returns != "None":
        name = _text(api.output_name)
        lines += ["", "Returns:", f"- {name} ({returns})" if name else f"- {returns}"]
    return lines


def _order(api: Api) -> list[int]:
    """Indices of the params: required ones first, each group in catalog order."""
    return ([i for i, p in enumerate(api.params) if p.required]
            + [i for i, p in enumerate(api.params) if not p.required])


def _escape_doc(line: str) -> str:
    """One docstring line as the inside of a triple-double-quoted literal: backslashes, control and
    unprintable characters (lone surrogates) escaped as ``literals`` does, and a double quote that
    could end the literal."""
    return triple_body(line, False, '"')


def stub(api: Api) -> str:
    """The stub of ``api``: a ``def`` with hints, defaults and a docstring (ends with a newline)."""
    names = param_names(api)
    args = []
    for i in _order(api):
        p = api.params[i]
        arg = f"{names[i]}: {hint(p)}"
        if not p.required:
            arg += " = " + ("None" if p.default is None else literal(p.default))
        args.append(arg)
    name = function_name(api.identifier)
    head = f"def {'_' + name if name == '__debug__' else name}("
    head += "\n" + "".join(f"    {a},\n" for a in args) + ")" if args else ")"
    doc = [_escape_doc(line) for line in docstring(api, names)]
    body = '    """' + "\n".join(("    " + line) if line and i else line for i, line in enumerate(doc))
    return f"{head} -> {return_hint(api)}:\n{body}\n    \"\"\"\n"
