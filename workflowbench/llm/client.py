"""Send requests to an OpenAI-compatible endpoint: cached answers first, then live calls through
the limiter, retried on transient errors, answers checked against their JSON Schema (and the
caller's own check) with a bounded repair turn. A request that still fails becomes a recorded
failure with its reason; it never raises out of ``run``."""

from __future__ import annotations

import asyncio
import atexit
import email.utils
import functools
import json
import os
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx2
import jsonschema
import openai
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from . import loop
from .config import LLMConfig
from .fingerprint import fingerprint
from .limiter import Limiter

BACKEND = "openai"


@dataclass(frozen=True)
class Request:
    stage: str
    prompt: str  # the prompt's name
    version: str  # the prompt's content hash
    messages: list[dict[str, str]]
    schema: dict[str, Any] | None = None
    # A check on the parsed answer beyond its schema (e.g. one comment per given line); returns the
    # reason it is unusable or None. Not part of the fingerprint, like curator's parse.
    check: Callable[[Any], str | None] | None = field(default=None, compare=False)
    repair: str | None = None  # the repair turn's text ({error} filled in), when not JSON's REPAIR


@dataclass
class Answer:
    request: Request
    fingerprint: str
    status: str  # ok | failed
    data: Any = None
    error: str | None = None
    cached: bool = False
    row: dict[str, Any] | None = None  # the llm_calls row of a live call
    backoff: float = 0.0  # seconds a live call waited between attempts (Retry-After or back-off)


class Cache(Protocol):
    def get_many(self, fingerprints: Iterable[str]) -> Mapping[str, str]: ...


class MemoryCache:
    """Answers by fingerprint, in memory (tests, benchmarks, and one batch's own answers)."""

    def __init__(self) -> None:
        self.answers: dict[str, str] = {}

    def get_many(self, fingerprints: Iterable[str]) -> Mapping[str, str]:
        return {f: self.answers[f] for f in fingerprints if f in self.answers}

    def add(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            if row["status"] == "ok":
                self.answers[row["fingerprint"]] = row["response"]


class _Unusable(Exception):
    """An answer came back but cannot be used (not JSON, breaks the schema, cut off, fails the check)."""


_RETRYABLE = (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError)  # timeouts included

# The turn that asks again after an unusable answer.
REPAIR = "That answer cannot be used ({error}). Reply again with only the JSON object the instructions ask for."


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, _RETRYABLE) or (isinstance(exc, openai.APIStatusError) and exc.status_code >= 500)


def retry_after(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (Retry-After-Ms, Retry-After as seconds or a date)."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    headers = response.headers
    try:
        if "retry-after-ms" in headers:
            return float(headers["retry-after-ms"]) / 1000
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
    except (ValueError, TypeError):
        return None


# The aiohttp transport reports every network failure as a timeout; the causes under it say which.
_REFUSED = {"ClientConnectorError", "ConnectionRefusedError", "ClientConnectorDNSError", "gaierror"}
_DROPPED = {"ServerDisconnectedError", "ClientOSError", "ConnectionResetError", "RemoteProtocolError",
            "ClientPayloadError", "BrokenPipeError", "IncompleteRead"}


def _causes(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(out) < 8:
        out.append(seen)
        seen = seen.__cause__ or seen.__context__
    return out


def _describe(exc: BaseException) -> str:
    if isinstance(exc, openai.APIConnectionError):  # timeouts included
        causes = _causes(exc)
        names = {type(c).__name__ for c in causes}
        detail = str(causes[-1] if len(causes) > 1 else exc)[:200]
        if names & _REFUSED:
            return f"connection refused: {detail}"
        if names & _DROPPED:
            return f"connection dropped: {detail}"
        if isinstance(exc, openai.APITimeoutError):
            return "timeout"
        return f"connection: {detail}"
    if isinstance(exc, openai.APIStatusError):
        return f"http {exc.status_code}: {str(exc.message)[:200]}"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _wants_json_mode(exc: openai.BadRequestError) -> bool:
    """An old server that has JSON mode but not json_schema structured output."""
    body = exc.body if isinstance(exc.body, dict) else {}
    text = f"{exc.message} {body.get('param', '')}".lower()
    return "response_format" in text or "json_schema" in text


@functools.lru_cache(maxsize=256)
def _validator(schema_json: str) -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_json))


def parse(request: Request, content: str | None, finish: str | None = "stop") -> Any:
    """The usable data of an answer, or ``_Unusable`` with the reason."""
    if finish == "length":
        raise _Unusable("truncated: the answer hit the token limit")
    if request.schema is None:
        data: Any = content or ""
    else:
        try:
            data = json.loads(content or "")
        except json.JSONDecodeError as exc:
            raise _Unusable(f"invalid-json: {exc.msg} at {exc.pos}") from None
        validator = _validator(json.dumps(request.schema, sort_keys=True))
        error = jsonschema.exceptions.best_match(validator.iter_errors(data))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            raise _Unusable(f"schema: {where}: {error.message[:200]}")
    if request.check is not None:
        reason = request.check(data)
        if reason:
            raise _Unusable(f"check: {reason}")
    return data


class _Session:
    def __init__(self, client: openai.AsyncOpenAI, config: LLMConfig) -> None:
        self.client = client
        self.config = config
        self.limiter = Limiter(config.concurrency, config.requests_per_minute, config.tokens_per_minute)
        self.json_schema = True  # dropped to JSON mode once the server refuses json_schema

    def _wait(self, state: RetryCallState) -> float:
        asked = retry_after(state.outcome.exception() if state.outcome else None)
        if asked is not None:
            return min(asked, self.config.max_wait)
        return min(wait_exponential_jitter(initial=0.5, max=self.config.max_wait)(state), self.config.max_wait)

    def _format(self, schema: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
        if schema is None:
            return None
        if self.json_schema:
            return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": False}}
        return {"type": "json_object"}

    def _messages(self, request: Request, turns: list[dict[str, str]]) -> list[dict[str, str]]:
        messages = [*request.messages, *turns]
        if request.schema is not None and not self.json_schema:  # JSON mode: the schema goes in the prompt
            hint = ("Answer with one JSON object that matches this JSON Schema:\n"
                    + json.dumps(request.schema, ensure_ascii=False))
            messages = [{"role": "system", "content": hint}, *messages]
        return messages

    async def _send(self, request: Request, turns: list[dict[str, str]]) -> dict[str, Any]:
        """One HTTP request; the answer as plain JSON. ``client.post`` (the client's documented way to
        send a body as is) skips the typed ``create`` path, whose request transform and response models
        walk every message and schema and cost more CPU than the rest of a call: they capped
        throughput well below the C/L bound at high concurrency."""
        body: dict[str, Any] = {"model": self.config.model, "messages": self._messages(request, turns),
                                "temperature": self.config.temperature, "max_tokens": self.config.max_tokens,
                                **self.config.extra}
        fmt = self._format(request.schema, request.prompt)
        if fmt is not None:
            body["response_format"] = fmt
        raw = await self.client.post("/chat/completions", cast_to=httpx2.Response, body=body)
        try:
            answer = json.loads(raw.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _Unusable(f"invalid-response: the server's reply is not JSON ({exc})") from None
        if not isinstance(answer, dict):
            raise _Unusable("invalid-response: the server's reply is not a JSON object")
        return answer

    async def _create(self, request: Request, turns: list[dict[str, str]], stats: dict[str, Any]) -> Any:
        estimate = sum(len(m["content"]) for m in request.messages) // 4 + self.config.max_tokens
        def wait(state: RetryCallState) -> float:
            seconds = self._wait(state)
            stats["backoff"] += seconds
            return seconds

        retrying = AsyncRetrying(retry=retry_if_exception(_retryable), stop=stop_after_attempt(self.config.attempts),
                                 wait=wait, reraise=True)
        async for attempt in retrying:
            with attempt:
                stats["attempts"] += 1
                async with self.limiter.slot(estimate):
                    sent = time.perf_counter()  # latency is time on the wire, not time queued for a slot
                    try:
                        response = await self._send(request, turns)
                    except openai.BadRequestError as exc:
                        if not (self.json_schema and request.schema is not None and _wants_json_mode(exc)):
                            raise
                        self.json_schema = False  # for the rest of the run
                        response = await self._send(request, turns)
                    finally:
                        stats["seconds"] += time.perf_counter() - sent
                usage = response.get("usage") or {}
                used_in, used_out = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
                stats["tokens_in"] += used_in
                stats["tokens_out"] += used_out
                if usage:  # the limiter took an estimate up front; return what was not used
                    self.limiter.tokens.give_back(max(0, estimate - used_in - used_out))
                return response
        raise AssertionError("unreachable")  # AsyncRetrying reraises the last error

    async def call(self, request: Request, fp: str) -> Answer:
        stats: dict[str, Any] = {"attempts": 0, "tokens_in": 0, "tokens_out": 0, "seconds": 0.0, "backoff": 0.0}
        turns: list[dict[str, str]] = []
        content: str | None = None
        finish: str | None = None
        status, data, error = "failed", None, None
        try:
            for repair in range(self.config.repairs + 1):
                try:
                    content, finish = _content(await self._create(request, turns, stats))
                    data = parse(request, content, finish)
                    status, error = "ok", None
                    break
                except _Unusable as exc:
                    error = str(exc)
                    if repair < self.config.repairs:
                        turns = [{"role": "assistant", "content": content or ""},
                                 {"role": "user", "content": (request.repair or REPAIR).format(error=error)}]
        except Exception as exc:  # every transport and status error ends as a recorded failure
            error = _describe(exc)
        row = {
            "call_id": uuid.uuid4().hex, "fingerprint": fp, "stage": request.stage, "prompt": request.prompt,
            "prompt_version": request.version, "backend": BACKEND, "base_url": self.config.base_url,
            "model": self.config.model, "status": status, "error": error, "attempts": stats["attempts"],
            "repairs": len(turns) // 2, "json_mode": "json_schema" if self.json_schema else "json_object",
            "tokens_in": stats["tokens_in"], "tokens_out": stats["tokens_out"],
            "latency_ms": round(stats["seconds"] * 1000, 1),
            "cost": self.config.cost(stats["tokens_in"], stats["tokens_out"]), "finish_reason": finish,
            "response": json.dumps(data, ensure_ascii=False) if status == "ok" else None,
            "created_at": datetime.now(UTC).replace(tzinfo=None),
        }
        return Answer(request, fp, status, data if status == "ok" else None, error, False, row, stats["backoff"])


def _content(response: dict[str, Any]) -> tuple[str | None, str | None]:
    choices = response.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise _Unusable("invalid-response: no choices in the reply")
    message = choices[0].get("message") or {}
    content = message.get("content") if isinstance(message, dict) else None
    return (content if isinstance(content, str) else None), choices[0].get("finish_reason")


def key_of(config: LLMConfig, request: Request) -> str:
    return fingerprint(config.model, request.messages, request.schema, config.sampling(), request.version)


async def run_async(requests: Sequence[Request], config: LLMConfig, cache: Cache | None = None,
                    sink: Callable[[dict[str, Any]], None] | None = None) -> list[Answer]:
    """Answer every request, in order: from ``cache`` when it holds a usable answer, else live.
    ``sink`` is given each live call's row the moment its answer (or failure) is final."""
    fps = [key_of(config, r) for r in requests]
    hits = cache.get_many(set(fps)) if cache is not None else {}
    answers: list[Answer | None] = [None] * len(requests)
    live: list[int] = []
    for i, (request, fp) in enumerate(zip(requests, fps)):
        if fp in hits:
            try:
                # stored as JSON; a schema-less answer was a JSON string, a schema answer is parsed by parse()
                text = hits[fp] if request.schema is not None else json.loads(hits[fp])
                data = parse(request, text)
                answers[i] = Answer(request, fp, "ok", data, None, True)
                continue
            except (_Unusable, json.JSONDecodeError):
                pass  # a cached answer today's check rejects is asked again
        live.append(i)
    if live:
        session = await _session(config)

        async def call(i: int) -> Answer:
            answer = await session.call(requests[i], fps[i])
            if sink is not None and answer.row is not None:
                sink(answer.row)
            return answer

        results = await asyncio.gather(*(call(i) for i in live))
        for i, answer in zip(live, results):
            answers[i] = answer
    return [a for a in answers if a is not None]


def run(requests: Sequence[Request], config: LLMConfig, cache: Cache | None = None,
        sink: Callable[[dict[str, Any]], None] | None = None) -> list[Answer]:
    """``run_async`` from synchronous code (a Prefect task runs in a worker thread), on the
    process's one LLM loop, so the endpoint's limits hold across batches running side by side."""
    return loop.run(run_async(requests, config, cache, sink))


_SESSIONS = 16  # endpoint configurations kept open per process; the oldest is closed beyond that
_sessions: OrderedDict[tuple[int, str], _Session] = OrderedDict()


async def _close_all() -> None:
    while _sessions:
        _, session = _sessions.popitem()
        await session.client.close()


def close_sessions() -> None:
    """Close every open client (at exit, so no connection is left for the collector to warn about)."""
    if _sessions:
        loop.run(_close_all())


atexit.register(close_sessions)


async def _session(config: LLMConfig) -> _Session:
    """The session (client, limiter, JSON mode) of ``config`` on the running loop: shared by every
    call with that configuration, so its concurrency and rates are the process's."""
    key = (id(asyncio.get_running_loop()), config.model_dump_json())
    session = _sessions.get(key)
    if session is None:
        http = openai.DefaultAioHttpClient(timeout=config.timeout)
        client = openai.AsyncOpenAI(base_url=config.base_url, api_key=os.environ.get(config.key_variable) or "unset",
                                    max_retries=0, timeout=config.timeout, http_client=http)
        session = _sessions[key] = _Session(client, config)
        while len(_sessions) > _SESSIONS:
            _, old = _sessions.popitem(last=False)
            await old.client.close()
    _sessions.move_to_end(key)
    return session
