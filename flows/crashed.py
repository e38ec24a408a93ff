"""Flow runs that ``kill -9`` left RUNNING. A killed process cannot report its end, so Prefect shows
its run as running forever (a worker marks the runs it started; a run from the command line has no
worker). Each build tags its own run with its host and process id, and marks the RUNNING runs of
its flow whose process is gone from this host as Crashed."""

from __future__ import annotations

from prefect import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.runtime import flow_run
from prefect.states import Crashed

from workflowbench.warehouse.shards import gone, owner

PREFIX = "process:"  # tag "process:<host>-<pid>", the writer name shards use (shards.owner)


def mark_killed_runs(flow_name: str) -> list[str]:
    """Tag this flow run with its process, and mark as Crashed the RUNNING runs of ``flow_name``
    whose process no longer runs. Returns the names of the runs marked."""
    me = flow_run.get_id()
    marked = []
    with get_client(sync_client=True) as client:
        if me is not None:
            run = client.read_flow_run(me)
            client.update_flow_run(run.id, tags=sorted({*run.tags, PREFIX + owner()}))
        running = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(
                any_=[StateType.RUNNING]))))
        for other in running:
            owners = [t[len(PREFIX):].rpartition("-") for t in other.tags if t.startswith(PREFIX)]
            if str(other.id) == str(me) or not owners:
                continue
            host, _, pid = owners[0]
            if pid.isdigit() and gone(host, int(pid)):
                client.set_flow_run_state(other.id, Crashed(
                    message=f"its process {pid} on {host} ended without reporting (killed)"), force=True)
                marked.append(other.name)
    return marked
