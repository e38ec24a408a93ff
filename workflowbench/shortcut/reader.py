"""``read_shortcut``: any container in, a ``Workflow`` out, or one ``ShortcutError``."""

from __future__ import annotations

import gc
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .containers import DEFAULT_LIMITS, Limits, unwrap
from .errors import Corrupt, ShortcutError, TooDeep, TooLarge
from .model import Workflow


def read_bytes(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Read a file, refusing it before loading when it exceeds the input limit."""
    source = str(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # opening a named pipe would wait for a writer forever
            raise ShortcutError(source, "not a regular file", reason="io-error")
        size = info.st_size
        if size > limits.max_input_bytes:
            raise TooLarge(source, f"file is {size} bytes, limit {limits.max_input_bytes}")
        with open(path, "rb") as fh:
            return fh.read(limits.max_input_bytes + 1)
    except (OSError, ValueError) as exc:  # ValueError: a NUL character in the path
        raise ShortcutError(source, f"cannot read file: {getattr(exc, 'strerror', None) or exc}",
                            reason="io-error") from None


_gc_lock = threading.Lock()
_gc_holders = 0
_gc_was_enabled = True


@contextmanager
def _paused_gc() -> Iterator[None]:
    """Pause the cyclic collector while a file is decoded and modelled.

    Decoding allocates hundreds of thousands of acyclic objects; each allocation burst makes
    the collector rescan the whole (often large) heap, which doubles the model's cost in a
    long-running process. Nothing built here can form a cycle, so pausing loses nothing.
    """
    global _gc_holders, _gc_was_enabled
    with _gc_lock:
        if _gc_holders == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_holders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_was_enabled:
                gc.enable()


def read_shortcut(
    source: str | os.PathLike[str] | bytes,
    *,
    name: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Workflow:
    """Read a shortcut from a path or from bytes, whatever its container.

    The container is detected from the content, never from the extension. The name is
    ``WFWorkflowName`` when the file has one, else ``name``, else the file name's stem.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, label = bytes(source), name or "<bytes>"
    else:
        data, label = read_bytes(source, limits), str(source)
    try:
        with _paused_gc():
            container, plist, signing = unwrap(data, label, limits)
            wf = Workflow.from_plist(plist, source=label, max_depth=limits.max_depth)
            # Free what the model did not keep while the collector is still paused: when it
            # resumes it would otherwise scan the whole decoded file once more.
            plist = None
    except TooDeep as exc:
        raise TooDeep(label, exc.detail) from None
    except RecursionError:
        raise TooDeep(label, "values nest too deeply") from None
    except MemoryError:
        raise Corrupt(label, "ran out of memory decoding the file", reason="too-large") from None
    wf.container = container
    wf.signing = signing
    if not wf.name:
        wf.name = name or (Path(label).stem if not isinstance(source, (bytes, bytearray, memoryview)) else "")
    return wf
