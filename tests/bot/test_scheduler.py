"""The ticker: the first tick runs at start (catch-up), ticks repeat and never stop on an error."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bot.shell.scheduler import Ticker

WAIT_SECONDS = 60.0  # a deadline, not a pause: generous for a loaded 2-core machine


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


async def test_ticks_start_at_once_repeat_and_survive_a_failure() -> None:
    calls: list[int] = []

    async def work() -> int:
        calls.append(len(calls))
        if len(calls) == 2:
            raise RuntimeError("the database was away for a moment")
        return 1

    # An hour between ticks: the one that comes can only be the tick at start.
    ticker = Ticker(work, interval_seconds=3600)
    ticker.start()
    try:
        await wait_until(lambda: bool(calls), "the first tick")
        assert calls == [0], "work that fell due while the process was down is done at start"
    finally:
        ticker.stop()

    ticker = Ticker(work, interval_seconds=0.05)
    ticker.start()
    try:
        await wait_until(lambda: len(calls) >= 4, "four ticks")
        assert len(calls) >= 4, "a failing tick does not stop the ticking"
    finally:
        ticker.stop()
    stopped_at = len(calls)
    await asyncio.sleep(0.15)
    assert len(calls) == stopped_at
