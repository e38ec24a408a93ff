"""The offline backend of the thoughts stage: comments, plan and query from the model and the catalog.

No LLM is involved: every sentence comes from templates filled with what the shortcut holds (action
names, short literals, the code's variable names), so the same seed always gives the same thoughts.
Variation between shortcuts comes from a hash of the shortcut id, never from ``random``. Work is
linear in the number of actions; only statements holding a multi-line string are tokenised.
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import ApiDoc, Seed, Thoughts
from .comments import Commenter
from .lines import action_lines, commentable
from .plan import MAX_STEPS, Planner
from .query import human_title, leaks, user_query
from .words import MAX_COMMENT, derived_name

__all__ = ["MAX_COMMENT", "MAX_STEPS", "action_lines", "derived_name", "human_title", "leaks", "think"]


def think(seed: Seed, apis: Mapping[str, ApiDoc]) -> Thoughts:
    """Comments for every action line, a numbered plan and a user query, deterministically."""
    c = Commenter(seed, apis)
    comments = {line: c.phrase(index) for line, index in commentable(c.code_lines, c.pairs).items()}
    return Thoughts(comments, Planner(c).steps(), user_query(c))
