"""The crawler's HTTP client: one request at a time, politely.

Every request goes through ``Client.get``, which checks the host against the allow-list (redirects
are followed by hand, each hop checked, so a redirect off the list is refused before it is
requested), asks the host's robots.txt, waits for the rate limit (one request per ``delay`` seconds
across all hosts, plus up to ``jitter`` at random, and a host's ``Crawl-delay`` if longer), sends a
User-Agent that names the project, and reads at most ``max_bytes``. 429, 5xx, timeouts and dropped
or cut-short connections are tried again, up to ``attempts`` in all, waiting what ``Retry-After``
asks (capped at ``max_wait``) or an exponential back-off. Proxies from the environment are not used:
a proxy would be a host outside the allow-list.

``sleep`` and ``clock`` are injectable so tests can run at full speed and see each wait asked for.
"""

from __future__ import annotations

import email.utils
import fnmatch
import random
import time
import urllib.robotparser
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field

from ..pause import pause_point
from .errors import CrawlError, HttpStatus, OffList, RobotsDisallowed, TooLarge, Truncated, Unreachable

MiB = 1024 * 1024
MAX_REDIRECTS = 5


class Politeness(BaseModel):
    """How hard the crawler may push. The defaults are for the real sites; tests set ``delay`` to 0."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    delay: float = Field(1.5, ge=0, le=3600)  # seconds between two requests, all hosts together
    jitter: float = Field(1.0, ge=0, le=3600)  # plus up to this many seconds, at random
    timeout: float = Field(30.0, gt=0, le=600)  # per request (connecting: at most 10 s)
    max_bytes: int = Field(20 * MiB, ge=1024, le=1024 * MiB)  # largest answer read
    attempts: int = Field(4, ge=1, le=20)  # tries per request for 429, 5xx, timeouts, dropped connections
    backoff: float = Field(2.0, ge=0, le=600)  # first back-off wait, doubled on each retry
    max_wait: float = Field(120.0, ge=0, le=86_400)  # longest single wait, Retry-After included
    contact: str | None = Field(None, max_length=200)  # an e-mail or URL for site operators, in the User-Agent


def user_agent(contact: str | None = None) -> str:
    try:
        version = metadata.version("workflowbench")
    except metadata.PackageNotFoundError:
        version = "0"
    about = "research crawler collecting public Apple Shortcuts for the workflowbench dataset; about 1 request/1.5 s"
    return f"workflowbench-crawler/{version} ({about}{'; contact: ' + contact if contact else ''})"


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int
    headers: httpx.Headers
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class AllowList:
    """Hosts the crawler may talk to: ``host`` or ``host:port`` entries, ``*.domain`` for any subdomain.
    A URL without an explicit port matches an entry without one."""

    def __init__(self, hosts: Iterable[str]) -> None:
        self.hosts = tuple(sorted({h.lower() for h in hosts if h}))

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        host = parts.hostname.lower()
        try:
            port = parts.port
        except ValueError:
            return False
        name = f"{host}:{port}" if port is not None else host
        return any(fnmatch.fnmatchcase(name, entry) if "*" in entry else name == entry for entry in self.hosts)

    def check(self, url: str, origin: str | None = None) -> None:
        if not self.allows(url):
            if origin is None:
                raise OffList(url, f"host not in the allow-list ({', '.join(self.hosts)})")
            raise OffList(origin, f"redirected to {url}, a host not in the allow-list", reason="off-list-redirect")


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.lower()


class Limiter:
    """One request per ``delay`` (+ jitter) seconds across all hosts; a host's Crawl-delay on top."""

    def __init__(self, delay: float, jitter: float, clock: Callable[[], float], sleep: Callable[[float], None],
                 rng: random.Random) -> None:
        self.delay, self.jitter, self.clock, self.sleep, self.rng = delay, jitter, clock, sleep, rng
        self.next_any = 0.0
        self.next_host: dict[str, float] = {}

    def wait(self, host: str, crawl_delay: float = 0.0) -> None:
        due = max(self.next_any, self.next_host.get(host, 0.0))
        now = self.clock()
        if due > now:
            self.sleep(due - now)
            now = max(now, due)
        self.next_any = now + self.delay + (self.rng.random() * self.jitter if self.jitter else 0.0)
        if crawl_delay:
            self.next_host[host] = now + crawl_delay


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


class Client:
    def __init__(self, allow: AllowList, polite: Politeness, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, rng: random.Random | None = None,
                 log: Callable[[str], None] | None = None) -> None:
        self.allow = allow
        self.polite = polite
        self.sleep = sleep
        self.limiter = Limiter(polite.delay, polite.jitter, clock, sleep, rng or random.Random())
        self.rng = rng or random.Random()
        self.log = log or (lambda _: None)
        self.requests = 0  # HTTP requests sent, robots.txt included
        self.waits: list[float] = []  # retry waits asked for (Retry-After or back-off), for the record
        self.robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self.agent = user_agent(polite.contact)
        self._http = httpx.Client(
            timeout=httpx.Timeout(polite.timeout, connect=min(10.0, polite.timeout)), follow_redirects=False,
            trust_env=False, headers={"User-Agent": self.agent, "Accept-Encoding": "gzip, deflate"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, *, what: str = "", max_bytes: int | None = None) -> Response:
        """GET ``url`` (see the module docstring). Returns the final answer whatever its status, except
        that 429 and 5xx answers are retried and, when they persist, raised as ``HttpStatus``. ``what``
        names the request for the pause point ``crawl-request:<what>`` (reached before it is sent)."""
        self.allow.check(url)
        self._robots_check(url)
        return self._with_retries(url, max_bytes or self.polite.max_bytes, robots=True, what=what)

    def _with_retries(self, url: str, limit: int, robots: bool, what: str = "") -> Response:
        last: CrawlError | None = None
        for attempt in range(self.polite.attempts):
            if attempt:
                self._back_off(url, attempt, last)
            try:
                response = self._follow(url, limit, robots, what)
            except CrawlError as exc:
                if not exc.retryable:
                    raise
                last = exc
                continue
            if response.status == 429 or response.status >= 500:
                last = HttpStatus(url, response.status, after=retry_after(response.headers.get("retry-after")))
                continue
            return response
        assert last is not None
        if isinstance(last, HttpStatus):
            raise HttpStatus(url, last.status, f"HTTP {last.status} after {self.polite.attempts} attempts")
        raise type(last)(last.url, f"{last.detail} (after {self.polite.attempts} attempts)", reason=last.reason)

    def _back_off(self, url: str, attempt: int, last: CrawlError | None) -> None:
        asked = last.after if isinstance(last, HttpStatus) else None
        if asked is None:
            asked = self.polite.backoff * 2 ** (attempt - 1) * (1 + self.rng.random() / 2)
        wait = min(asked, self.polite.max_wait)
        self.waits.append(wait)
        self.log(f"{url}: {last.reason if last else 'error'}; trying again in {wait:.1f} s")
        if wait > 0:
            self.sleep(wait)

    def _follow(self, url: str, limit: int, robots: bool, what: str) -> Response:
        """One request and the redirects it leads to, each hop on the allow-list (and allowed by robots)."""
        origin = url
        for _ in range(MAX_REDIRECTS + 1):
            response = self._once(url, limit, what)
            if response.status not in (301, 302, 303, 307, 308) or "location" not in response.headers:
                return response
            target = urljoin(url, response.headers["location"])
            self.allow.check(target, origin)
            if robots:
                self._robots_check(target)
            url = target
        raise CrawlError(origin, f"more than {MAX_REDIRECTS} redirects", reason="too-many-redirects")

    def _once(self, url: str, limit: int, what: str) -> Response:
        host = host_of(url)
        self.limiter.wait(host, self._crawl_delay(host))
        pause_point(f"crawl-request:{what or 'other'}")
        self.requests += 1
        try:
            with self._http.stream("GET", url) as r:
                size = r.headers.get("content-length", "")
                if size.isdigit() and int(size) > limit:
                    raise TooLarge(url, f"the answer is {int(size):,} bytes, the limit {limit:,}")
                body = bytearray()
                for chunk in r.iter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise TooLarge(url, f"the answer is over the limit of {limit:,} bytes")
                return Response(str(r.url), r.status_code, r.headers, bytes(body))
        except httpx.RemoteProtocolError as exc:  # closed before the announced length, or mid-headers
            raise Truncated(url, f"the connection closed early: {exc}") from None
        except httpx.TimeoutException:
            raise Unreachable(url, f"no answer within {self.polite.timeout:g} s", reason="timeout") from None
        except httpx.TransportError as exc:
            raise Unreachable(url, f"{type(exc).__name__}: {exc}".rstrip(": ")) from None

    # --- robots.txt -------------------------------------------------------------------------------

    def _robots(self, url: str) -> urllib.robotparser.RobotFileParser:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        parser = self.robots.get(origin)
        if parser is None:
            parser = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
            try:
                answer = self._with_retries(origin + "/robots.txt", 512 * 1024, robots=False, what="robots")
            except CrawlError as exc:  # unreachable robots.txt: assume nothing is allowed (RFC 9309 2.3.1.4)
                self.log(f"{origin}/robots.txt: {exc.reason}: crawling nothing there")
                parser.disallow_all = True
            else:
                if answer.status in (401, 403):
                    parser.disallow_all = True
                elif answer.status >= 400:  # no robots.txt: everything is allowed
                    parser.allow_all = True
                else:
                    parser.parse(answer.text().splitlines())
            self.robots[origin] = parser
        return parser

    def _robots_check(self, url: str) -> None:
        if not self._robots(url).can_fetch(self.agent, url):
            raise RobotsDisallowed(url, "robots.txt of the host does not allow this URL for this crawler")

    def _crawl_delay(self, host: str) -> float:
        for origin, parser in self.robots.items():
            if host_of(origin) == host:
                delay = parser.crawl_delay(self.agent)
                return float(delay) if delay else 0.0
        return 0.0
