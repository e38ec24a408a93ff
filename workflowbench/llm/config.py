"""How to reach an endpoint and how hard to push it. The API key is read from the environment when
the client is made and is never part of a config, a log line, a row or a fingerprint."""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

KEY_VARIABLE = "OPENAI_API_KEY"
URL_VARIABLE = "OPENAI_BASE_URL"
MODEL_VARIABLE = "WORKFLOWBENCH_MODEL"
DEFAULT_MODEL = "gpt-4o-mini"


class LLMOptions(BaseModel):
    """Everything about an endpoint but its URL and model: validated, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout: float = Field(120.0, gt=0)  # seconds per attempt
    attempts: int = Field(6, ge=1, le=100)  # per request, for 429 / 5xx / timeouts / dropped connections
    max_wait: float = Field(60.0, ge=0)  # cap on one back-off wait, Retry-After included
    repairs: int = Field(1, ge=0, le=10)  # extra turns for an answer that is not JSON or breaks its schema
    concurrency: int = Field(32, ge=1, le=4096)  # requests in flight
    requests_per_minute: float = Field(0.0, ge=0)  # 0: no limit
    tokens_per_minute: float = Field(0.0, ge=0)
    temperature: float = Field(0.2, ge=0, le=2)
    max_tokens: int = Field(2048, ge=1)
    price_in: float = Field(0.0, ge=0)  # per million prompt tokens, for the cost column
    price_out: float = Field(0.0, ge=0)
    extra: dict[str, Any] = Field(default_factory=dict)  # further sampling parameters, part of the fingerprint


class LLMConfig(LLMOptions):
    """An endpoint: ``LLMConfig(base_url, model, **options)``."""

    base_url: str
    model: str
    key_variable: str = KEY_VARIABLE  # the environment variable the key is read from (never the key itself)

    def __init__(self, base_url: str, model: str, /, **options: Any) -> None:
        super().__init__(base_url=base_url, model=model, **options)

    def sampling(self) -> dict[str, Any]:
        """The parameters that shape an answer, so they belong in the cache fingerprint."""
        return {"temperature": self.temperature, "max_tokens": self.max_tokens, **self.extra}

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.price_in + tokens_out * self.price_out) / 1e6


def resolve(base_url: str | None = None, model: str | None = None, options: LLMOptions | None = None,
            **overrides: Any) -> LLMConfig | None:
    """The endpoint from the arguments, else the standard environment variables; None means the
    offline backend (no endpoint configured)."""
    url = base_url or os.environ.get(URL_VARIABLE) or None
    if not url:
        return None
    name = model or os.environ.get(MODEL_VARIABLE) or DEFAULT_MODEL
    values = (options.model_dump(exclude_unset=True) if options else {}) | {
        k: v for k, v in overrides.items() if v is not None}
    return LLMConfig(url.rstrip("/"), name, **values)


def share(config: LLMConfig, workers: int) -> LLMConfig:
    """One of ``workers`` processes' share of ``config``'s limits, so that the processes together stay
    within them: ``concurrency // workers`` requests in flight (rounded down, so the sum never exceeds
    the total, but at least 1: with fewer slots than workers, each worker still has one),
    ``requests_per_minute / workers`` and ``tokens_per_minute / workers`` (rates: divided exactly;
    0, no limit, stays 0). Every process gets the same share: a batch may run on any of them."""
    if workers <= 1:
        return config
    return config.model_copy(update={"concurrency": max(1, config.concurrency // workers),
                                     "requests_per_minute": config.requests_per_minute / workers,
                                     "tokens_per_minute": config.tokens_per_minute / workers})
