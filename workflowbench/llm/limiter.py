"""An in-process limiter: requests per minute, tokens per minute (token buckets) and requests in
flight (a semaphore). Prefect's concurrency limits cost a server round trip per call; this costs
a few microseconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """``rate`` units per second, bursts up to ``capacity``; a rate of 0 means no limit."""

    def __init__(self, rate: float, capacity: float | None = None, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.rate = rate
        self.capacity = capacity if capacity is not None else max(rate, 1.0)
        self.clock, self.sleep = clock, sleep  # replaceable, so a test can run on a clock it controls
        self.level = self.capacity
        self.stamp = clock()
        self.lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self.clock()
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    async def take(self, amount: float) -> None:
        if self.rate <= 0:
            return
        amount = min(amount, self.capacity)  # a request larger than a burst waits for a full bucket
        async with self.lock:  # FIFO: a big request is not starved by small ones
            self._refill()
            while self.level < amount:
                await self.sleep((amount - self.level) / self.rate)
                self._refill()
            self.level -= amount

    def give_back(self, amount: float) -> None:
        """Return an over-estimate (tokens are estimated before a call, known after it)."""
        if self.rate > 0:
            self.level = min(self.capacity, self.level + amount)


class Limiter:
    def __init__(self, concurrency: int, requests_per_minute: float = 0.0, tokens_per_minute: float = 0.0,
                 clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self.slots = asyncio.Semaphore(max(1, concurrency))
        # Buckets hold one second's worth (at least one request) so a start does not burst a minute's budget.
        self.requests = TokenBucket(requests_per_minute / 60, max(1.0, requests_per_minute / 60), clock, sleep)
        self.tokens = TokenBucket(tokens_per_minute / 60, max(1.0, tokens_per_minute / 6), clock, sleep)  # 10 s

    @asynccontextmanager
    async def slot(self, tokens: int) -> AsyncIterator[None]:
        await self.requests.take(1)
        await self.tokens.take(tokens)
        async with self.slots:
            yield
