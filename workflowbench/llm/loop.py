"""One event loop per process for every LLM call, on a thread of its own.

Prefect runs batches in worker threads; with an event loop per call, each batch would bring its
own limiter, and a build of three batches in parallel would keep three times the configured
requests in flight. Here every call of a process goes through one loop, and the loop holds one
session (client and limiter) per endpoint configuration, so the limits hold for the process."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_owner = 0  # the pid that started the loop: a forked child starts its own


def _factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:  # the event loop's own overhead per request is a good part of the client's CPU
        import uvloop
        return uvloop.new_event_loop
    except ImportError:
        return asyncio.new_event_loop


def loop() -> asyncio.AbstractEventLoop:
    """The process's LLM loop, started on first use."""
    global _loop, _owner
    with _lock:
        if _loop is None or _owner != os.getpid() or _loop.is_closed():
            _loop, _owner = _factory()(), os.getpid()
            threading.Thread(target=_loop.run_forever, name="workflowbench-llm", daemon=True).start()
        return _loop


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on the LLM loop and wait for it (from any thread but the loop's own)."""
    return asyncio.run_coroutine_threadsafe(coroutine, loop()).result()
