"""Clocks for the tests: one the tests move by hand, one that never moves, and the suite's own moment.

The suite runs on a moment of its choosing, never on the machine's date: `KARTOITUS_TEST_NOW`
(ISO 8601, e.g. `KARTOITUS_TEST_NOW=2026-12-07T10:00+02:00`; without an offset it is Helsinki wall
time) names it, by default an ordinary working Tuesday morning. Run the suite with it set to a
Monday, a public holiday, 28.2./29.2., New Year's Eve, 00:30 or 23:30 to see that no test depends on
the day it happens to run on.

- `suite_now()`: that moment (aware, UTC).
- the `suite_clock` fixture: a clock that starts at that moment when the test starts and runs on in
  real time (bot.core.clock.StartedClock), for tests that run the real platform apps or the scheduler.
- `clock_setting()`: `KARTOITUS_CLOCK_START` for a `kartoitus` subprocess started now, so that it
  goes on from the test's clock (a later process never starts before an earlier one's moments).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.clock import StartedClock

HELSINKI = ZoneInfo("Europe/Helsinki")
TEST_NOW_VARIABLE = "KARTOITUS_TEST_NOW"
DEFAULT_TEST_NOW = datetime(2026, 11, 17, 10, 0, tzinfo=HELSINKI)  # a Tuesday: no holiday, no digest, no month end


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class FixedClock:
    """One moment that never moves (in UTC; a naive datetime is refused, as bot.core.clock's clocks do)."""

    def __init__(self, moment: datetime) -> None:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"a naive datetime has no place in time: {moment!r}")
        self.moment = moment.astimezone(UTC)

    def now(self) -> datetime:
        return self.moment


@functools.cache
def suite_now() -> datetime:
    """The suite's moment: KARTOITUS_TEST_NOW, else DEFAULT_TEST_NOW; aware, in UTC."""
    text = os.environ.get(TEST_NOW_VARIABLE, "").strip()
    if not text:
        return DEFAULT_TEST_NOW.astimezone(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise pytest.UsageError(f"{TEST_NOW_VARIABLE}: expected an ISO 8601 moment such as "
                                f"2026-12-07T10:00+02:00, got {text!r}") from error
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=HELSINKI)).astimezone(UTC)


def suite_today() -> date:
    """The suite's date in Helsinki (the date every rule of the bot uses)."""
    return suite_now().astimezone(HELSINKI).date()


def helsinki_at(day: date, hour: int, minute: int = 0) -> datetime:
    """Wall time in Helsinki on `day` (DST-correct), as an aware datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=HELSINKI)


_current: list[StartedClock] = []


def current_clock() -> StartedClock:
    """The running test's clock (one starts at the suite's moment for every test)."""
    return _current[-1] if _current else StartedClock(suite_now())


def clock_setting() -> dict[str, str]:
    """The setting that starts a `kartoitus` subprocess on the test's clock, at its moment now."""
    return {"KARTOITUS_CLOCK_START": current_clock().now().isoformat()}


@pytest.fixture(autouse=True)
def suite_clock() -> Iterator[StartedClock]:
    """The test's clock: at the suite's moment when the test starts, then on in real time."""
    clock = StartedClock(suite_now())
    _current.append(clock)
    yield clock
    _current.remove(clock)


def pytest_report_header() -> str:
    local, chosen = suite_now().astimezone(HELSINKI), os.environ.get(TEST_NOW_VARIABLE, "")
    return f"suite clock: {local:%a %Y-%m-%d %H:%M} Helsinki ({TEST_NOW_VARIABLE}={chosen or 'unset: the default'})"
