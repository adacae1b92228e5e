"""Finnish working days and hours, the two-month start window, and when a reminder is due. Pure.

This module owns the calendar rules of a round: the start window (an assessment round must start
within two calendar months of the strategy-funding decision), the Finnish public holidays, working
days and working hours (in the organisation's or the person's time zone, correct across DST), and
the reminder policy (escalating reminders before a deadline, at most one a day). Reminders go out
only on working days (Monday to Friday, not a Finnish public holiday, nor Midsummer Eve or Christmas
Eve, which are days off in practice) within working hours. Standard library only.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

_DAY = timedelta(days=1)


def start_window_end(decision: date) -> date:
    """The last day the round may start: two calendar months after the decision, clamped to the month's end.

    A decision made on a weekend or a holiday is not moved: the law counts calendar months.
    """
    month_index = decision.month - 1 + 2
    year, month = decision.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(decision.day, calendar.monthrange(year, month)[1]))


def easter_sunday(year: int) -> date:
    """Easter Sunday of a Gregorian year (the anonymous Meeus/Jones/Butcher algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    sum_l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * sum_l) // 451
    month = (h + sum_l - 7 * m + 114) // 31
    day = (h + sum_l - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _weekday_on_or_after(year: int, month: int, first_day: int, weekday: int) -> date:
    """The first `weekday` (calendar.MONDAY …) on or after the given day."""
    start = date(year, month, first_day)
    return start + timedelta(days=(weekday - start.weekday()) % 7)


@lru_cache(maxsize=64)
def _holidays(year: int) -> dict[date, str]:
    easter = easter_sunday(year)
    return {
        date(year, 1, 1): "Uudenvuodenpäivä",
        date(year, 1, 6): "Loppiainen",
        easter - timedelta(days=2): "Pitkäperjantai",
        easter: "Pääsiäispäivä",
        easter + timedelta(days=1): "2. pääsiäispäivä",
        date(year, 5, 1): "Vappu",
        easter + timedelta(days=39): "Helatorstai",
        easter + timedelta(days=49): "Helluntaipäivä",
        # Midsummer Eve and Christmas Eve are not public holidays by law, but nobody is at work.
        _weekday_on_or_after(year, 6, 19, calendar.FRIDAY): "Juhannusaatto",
        _weekday_on_or_after(year, 6, 20, calendar.SATURDAY): "Juhannuspäivä",
        _weekday_on_or_after(year, 10, 31, calendar.SATURDAY): "Pyhäinpäivä",
        date(year, 12, 6): "Itsenäisyyspäivä",
        date(year, 12, 24): "Jouluaatto",
        date(year, 12, 25): "Joulupäivä",
        date(year, 12, 26): "Tapaninpäivä",
    }


def finnish_public_holidays(year: int) -> dict[date, str]:
    """The days off of a year (public holidays plus Midsummer and Christmas Eve), date → Finnish name."""
    # A copy, so that a caller changing it cannot change the cached calendar.
    return dict(_holidays(year))


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a day off."""
    return day.weekday() < calendar.SATURDAY and day not in _holidays(day.year)


def next_working_day(day: date) -> date:
    """The first working day strictly after `day`."""
    day += _DAY
    while not is_working_day(day):
        day += _DAY
    return day


def working_days_before(deadline: date, count: int) -> date:
    """The working day `count` working days before `deadline`.

    With 0 it is the deadline itself, or the last working day before it when the deadline is a day off.
    """
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    day = deadline
    while not is_working_day(day):
        day -= _DAY
    for _ in range(count):
        day -= _DAY
        while not is_working_day(day):
            day -= _DAY
    return day


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """Working hours on working days, `start` ≤ local time < `end`, in the time zone `zone`."""

    start: time = time(9)
    end: time = time(16)
    zone: str = "Europe/Helsinki"

    def local(self, moment: datetime) -> datetime:
        """`moment` as local time in `zone`; a naive datetime is refused, it could be any time at all."""
        if moment.tzinfo is None:
            raise ValueError(f"a naive datetime has no place in time: {moment!r}")
        return moment.astimezone(ZoneInfo(self.zone))

    def contains(self, moment: datetime) -> bool:
        """Whether `moment` (aware, any zone) is within working hours on a working day."""
        local = self.local(moment)
        return is_working_day(local.date()) and self.start <= local.time() < self.end

    def opening(self, day: date) -> datetime:
        """The start of working hours on `day`, in UTC."""
        # Attaching the zone to the local wall time gives the offset in force that day, so DST is right.
        return datetime.combine(day, self.start, tzinfo=ZoneInfo(self.zone)).astimezone(UTC)

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` if within working hours, else the next start of working hours; in UTC."""
        if self.contains(moment):
            return moment.astimezone(UTC)
        local = self.local(moment)
        day = local.date()
        if not (is_working_day(day) and local.time() < self.start):
            day = next_working_day(day)
        return self.opening(day)


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """When reminders go out: on the given working days before a deadline, within working hours."""

    before_deadline: tuple[int, ...] = (7, 3, 1)  # working days before each deadline
    max_per_round: int = 6  # per person and round: both parts' escalations (settings.reminder_max agrees)
    hours: WorkingHours = field(default_factory=WorkingHours)

    def reminder_dates(self, deadline: date) -> list[date]:
        """The reminder days toward `deadline`, earliest first (an offset given twice counts once)."""
        return sorted({working_days_before(deadline, n) for n in self.before_deadline})


def _last_day(deadline: date, window_end: date | None) -> date:
    return deadline if window_end is None else min(deadline, window_end)


def _owed(policy: ReminderPolicy, deadline: date, today: date) -> int:
    """How many reminders should have gone out by the end of `today`."""
    return sum(1 for day in policy.reminder_dates(deadline) if day <= today)


def reminder_due(policy: ReminderPolicy, *, now: datetime, deadline: date, window_end: date | None, closed: bool,
                 finished: bool, opted_out: bool, snoozed_until: datetime | None, sent: int,
                 last_sent: datetime | None) -> bool:
    """Whether a person should get a reminder now.

    A reminder is due on a working day within working hours, from a reminder day on, while fewer have been
    sent than the reminder days so far. One a day at most, so missed reminder days (the bot was down) are
    caught up one a day, never several at once.
    """
    today = policy.hours.local(now).date()
    if closed or finished or opted_out or sent >= policy.max_per_round:
        return False
    if today > _last_day(deadline, window_end):
        return False
    if snoozed_until is not None and now < snoozed_until:
        return False
    if not policy.hours.contains(now):
        return False
    if last_sent is not None and policy.hours.local(last_sent).date() == today:
        return False
    return _owed(policy, deadline, today) > sent


def next_reminder_time(policy: ReminderPolicy, *, now: datetime, deadline: date, window_end: date | None, sent: int,
                       last_sent: datetime | None) -> datetime | None:
    """The earliest moment from `now` at which a reminder can be due (ignoring snooze, opt-out and finishing).

    None when no more reminders fit: the cap is reached, or no reminder day is left before the deadline or
    the end of the start window.
    """
    dates = policy.reminder_dates(deadline)
    if sent >= policy.max_per_round or sent >= len(dates):
        return None
    last_day = _last_day(deadline, window_end)
    moment = policy.hours.next_opening(now)
    # Nothing can be due before the day the next reminder is owed: jump there instead of walking day by day.
    if policy.hours.local(moment).date() < dates[sent]:
        moment = policy.hours.opening(dates[sent])
    while policy.hours.local(moment).date() <= last_day:
        if reminder_due(policy, now=moment, deadline=deadline, window_end=window_end, closed=False, finished=False,
                        opted_out=False, snoozed_until=None, sent=sent, last_sent=last_sent):
            return moment
        moment = policy.hours.opening(next_working_day(policy.hours.local(moment).date()))
    return None
