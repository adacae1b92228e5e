"""Finnish working days and hours, the two-month start window, and when a reminder is due. Pure.

This module owns the calendar rules of a round: the start window (an assessment round must start
within two calendar months of the strategy-funding decision), the Finnish public holidays, working
days and working hours (in the organisation's or the person's time zone, correct across DST), and
the reminder policy (escalating reminders before a deadline, at most one a day). Reminders go out
only on working days (Monday to Friday, not a Finnish public holiday, nor Midsummer Eve or Christmas
Eve, which are days off in practice) within working hours. The public holidays, and their names in
Finnish, Swedish and English, come from the `holidays` package's calendar of Finland, which follows
changes in the law; the two eves are our own rule on top of it. The package covers the years
1853–2100: outside them only weekends are days off. Otherwise the standard library only.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

_DAY = timedelta(days=1)


def start_window_end(decision: date) -> date:
    """The last day the round may start: two calendar months after the decision, clamped to the month's end.

    A decision made on a weekend or a holiday is not moved: the law counts calendar months.
    """
    month_index = decision.month - 1 + 2
    year, month = decision.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(decision.day, calendar.monthrange(year, month)[1]))


# Our languages → the holidays package's names for them (Finland's calendar speaks fi, sv_FI and en_US).
_HOLIDAY_LANGUAGES = {"fi": "fi", "sv": "sv_FI", "en": "en_US"}
# Not public holidays by law, but nobody is at work: our rule, whether or not the package lists them.
_EVES = {"fi": ("Juhannusaatto", "Jouluaatto"), "sv": ("Midsommarafton", "Julafton"),
         "en": ("Midsummer Eve", "Christmas Eve")}
_OUR_NAMES = {"fi": {"Toinen pääsiäispäivä": "2. pääsiäispäivä"}}  # the package's name → the one we show


@cache
def _named(year: int, language: str) -> dict[date, str]:
    """The package's public holidays of Finland in `year`, named in `language` (one of ours), in date order."""
    if language not in _HOLIDAY_LANGUAGES:
        raise ValueError(f"no holiday names in {language!r}; one of {', '.join(_HOLIDAY_LANGUAGES)}")
    import holidays  # its calendars take 15 ms to load: only when a date is checked

    # The language is always given: left out, the package would guess it from the process's locale.
    public = holidays.country_holidays("FI", years=year, language=_HOLIDAY_LANGUAGES[language])
    return dict(sorted(public.items()))


@cache
def _days_off(year: int, language: str = "fi") -> dict[date, str]:
    """The days off of a year, date → name in `language`, in date order. Cached: never hand it out."""
    named = _named(year, language)
    if not named:  # a year the package has no calendar for (before 1853, after 2100): weekends only
        return {}
    ours = _OUR_NAMES.get(language, {})
    days = {day: "; ".join(ours.get(part, part) for part in name.split("; "))  # "; " joins two on one day
            for day, name in named.items()}
    midsummer_eve, christmas_eve = _EVES[language]
    for day, name in _named(year, "fi").items():  # the package's own (Finnish) names find the days
        if name == "Juhannuspäivä":
            days.setdefault(day - _DAY, midsummer_eve)
    days.setdefault(date(year, 12, 24), christmas_eve)
    return dict(sorted(days.items()))


def easter_sunday(year: int) -> date:
    """Easter Sunday of a year the holidays package covers (its Finnish calendar's Pääsiäispäivä)."""
    for day, name in _named(year, "fi").items():
        if name == "Pääsiäispäivä":
            return day
    raise ValueError(f"the holidays package has no Finnish calendar for {year}")


def finnish_public_holidays(year: int, language: str = "fi") -> dict[date, str]:
    """The days off of a year (public holidays plus Midsummer and Christmas Eve), date → name.

    Named in `language` ("fi", "sv" or "en") by the holidays package; a day with two holidays has both
    names, joined by "; ".
    """
    # A copy, so that a caller changing it cannot change the cached calendar.
    return dict(_days_off(year, language))


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a day off."""
    return day.weekday() < calendar.SATURDAY and day not in _days_off(day.year)


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
