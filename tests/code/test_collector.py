"""``from_code`` pauses the garbage collector while it reads; reads that overlap in several threads
leave it as the first found it."""

from __future__ import annotations

import gc
import threading

from workflowbench.code import from_code as module


def test_overlapping_reads_in_threads_restore_the_collector() -> None:
    assert gc.isenabled()
    inside, release = threading.Barrier(3), threading.Event()

    def read() -> None:
        with module.collector_paused():
            inside.wait()
            release.wait()

    first = threading.Thread(target=read)
    second = threading.Thread(target=read)
    first.start()
    second.start()
    inside.wait()  # both are reading
    assert not gc.isenabled()
    release.set()
    first.join()
    second.join()
    assert gc.isenabled()
    module.from_code("# Get it\nx = is_workflow_actions_getbatterylevel()\n")
    assert gc.isenabled()
