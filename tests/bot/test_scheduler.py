"""The ticker: the first tick runs at start (catch-up), ticks repeat and never stop on an error."""

from __future__ import annotations

import asyncio

from bot.scheduler import Ticker


async def test_ticks_start_at_once_repeat_and_survive_a_failure() -> None:
    calls: list[int] = []

    async def work() -> int:
        calls.append(len(calls))
        if len(calls) == 2:
            raise RuntimeError("the database was away for a moment")
        return 1

    ticker = Ticker(work, interval_seconds=0.05)
    ticker.start()
    try:
        await asyncio.sleep(0.02)
        assert calls == [0], "work that fell due while the process was down is done at start"
        for _ in range(100):
            if len(calls) >= 4:
                break
            await asyncio.sleep(0.02)
        assert len(calls) >= 4, "a failing tick does not stop the ticking"
    finally:
        ticker.stop()
    stopped_at = len(calls)
    await asyncio.sleep(0.15)
    assert len(calls) == stopped_at
