"""Where a build's batches run: ``threads`` (the flow's own ``ThreadPoolTaskRunner``, in the flow's
process) or ``dask`` (Prefect's ``DaskTaskRunner``: a local cluster of worker processes it starts,
or an existing cluster at an address).

A flow's task runner is fixed by its decorator, so the runner is a flow parameter instead: with
``dask`` the flow opens a ``DaskTaskRunner`` for the stages and maps each stage's batches onto it;
everything else (planning, retention, publish) stays in the flow's process. Every worker process
holds its own LLM limiter per endpoint, so each batch's endpoints carry one worker's share of the
limits (``per_worker``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from workflowbench.llm.config import LLMConfig, share
from workflowbench.stages.contract import Settings

if TYPE_CHECKING:
    from prefect_dask import DaskTaskRunner

Runner = Literal["threads", "dask"]
RUNNERS: tuple[Runner, ...] = ("threads", "dask")
S = TypeVar("S", bound=Settings)
WAIT_FOR_WORKERS = 120.0  # seconds for a cluster at an address to have a worker
DRAIN = 30.0  # seconds a worker may take to send its queued logs and events


@dataclass(frozen=True)
class Engine:
    """The task runner a build maps its batches onto; None: the flow's own (threads)."""

    dask: DaskTaskRunner | None = None

    def workers(self) -> int:
        """How many processes run batches side by side, each with its own LLM limiters."""
        if self.dask is None:
            return 1
        return max(1, len(self.dask.client.nthreads()))


def check_runner(runner: str, address: str | None, workers: int | None) -> None:
    """Refuse a runner option that does not apply (a typo must not silently build on threads)."""
    if runner not in RUNNERS:
        raise ValueError(f"runner {runner!r}: expected one of {list(RUNNERS)}")
    if runner != "dask" and (address or workers is not None):
        raise ValueError("dask_address and dask_workers need runner='dask'")
    if address and workers is not None:
        raise ValueError("dask_workers starts a local cluster; a cluster at dask_address has its own workers")
    if workers is not None and workers < 1:
        raise ValueError(f"dask_workers must be at least 1, not {workers}")


def cores() -> int:
    """The cores this process may use (a container's CPU set, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def dask_runner(address: str | None = None, workers: int | None = None) -> DaskTaskRunner:
    """A ``DaskTaskRunner`` for ``address``, else for a new local cluster of ``workers`` processes
    (default: one per core) of one thread each: a batch is CPU-bound Python, so processes, not threads,
    use the cores."""
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    # The scheduler's web server on a free port: on its default, 8787, a second build's would move elsewhere.
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers or cores(), "threads_per_worker": 1,
                                          "processes": True, "host": "127.0.0.1",
                                          "dashboard_address": "127.0.0.1:0"})


@contextmanager
def engine(runner: Runner = "threads", address: str | None = None, workers: int | None = None) -> Iterator[Engine]:
    """The engine of one build; a Dask cluster it started is closed when the block ends."""
    check_runner(runner, address, workers)
    if runner == "threads":
        yield Engine()
        return
    with dask_runner(address, workers) as dask:
        dask.client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS)  # else the batches would wait forever
        try:
            yield Engine(dask)
        finally:
            # The workers' task logs and state events still queued go to the API now: a local cluster
            # kills a worker that has not exited 4 s after it was asked to.
            with suppress(Exception):
                dask.client.run(drain_prefect, DRAIN)


def drain_prefect(timeout: float | None = None) -> None:
    """Send the logs and events this process's Prefect services still hold (starting none: outside a
    task, a Dask worker has no API URL and would start a temporary server of its own)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    def drain() -> None:
        for service in (APILogWorker, EventsWorker):
            service.drain_all(timeout=timeout, at_exit=False)

    # drain_all returns a coroutine on a thread with a running loop (a Dask worker runs this on its loop).
    thread = threading.Thread(target=drain, name="drain-prefect")
    thread.start()
    thread.join()


def per_worker(settings: S, workers: int) -> S:
    """``settings`` with each endpoint (``LLMConfig`` field) cut to one of ``workers`` processes'
    share of its limits (``llm.config.share``); the same object with one worker. The limits are not
    part of a stage's version, so the shards' keys do not change."""
    if workers <= 1:
        return settings
    update: dict[str, Any] = {name: share(value, workers) for name in type(settings).model_fields
                              if isinstance(value := getattr(settings, name), LLMConfig)}
    return settings.model_copy(update=update) if update else settings
