"""An OpenAI-compatible chat-completions server for tests and benchmarks, with scripted faults.

In-process::

    with LLMServer(latency=0.05) as server:
        client = openai.OpenAI(base_url=server.url, api_key="test-key", max_retries=0)
        server.script(Fault.rate_limit(retry_after=0.2), Fault.server_error(503))
        ...

As its own process (benchmarks)::

    python -m tests.support.llm_server --port 0 --latency 0.2   # prints "READY http://127.0.0.1:PORT/v1"

The server only ever reads request bodies as JSON data; nothing in a request is executed or evaluated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from aiohttp import web

__all__ = ["Fault", "Headers", "LLMServer", "sample_instance"]

SAMPLE_TEXT = "sample text"
MODEL_ID = "test-model"
MALFORMED_JSON = '{"comments": ['
SCHEMA_BREAK = '{"unexpected": 1}'
NO_JSON_SCHEMA_MESSAGE = "response_format json_schema is not supported"

# Recursive $ref schemas stop growing here: objects keep only required keys, arrays only minItems.
_SHALLOW_DEPTH = 6
_MAX_DEPTH = 32
_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "12:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
}


# ---------------------------------------------------------------- faults


@dataclass
class Fault:
    """One scripted misbehaviour, applied to one request."""

    kind: str
    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0

    KINDS: ClassVar[frozenset[str]] = frozenset({
        "rate_limit", "server_error", "slow", "malformed_json", "schema_break",
        "truncated", "drop", "bad_request", "no_json_schema",
    })

    def __post_init__(self) -> None:
        if self.kind not in self.KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {sorted(self.KINDS)}")

    @classmethod
    def rate_limit(cls, retry_after: float | None = 0.2) -> Fault:
        """429 with a Retry-After header (none when retry_after is None)."""
        return cls("rate_limit", status=429, retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 500, retry_after: float | None = None) -> Fault:
        return cls("server_error", status=status, retry_after=retry_after)

    @classmethod
    def slow(cls, delay: float = 5.0) -> Fault:
        """Sleep `delay` seconds, then answer normally."""
        return cls("slow", delay=delay)

    @classmethod
    def malformed_json(cls) -> Fault:
        return cls("malformed_json")

    @classmethod
    def schema_break(cls) -> Fault:
        return cls("schema_break")

    @classmethod
    def truncated(cls) -> Fault:
        return cls("truncated")

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without answering."""
        return cls("drop")

    @classmethod
    def bad_request(cls, status: int = 400) -> Fault:
        return cls("bad_request", status=status)

    @classmethod
    def no_json_schema(cls) -> Fault:
        """400 for a json_schema response_format; only requests that ask for json_schema consume it."""
        return cls("no_json_schema", status=400)


@dataclass
class _Scripted:
    fault: Fault
    when: Callable[[dict], bool] | None


class Headers(dict[str, str]):
    """Request headers with lower-case keys; lookups ignore case, like HTTP."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)


# ---------------------------------------------------------------- schema instances


def sample_instance(schema: Any, root: Any = None) -> Any:
    """A small deterministic instance that validates against a JSON schema (the structured-outputs subset)."""
    return _sample(schema, schema if root is None else root, 0, 0)


def _resolve(ref: str, root: Any) -> Any:
    if not ref.startswith("#"):
        raise ValueError(f"only local $ref is supported, got {ref!r}")
    node = root
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _merge_all_of(schema: dict) -> dict:
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    for sub in schema["allOf"]:
        if not isinstance(sub, dict):
            continue
        for key, value in sub.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = list(dict.fromkeys([*merged.get("required", []), *value]))
            else:
                merged.setdefault(key, value)
    return merged


def _schema_type(schema: dict) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        # A nullable type: the non-null member gives the more useful sample.
        return next((k for k in kind if k != "null"), "null")
    if kind is not None:
        return kind
    if "properties" in schema or "additionalProperties" in schema or "required" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
        return "number"
    return "string"


def _sample(schema: Any, root: Any, depth: int, variant: int) -> Any:
    """`variant` makes sibling array items differ, so uniqueItems holds."""
    if depth > _MAX_DEPTH:
        raise ValueError("schema recursion too deep for a sample instance")
    if schema is True or schema == {}:
        return SAMPLE_TEXT if variant == 0 else f"{SAMPLE_TEXT} {variant + 1}"
    if not isinstance(schema, dict):
        return None
    if "$ref" in schema:
        target = _resolve(schema["$ref"], root)
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        if rest and isinstance(target, dict):
            target = {**target, **rest}
        return _sample(target, root, depth + 1, variant)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][variant % len(schema["enum"])]
    if "allOf" in schema:
        return _sample(_merge_all_of(schema), root, depth + 1, variant)
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            branch = schema[key][0]
            if depth >= _SHALLOW_DEPTH:  # deep in a recursive schema: a branch without $ref ends the recursion
                branch = next((b for b in schema[key] if '"$ref"' not in json.dumps(b)), branch)
            return _sample(branch, root, depth + 1, variant)
    kind = _schema_type(schema)
    if kind == "object":
        return _sample_object(schema, root, depth, variant)
    if kind == "array":
        return _sample_array(schema, root, depth, variant)
    if kind == "string":
        return _sample_string(schema, variant)
    if kind in ("integer", "number"):
        return _sample_number(schema, variant, integer=kind == "integer")
    if kind == "boolean":
        return variant % 2 == 0
    return None


def _sample_object(schema: dict, root: Any, depth: int, variant: int) -> dict:
    properties: dict = schema.get("properties") or {}
    required = [k for k in schema.get("required", []) if k in properties]
    optional = [k for k in properties if k not in required]
    if depth >= _SHALLOW_DEPTH:
        optional = []
    limit = schema.get("maxProperties")
    if limit is not None:
        optional = optional[: max(0, limit - len(required))]
    keys = [k for k in properties if k in required or k in optional]
    result = {key: _sample(properties[key], root, depth + 1, variant) for key in keys}
    extra = schema.get("additionalProperties", True)
    for name in schema.get("required", []):
        if name not in result:  # required but not among the properties: additionalProperties describes it
            result[name] = _sample(extra if isinstance(extra, dict) else True, root, depth + 1, variant)
    n = 0
    while len(result) < schema.get("minProperties", 0) and extra is not False:
        n += 1
        result[f"extra_{n}"] = _sample(extra, root, depth + 1, variant)
    return result


def _sample_array(schema: dict, root: Any, depth: int, variant: int) -> list:
    low = schema.get("minItems", 0)
    high = schema.get("maxItems")
    count = low if depth >= _SHALLOW_DEPTH else max(low, 1)
    if high is not None:
        count = min(count, high)
    prefix = schema.get("prefixItems") or []
    items = schema.get("items", True)
    if isinstance(items, list):  # draft-4..2019 tuple form
        prefix, items = items, schema.get("additionalItems", True)
    result = []
    for i in range(count):
        sub = prefix[i] if i < len(prefix) else items
        # Each item its own variant; the parent's variant is folded in so nested arrays differ too.
        result.append(_sample(sub, root, depth + 1, variant * 7 + i))
    return result


def _sample_string(schema: dict, variant: int) -> str:
    text = _FORMATS.get(schema.get("format", ""), SAMPLE_TEXT)
    tag = "" if variant == 0 else f" {variant + 1}"
    text += tag
    high = schema.get("maxLength")
    if high is not None and len(text) > high:
        tag = tag.strip()
        text = (text[: high - len(tag)] + tag) if high >= len(tag) else tag[-high:] if high else ""
    low = schema.get("minLength", 0)
    if len(text) < low:
        text += "x" * (low - len(text))
    return text


def _sample_number(schema: dict, variant: int, *, integer: bool) -> int | float:
    low, high = schema.get("minimum"), schema.get("maximum")
    low_open = high_open = False
    ex_low, ex_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(ex_low, bool):  # draft-4 boolean form
        low_open = ex_low
    elif ex_low is not None and (low is None or ex_low >= low):
        low, low_open = ex_low, True
    if isinstance(ex_high, bool):
        high_open = ex_high
    elif ex_high is not None and (high is None or ex_high <= high):
        high, high_open = ex_high, True
    step = 1 if integer else 0.5
    if integer:
        if low is not None:
            low = math.floor(low) + 1 if low_open or low != math.floor(low) else int(low)
        if high is not None:
            high = math.ceil(high) - 1 if high_open or high != math.ceil(high) else int(high)
        low_open = high_open = False
    value: int | float = variant if integer else 0.5 + variant
    if low is not None and (value < low or (low_open and value == low)):
        value = low + variant + (step if low_open else 0)
    if high is not None and (value > high or (high_open and value == high)):
        value = high - variant - (step if high_open else 0)
    if low is not None and (value < low or (low_open and value <= low)):
        value = (low + high) / 2 if high is not None else low + step
        if integer:
            value = math.ceil(value)
    multiple = schema.get("multipleOf")
    if multiple:
        value = math.ceil(value / multiple) * multiple
        if high is not None and value > high:
            value = math.floor(high / multiple) * multiple
    return int(value) if integer else float(value)


def _schema_breaker(schema: Any) -> str:
    """Valid JSON that does not validate against `schema` (checked when jsonschema is importable)."""
    candidates = [SCHEMA_BREAK, '{"unexpected": 1, "more": [true]}', "[1]", '"unexpected"', "12345", "null"]
    try:
        import jsonschema
    except ImportError:
        return SCHEMA_BREAK
    for text in candidates:
        try:
            if not jsonschema.Draft202012Validator(schema).is_valid(json.loads(text)):
                return text
        except Exception:
            return SCHEMA_BREAK
    return SCHEMA_BREAK


# ---------------------------------------------------------------- request helpers


def _json_schema_of(body: dict) -> dict | None:
    """The `json_schema` member of a json_schema response_format, else None."""
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema")
        return spec if isinstance(spec, dict) else {}
    return None


def _wants_json_object(body: dict) -> bool:
    fmt = body.get("response_format")
    return isinstance(fmt, dict) and fmt.get("type") == "json_object"


def _prompt_chars(messages: list) -> int:
    total = 0
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            total += len(content)
        elif isinstance(content, list):
            total += sum(len(p.get("text", "")) for p in content if isinstance(p, dict))
    return total


def _error(status: int, message: str, kind: str, *, code: str | None = None, param: str | None = None,
           headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json",
                        headers=headers)


def _seconds(value: float) -> str:
    return format(value, "g")


# ---------------------------------------------------------------- server


class LLMServer:
    """An OpenAI-compatible chat-completions server on 127.0.0.1, in a background thread with its own event loop.

    `requests`, `bodies`, `headers`, `peers` and `outcomes` are snapshots taken under a lock; entry i of the lists
    belongs to the i-th POST /v1/chat/completions (a body that is not a JSON object is recorded as {}).
    `outcomes[i]` is "ok", the fault kind applied, "invalid" for a request rejected before any fault, "error" when
    `answer` or a `when` predicate raised (see `errors`), or "pending" while the first decision is still open.
    """

    def __init__(self, *, latency: float = 0.0, answer: Callable[[dict], str | dict] | None = None, port: int = 0,
                 json_schema_supported: bool = True, record: bool = True) -> None:
        self.latency = latency
        self.answer = answer
        self.port = port
        self.json_schema_supported = json_schema_supported
        self.record = record  # False keeps memory flat in long benchmark runs; counters still count
        self._lock = threading.RLock()  # reentrant: a `when` predicate may read the counters
        self._requests = 0
        self._bodies: list[dict] = []
        self._headers: list[Headers] = []
        self._peers: list[tuple[str, int]] = []
        self._outcomes: list[str] = []
        self._waits: list[float] = []  # seconds each answer was held back (slow faults, latency)
        self._arrivals: list[float] = []  # time.monotonic() when each request's body was read
        self._in_flight = 0
        self._max_in_flight = 0
        self._errors: list[str] = []
        self._faults: list[_Scripted] = []
        self._generation = 0
        self._ids = itertools.count(1)
        self._content_cache: dict[str, str] = {}
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- public state

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests

    @property
    def bodies(self) -> list[dict]:
        with self._lock:
            return list(self._bodies)

    @property
    def headers(self) -> list[Headers]:
        with self._lock:
            return list(self._headers)

    @property
    def peers(self) -> list[tuple[str, int]]:
        """The client (host, port) of each request: one port for many requests means the connection was reused."""
        with self._lock:
            return list(self._peers)

    @property
    def outcomes(self) -> list[str]:
        with self._lock:
            return list(self._outcomes)

    @property
    def waits(self) -> list[float]:
        """Seconds the server held each delayed answer back, in order (slow faults and latency)."""
        with self._lock:
            return list(self._waits)

    @property
    def arrivals(self) -> list[float]:
        """When each request arrived (``time.monotonic()``, its body read), in order: rates at the server."""
        with self._lock:
            return list(self._arrivals)

    @property
    def max_in_flight(self) -> int:
        """The most requests the server was answering at once."""
        with self._lock:
            return self._max_in_flight

    def repeated(self, since: int = 0) -> int:
        """Requests from the ``since``-th on whose body (canonical JSON) an earlier one of them already
        sent: calls asked for again."""
        seen: set[str] = set()
        repeats = 0
        for body in self.bodies[since:]:
            text = json.dumps(body, sort_keys=True)
            repeats += text in seen
            seen.add(text)
        return repeats

    @property
    def errors(self) -> list[str]:
        """Exceptions raised by `answer` or a `when` predicate (each was answered with a 500)."""
        with self._lock:
            return list(self._errors)

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return len(self._faults)

    def script(self, *faults: Fault, when: Callable[[dict], bool] | None = None) -> None:
        """Queue faults; each matching request (body passes `when`, default all) consumes the next one, FIFO."""
        with self._lock:
            self._faults.extend(_Scripted(fault, when) for fault in faults)

    def reset(self) -> None:
        with self._lock:
            self._requests = 0
            self._bodies.clear()
            self._headers.clear()
            self._peers.clear()
            self._outcomes.clear()
            self._waits.clear()
            self._arrivals.clear()
            self._max_in_flight = 0
            self._errors.clear()
            self._faults.clear()
            self._generation += 1

    # -- lifecycle

    def start(self) -> LLMServer:
        if self._thread is not None:
            raise RuntimeError("server already started")
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.open())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self.close())
                loop.close()

        self._thread = threading.Thread(target=run, name=f"LLMServer:{self.port}", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        with contextlib.suppress(RuntimeError):  # loop already closed
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = self._loop = None

    def __enter__(self) -> LLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def open(self, *, backlog: int = 4096, shutdown_timeout: float = 0.25) -> None:
        """Listen on the running loop (the command line uses this directly, without a thread)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/stats", self._stats)
        # handler_cancellation: a client that gives up on a slow answer frees its handler at once.
        runner = web.AppRunner(app, access_log=None, handle_signals=False, handler_cancellation=True,
                               shutdown_timeout=shutdown_timeout)
        await runner.setup()
        # A large backlog: bursts of thousands of new connections must not wait out SYN retries.
        site = web.TCPSite(runner, "127.0.0.1", self.port, backlog=backlog, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self.port = runner.addresses[0][1]
        self._runner = runner

    async def close(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # -- handlers

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [
            {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "workflowbench-tests"}]})

    async def _stats(self, request: web.Request) -> web.Response:
        """Counters for a process that runs the server on its own (benchmarks)."""
        return web.json_response({"requests": self.requests})

    def _take_fault(self, body: dict) -> Fault | None:
        if not self._faults:  # unlocked peek: the common benchmark path has no script
            return None
        with self._lock:
            for i, entry in enumerate(self._faults):
                if entry.fault.kind == "no_json_schema" and _json_schema_of(body) is None:
                    continue
                if entry.when is None or entry.when(body):
                    del self._faults[i]
                    return entry.fault
        return None

    def _arrive(self, request: web.Request, body: Any) -> tuple[int, int] | None:
        """Count and record a request; returns where its outcome goes once known."""
        with self._lock:
            self._requests += 1
            if not self.record:
                return None
            self._arrivals.append(time.monotonic())
            self._bodies.append(body if isinstance(body, dict) else {})
            self._headers.append(Headers((k.lower(), v) for k, v in request.headers.items()))
            peer = request.transport.get_extra_info("peername") if request.transport else None
            self._peers.append((peer[0], peer[1]) if peer else ("", 0))
            self._outcomes.append("pending")
            return self._generation, len(self._outcomes) - 1

    def _settle(self, slot: tuple[int, int] | None, outcome: str) -> None:
        if slot is None:
            return
        with self._lock:
            if slot[0] == self._generation:  # not reset while the request was in flight
                self._outcomes[slot[1]] = outcome

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        slot = self._arrive(request, body)
        if not isinstance(body, dict):
            self._settle(slot, "invalid")
            return _error(400, "We could not parse the JSON body of your request.", "invalid_request_error")
        if not isinstance(body.get("messages"), list) or not body.get("model"):
            self._settle(slot, "invalid")
            return _error(400, "'model' and 'messages' are required.", "invalid_request_error")
        if body.get("stream"):
            self._settle(slot, "invalid")
            return _error(400, "stream is not supported by this test server", "invalid_request_error",
                          param="stream")
        try:
            fault = self._take_fault(body)
            kind = fault.kind if fault else "ok"
            if fault is None and not self.json_schema_supported and _json_schema_of(body) is not None:
                kind = "no_json_schema"
            self._settle(slot, kind)
            with self._lock:
                self._in_flight += 1
                self._max_in_flight = max(self._max_in_flight, self._in_flight)
            try:
                return await self._respond(request, body, fault, kind)
            finally:
                with self._lock:
                    self._in_flight -= 1
        except Exception as exc:
            with self._lock:
                self._errors.append(repr(exc))
            self._settle(slot, "error")
            return _error(500, f"test server: {exc!r}", "server_error")

    async def _respond(self, request: web.Request, body: dict, fault: Fault | None, kind: str) -> web.StreamResponse:
        if kind == "rate_limit":
            assert fault is not None
            headers = {} if fault.retry_after is None else {"Retry-After": _seconds(fault.retry_after)}
            return _error(fault.status or 429, "Rate limit reached for requests. Please try again later.",
                          "rate_limit_error", code="rate_limit_exceeded", headers=headers)
        if kind == "server_error":
            assert fault is not None
            headers = {} if fault.retry_after is None else {"Retry-After": _seconds(fault.retry_after)}
            return _error(fault.status or 500, "The server had an error while processing your request.",
                          "server_error", headers=headers)
        if kind == "bad_request":
            assert fault is not None
            return _error(fault.status or 400, "Invalid request (scripted).", "invalid_request_error")
        if kind == "no_json_schema":
            return _error(400, NO_JSON_SCHEMA_MESSAGE, "invalid_request_error", param="response_format")
        if kind == "drop":
            transport = request.transport
            if transport is not None:
                transport.abort()
            # The handler is cancelled when the connection is lost; this response is never sent.
            return web.Response(status=500)
        if kind == "slow":
            assert fault is not None
            self._held(fault.delay)
            await asyncio.sleep(fault.delay)

        finish = "stop"
        if kind == "malformed_json":
            content = MALFORMED_JSON
        elif kind == "schema_break":
            spec = _json_schema_of(body)
            content = _schema_breaker(spec.get("schema", {})) if spec else SCHEMA_BREAK
        else:
            content = self._content(body)
            if kind == "truncated":
                content, finish = content[: len(content) // 2] if len(content) > 1 else "", "length"
        if self.latency > 0:
            self._held(self.latency)
            await asyncio.sleep(self.latency)
        return self._completion(body, content, finish)

    def _held(self, seconds: float) -> None:
        if self.record:
            with self._lock:
                self._waits.append(seconds)

    def _content(self, body: dict) -> str:
        if self.answer is not None:
            result = self.answer(body)
            return result if isinstance(result, str) else json.dumps(result)
        spec = _json_schema_of(body)
        if spec is not None:
            key = json.dumps(spec, sort_keys=True)
            content = self._content_cache.get(key)
            if content is None:
                content = json.dumps(sample_instance(spec.get("schema", {})))
                if len(self._content_cache) > 1024:
                    self._content_cache.clear()
                self._content_cache[key] = content
            return content
        if _wants_json_object(body):
            return json.dumps({"answer": SAMPLE_TEXT})
        return SAMPLE_TEXT

    def _completion(self, body: dict, content: str, finish: str) -> web.Response:
        prompt = math.ceil(_prompt_chars(body["messages"]) / 4)
        completion = math.ceil(len(content) / 4)
        n = next(self._ids)
        payload = {
            "id": f"chatcmpl-test{n:012d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or MODEL_ID,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": finish,
            }],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        }
        return web.Response(body=json.dumps(payload).encode(), content_type="application/json",
                            headers={"x-request-id": f"req_test{n:012d}"})


# ---------------------------------------------------------------- command line


def _raise_fd_limit() -> None:
    # Thousands of concurrent connections need more descriptors than the usual soft limit of 1024.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


async def _serve(server: LLMServer) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.open(shutdown_timeout=1.0)
    print(f"READY {server.url}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()


FAULTS: dict[str, Callable[..., Fault]] = {
    "rate_limit": Fault.rate_limit, "server_error": lambda status="500": Fault.server_error(int(status)),
    "slow": lambda delay="5": Fault.slow(float(delay)), "malformed_json": Fault.malformed_json,
    "schema_break": Fault.schema_break, "truncated": Fault.truncated, "drop": Fault.drop,
    "bad_request": lambda status="400": Fault.bad_request(int(status)),
}


def parse_fault(spec: str) -> list[Fault]:
    """``KIND[:ARG][*COUNT]`` (``rate_limit:0.5``, ``server_error:503*3``, ``drop``) as faults."""
    body, _, count = spec.partition("*")
    kind, colon, arg = body.partition(":")
    if kind not in FAULTS:
        raise argparse.ArgumentTypeError(f"unknown fault {kind!r}; one of {', '.join(FAULTS)}")
    try:
        if kind == "rate_limit":
            fault = Fault.rate_limit(float(arg)) if colon else Fault.rate_limit()
        else:
            fault = FAULTS[kind](arg) if colon else FAULTS[kind]()
        return [fault] * (int(count) if count else 1)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{spec!r}: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.llm_server", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--json-schema-unsupported", action="store_true",
                        help="answer 400 to json_schema response formats, like a server with JSON mode only")
    parser.add_argument("--fault", type=parse_fault, action="append", default=[], metavar="KIND[:ARG][*COUNT]",
                        help=f"fail the next requests in this order (repeatable); kinds: {', '.join(FAULTS)}")
    parser.add_argument("--answers", choices=("schema", "thoughts"), default="schema",
                        help="schema: any instance of the requested schema; thoughts: answers the thoughts "
                             "stage's checks accept (a comment per given line, plan steps, a request)")
    args = parser.parse_args(argv)
    _raise_fd_limit()
    answer = None
    if args.answers == "thoughts":
        from tests.support.scripted import answer
    server = LLMServer(latency=args.latency, port=args.port, answer=answer,
                       json_schema_supported=not args.json_schema_unsupported, record=False)
    server.script(*(f for faults in args.fault for f in faults))
    asyncio.run(_serve(server))
    return 0


if __name__ == "__main__":
    sys.exit(main())
