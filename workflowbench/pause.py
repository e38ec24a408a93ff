"""Pause points: named instants where a process can be told, through its environment, to stop and
wait, so a crash test can ``kill -9`` it at exactly that instant instead of guessing with timers.

``WORKFLOWBENCH_PAUSE_AT=<point>[@<n>]`` pauses the ``n``-th time (default the first) the process
reaches ``point``; ``WORKFLOWBENCH_PAUSE_FILE`` names a file it then writes its pid to. It waits
until ``<that file>.go`` exists (or forever), then goes on. Unset, a pause point costs one lookup.
Each process counts for itself: Dask workers inherit the environment, so each of them pauses at its
own ``n``-th time (the file then holds the pid of the last one to pause).

Points: ``shard-write:<stage>`` (inside a shard write: some tables written, not renamed into
place), ``batch-run:<stage>`` (a batch computed, its shard not written), ``batch-done:<stage>``
(between batches: a shard written), ``llm-answer:<stage>`` (an LLM answer journaled) and
``publish`` (the staging file loaded, not renamed over the warehouse); in a crawl,
``crawl-request:<what>`` (an HTTP request about to be sent: robots, listing, api, page, record,
download) and ``crawl-stored`` (a file and its metadata record in place, the crawl state not yet
saying so).
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from pathlib import Path

AT = "WORKFLOWBENCH_PAUSE_AT"
FILE = "WORKFLOWBENCH_PAUSE_FILE"

_reached: Counter[str] = Counter()
_lock = threading.Lock()


def pause_point(name: str) -> None:
    """Pause here if the environment asks for ``name`` and this is the asked-for time."""
    spec = os.environ.get(AT)
    if not spec:
        return
    point, _, nth = spec.partition("@")
    if point != name:
        return
    with _lock:
        _reached[name] += 1
        if _reached[name] != int(nth or 1):
            return
    marker = Path(os.environ.get(FILE) or f"workflowbench-paused-{os.getpid()}")
    marker.write_text(str(os.getpid()))
    release = marker.with_name(marker.name + ".go")
    while not release.exists():
        time.sleep(0.05)
