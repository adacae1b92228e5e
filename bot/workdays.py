"""Finnish working days and hours, the two-month start window, and when a reminder is due. Pure.

Reminders go out only on working days (Monday to Friday, not a Finnish public holiday, nor
Midsummer Eve or Christmas Eve, which are days off in practice) within working hours in the
organisation's time zone.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


def start_window_end(decision: date) -> date:
    """The last day the review may start: two calendar months after the decision (clamped to month end)."""
    month_index = decision.month - 1 + 2
    year, month = decision.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(decision.day, calendar.monthrange(year, month)[1]))


def easter_sunday(year: int) -> date:
    """Anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
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


def _weekday_between(year: int, month: int, first_day: int, weekday: int) -> date:
    start = date(year, month, first_day)
    return start + timedelta(days=(weekday - start.weekday()) % 7)


@lru_cache(maxsize=64)
def finnish_public_holidays(year: int) -> dict[date, str]:
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
        _weekday_between(year, 6, 19, calendar.FRIDAY): "Juhannusaatto",
        _weekday_between(year, 6, 20, calendar.SATURDAY): "Juhannuspäivä",
        _weekday_between(year, 10, 31, calendar.SATURDAY): "Pyhäinpäivä",
        date(year, 12, 6): "Itsenäisyyspäivä",
        date(year, 12, 24): "Jouluaatto",
        date(year, 12, 25): "Joulupäivä",
        date(year, 12, 26): "Tapaninpäivä",
    }


def is_working_day(day: date) -> bool:
    return day.weekday() < calendar.SATURDAY and day not in finnish_public_holidays(day.year)


def next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def working_days_before(deadline: date, count: int) -> date:
    """`count` working days before `deadline` (0: the deadline itself, or the working day before it)."""
    day = deadline
    while not is_working_day(day):
        day -= timedelta(days=1)
    for _ in range(count):
        day -= timedelta(days=1)
        while not is_working_day(day):
            day -= timedelta(days=1)
    return day


@dataclass(frozen=True, slots=True)
class WorkingHours:
    start: time = time(9)
    end: time = time(16)
    zone: str = "Europe/Helsinki"

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError(f"a naive datetime has no place in time: {moment!r}")
        return moment.astimezone(ZoneInfo(self.zone))

    def contains(self, moment: datetime) -> bool:
        local = self.local(moment)
        return is_working_day(local.date()) and self.start <= local.time() < self.end

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` if within working hours, else the next start of working hours (in UTC)."""
        if self.contains(moment):
            return moment.astimezone(UTC)
        local = self.local(moment)
        day = local.date()
        if not (is_working_day(day) and local.time() < self.start):
            day = next_working_day(day)
        # Combining the local date and time in the zone gives the right offset on both sides of DST.
        return datetime.combine(day, self.start, tzinfo=ZoneInfo(self.zone)).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    before_deadline: tuple[int, ...] = (7, 3, 1)  # working days before each deadline
    max_per_round: int = 6  # both deadlines' escalations
    hours: WorkingHours = field(default_factory=WorkingHours)

    def reminder_dates(self, deadline: date) -> list[date]:
        return sorted({working_days_before(deadline, n) for n in self.before_deadline})


def reminder_due(policy: ReminderPolicy, *, now: datetime, deadline: date, window_end: date | None, closed: bool,
                 finished: bool, opted_out: bool, snoozed_until: datetime | None, sent: int,
                 last_sent: datetime | None) -> bool:
    """Whether a person should get a reminder now. Missed reminder days are caught up one a day, never at once."""
    today = policy.hours.local(now).date()
    if closed or finished or opted_out or sent >= policy.max_per_round:
        return False
    if today > deadline or (window_end is not None and today > window_end):
        return False
    if snoozed_until is not None and now < snoozed_until:
        return False
    if not policy.hours.contains(now):
        return False
    if last_sent is not None and policy.hours.local(last_sent).date() == today:
        return False
    owed = sum(1 for day in policy.reminder_dates(deadline) if day <= today)
    return owed > sent


def next_reminder_time(policy: ReminderPolicy, *, now: datetime, deadline: date, window_end: date | None, sent: int,
                       last_sent: datetime | None) -> datetime | None:
    """The earliest moment from `now` at which a reminder can be due (ignoring snooze and opt-out)."""
    last_day = min(deadline, window_end) if window_end is not None else deadline
    moment = policy.hours.next_opening(now)
    while policy.hours.local(moment).date() <= last_day:
        if reminder_due(policy, now=moment, deadline=deadline, window_end=window_end, closed=False, finished=False,
                        opted_out=False, snoozed_until=None, sent=sent, last_sent=last_sent):
            return moment
        if sent >= policy.max_per_round:
            return None
        moment = policy.hours.next_opening(policy.hours.local(moment).replace(hour=23, minute=59))
    return None
