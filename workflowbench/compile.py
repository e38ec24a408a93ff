"""Code -> a shortcut the Shortcuts app can import: ``from_code`` plus the metadata it does not carry.

``from_code`` gives the actions only; an unsigned shortcut file also wants an icon, client
versions, widget types and the content classes it accepts. ``compile_code`` fills whichever of
those are missing with what the Shortcuts app writes for a new shortcut.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any

from .from_code import CodeError, from_code
from .model import Icon, Workflow

# The content item classes a new shortcut accepts as input.
INPUT_CLASSES = (
    "WFAppStoreAppContentItem", "WFArticleContentItem", "WFContactContentItem", "WFDateContentItem",
    "WFEmailAddressContentItem", "WFGenericFileContentItem", "WFImageContentItem", "WFiTunesProductContentItem",
    "WFLocationContentItem", "WFDCMapsLinkContentItem", "WFAVAssetContentItem", "WFPDFContentItem",
    "WFPhoneNumberContentItem", "WFRichTextContentItem", "WFSafariWebPageContentItem", "WFStringContentItem",
    "WFURLContentItem",
)


def defaults() -> dict[str, Any]:
    """Workflow fields of a new unsigned shortcut (fresh objects on every call: callers may mutate them)."""
    return {
        "icon": Icon(start_color=4282601983, glyph_number=59511),
        "client_version": "2302.0.4",
        "minimum_client_version": 900,
        "minimum_client_version_string": "900",
        "types": ["NCWidget", "WatchKit"],
        "input_classes": list(INPUT_CLASSES),
        "output_classes": [],
        "import_questions": [],
        "has_output_fallback": False,
    }


def with_defaults(wf: Workflow) -> Workflow:
    """A copy of ``wf`` with every missing (None) field of ``defaults()`` filled in."""
    return replace(wf, **{k: v for k, v in defaults().items() if getattr(wf, k) is None})


def compile_code(code: str, source: str = "<code>", *, name: str = "") -> Workflow:
    """Read code with ``from_code`` and fill the metadata of an unsigned shortcut.

    Every problem is a ``CodeError`` naming ``source`` and the line (0 when unknown).
    """
    # ast first (it only parses): it refuses nesting deep enough to overflow libcst's native parser.
    try:
        ast.parse(code, filename=source)
    except SyntaxError as exc:
        raise CodeError(source, exc.lineno or 0, exc.msg) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise CodeError(source, 0, f"cannot parse: {exc}") from None
    try:
        wf = from_code(code, source=source, name=name)
    except RecursionError:
        raise CodeError(source, 0, "the code nests too deeply") from None
    return with_defaults(wf)
