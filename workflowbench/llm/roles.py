"""Roles: each model-backed stage asks one role, and each role can have its own endpoint.

A role's endpoint is, field by field, what the role sets (a ``Role`` from flow parameters or the
CLI's ``--role ROLE.FIELD=VALUE``), else ``WORKFLOWBENCH_<ROLE>_BASE_URL`` / ``_MODEL`` from the
environment, else the main endpoint. A role that ends with no URL uses the offline backend. Its key
is read from ``WORKFLOWBENCH_<ROLE>_API_KEY`` when that variable is set, else from
``OPENAI_API_KEY``: keys are never parameters. The usual split: ``thoughts`` and ``expand`` on a
general model, ``annotate`` on a separately served fine-tuned model (vLLM, llama.cpp server,
Ollama), ``refine`` and ``judge`` on a strong general model.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .config import DEFAULT_MODEL, KEY_VARIABLE, LLMConfig, LLMOptions

ROLES = ("thoughts", "expand", "annotate", "refine", "judge")


class Role(BaseModel):
    """What one role sets; the rest comes from the environment and the main endpoint."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str | None = None
    model: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)  # LLMOptions fields over the main endpoint's


def variable(role: str, field: str) -> str:
    """``variable('annotate', 'base_url')`` -> ``'WORKFLOWBENCH_ANNOTATE_BASE_URL'``."""
    return f"WORKFLOWBENCH_{role.upper()}_{field.upper()}"


def check_roles(roles: dict[str, Role] | None) -> dict[str, Role]:
    """``roles`` with every name known and every option valid (a typo fails the build at its start)."""
    roles = dict(roles or {})
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; roles are {list(ROLES)}")
    for name, role in roles.items():
        try:
            LLMOptions(**role.options)
        except ValueError as exc:
            raise ValueError(f"role {name}: {exc}") from None
    return roles


def endpoint(role: str, main: LLMConfig | None, given: Role | None = None) -> LLMConfig | None:
    """The endpoint ``role`` asks, or None for the offline backend."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles are {list(ROLES)}")
    given = given or Role()
    url = given.base_url or os.environ.get(variable(role, "base_url")) or (main.base_url if main else None)
    if not url:
        return None
    model = given.model or os.environ.get(variable(role, "model")) or (main.model if main else DEFAULT_MODEL)
    base = main.model_dump(exclude={"base_url", "model", "key_variable"}, exclude_unset=True) if main else {}
    key = variable(role, "api_key")
    return LLMConfig(url.rstrip("/"), model, **(base | dict(given.options)),
                     key_variable=key if key in os.environ else (main.key_variable if main else KEY_VARIABLE))


def describe(config: LLMConfig | None) -> str:
    return f"{config.model} at {config.base_url}" if config is not None else "offline"


def parse_role_settings(pairs: list[str]) -> dict[str, Role]:
    """``['annotate.base_url=http://127.0.0.1:8000/v1', 'annotate.concurrency=4']`` -> roles. A field
    that is not ``base_url`` or ``model`` is an option of the endpoint (its value read as JSON, else
    as text)."""
    import json

    fields: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        name, eq, value = pair.partition("=")
        role, dot, key = name.partition(".")
        if not eq or not dot or not key:
            raise ValueError(f"{pair!r}: expected ROLE.FIELD=VALUE, e.g. annotate.model=my-model")
        try:
            parsed: Any = json.loads(value)
        except ValueError:
            parsed = value
        got = fields.setdefault(role, {"options": {}})
        if key in ("base_url", "model"):
            got[key] = value
        else:
            got["options"][key] = parsed
    return check_roles({role: Role(**f) for role, f in fields.items()})
