"""Gate ``min-actions``: drop samples whose workflow has fewer than ``min_actions`` actions. A
workflow that short teaches a model little about orchestrating APIs."""

from __future__ import annotations

from pydantic import Field

from .contract import Settings
from .gate import Drop, Sample, Unknown, Verdict, gate


class MinActionsSettings(Settings):
    min_actions: int = Field(3, ge=0, le=10_000)


def check(sample: Sample, settings: MinActionsSettings) -> Verdict:
    if sample.workflow is None:
        return Unknown("unreadable-workflow", sample.problem)
    n = len(sample.workflow.actions)
    if n < settings.min_actions:
        return Drop("too-few-actions", f"{n} actions, fewer than {settings.min_actions}")
    return None


MIN_ACTIONS = gate("min-actions", check, MinActionsSettings, code=(__name__,))
