"""Platform send limits, kept across the whole fan-out of one process (token buckets).

The defaults are Telegram's: 30 messages/s overall (with a 4% margin), evenly spaced; 1 message/s per chat (a
burst of three, so one turn's answer confirmation and next question go out together);
20 messages/minute per group. Slack uses the same buckets at about 1 message/s per channel.
A send reserves its chat's slot before it waits, so concurrent senders never overrun a limit; the overall
pace lets one send through at a time, each at least 1/rate after the one before it actually left.

Several processes sending for one bot (`kartoitus run` scaled out, a cron `kartoitus tick`) each
keep a share of the limits a fan-out can hit from everywhere at once: the overall rate and each
group's. The processes are not in step, so evenly spaced sends of each can meet in one second:
a process sending r (a whole number) a second puts at most r + 1 into any second (one request
leaving late), so each of N processes keeps to floor(limit / N) − 1 a second, and N of them stay
within floor(limit / N) · N ≤ the limit (2 processes: 13/s each of Telegram's 28.8). A group gets
1/N of its per-minute rate. A private chat keeps its whole pace in every process: one person's
turns follow each other (they read the reply before they answer), so two processes do not feed one
chat at once, and dividing it would make every turn's reply arrive in pieces.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    capacity: float
    per_second: float
    tokens: float
    updated: float

    def reserve(self, now: float) -> float:
        """Take one token; returns how long to wait before it may be used."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.per_second


# Telegram allows 30/s; slots are reserved evenly, but a request can leave a little after its slot
# and the next one on time, which would put 31 in some one-second window. A 4% margin absorbs that,
# even on a busy machine.
TELEGRAM_OVERALL_PER_SECOND = 28.8


class RateLimiter:
    def __init__(self, *, overall_per_second: float = TELEGRAM_OVERALL_PER_SECOND, chat_per_second: float = 1,
                 chat_burst: float = 3, group_per_minute: float = 20, group_burst: float = 3,
                 processes: int = 1, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        if processes > 1:
            share = math.floor(overall_per_second / processes) - 1
            overall_per_second = share if share >= 1 else overall_per_second / processes / 2
        group_per_minute /= processes
        group_burst = max(1.0, group_burst / processes)
        self.processes = processes
        self.clock = clock
        self.sleep = sleep
        self._lock = asyncio.Lock()
        # Overall sends are spaced evenly (no burst), so no one-second window ever holds more than the limit:
        # each leaves at least 1/rate after the previous one actually left (not after its planned slot), so
        # senders that a busy event loop woke late go out one by one again, never together.
        self._overall_gap = 1 / overall_per_second
        self._overall_next = clock()
        self._pace = asyncio.Lock()
        self._chat = (chat_burst, chat_per_second)
        self._group = (group_burst, group_per_minute / 60)
        self._buckets: dict[str, _Bucket] = {}

    async def wait(self, chat_id: str, *, group: bool) -> None:
        async with self._lock:
            now = self.clock()
            capacity, rate = self._group if group else self._chat
            bucket = self._buckets.get(chat_id)
            if bucket is None:
                bucket = self._buckets[chat_id] = _Bucket(capacity, rate, capacity, now)
            delay = bucket.reserve(now)
        if delay > 0:
            await self.sleep(delay)
        async with self._pace:
            gap = self._overall_next - self.clock()
            if gap > 0:
                await self.sleep(gap)
            self._overall_next = self.clock() + self._overall_gap
