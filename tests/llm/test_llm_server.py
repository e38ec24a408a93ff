"""The OpenAI-compatible test server, driven by the real openai client (sync httpx and async aiohttp transports)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import openai
import pytest

from tests.support.llm_server import (
    MALFORMED_JSON,
    NO_JSON_SCHEMA_MESSAGE,
    SAMPLE_TEXT,
    Fault,
    LLMServer,
    sample_instance,
)

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "sk-test-0123456789"
MESSAGES = [{"role": "system", "content": "You annotate shortcuts."}, {"role": "user", "content": "Explain this."}]

NESTED = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 3, "maxLength": 40},
        "author": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 18, "maximum": 99}},
            "required": ["name", "age"],
            "additionalProperties": False,
        },
        "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "ok": {"type": "boolean"},
    },
    "required": ["title", "author", "score", "ok"],
    "additionalProperties": False,
}
ARRAYS = {
    "type": "object",
    "properties": {
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 4}, "minItems": 3, "maxItems": 5,
                 "uniqueItems": True},
        "pair": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
        "none": {"type": "array", "items": {"type": "string"}, "maxItems": 0},
        "matrix": {"type": "array", "items": {"type": "array", "items": {"type": "number"}, "minItems": 2},
                   "minItems": 2},
    },
    "required": ["tags", "pair", "none", "matrix"],
    "additionalProperties": False,
}
ENUMS = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": ["action", "trigger", "variable"]},
        "level": {"enum": [3, 5, 8]},
        "version": {"const": "v2"},
        "note": {"type": ["string", "null"]},
        "choice": {"anyOf": [{"type": "integer", "minimum": 10}, {"type": "string"}]},
        "either": {"oneOf": [{"type": "null"}, {"type": "string"}]},
    },
    "required": ["kind", "level", "version", "note", "choice", "either"],
    "additionalProperties": False,
}
REFS = {
    "type": "object",
    "$defs": {
        "step": {
            "type": "object",
            "properties": {"action": {"$ref": "#/$defs/action"}, "children": {
                "type": "array", "items": {"$ref": "#/$defs/step"}}},
            "required": ["action", "children"],
            "additionalProperties": False,
        },
        "action": {"type": "string", "enum": ["is.workflow.actions.gettext", "is.workflow.actions.comment"]},
    },
    "properties": {"root": {"$ref": "#/$defs/step"}, "steps": {"type": "array", "items": {"$ref": "#/$defs/step"},
                                                             "minItems": 2}},
    "required": ["root", "steps"],
    "additionalProperties": False,
}
SCHEMAS = {"nested": NESTED, "arrays": ARRAYS, "enums": ENUMS, "refs": REFS}


def schema_format(schema: dict, name: str = "answer") -> dict:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


def validates(schema: dict, instance: Any) -> bool:
    return jsonschema.Draft202012Validator(schema).is_valid(instance)


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with LLMServer() as srv:
        yield srv


@pytest.fixture
def client(server: LLMServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.url, api_key=API_KEY, max_retries=0, timeout=10) as c:
        yield c


def async_client(url: str, **kwargs: Any) -> openai.AsyncOpenAI:
    options: dict[str, Any] = {"api_key": API_KEY, "max_retries": 0, "timeout": 10, **kwargs}
    return openai.AsyncOpenAI(base_url=url, http_client=openai.DefaultAioHttpClient(), **options)


Ask = Callable[..., Any]


@pytest.fixture(params=["sync", "async"])
def ask(request: pytest.FixtureRequest, server: LLMServer) -> Iterator[Ask]:
    """`ask(**create_kwargs)` sends one chat completion through the sync or the async (aiohttp) client."""
    if request.param == "sync":
        with openai.OpenAI(base_url=server.url, api_key=API_KEY, max_retries=0, timeout=10) as c:
            yield lambda **kw: c.chat.completions.create(**{"model": "test-model", "messages": MESSAGES, **kw})
        return

    def ask_async(**kw: Any) -> Any:
        async def main() -> Any:
            async with async_client(server.url) as c:
                return await c.chat.completions.create(**{"model": "test-model", "messages": MESSAGES, **kw})
        return asyncio.run(main())

    yield ask_async


# ---------------------------------------------------------------- normal answers


def test_models_list(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["test-model"]


def test_plain_text_completion_is_a_standard_chat_completion(ask: Ask, server: LLMServer) -> None:
    reply = ask(model="gpt-x", temperature=0, max_tokens=50)
    assert isinstance(reply, openai.types.chat.ChatCompletion)
    assert reply.object == "chat.completion" and reply.model == "gpt-x" and reply.id.startswith("chatcmpl-")
    choice = reply.choices[0]
    assert (choice.index, choice.finish_reason, choice.message.role) == (0, "stop", "assistant")
    assert choice.message.content == SAMPLE_TEXT
    prompt_chars = sum(len(m["content"]) for m in MESSAGES)
    assert reply.usage is not None
    assert reply.usage.prompt_tokens == -(-prompt_chars // 4)
    assert reply.usage.completion_tokens == -(-len(SAMPLE_TEXT) // 4)
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    assert server.bodies[0]["temperature"] == 0 and server.bodies[0]["max_tokens"] == 50


def test_json_object_mode(ask: Ask) -> None:
    reply = ask(response_format={"type": "json_object"})
    assert json.loads(reply.choices[0].message.content) == {"answer": SAMPLE_TEXT}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_answer_validates(ask: Ask, name: str) -> None:
    schema = SCHEMAS[name]
    reply = ask(response_format=schema_format(schema, name), max_completion_tokens=500)
    instance = json.loads(reply.choices[0].message.content)
    jsonschema.Draft202012Validator(schema).validate(instance)


def test_schema_answer_details(client: openai.OpenAI) -> None:
    def answer_for(schema: dict) -> Any:
        reply = client.chat.completions.create(model="m", messages=MESSAGES, response_format=schema_format(schema))
        return json.loads(reply.choices[0].message.content or "")

    arrays = answer_for(ARRAYS)
    assert 3 <= len(arrays["tags"]) <= 5 and len(set(arrays["tags"])) == len(arrays["tags"])
    assert arrays["none"] == [] and len(arrays["pair"]) == 2
    enums = answer_for(ENUMS)
    assert (enums["kind"], enums["level"], enums["version"]) == ("action", 3, "v2")
    assert enums["choice"] >= 10 and enums["note"] == SAMPLE_TEXT
    assert answer_for(NESTED)["author"]["age"] == 18


@pytest.mark.parametrize("schema", [
    {"type": "string", "maxLength": 2},
    {"type": "string", "minLength": 30},
    {"type": "string", "format": "date-time"},
    {"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 7},
    {"type": "integer", "minimum": -10, "maximum": -3, "multipleOf": 4},
    {"type": "number", "minimum": 0.1, "maximum": 0.2},
    {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.001},
    {"type": "integer", "minimum": 2, "exclusiveMinimum": True},  # draft-4 boolean form
    {"type": "array", "items": {"type": "boolean"}, "minItems": 2, "uniqueItems": True},
    {"type": "array", "items": {"type": "integer", "minimum": 5}, "minItems": 4, "uniqueItems": True},
    {"type": "array", "items": {"enum": ["a", "b", "c"]}, "minItems": 3, "uniqueItems": True},
    {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False, "minItems": 2},
    {"type": "object", "minProperties": 2, "properties": {"a": {"type": "null"}}},
    {"type": "object", "required": ["n"], "additionalProperties": {"type": "integer"}},
    {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}},
     "required": ["c"], "maxProperties": 2},
    {"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
               {"properties": {"b": {"type": "boolean"}}, "required": ["b"]}]},
    {"$defs": {"node": {"type": "object", "properties": {"next": {"anyOf": [{"$ref": "#/$defs/node"},
                                                                         {"type": "null"}]}},
                        "required": ["next"]}}, "$ref": "#/$defs/node"},
    {"definitions": {"x": {"type": "integer"}}, "type": "array", "items": {"$ref": "#/definitions/x"}},
    {},
])
def test_sample_instance_validates(schema: dict) -> None:
    draft4 = isinstance(schema.get("exclusiveMinimum"), bool)
    validator = jsonschema.Draft4Validator if draft4 else jsonschema.Draft202012Validator
    validator(schema).validate(sample_instance(schema))


def test_answer_callback_gets_the_body(ask: Ask, server: LLMServer) -> None:
    server.answer = lambda body: {"echo": body["messages"][-1]["content"]}
    assert json.loads(ask().choices[0].message.content) == {"echo": "Explain this."}
    server.answer = lambda body: "plain " + body["model"]
    assert ask().choices[0].message.content == "plain test-model"


def test_answer_callback_that_raises_is_a_500_and_recorded(client: openai.OpenAI, server: LLMServer) -> None:
    def broken(body: dict) -> str:
        raise KeyError("nope")

    server.answer = broken
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert server.errors == ["KeyError('nope')"] and server.outcomes == ["error"]


def test_when_predicate_that_raises_is_a_500_and_recorded(client: openai.OpenAI, server: LLMServer) -> None:
    server.script(Fault.drop(), when=lambda body: body["missing"])
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert server.errors == ["KeyError('missing')"] and server.outcomes == ["error"]


# ---------------------------------------------------------------- faults


def test_rate_limit(ask: Ask, server: LLMServer) -> None:
    server.script(Fault.rate_limit(retry_after=0.2))
    with pytest.raises(openai.RateLimitError) as caught:
        ask()
    err = caught.value
    assert err.status_code == 429 and err.response.headers["retry-after"] == "0.2"
    assert err.type == "rate_limit_error" and err.code == "rate_limit_exceeded"
    assert ask().choices[0].message.content == SAMPLE_TEXT  # the fault was used up


def test_rate_limit_without_retry_after(client: openai.OpenAI, server: LLMServer) -> None:
    server.script(Fault.rate_limit(retry_after=None))
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert "retry-after" not in caught.value.response.headers


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error(ask: Ask, server: LLMServer, status: int) -> None:
    server.script(Fault.server_error(status, retry_after=1.5))
    with pytest.raises(openai.InternalServerError) as caught:
        ask()
    assert caught.value.status_code == status and caught.value.type == "server_error"
    assert caught.value.response.headers["retry-after"] == "1.5"


@pytest.mark.timeout(30)
def test_slow_answer_times_the_client_out_and_the_server_stays_responsive(ask: Ask, server: LLMServer) -> None:
    server.script(Fault.slow(5.0))
    with pytest.raises(openai.APITimeoutError):
        ask(timeout=0.3)
    assert ask().choices[0].message.content == SAMPLE_TEXT  # answered while the slow one still waits
    assert server.outcomes == ["slow", "ok"] and server.waits == [5.0]


def test_slow_answer_arrives_after_the_delay(client: openai.OpenAI, server: LLMServer) -> None:
    server.script(Fault.slow(0.3))
    assert client.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content == SAMPLE_TEXT
    assert server.outcomes == ["slow"] and server.waits == [0.3]


def test_malformed_json(ask: Ask, server: LLMServer) -> None:
    server.script(Fault.malformed_json())
    reply = ask(response_format=schema_format(NESTED))
    content = reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "stop" and content == MALFORMED_JSON
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)


@pytest.mark.parametrize("schema", [NESTED, ARRAYS, {"type": "object"}, {"type": "array"}, {}],
                         ids=["nested", "arrays", "any-object", "any-array", "anything"])
def test_schema_break(ask: Ask, server: LLMServer, schema: dict) -> None:
    server.script(Fault.schema_break())
    instance = json.loads(ask(response_format=schema_format(schema)).choices[0].message.content)
    assert schema == {} or not validates(schema, instance)


def test_truncated(ask: Ask, server: LLMServer) -> None:
    full = ask(response_format=schema_format(NESTED)).choices[0].message.content
    server.script(Fault.truncated())
    reply = ask(response_format=schema_format(NESTED))
    cut = reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "length"
    assert 0 < len(cut) < len(full) and full.startswith(cut)
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut)


@pytest.mark.timeout(30)
def test_drop_is_a_connection_error_and_the_client_recovers(ask: Ask, server: LLMServer) -> None:
    ask()  # an open keep-alive connection for the sync client to reuse
    server.script(Fault.drop())
    # The aiohttp transport reports any lost connection as a connect timeout, so openai raises
    # APITimeoutError there, a subclass of APIConnectionError.
    with pytest.raises(openai.APIConnectionError):
        ask()
    assert ask().choices[0].message.content == SAMPLE_TEXT
    assert server.outcomes == ["ok", "drop", "ok"]


@pytest.mark.parametrize(("status", "error"), [(400, openai.BadRequestError),
                                               (422, openai.UnprocessableEntityError)])
def test_bad_request(ask: Ask, server: LLMServer, status: int, error: type[openai.APIStatusError]) -> None:
    server.script(Fault.bad_request(status))
    with pytest.raises(error) as caught:
        ask()
    assert caught.value.status_code == status and caught.value.type == "invalid_request_error"


def test_no_json_schema_fault_waits_for_a_json_schema_request(ask: Ask, server: LLMServer) -> None:
    server.script(Fault.no_json_schema())
    assert ask(response_format={"type": "json_object"}).choices[0].message.content  # not consumed
    assert server.pending_faults == 1
    with pytest.raises(openai.BadRequestError) as caught:
        ask(response_format=schema_format(NESTED))
    err = caught.value
    assert (err.param, err.type) == ("response_format", "invalid_request_error")
    assert err.body == {"message": NO_JSON_SCHEMA_MESSAGE, "type": "invalid_request_error",
                        "param": "response_format", "code": None}
    assert validates(NESTED, json.loads(ask(response_format=schema_format(NESTED)).choices[0].message.content))


def test_server_without_json_schema_support(ask: Ask, server: LLMServer) -> None:
    server.json_schema_supported = False
    for _ in range(2):
        with pytest.raises(openai.BadRequestError) as caught:
            ask(response_format=schema_format(NESTED))
        assert caught.value.param == "response_format"
    assert json.loads(ask(response_format={"type": "json_object"}).choices[0].message.content)
    assert ask().choices[0].message.content == SAMPLE_TEXT
    assert server.outcomes == ["no_json_schema", "no_json_schema", "ok", "ok"]


def test_unknown_fault_kind() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("explode")


# ---------------------------------------------------------------- scripting and bookkeeping


def test_script_when_only_hits_matching_requests_in_order(client: openai.OpenAI, server: LLMServer) -> None:
    def is_b(body: dict) -> bool:
        return body["messages"][-1]["content"] == "b"

    server.script(Fault.server_error(502), Fault.server_error(503), when=is_b)
    server.script(Fault.bad_request())

    def send(text: str) -> str:
        try:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": text}])
        except openai.APIStatusError as err:
            return str(err.status_code)
        return "ok"

    assert [send(t) for t in ["b", "a", "a", "b", "b", "a"]] == ["502", "400", "ok", "503", "ok", "ok"]
    assert server.outcomes == ["server_error", "bad_request", "ok", "server_error", "ok", "ok"]
    assert server.pending_faults == 0


def test_counters_count_every_attempt_including_client_retries(server: LLMServer) -> None:
    server.script(Fault.rate_limit(retry_after=0.01), Fault.server_error(503, retry_after=0.01))
    with openai.OpenAI(base_url=server.url, api_key=API_KEY, max_retries=2, timeout=10) as c:
        assert c.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content == SAMPLE_TEXT
    assert server.requests == 3 and len(server.bodies) == 3
    assert server.outcomes == ["rate_limit", "server_error", "ok"]


def test_headers_keep_alive_and_reset(client: openai.OpenAI, server: LLMServer) -> None:
    for _ in range(4):
        client.chat.completions.create(model="m", messages=MESSAGES)
    headers = server.headers
    assert all(h["Authorization"] == f"Bearer {API_KEY}" for h in headers)
    assert headers[0]["authorization"] == headers[0].get("AUTHORIZATION") and "Authorization" in headers[0]
    assert API_KEY not in json.dumps(server.bodies)
    assert len(set(server.peers)) == 1  # one connection, reused
    server.script(Fault.drop())
    server.reset()
    assert (server.requests, server.bodies, server.headers, server.peers, server.outcomes) == (0, [], [], [], [])
    assert server.pending_faults == 0
    client.chat.completions.create(model="m", messages=MESSAGES)
    assert server.requests == 1 and server.outcomes == ["ok"]


def http_post(url: str, data: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


@pytest.mark.parametrize("data", [b"not json", b"[1, 2]", b'{"model": "m"}', b'{"messages": []}',
                                  b'{"model": "m", "messages": [], "stream": true}'])
def test_invalid_requests_are_400_and_counted(server: LLMServer, data: bytes) -> None:
    server.script(Fault.drop())
    status, body = http_post(server.url + "/chat/completions", data)
    assert status == 400 and body["error"]["type"] == "invalid_request_error"
    assert server.requests == 1 and server.outcomes == ["invalid"] and server.pending_faults == 1


def test_latency_is_added_to_answers(ask: Ask, server: LLMServer) -> None:
    server.latency = 0.3
    ask()
    assert server.waits == [0.3]


@pytest.mark.timeout(60)
def test_many_concurrent_async_requests() -> None:
    count, latency = 200, 0.05
    with LLMServer(latency=latency) as srv:
        async def main() -> list[Any]:
            async with async_client(srv.url) as c:
                return await asyncio.gather(*[
                    c.chat.completions.create(model="m", messages=[{"role": "user", "content": f"q{i}"}],
                                              response_format=schema_format(NESTED))
                    for i in range(count)])

        replies = asyncio.run(main())
        assert srv.requests == count and srv.outcomes == ["ok"] * count
        assert srv.max_in_flight > 1  # answered side by side, not one after another
    assert all(validates(NESTED, json.loads(r.choices[0].message.content)) for r in replies)


# ---------------------------------------------------------------- lifecycle


@pytest.mark.timeout(30)
def test_stop_ends_in_flight_requests(server: LLMServer) -> None:
    server.script(Fault.slow(20.0))
    errors: list[BaseException] = []

    def call() -> None:
        with openai.OpenAI(base_url=server.url, api_key=API_KEY, max_retries=0, timeout=25) as c:
            try:
                c.chat.completions.create(model="m", messages=MESSAGES)
            except openai.APIError as err:
                errors.append(err)

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 5
    while server.requests == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.stop()
    thread.join(10)  # a guard against a hang, not a measure
    assert not thread.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], openai.APIConnectionError)


def test_port_in_use_fails_at_start(server: LLMServer) -> None:
    with pytest.raises(OSError):
        LLMServer(port=server.port).start()


def test_fixed_port_and_restart() -> None:
    first = LLMServer().start()
    port = first.port
    first.stop()
    with LLMServer(port=port) as again, openai.OpenAI(base_url=again.url, api_key=API_KEY, max_retries=0) as c:
        assert again.url == f"http://127.0.0.1:{port}/v1"
        assert c.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content == SAMPLE_TEXT


@pytest.mark.timeout(60)
@pytest.mark.parametrize("unsupported", [False, True], ids=["json-schema", "json-schema-unsupported"])
def test_command_line(unsupported: bool) -> None:
    command = [sys.executable, "-m", "tests.support.llm_server", "--port", "0", "--latency", "0.01"]
    if unsupported:
        command.append("--json-schema-unsupported")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as process:
        try:
            assert process.stdout is not None and process.stderr is not None
            line = process.stdout.readline().strip()
            assert line.startswith("READY http://127.0.0.1:") and line.endswith("/v1"), line
            url = line.split()[1]
            with openai.OpenAI(base_url=url, api_key=API_KEY, max_retries=0, timeout=10) as c:
                reply = c.chat.completions.create(model="m", messages=MESSAGES)
                assert reply.choices[0].message.content == SAMPLE_TEXT
                if unsupported:
                    with pytest.raises(openai.BadRequestError):
                        c.chat.completions.create(model="m", messages=MESSAGES, response_format=schema_format(NESTED))
                else:
                    reply = c.chat.completions.create(model="m", messages=MESSAGES,
                                                      response_format=schema_format(NESTED))
                    assert validates(NESTED, json.loads(reply.choices[0].message.content or ""))
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
            assert process.stderr.read() == ""
        finally:
            if process.poll() is None:
                process.kill()


@pytest.mark.timeout(60)
def test_command_line_faults_and_thoughts_answers() -> None:
    command = [sys.executable, "-m", "tests.support.llm_server", "--port", "0", "--answers", "thoughts",
               "--fault", "server_error:503*2", "--fault", "rate_limit:0.1"]
    with subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                          text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().split()[1]
            plan = [{"role": "system", "content": "Plan."}, {"role": "user", "content": "Write the plan for: x"}]
            with openai.OpenAI(base_url=url, api_key=API_KEY, max_retries=0, timeout=10) as c:
                for error in (openai.InternalServerError, openai.InternalServerError, openai.RateLimitError):
                    with pytest.raises(error):
                        c.chat.completions.create(model="m", messages=plan)
                reply = c.chat.completions.create(model="m", messages=plan)
            assert json.loads(reply.choices[0].message.content or "")["steps"]
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_fault_specs() -> None:
    import argparse

    from tests.support.llm_server import parse_fault

    assert [f.kind for f in parse_fault("drop*3")] == ["drop"] * 3
    assert parse_fault("slow:0.5")[0].delay == 0.5 and parse_fault("server_error:502")[0].status == 502
    with pytest.raises(argparse.ArgumentTypeError, match="unknown fault"):
        parse_fault("explode")
