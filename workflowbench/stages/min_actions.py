"""Gate ``min-actions``: drop samples whose workflow has fewer than ``min_actions`` actions. A
workflow that short teaches a model little about orchestrating APIs. The count is the sample's
``action_count``; a row written before that column was is counted from its workflow."""

from __future__ import annotations

from pydantic import Field

from .contract import Settings
from .gate import Drop, Sample, Unknown, Verdict, gate


class MinActionsSettings(Settings):
    min_actions: int = Field(3, ge=0, le=10_000)


def check(sample: Sample, settings: MinActionsSettings) -> Verdict:
    n = sample.row.get("action_count")
    if n is None:  # a row written before the count was: the workflow says
        if sample.workflow is None:
            return Unknown("unreadable-workflow", sample.problem)
        n = len(sample.workflow.actions)
    if n < settings.min_actions:
        return Drop("too-few-actions", f"{n} actions, fewer than {settings.min_actions}")
    return None


MIN_ACTIONS = gate("min-actions", check, MinActionsSettings, code=(__name__,),
                   reads=lambda row: row.get("action_count") is None)
