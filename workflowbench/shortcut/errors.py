"""One error family for everything that can go wrong reading a shortcut.

Every error names the source and carries a short machine-readable ``reason``
(used as the ``rejects.reason`` column) plus a human sentence (``detail``).
"""

from __future__ import annotations


class ShortcutError(Exception):
    """Base class: a shortcut could not be read."""

    reason = "unreadable"

    def __init__(self, source: str, detail: str, *, reason: str | None = None) -> None:
        self.source = source
        self.detail = detail
        if reason is not None:
            self.reason = reason
        super().__init__(f"{source}: {self.reason}: {detail}")


class UnknownFormat(ShortcutError):
    """The bytes are none of the known containers."""

    reason = "unknown-format"


class Unsupported(ShortcutError):
    """A real container, but a variant this reader refuses (encrypted, other compression)."""

    reason = "unsupported"


class Corrupt(ShortcutError):
    """Sizes, offsets, checksums or syntax do not hold up."""

    reason = "corrupt"


class TooLarge(ShortcutError):
    """The input or its decompressed payload exceeds a configured limit."""

    reason = "too-large"


class TooDeep(ShortcutError):
    """Values nest deeper than the configured limit."""

    reason = "too-deep"


class BadStructure(ShortcutError):
    """The container parsed, but the workflow dictionary has the wrong shape."""

    reason = "bad-structure"
