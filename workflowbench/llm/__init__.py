"""The LLM layer every model-backed stage uses: prompts kept apart from parsing, one async client
to any OpenAI-compatible endpoint, retries, an in-process limiter, schema-checked answers, and a
cache of answers in the warehouse so a rerun sends nothing it has sent before."""

from .client import Answer, Request, run
from .config import LLMConfig, LLMOptions

__all__ = ["Answer", "LLMConfig", "LLMOptions", "Request", "run"]
