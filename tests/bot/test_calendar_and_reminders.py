"""The start window, Finnish working days and hours (with DST), and the reminder policy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.workdays import (
    ReminderPolicy,
    WorkingHours,
    easter_sunday,
    finnish_public_holidays,
    is_working_day,
    next_reminder_time,
    reminder_due,
    start_window_end,
    working_days_before,
)


@pytest.mark.parametrize(("decision", "end"), [
    (date(2026, 1, 15), date(2026, 3, 15)), (date(2025, 12, 31), date(2026, 2, 28)),
    (date(2027, 12, 31), date(2028, 2, 29)), (date(2026, 8, 31), date(2026, 10, 31)),
    (date(2026, 11, 21), date(2027, 1, 21)),  # a Saturday decision is not moved
])
def test_the_review_must_start_within_two_calendar_months(decision: date, end: date) -> None:
    assert start_window_end(decision) == end


def test_easter_and_the_finnish_holidays() -> None:
    assert [easter_sunday(y) for y in (2024, 2025, 2026, 2027)] == [
        date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5), date(2027, 3, 28)]
    holidays = finnish_public_holidays(2026)
    assert holidays[date(2026, 6, 19)] == "Juhannusaatto" and holidays[date(2026, 4, 3)] == "Pitkäperjantai"
    assert holidays[date(2026, 5, 14)] == "Helatorstai" and holidays[date(2026, 10, 31)] == "Pyhäinpäivä"
    for day in (date(2026, 6, 19), date(2026, 4, 6), date(2026, 12, 24), date(2026, 11, 28), date(2026, 11, 29)):
        assert not is_working_day(day)
    assert is_working_day(date(2026, 11, 23))


def test_working_days_before_skip_weekends_and_christmas() -> None:
    assert working_days_before(date(2026, 11, 30), 1) == date(2026, 11, 27)  # Monday → Friday
    assert working_days_before(date(2026, 12, 28), 3) == date(2026, 12, 21)  # 23rd, 22nd, 21st (24–26 are off)
    assert working_days_before(date(2026, 11, 29), 0) == date(2026, 11, 27)  # a Sunday deadline


def test_working_hours_in_helsinki_across_dst() -> None:
    hours = WorkingHours()
    friday_evening = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 17:00 in Helsinki
    assert hours.next_opening(friday_evening) == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 9:00 (UTC+2)
    assert hours.next_opening(datetime(2026, 3, 27, 15, 0, tzinfo=UTC)) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    assert hours.next_opening(datetime(2026, 10, 23, 14, 0, tzinfo=UTC)) == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)
    assert hours.next_opening(datetime(2026, 12, 23, 14, 30, tzinfo=UTC)) == datetime(2026, 12, 28, 7, 0, tzinfo=UTC)
    during = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert hours.contains(during) and hours.next_opening(during) == during
    with pytest.raises(ValueError):
        hours.contains(datetime(2026, 11, 24, 10, 0))


DEADLINE = date(2026, 12, 11)  # a Friday; reminders on 2.12. (7), 8.12. (3) and 10.12. (1)
POLICY = ReminderPolicy()


def at(day: int, hour_utc: int = 8, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour_utc, 0, tzinfo=UTC)


def due(now: datetime, **state: object) -> bool:
    values: dict[str, object] = {"deadline": DEADLINE, "window_end": None, "closed": False, "finished": False,
                                 "opted_out": False, "snoozed_until": None, "sent": 0, "last_sent": None}
    values.update(state)
    return reminder_due(POLICY, now=now, **values)  # type: ignore[arg-type]


def test_reminders_escalate_toward_the_deadline() -> None:
    assert POLICY.reminder_dates(DEADLINE) == [date(2026, 12, 2), date(2026, 12, 8), date(2026, 12, 10)]
    assert not due(at(1)) and due(at(2))
    assert not due(at(4), sent=1, last_sent=at(2)), "nothing between the reminder days"
    assert due(at(8), sent=1, last_sent=at(2)) and due(at(10), sent=2, last_sent=at(8))
    assert not due(at(11), sent=3, last_sent=at(10)), "nothing on the deadline day itself"
    capped = ReminderPolicy(max_per_round=2)
    assert not reminder_due(capped, now=at(10), deadline=DEADLINE, window_end=None, closed=False, finished=False,
                            opted_out=False, snoozed_until=None, sent=2, last_sent=at(8)), "the cap"


def test_reminders_respect_hours_holidays_snooze_opt_out_and_closing() -> None:
    assert not due(at(2, hour_utc=5)) and not due(at(2, hour_utc=14)), "only 9–16 in Helsinki"
    assert not due(at(2), snoozed_until=at(3, hour_utc=7)) and due(at(3), snoozed_until=at(3, hour_utc=7))
    assert not due(at(2), opted_out=True) and not due(at(2), finished=True) and not due(at(2), closed=True)
    assert not due(at(14), sent=0), "nothing after the deadline"
    assert not due(at(10), sent=2, window_end=date(2026, 12, 9)), "nothing after the start window"
    assert not reminder_due(POLICY, now=at(24), deadline=date(2026, 12, 31), window_end=None, closed=False,
                            finished=False, opted_out=False, snoozed_until=None, sent=0, last_sent=None)


def test_catch_up_after_downtime_is_one_reminder_a_day() -> None:
    # Down from the 7-day date to the 3-day date: one reminder now, not two …
    assert due(at(8), sent=0)
    assert not due(at(8, hour_utc=12), sent=1, last_sent=at(8)), "at most one a day"
    # … and the one still owed comes the next working day.
    assert due(at(9), sent=1, last_sent=at(8))


def test_the_next_reminder_time() -> None:
    assert next_reminder_time(POLICY, now=at(1, hour_utc=12), deadline=DEADLINE, window_end=None, sent=0,
                              last_sent=None) == at(2, hour_utc=7)
    assert next_reminder_time(POLICY, now=at(2, hour_utc=10), deadline=DEADLINE, window_end=None, sent=1,
                              last_sent=at(2, hour_utc=7)) == at(8, hour_utc=7)
    assert next_reminder_time(POLICY, now=at(2), deadline=DEADLINE, window_end=None, sent=3, last_sent=None) is None
    assert next_reminder_time(POLICY, now=at(12), deadline=DEADLINE, window_end=None, sent=0, last_sent=None) is None
    assert next_reminder_time(POLICY, now=at(1, hour_utc=12), deadline=DEADLINE, window_end=None, sent=0,
                              last_sent=None) - at(1, hour_utc=12) < timedelta(days=1)
