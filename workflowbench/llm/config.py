"""How to reach an endpoint and how hard to push it. The API key is read from the environment when
the client is made and is never part of a config, a log line, a row or a fingerprint."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

KEY_VARIABLE = "OPENAI_API_KEY"
URL_VARIABLE = "OPENAI_BASE_URL"
MODEL_VARIABLE = "WORKFLOWBENCH_MODEL"


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    model: str
    timeout: float = 120.0  # seconds per attempt
    attempts: int = 6  # per request, for 429 / 5xx / timeouts / dropped connections
    max_wait: float = 60.0  # cap on one back-off wait, Retry-After included
    repairs: int = 1  # extra turns for an answer that is not JSON or breaks its schema
    concurrency: int = 32  # requests in flight
    requests_per_minute: float = 0.0  # 0: no limit
    tokens_per_minute: float = 0.0
    temperature: float = 0.2
    max_tokens: int = 2048
    price_in: float = 0.0  # per million prompt tokens, for the cost column
    price_out: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # further sampling parameters, part of the fingerprint

    def sampling(self) -> dict[str, Any]:
        """The parameters that shape an answer, so they belong in the cache fingerprint."""
        return {"temperature": self.temperature, "max_tokens": self.max_tokens, **self.extra}

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.price_in + tokens_out * self.price_out) / 1e6


def resolve(base_url: str | None = None, model: str | None = None, **options: Any) -> LLMConfig | None:
    """The endpoint from the arguments, else the standard environment variables; None means the
    offline backend (no endpoint configured)."""
    url = base_url or os.environ.get(URL_VARIABLE) or None
    if not url:
        return None
    name = model or os.environ.get(MODEL_VARIABLE) or "gpt-4o-mini"
    return LLMConfig(base_url=url.rstrip("/"), model=name, **{k: v for k, v in options.items() if v is not None})
