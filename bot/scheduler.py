"""The scheduler's ticker: APScheduler 3 only ticks; what is due lives in the database.

Each tick runs the due work (sending the outbox: invitations, and reminders as they come).
The first tick runs at start, so work that fell due while the process was down is caught up
at once; ticks never overlap, and missed ones collapse into one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)
TICK_SECONDS = 60


class Ticker:
    def __init__(self, work: Callable[[], Awaitable[int]], *, interval_seconds: float = TICK_SECONDS) -> None:
        self.work = work
        self.interval_seconds = interval_seconds
        self.ticks = 0
        self._scheduler: AsyncIOScheduler | None = None

    async def tick(self) -> None:
        self.ticks += 1
        try:
            done = await self.work()
        except Exception:  # a failed tick must not stop the next one
            log.exception("scheduler: a tick failed")
            return
        if done:
            log.info("scheduler: %d messages sent", done)

    def start(self) -> None:
        """Start ticking in the running event loop."""
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._scheduler.add_job(self.tick, "interval", seconds=self.interval_seconds, next_run_time=datetime.now(UTC),
                                max_instances=1, coalesce=True, misfire_grace_time=None)
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
