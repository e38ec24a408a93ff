"""Handing memory back after each stage: what a stage's batches shared (``contract.Latest``: the
synth library, the rules' catalog) is not needed by the stages that follow it, and the allocators
keep what was freed unless asked to return it. Held over a whole build, the caches and the freed
memory pinned by them are most of what the flow holds between stages (a 10k build: 1.0-1.1 GB
between stages with them, 0.66-0.78 GB without); a stage that runs again (each round of a target
size) makes its cache again in seconds. Publish, last, starts from a smaller process: its DuckDB
connection may take up to ``publish.MEMORY_LIMIT`` on top."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys

from workflowbench.stages.contract import Latest

_DROPPED = object()  # the key a released cache holds: no batch asks for it, so the next one makes its value again


def release() -> int:
    """Drop the value of every ``Latest`` of the loaded stage modules, collect garbage and return
    freed memory to the system (glibc's ``malloc_trim``, Arrow's pool). Returns the caches dropped."""
    dropped = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("workflowbench.stages.") or module is None:
            continue
        for value in list(vars(module).values()):
            if isinstance(value, Latest):
                value.get(_DROPPED, lambda: None)  # holds None now, under the cache's own lock
                dropped += 1
    gc.collect()
    _trim()
    return dropped


def _trim() -> None:
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except Exception:  # an allocator that cannot release is no reason to stop a build
        pass
    libc = ctypes.util.find_library("c")
    if libc is None:
        return
    try:
        trim = ctypes.CDLL(libc).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to ask
        return
    trim(0)
