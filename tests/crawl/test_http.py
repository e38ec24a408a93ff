"""The crawler's HTTP client against the fake sites: the allow-list, robots.txt, the User-Agent, the rate
limit and the retries. Waits are asked of an injected ``sleep`` that records them, so no test waits
for real and none measures time."""

from __future__ import annotations

import random

import pytest

from tests.support.sites import OFF_LIST, FakeShortcut, FakeSites
from workflowbench.crawl import routinehub
from workflowbench.crawl.errors import HttpStatus, OffList, RobotsDisallowed, TooLarge
from workflowbench.crawl.http import AllowList, Client, Limiter, Politeness, retry_after, user_agent


def client(sites: FakeSites, waits: list[float], **polite: float) -> Client:
    hosts = AllowList([sites.routinehub_url.split("//")[1], sites.icloud_url.split("//")[1], sites.content_host])
    return Client(hosts, Politeness(**{"delay": 0.0, "jitter": 0.0, "backoff": 0.01, **polite}),
                  sleep=waits.append)


def test_allow_list_hosts_ports_and_wildcards() -> None:
    allow = AllowList(["routinehub.co", "www.icloud.com", "*.icloud-content.com", "127.0.0.1:8080"])
    assert allow.allows("https://routinehub.co/shortcut/1/")
    assert allow.allows("https://cvws.icloud-content.com/B/x/${f}")
    assert allow.allows("http://127.0.0.1:8080/x")
    assert not allow.allows("http://127.0.0.1:8081/x")  # another port is another host
    assert not allow.allows("https://icloud-content.com.evil.example/B/x")
    assert not allow.allows("https://evilrouting hub.co/")
    assert not allow.allows("ftp://routinehub.co/x") and not allow.allows("routinehub.co/x")
    with pytest.raises(OffList, match="not in the allow-list"):
        allow.check("https://example.com/")


def test_retry_after_seconds_and_dates() -> None:
    assert retry_after("1") == 1.0 and retry_after(" 2.5 ") == 2.5 and retry_after("-3") == 0.0
    assert retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert retry_after(None) is None and retry_after("soon") is None


def test_limiter_spaces_requests_with_jitter_and_crawl_delay() -> None:
    now = [100.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    limiter = Limiter(1.5, 1.0, lambda: now[0], sleep, random.Random(7))
    for _ in range(5):
        limiter.wait("routinehub.co")
    assert len(waits) == 4 and all(1.5 <= w <= 2.5 for w in waits) and len(set(waits)) == 4
    waits.clear()
    limiter.wait("slow.example", crawl_delay=10.0)  # a host's Crawl-delay is longer than the global delay
    limiter.wait("slow.example", crawl_delay=10.0)
    assert waits[-1] == pytest.approx(10.0)


def test_user_agent_robots_and_redirects(examples: list[FakeShortcut]) -> None:
    blocked = examples[0].sid
    with FakeSites(examples, disallow=(f"/shortcut/{blocked}/",)) as sites:
        waits: list[float] = []
        with client(sites, waits) as http:
            ok = http.get(routinehub.shortcut_url(sites.routinehub_url, examples[1].sid))
            assert ok.status == 200 and "<h3" in ok.text()
            with pytest.raises(RobotsDisallowed) as refused:
                http.get(routinehub.shortcut_url(sites.routinehub_url, blocked))
            assert refused.value.reason == "robots-disallowed" and str(blocked) in refused.value.url
            sites.fault("page", examples[2].sid, "redirect")
            with pytest.raises(OffList) as off:
                http.get(routinehub.shortcut_url(sites.routinehub_url, examples[2].sid))
            assert off.value.reason == "off-list-redirect" and OFF_LIST in off.value.detail
            with pytest.raises(OffList):
                http.get("https://routinehub.co/shortcut/1/")  # the real site is not on this list
        assert sites.hits[("page", blocked)] == 0  # robots.txt said no: never asked
        assert sites.agents == {user_agent()} and "workflowbench" in user_agent()
        assert "contact: ops@example.org" in user_agent("ops@example.org")


def test_retries_honour_retry_after_and_back_off(examples: list[FakeShortcut]) -> None:
    s = examples[0]
    with FakeSites(examples) as sites:
        url = routinehub.api_url(sites.routinehub_url, s.sid)
        waits: list[float] = []
        with client(sites, waits) as http:
            sites.fault("api", s.sid, "429")
            assert http.get(url).status == 200
            assert waits == [1.0]  # what Retry-After asked
            waits.clear()
            sites.fault("api", s.sid, "503", times=2)
            assert http.get(url).status == 200 and len(waits) == 2 and waits[1] > waits[0]  # exponential
            waits.clear()
            sites.fault("api", s.sid, "502", times=None)
            with pytest.raises(HttpStatus) as failed:
                http.get(url)
            assert failed.value.reason == "http-502" and "after 4 attempts" in failed.value.detail
            assert len(waits) == 3
        with client(sites, waits, max_wait=0.25) as http:  # a long Retry-After is capped
            sites.faults.clear()
            sites.fault("api", s.sid, "429")
            waits.clear()
            assert http.get(url).status == 200 and waits == [0.25]


def test_size_limit(examples: list[FakeShortcut]) -> None:
    big = max(examples, key=lambda s: len(s.data))
    with FakeSites(examples) as sites:
        with client(sites, [], max_bytes=1024) as http:
            record = http.get(f"{sites.icloud_url}/shortcuts/api/records/{big.rid}")
            url = record.text().split('"downloadURL": "')[1].split('"')[0].replace("${f}", "x.shortcut")
            with pytest.raises(TooLarge, match=r"limit of 1,024 bytes|the limit 1,024"):
                http.get(url)
