"""The clocks of a process (timezone-aware); tests inject their own (tests/support/clock.py).

- SystemClock: the real time, in UTC.
- StartedClock: starts at a given moment and runs on in real time (KARTOITUS_CLOCK_START): a rehearsal
  "as if it were Monday 7.12. 10:00", or a test suite that chooses its own day; also `kartoitus tick --now`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a naive datetime has no place in time: {moment!r}")
    return moment.astimezone(UTC)


class StartedClock:
    """`start` at the moment the clock is made, then on at the pace of the real (monotonic) time."""

    def __init__(self, start: datetime, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.start = _aware(start)
        self._monotonic = monotonic
        self._origin = monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self._monotonic() - self._origin)
