"""The LLM layer against the project's OpenAI-compatible test server on 127.0.0.1, through the real
`openai` client: retries, Retry-After, repair turns, recorded failures, JSON-mode fallback, the
limiter, and the cache (a rerun sends nothing)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.llm_server import Fault, LLMServer
from workflowbench import warehouse as wh
from workflowbench.llm import LLMConfig, Request, run
from workflowbench.llm.cache import WarehouseCache
from workflowbench.llm.client import MemoryCache, key_of, retry_after
from workflowbench.llm.config import resolve
from workflowbench.llm.fingerprint import fingerprint
from workflowbench.llm.limiter import Limiter, TokenBucket
from workflowbench.llm.prompts import load

SCHEMA = {"type": "object", "properties": {"answer": {"type": "string", "minLength": 1},
                                           "n": {"type": "integer", "minimum": 0}},
          "required": ["answer", "n"], "additionalProperties": False}
pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with LLMServer() as s:
        yield s


def config(server: LLMServer, **kw: Any) -> LLMConfig:
    base: dict[str, Any] = {"timeout": 2.0, "attempts": 4, "max_wait": 2.0, "concurrency": 8}
    return LLMConfig(server.url, "test-model", **(base | kw))


def req(text: str = "hello", check: Any = None, schema: dict | None = SCHEMA) -> Request:
    return Request("test", "probe", "probe-v1", [{"role": "user", "content": text}], schema, check)


def test_answer_is_validated_and_recorded(server: LLMServer) -> None:
    [a] = run([req()], config(server, price_in=1.0, price_out=2.0))
    assert a.status == "ok" and not a.cached
    assert set(a.data) == {"answer", "n"}
    row = a.row
    assert row is not None and row["status"] == "ok" and row["attempts"] == 1 and row["repairs"] == 0
    assert row["tokens_in"] > 0 and row["tokens_out"] > 0
    assert row["cost"] == pytest.approx((row["tokens_in"] + 2 * row["tokens_out"]) / 1e6)
    assert row["json_mode"] == "json_schema" and json.loads(row["response"]) == a.data
    body = server.bodies[0]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == SCHEMA


def test_rerun_hits_the_cache_with_zero_requests(server: LLMServer) -> None:
    cache = MemoryCache()
    first = run([req(f"q{i}") for i in range(20)], config(server), cache)
    cache.add(a.row for a in first if a.row)
    sent = server.requests
    assert sent == 20
    again = run([req(f"q{i}") for i in range(20)], config(server), cache)
    assert server.requests == sent
    assert all(a.cached and a.row is None for a in again)
    assert [a.data for a in again] == [a.data for a in first]


def test_rate_limit_honours_retry_after(server: LLMServer) -> None:
    server.script(Fault.rate_limit(retry_after=0.6))
    [a] = run([req()], config(server))
    assert a.status == "ok" and a.row and a.row["attempts"] == 2
    assert a.backoff == pytest.approx(0.6)  # waited as told, not the default back-off
    assert server.requests == 2


def test_server_errors_timeouts_and_drops_are_retried(server: LLMServer) -> None:
    server.script(Fault.server_error(500), Fault.server_error(503), Fault.slow(5.0))
    [a] = run([req()], config(server, timeout=0.5, attempts=5))
    assert a.status == "ok" and a.row and a.row["attempts"] == 4
    server.reset()
    server.script(Fault.drop())
    [b] = run([req("other")], config(server))
    assert b.status == "ok" and b.row and b.row["attempts"] == 2


def test_persistent_errors_become_recorded_failures(server: LLMServer) -> None:
    server.script(*[Fault.server_error(500)] * 3)
    [a] = run([req()], config(server, attempts=3))
    assert a.status == "failed" and a.data is None
    assert a.error is not None and a.error.startswith("http 500")
    assert a.row and a.row["status"] == "failed" and a.row["attempts"] == 3 and a.row["response"] is None
    assert server.requests == 3


def test_bad_request_is_not_retried(server: LLMServer) -> None:
    server.script(Fault.bad_request(400))
    [a] = run([req()], config(server))
    assert a.status == "failed" and a.error is not None and a.error.startswith("http 400")
    assert server.requests == 1


@pytest.mark.parametrize("fault,reason", [(Fault.malformed_json, "invalid-json"), (Fault.schema_break, "schema"),
                                          (Fault.truncated, "truncated")])
def test_unusable_answer_gets_one_repair_turn(server: LLMServer, fault: Any, reason: str) -> None:
    server.script(fault())
    [a] = run([req()], config(server))
    assert a.status == "ok" and a.row and a.row["repairs"] == 1
    repair = server.bodies[1]["messages"]
    assert repair[-2]["role"] == "assistant" and reason in repair[-1]["content"]
    server.reset()
    server.script(fault(), fault())
    [b] = run([req("again")], config(server))
    assert b.status == "failed" and b.error is not None and b.error.startswith(reason)
    assert server.requests == 2


def test_caller_check_failure_is_unknown_not_success(server: LLMServer) -> None:
    [a] = run([req(check=lambda data: "never good enough")], config(server, repairs=2))
    assert a.status == "failed" and a.error == "check: never good enough" and a.data is None
    assert server.requests == 3


def test_server_without_json_schema_falls_back_to_json_mode() -> None:
    answer = {"answer": "fine", "n": 3}
    with LLMServer(json_schema_supported=False, answer=lambda body: answer) as server:
        answers = run([req(f"q{i}") for i in range(3)], config(server, concurrency=1))
        assert [a.data for a in answers] == [answer] * 3
        assert all(a.row and a.row["json_mode"] == "json_object" for a in answers)
        formats = [b.get("response_format", {}).get("type") for b in server.bodies]
        assert formats[0] == "json_schema" and formats[1:] == ["json_object"] * 3
        assert "JSON Schema" in server.bodies[-1]["messages"][0]["content"]


def test_api_key_is_sent_but_never_recorded(server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-123")
    [a] = run([req()], config(server))
    assert server.headers[0].get("Authorization") == "Bearer sk-test-secret-123"
    assert "sk-test-secret" not in json.dumps(a.row, default=str)
    cfg = resolve(server.url, "m")
    assert cfg is not None and "sk-test-secret" not in cfg.model_dump_json()


def test_many_requests_with_mixed_faults_never_raise(server: LLMServer) -> None:
    server.script(Fault.rate_limit(retry_after=0.1), Fault.server_error(502), Fault.drop(), Fault.malformed_json(),
                  Fault.schema_break(), Fault.truncated(), Fault.bad_request(400))
    answers = run([req(f"m{i}") for i in range(60)], config(server, concurrency=16))
    assert len(answers) == 60
    failed = [a for a in answers if a.status != "ok"]
    assert len(failed) == 1 and failed[0].error and failed[0].error.startswith("http 400")
    assert server.requests == 60 + 6


def test_warehouse_cache_reads_llm_calls_shards(server: LLMServer, tmp_path: Path) -> None:
    target = tmp_path / "wh.duckdb"
    cfg = config(server)
    answers = run([req("a"), req("b", schema=None)], cfg)
    wh.write_shard(target, "llm-x", {"llm_calls": [a.row for a in answers if a.row]})
    cache = WarehouseCache(target)
    got = cache.get_many([key_of(cfg, req("a")), key_of(cfg, req("b", schema=None)), "missing"])
    assert len(got) == 2
    sent = server.requests
    again = run([req("a"), req("b", schema=None)], cfg, cache)
    assert server.requests == sent and [a.data for a in again] == [a.data for a in answers]
    counts = wh.publish(target).counts
    assert counts["llm_calls"] == 2


def test_fingerprint_covers_what_shapes_an_answer() -> None:
    msgs = [{"role": "user", "content": "x"}]
    base = fingerprint("m", msgs, SCHEMA, {"temperature": 0.2}, "v1")
    assert base == fingerprint("m", [dict(m) for m in msgs], dict(SCHEMA), {"temperature": 0.2}, "v1")
    for other in (fingerprint("m2", msgs, SCHEMA, {"temperature": 0.2}, "v1"),
                  fingerprint("m", [{"role": "user", "content": "y"}], SCHEMA, {"temperature": 0.2}, "v1"),
                  fingerprint("m", msgs, None, {"temperature": 0.2}, "v1"),
                  fingerprint("m", msgs, SCHEMA, {"temperature": 0.3}, "v1"),
                  fingerprint("m", msgs, SCHEMA, {"temperature": 0.2}, "v2")):
        assert other != base


def test_prompts_are_versioned_files() -> None:
    for name in ("comments", "plan", "query"):
        p = load(name)
        assert p.version.startswith(name + "-") and p.schema["type"] == "object"
        assert "$" not in "".join(m["content"] for m in p.messages(name="n", apis="a", code="c", lines="1",
                                                                   part="", apps="x", plan="p"))


def test_retry_after_forms() -> None:
    class R:
        def __init__(self, headers: dict[str, str]) -> None:
            self.headers = headers

    class E(Exception):
        def __init__(self, headers: dict[str, str]) -> None:
            self.response = R(headers)

    assert retry_after(E({"retry-after": "2"})) == 2.0
    assert retry_after(E({"retry-after-ms": "250"})) == 0.25
    assert retry_after(E({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after(E({"retry-after": "soon"})) is None
    assert retry_after(E({})) is None and retry_after(None) is None


class VirtualClock:
    """Time that passes only when the code under test sleeps: rate limits checked without a wall clock."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 1e-9)  # a real clock always moves on; float sums might not
        await asyncio.sleep(0)


def test_limiter_bounds_concurrency_and_rate() -> None:
    clock = VirtualClock()

    async def go() -> int:
        limiter = Limiter(concurrency=3, requests_per_minute=600, clock=clock, sleep=clock.sleep)  # 10/s, bursts of 10
        inside = peak = 0

        async def one() -> None:
            nonlocal inside, peak
            async with limiter.slot(10):
                inside += 1
                peak = max(peak, inside)
                await asyncio.sleep(0.01)
                inside -= 1

        await asyncio.gather(*(one() for _ in range(25)))
        return peak

    assert asyncio.run(go()) == 3
    assert clock.now == pytest.approx(1.5)  # 25 requests at 10/s after a burst of 10

    tokens = VirtualClock()

    async def take() -> None:
        bucket = TokenBucket(rate=1000, capacity=1000, clock=tokens, sleep=tokens.sleep)
        for _ in range(3):
            await bucket.take(1000)

    asyncio.run(take())
    assert tokens.now == pytest.approx(2.0)


def test_network_failures_are_named_for_what_they_are(server: LLMServer) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    one = {"attempts": 1, "timeout": 0.5}
    [refused] = run([req("r")], LLMConfig(f"http://127.0.0.1:{port}/v1", "m", **one))
    server.script(Fault.drop(), Fault.slow(3.0))
    [dropped] = run([req("d")], config(server, **one))
    [slow] = run([req("s")], config(server, **one))
    assert refused.error is not None and refused.error.startswith("connection refused")
    assert dropped.error is not None and dropped.error.startswith("connection dropped")
    assert slow.error == "timeout"


def test_concurrency_holds_for_the_process_across_threads() -> None:
    """Batches run in worker threads side by side; the endpoint's concurrency is the process's,
    not each batch's."""
    from concurrent.futures import ThreadPoolExecutor
    with LLMServer(latency=0.05) as server:
        cfg = config(server, concurrency=3)
        with ThreadPoolExecutor(4) as pool:
            batches = list(pool.map(lambda b: run([req(f"t{b}-{i}") for i in range(6)], cfg), range(4)))
        assert [len(b) for b in batches] == [6] * 4 and all(a.status == "ok" for b in batches for a in b)
        assert server.requests == 24 and 1 < server.max_in_flight <= 3
