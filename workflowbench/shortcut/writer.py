"""Write a ``Workflow`` back to a shortcut file: binary plist, XML plist or JSON export."""

from __future__ import annotations

import json
import os
import plistlib
import tempfile
from pathlib import Path

from .model import Workflow, canonical

FORMATS = ("binary", "xml", "json")


def to_bytes(workflow: Workflow, fmt: str = "binary") -> bytes:
    """Encode ``workflow`` as a binary plist, an XML plist or a JSON export."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown shortcut format {fmt!r}; expected one of {', '.join(FORMATS)}")
    plist = workflow.to_plist()
    if fmt == "json":
        # JSON cannot hold bytes or dates; canonical() applies the same losses a JSON export has.
        return json.dumps(canonical(plist), ensure_ascii=False, indent=2).encode("utf-8")
    # sort_keys=False keeps the dictionary order the model holds, so a read file is written back as it was.
    plist_fmt = plistlib.FMT_BINARY if fmt == "binary" else plistlib.FMT_XML
    return plistlib.dumps(plist, fmt=plist_fmt, sort_keys=False)


def write_shortcut(workflow: Workflow, path: str | os.PathLike[str], fmt: str = "binary") -> Path:
    """Write ``workflow`` to ``path`` atomically and return the path."""
    data = to_bytes(workflow, fmt)  # encode first: a failure must not leave a temp file behind
    target = Path(path)
    # The temp file lives in the target's directory so os.replace never crosses file systems.
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp creates the file 0600; give it the mode a plain open() would (or the replaced file's).
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _umask() -> int:
    """The process umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
