"""The scheduler's ticker: APScheduler 3 only ticks; what is due lives in the database.

Each tick runs the due work (sending the outbox: invitations, and reminders as they come).
The first tick runs at start, so work that fell due while the process was down is caught up
at once; ticks never overlap, and missed ones collapse into one. `close()` is the graceful stop:
no new tick starts, the running one is told to stop (its outbox worker gives back what it has not
sent) and is awaited, and only a tick that outlives the timeout is cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when the ticker starts: `kartoitus tick` and the other commands never start one
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)
TICK_SECONDS = 60


class Ticker:
    def __init__(self, work: Callable[[], Awaitable[int]], *, interval_seconds: float = TICK_SECONDS,
                 stop_work: Callable[[float], Awaitable[None]] | None = None) -> None:
        self.work = work
        self.stop_work = stop_work
        self.interval_seconds = interval_seconds
        self.ticks = 0
        self._scheduler: AsyncIOScheduler | None = None
        self._running: asyncio.Task[None] | None = None
        self._closing = False

    async def tick(self) -> None:
        if self._closing:
            return
        self.ticks += 1
        self._running = asyncio.current_task()
        try:
            done = await self.work()
        except Exception:  # a failed tick must not stop the next one
            log.exception("scheduler: a tick failed")
            return
        if done:
            log.info("scheduler: %d messages sent", done)

    def start(self) -> None:
        """Start ticking in the running event loop."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._scheduler.add_job(self.tick, "interval", seconds=self.interval_seconds, next_run_time=datetime.now(UTC),
                                max_instances=1, coalesce=True, misfire_grace_time=None)
        self._scheduler.start()

    def stop(self) -> None:
        """Stop at once (a running tick is cancelled)."""
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def close(self, timeout: float = 5.0) -> None:
        """Stop gracefully: no new tick; the running one stops taking work and is awaited for `timeout` s."""
        self._closing = True
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.pause()
        running = self._running
        if running is not None and not running.done():
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            if self.stop_work is not None:
                await self.stop_work(timeout)
            _, late = await asyncio.wait({running}, timeout=max(deadline - loop.time(), 0.1))
            if late:
                log.warning("scheduler: the running tick did not stop in %.0f s; cancelled", timeout)
                running.cancel()
                await asyncio.gather(running, return_exceptions=True)
        self.stop()
