"""Before any work: does the endpoint answer? A build that would send thousands of requests to a
server that is not there, or that refuses the key, is refused at once instead of recording a
failure for every sample."""

from __future__ import annotations

import os
import urllib.error
import urllib.request

from .config import LLMConfig


class EndpointError(Exception):
    """The endpoint did not answer ``GET /models`` usably; the message names it and why."""


def check_endpoint(config: LLMConfig, timeout: float = 10.0) -> None:
    """Raise ``EndpointError`` unless ``GET <base_url>/models`` gets an answer that is not a server
    error or a refused key (a 404 is fine: some servers have no model list)."""
    url = f"{config.base_url}/models"
    key = os.environ.get(config.key_variable, "")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=min(timeout, config.timeout)) as response:
            response.read(1 << 16)
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403) or exc.code >= 500:
            raise EndpointError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EndpointError(f"{url}: no answer ({reason})") from None
