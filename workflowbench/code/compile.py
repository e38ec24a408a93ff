"""Code -> a shortcut the Shortcuts app can import: ``from_code`` plus the metadata it does not carry.

``from_code`` gives the actions only; an unsigned shortcut file also wants an icon, client
versions, widget types and the content classes it accepts. ``compile_code`` fills whichever of
those are missing with what the Shortcuts app writes for a new shortcut.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..shortcut.model import Icon, Workflow
from .from_code import from_code

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


def compile_code(code: str, source: str = "<code>", *, name: str = "",
                 functions: Mapping[str, str] | None = None) -> Workflow:
    """Read code with ``from_code`` (``functions``: see ``function_map``) and fill the metadata of
    an unsigned shortcut. Every problem is a ``CodeError`` naming ``source`` and the line (0 when
    unknown)."""
    return with_defaults(from_code(code, source=source, name=name, functions=functions))


def known_identifiers(warehouse: str | os.PathLike[str]) -> list[str]:
    """Every action identifier in a published warehouse (none if there is no warehouse yet): how
    ``compile`` reads function names the plain rule cannot give back, such as ``Drafts-OSX``."""
    from .. import warehouse as wh

    try:
        con = wh.connect(warehouse)
    except FileNotFoundError:
        return []
    with con:
        return [row[0] for row in con.execute("SELECT DISTINCT identifier FROM actions").fetchall()]
