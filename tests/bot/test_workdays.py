"""The start window, Finnish days off, working hours across DST, and when a reminder is due."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.workdays import (
    ReminderPolicy,
    WorkingHours,
    easter_sunday,
    finnish_public_holidays,
    is_working_day,
    next_reminder_time,
    next_working_day,
    reminder_due,
    start_window_end,
    working_days_before,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
HOURS = WorkingHours()
POLICY = ReminderPolicy()
# A Friday. Its reminder days: 7 working days before is Wed 2.12., 3 before Tue 8.12., 1 before Thu 10.12.
DEADLINE = date(2026, 12, 11)


def helsinki(day: int, hour: int = 10, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    """A moment on the wall clock in Helsinki."""
    return datetime(year, month, day, hour, minute, tzinfo=HELSINKI)


def due(now: datetime, *, policy: ReminderPolicy = POLICY, deadline: date = DEADLINE, window_end: date | None = None,
        closed: bool = False, finished: bool = False, opted_out: bool = False,
        snoozed_until: datetime | None = None, sent: int = 0, last_sent: datetime | None = None) -> bool:
    return reminder_due(policy, now=now, deadline=deadline, window_end=window_end, closed=closed, finished=finished,
                        opted_out=opted_out, snoozed_until=snoozed_until, sent=sent, last_sent=last_sent)


# The start window


def test_the_round_must_start_within_two_calendar_months_of_the_decision() -> None:
    assert start_window_end(date(2026, 1, 15)) == date(2026, 3, 15)


def test_a_decision_on_new_years_eve_ends_the_window_on_the_last_day_of_february() -> None:
    assert start_window_end(date(2025, 12, 31)) == date(2026, 2, 28)


def test_the_window_reaches_february_29_in_a_leap_year() -> None:
    assert start_window_end(date(2027, 12, 31)) == date(2028, 2, 29)


def test_a_decision_at_a_month_end_ends_the_window_at_the_month_end() -> None:
    assert start_window_end(date(2026, 8, 31)) == date(2026, 10, 31)


def test_a_decision_on_a_weekend_is_not_moved() -> None:
    assert start_window_end(date(2026, 11, 21)) == date(2027, 1, 21)  # a Saturday, to a Thursday
    assert start_window_end(date(2026, 11, 22)) == date(2027, 1, 22)  # a Sunday


# Finnish days off


def test_easter_sunday() -> None:
    assert [easter_sunday(year) for year in (2024, 2025, 2026, 2027)] == [
        date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5), date(2027, 3, 28)]


def test_the_finnish_days_off_in_2026() -> None:
    holidays = finnish_public_holidays(2026)
    assert len(holidays) == 15
    assert holidays[date(2026, 6, 19)] == "Juhannusaatto"
    assert holidays[date(2026, 6, 20)] == "Juhannuspäivä"
    assert holidays[date(2026, 4, 3)] == "Pitkäperjantai"
    assert holidays[date(2026, 4, 6)] == "2. pääsiäispäivä"
    assert holidays[date(2026, 5, 14)] == "Helatorstai"
    assert holidays[date(2026, 5, 24)] == "Helluntaipäivä"
    assert holidays[date(2026, 10, 31)] == "Pyhäinpäivä"
    assert holidays[date(2026, 12, 24)] == "Jouluaatto"
    assert holidays[date(2026, 12, 26)] == "Tapaninpäivä"


def test_midsummer_eve_is_the_friday_between_19_and_25_june() -> None:
    eves = [day for year in (2025, 2026, 2027) for day, name in finnish_public_holidays(year).items()
            if name == "Juhannusaatto"]
    assert eves == [date(2025, 6, 20), date(2026, 6, 19), date(2027, 6, 25)]


def test_changing_the_returned_holidays_does_not_change_the_calendar() -> None:
    finnish_public_holidays(2026).clear()
    assert date(2026, 12, 24) in finnish_public_holidays(2026)
    assert not is_working_day(date(2026, 12, 24))


@pytest.mark.parametrize("day", [date(2026, 6, 19), date(2026, 4, 3), date(2026, 5, 14), date(2026, 12, 24),
                                 date(2026, 1, 6), date(2026, 12, 25)])
def test_a_weekday_off_is_not_a_working_day(day: date) -> None:
    assert day.weekday() < 5 and not is_working_day(day)


def test_weekends_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 11, 28)) and not is_working_day(date(2026, 11, 29))


def test_an_ordinary_monday_is_a_working_day() -> None:
    assert is_working_day(date(2026, 11, 23))


# Counting working days


def test_one_working_day_before_a_monday_is_the_friday() -> None:
    assert working_days_before(date(2026, 11, 30), 1) == date(2026, 11, 27)


def test_working_days_before_skip_christmas() -> None:
    # Before Monday 28.12.: 24.–27.12. are off, so the 23rd, 22nd and 21st count.
    assert working_days_before(date(2026, 12, 28), 3) == date(2026, 12, 21)


def test_zero_working_days_before_is_the_deadline_or_the_working_day_before_it() -> None:
    assert working_days_before(date(2026, 11, 27), 0) == date(2026, 11, 27)
    assert working_days_before(date(2026, 11, 29), 0) == date(2026, 11, 27)  # a Sunday deadline


def test_a_negative_count_of_working_days_is_refused() -> None:
    with pytest.raises(ValueError):
        working_days_before(date(2026, 11, 27), -1)


def test_the_next_working_day_skips_weekends_and_christmas() -> None:
    assert next_working_day(date(2026, 11, 27)) == date(2026, 11, 30)
    assert next_working_day(date(2026, 12, 23)) == date(2026, 12, 28)
    assert next_working_day(date(2026, 11, 23)) == date(2026, 11, 24)


# Working hours


def test_before_nine_the_next_opening_is_nine_the_same_day() -> None:
    assert HOURS.next_opening(helsinki(24, 7, 30, month=11)) == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


def test_during_working_hours_the_next_opening_is_now() -> None:
    during = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 12:00 in Helsinki
    assert HOURS.contains(during)
    assert HOURS.next_opening(during) == during


def test_working_hours_end_at_sixteen() -> None:
    assert HOURS.contains(helsinki(24, 15, 59, month=11))
    assert not HOURS.contains(helsinki(24, 16, 0, month=11))
    assert not HOURS.contains(helsinki(24, 8, 59, month=11))


def test_after_hours_on_a_friday_the_next_opening_is_monday_at_nine() -> None:
    friday_evening = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 17:00 in Helsinki
    assert HOURS.next_opening(friday_evening) == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def test_over_christmas_the_next_opening_is_the_monday_after() -> None:
    assert HOURS.next_opening(helsinki(23, 16, 30)) == datetime(2026, 12, 28, 7, 0, tzinfo=UTC)


def test_across_the_spring_dst_switch_nine_in_helsinki_is_six_utc() -> None:
    # Clocks go forward on Sunday 29 March 2026: Friday is UTC+2, Monday UTC+3.
    friday_evening = datetime(2026, 3, 27, 15, 0, tzinfo=UTC)
    assert HOURS.next_opening(friday_evening) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)


def test_across_the_autumn_dst_switch_nine_in_helsinki_is_seven_utc() -> None:
    # Clocks go back on Sunday 25 October 2026: Friday is UTC+3, Monday UTC+2.
    friday_evening = datetime(2026, 10, 23, 14, 0, tzinfo=UTC)
    assert HOURS.next_opening(friday_evening) == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)


def test_working_hours_in_another_time_zone() -> None:
    stockholm = WorkingHours(zone="Europe/Stockholm")
    moment = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)  # 9:30 in Helsinki, 8:30 in Stockholm
    assert HOURS.contains(moment) and not stockholm.contains(moment)
    assert stockholm.next_opening(moment) == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError):
        HOURS.contains(datetime(2026, 11, 24, 10, 0))
    with pytest.raises(ValueError):
        HOURS.next_opening(datetime(2026, 11, 24, 10, 0))


# When a reminder is due


def test_reminders_escalate_on_the_7th_3rd_and_1st_working_day_before_the_deadline() -> None:
    assert POLICY.reminder_dates(DEADLINE) == [date(2026, 12, 2), date(2026, 12, 8), date(2026, 12, 10)]
    assert due(helsinki(2))
    assert due(helsinki(8), sent=1, last_sent=helsinki(2))
    assert due(helsinki(10), sent=2, last_sent=helsinki(8))


def test_no_reminder_before_the_first_reminder_day() -> None:
    assert not due(helsinki(1))


def test_no_reminder_between_the_reminder_days() -> None:
    for day in (3, 4, 7):
        assert not due(helsinki(day), sent=1, last_sent=helsinki(2)), day
    assert not due(helsinki(9), sent=2, last_sent=helsinki(8))


def test_at_most_one_reminder_a_day() -> None:
    assert not due(helsinki(2, 14), sent=1, last_sent=helsinki(2, 9))


def test_a_snoozed_reminder_waits_until_the_snooze_ends() -> None:
    until = helsinki(3, 9)
    assert not due(helsinki(2), snoozed_until=until)
    assert due(helsinki(3), snoozed_until=until)


def test_no_reminders_after_opting_out() -> None:
    assert not due(helsinki(2), opted_out=True)


def test_no_reminders_once_finished() -> None:
    assert not due(helsinki(2), finished=True)


def test_no_reminders_in_a_closed_round() -> None:
    assert not due(helsinki(2), closed=True)


def test_no_reminders_beyond_the_cap() -> None:
    capped = ReminderPolicy(max_per_round=2)
    assert not due(helsinki(10), policy=capped, sent=2, last_sent=helsinki(8))
    assert not due(helsinki(10), sent=3, last_sent=helsinki(8)), "three reminder days, three reminders"


def test_no_reminders_after_the_deadline() -> None:
    assert not due(helsinki(14))


def test_no_reminders_after_the_start_window_ends() -> None:
    assert not due(helsinki(10), sent=2, last_sent=helsinki(8), window_end=date(2026, 12, 9))


def test_no_reminders_outside_working_hours() -> None:
    assert not due(helsinki(2, 8, 59))
    assert not due(helsinki(2, 16, 0))
    assert due(helsinki(2, 15, 59))


def test_no_reminders_on_a_holiday_even_when_one_is_owed() -> None:
    # Deadline Thu 31.12.: the 7-day reminder day is Fri 18.12.; Christmas Eve is a Thursday off.
    assert not due(helsinki(24), deadline=date(2026, 12, 31))
    assert due(helsinki(28), deadline=date(2026, 12, 31))


def test_after_downtime_missed_reminders_are_caught_up_one_a_day_never_at_once() -> None:
    # The bot was down from the 7-day day (2.12.) to the 3-day day (8.12.): two reminders are owed.
    assert due(helsinki(8, 9), sent=0), "one reminder when it comes back"
    assert not due(helsinki(8, 15), sent=1, last_sent=helsinki(8, 9)), "not a second one the same day"
    assert due(helsinki(9, 9), sent=1, last_sent=helsinki(8, 9)), "the other one the next working day"
    assert not due(helsinki(9, 13), sent=2, last_sent=helsinki(9, 9)), "and then nothing until the 1-day day"


# When the next reminder can go out


def test_the_next_reminder_time_is_nine_on_the_next_reminder_day() -> None:
    after_first = next_reminder_time(POLICY, now=helsinki(2, 12), deadline=DEADLINE, window_end=None, sent=1,
                                     last_sent=helsinki(2, 9))
    assert after_first == datetime(2026, 12, 8, 7, 0, tzinfo=UTC)
    before_any = next_reminder_time(POLICY, now=helsinki(1, 14), deadline=DEADLINE, window_end=None, sent=0,
                                    last_sent=None)
    assert before_any == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)


def test_the_next_reminder_time_is_now_when_one_is_due() -> None:
    now = helsinki(2, 11)
    assert next_reminder_time(POLICY, now=now, deadline=DEADLINE, window_end=None, sent=0, last_sent=None) == now


def test_a_reminder_owed_but_sent_today_waits_for_the_next_working_day() -> None:
    nxt = next_reminder_time(POLICY, now=helsinki(8, 12), deadline=DEADLINE, window_end=None, sent=1,
                             last_sent=helsinki(8, 9))
    assert nxt == datetime(2026, 12, 9, 7, 0, tzinfo=UTC)


def test_no_next_reminder_once_the_cap_is_reached() -> None:
    capped = ReminderPolicy(max_per_round=1)
    assert next_reminder_time(capped, now=helsinki(1), deadline=DEADLINE, window_end=None, sent=1,
                              last_sent=None) is None
    assert next_reminder_time(POLICY, now=helsinki(1), deadline=DEADLINE, window_end=None, sent=3,
                              last_sent=None) is None


def test_no_next_reminder_after_the_deadline() -> None:
    assert next_reminder_time(POLICY, now=helsinki(14), deadline=DEADLINE, window_end=None, sent=0,
                              last_sent=None) is None


def test_no_next_reminder_after_the_start_window() -> None:
    assert next_reminder_time(POLICY, now=helsinki(8, 12), deadline=DEADLINE, window_end=date(2026, 12, 9), sent=2,
                              last_sent=helsinki(8, 9)) is None
