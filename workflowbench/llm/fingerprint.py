"""The cache key: everything that shapes an answer (model, messages, schema, sampling parameters,
prompt version), as canonical JSON, hashed. How the answer is parsed is not part of it, so a
change to parsing reuses the cached answers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any


def fingerprint(model: str, messages: Sequence[Mapping[str, Any]], schema: Mapping[str, Any] | None,
                sampling: Mapping[str, Any], prompt_version: str) -> str:
    blob = json.dumps({"model": model, "messages": list(messages), "schema": schema, "sampling": dict(sampling),
                       "prompt": prompt_version}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()
