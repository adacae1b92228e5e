"""Every date rule of a round uses the date in KARTOITUS_TIMEZONE (Helsinki), never the UTC date.

Helsinki is two hours ahead of UTC in winter and three in summer, so between 00:00 and 02:00 (03:00)
local time the UTC date is still yesterday's: a start window that ended yesterday must be over, a
decision made today must not be "in the future", and a listing must show today's date. The moments
below are 00:30 and 23:30 Helsinki time at month ends, on 29.2., and around both DST changes.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.round_desk import Reply, RoundDesk
from bot.core.clock import StartedClock
from bot.core.identity import ChannelRef, UserRef
from bot.core.rounds import PlanError, plan_round
from bot.core.workdays import is_working_day
from bot.shell.content import load_instrument
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_outbox import SqlOutbox
from storage.sql_rounds import SqlRounds
from storage.sql_teams import SqlTeams
from tests.support.clock import HELSINKI, FixedClock, helsinki_at
from tests.support.processes import environment

INSTRUMENT = load_instrument()


@dataclass
class Desks:
    url: str
    clock: FixedClock

    def desk(self, language: str = "fi") -> RoundDesk:
        engine = create_database_engine(self.url)
        return RoundDesk(SqlRounds(engine), SqlOutbox(engine), INSTRUMENT, self.clock, language=language,
                         zone="Europe/Helsinki")

    def open(self, moment: datetime, decision: date, *, language: str = "fi", **deadlines: date) -> Reply:
        self.clock.moment = moment
        return self.desk(language).open(decision_date=decision, team_titles=["autoala"], responsible="Maija",
                                        opened_by="test", **deadlines)  # type: ignore[arg-type]


@pytest.fixture
def desks(tmp_path: Path) -> Iterator[Desks]:
    url = f"sqlite:///{tmp_path / 'dates.db'}"
    upgrade(url)
    engine = create_database_engine(url)
    team = SqlTeams(engine).register_team(ChannelRef("telegram", "bot1", "-1"), "autoala",
                                          now=helsinki_at(date(2025, 12, 1), 10))
    SqlTeams(engine).join(team.id, UserRef("telegram", "bot1", "101"), now=helsinki_at(date(2025, 12, 1), 10))
    engine.dispose()
    yield Desks(url, FixedClock(helsinki_at(date(2025, 12, 1), 10)))


def test_at_half_past_midnight_on_1_3_2028_the_window_of_a_31_12_2027_decision_is_over(desks: Desks) -> None:
    moment = helsinki_at(date(2028, 3, 1), 0, 30)
    assert moment.astimezone(HELSINKI).utcoffset() == timedelta(hours=2) and moment.utctimetuple().tm_mday == 29
    reply = desks.open(moment, date(2027, 12, 31))
    assert not reply.ok and "viimeistään 29.2.2028" in reply.text, reply.text


def test_at_half_past_eleven_on_29_2_2028_the_window_is_on_its_last_day(desks: Desks) -> None:
    reply = desks.open(helsinki_at(date(2028, 2, 29), 23, 30), date(2027, 12, 31))
    assert reply.ok, reply.text
    assert "osa 1 29.2.2028 mennessä, osa 2 29.2.2028 mennessä" in reply.text
    assert "tänään on aloitusikkunan viimeinen arkipäivä" in reply.text


@pytest.mark.parametrize("moment", [
    helsinki_at(date(2026, 3, 2), 0, 30),  # winter time: 22:30 UTC on 1.3.
    helsinki_at(date(2026, 3, 2), 1, 59),
    helsinki_at(date(2027, 3, 29), 0, 30),  # the night after the spring DST change: 21:30 UTC on 28.3.
    helsinki_at(date(2026, 10, 26), 0, 30),  # the night after the autumn DST change: 22:30 UTC on 25.10.
    helsinki_at(date(2027, 1, 1), 0, 30),  # New Year's Day: 22:30 UTC on New Year's Eve
])
def test_a_decision_made_today_in_helsinki_is_not_in_the_future(desks: Desks, moment: datetime) -> None:
    today = moment.astimezone(HELSINKI).date()
    assert moment.astimezone(UTC).date() == today - timedelta(days=1), "in UTC it is still yesterday"
    reply = desks.open(moment, today)
    assert reply.ok, reply.text
    assert f"Kierros ”Kartoitus {today:%m/%Y}”" in reply.text, "the default name has the local month"


@pytest.mark.parametrize(("moment", "decision"), [
    (helsinki_at(date(2026, 3, 1), 23, 30), date(2026, 3, 2)),
    (helsinki_at(date(2027, 3, 28), 23, 30), date(2027, 3, 29)),  # summer time since 04:00 that night
    (helsinki_at(date(2026, 10, 25), 23, 30), date(2026, 10, 26)),  # winter time again since 04:00
    (helsinki_at(date(2026, 12, 31), 23, 30), date(2027, 1, 1)),
])
def test_at_half_past_eleven_tomorrows_decision_is_still_in_the_future(desks: Desks, moment: datetime,
                                                                       decision: date) -> None:
    reply = desks.open(moment, decision)
    assert not reply.ok and "on tulevaisuudessa" in reply.text, reply.text


def test_on_the_saturday_that_ends_the_window_no_working_day_is_left(desks: Desks) -> None:
    saturday = helsinki_at(date(2026, 2, 28), 10)
    for language, expected in (("fi", "eikä siinä ole enää yhtään arkipäivää määräajoille (viimeinen oli 27.2.2026)"),
                               ("sv", "det finns inga arbetsdagar kvar i det för tidsfristerna (den sista var "
                                      "27.2.2026)"),
                               ("en", "no working day is left in it for the deadlines (the last one was 27.2.2026)")):
        reply = desks.open(saturday, date(2025, 12, 31), language=language)
        assert not reply.ok and expected in reply.text and "28.2.2026" in reply.text, reply.text
    reply = desks.open(saturday, date(2025, 12, 31))
    assert "Määräaika on jo mennyt" not in reply.text, "no deadline was given, so none has passed"
    reply = desks.open(saturday, date(2025, 12, 31), part2_deadline=date(2026, 2, 28))
    assert not reply.ok and "viimeinen oli 27.2.2026" in reply.text, reply.text


def test_on_the_last_working_day_of_the_window_the_round_opens_with_both_parts_due_today(desks: Desks) -> None:
    reply = desks.open(helsinki_at(date(2026, 2, 27), 0, 30), date(2025, 12, 31))  # Friday, 22:30 UTC on Thursday
    assert reply.ok, reply.text
    assert "Aloitus viimeistään 28.2.2026; osa 1 27.2.2026 mennessä, osa 2 27.2.2026 mennessä" in reply.text
    assert reply.text.endswith("Huomaa: tänään on aloitusikkunan viimeinen arkipäivä, joten molempien osien "
                               "määräaika on tänään.")


def test_a_deadline_on_a_day_off_is_refused_with_the_nearest_earlier_working_day(desks: Desks) -> None:
    thursday = helsinki_at(date(2026, 2, 26), 10)
    reply = desks.open(thursday, date(2025, 12, 31), part2_deadline=date(2026, 2, 28))
    assert not reply.ok and "Määräaika 28.2.2026 ei ole arkipäivä" in reply.text
    assert "valitse esimerkiksi 27.2.2026" in reply.text
    reply = desks.open(thursday, date(2025, 12, 31), language="sv", part1_deadline=date(2026, 2, 28))
    assert not reply.ok and "Tidsfristen 28.2.2026 är inte en arbetsdag" in reply.text
    assert "välj till exempel 27.2.2026" in reply.text
    reply = desks.open(helsinki_at(date(2025, 12, 15), 10), date(2025, 12, 1), language="en",
                       part1_deadline=date(2025, 12, 24), part2_deadline=date(2026, 1, 30))
    assert not reply.ok and "The deadline 24.12.2025 is not a working day" in reply.text
    assert "choose for example 23.12.2025" in reply.text, "Christmas Eve is a day off"
    reply = desks.open(thursday, date(2025, 12, 31), part2_deadline=date(2026, 2, 27))
    assert reply.ok and "osa 2 27.2.2026 mennessä" in reply.text, reply.text


def test_a_day_off_after_the_earlier_working_days_passed_suggests_the_next_one() -> None:
    with pytest.raises(PlanError) as refused:
        plan_round(today=date(2026, 12, 5), decision_date=date(2026, 11, 20), team_ids=[1], responsible="M",
                   part1_deadline=date(2026, 12, 6))  # Saturday: Friday has passed, Independence Day is off
    assert refused.value.key == "rounds.deadline_not_working_day"
    assert refused.value.values["suggestion"] == date(2026, 12, 7)


def test_default_deadlines_fall_on_working_days_inside_the_window() -> None:
    outcomes: set[str] = set()
    for offset in range(0, 800):
        today = date(2026, 1, 1) + timedelta(days=offset)
        decision = today - timedelta(days=(offset * 7) % 66)
        try:
            plan = plan_round(today=today, decision_date=decision, team_ids=[1], responsible="M")
        except PlanError as error:
            assert error.key in ("rounds.window_passed", "rounds.no_working_day_left"), (today, decision, error.key)
            outcomes.add(error.key)
            continue
        outcomes.add("opened")
        assert is_working_day(plan.part1_deadline) and is_working_day(plan.part2_deadline), plan
        assert today <= plan.part1_deadline <= plan.part2_deadline <= plan.window_end, plan
    assert outcomes == {"opened", "rounds.window_passed", "rounds.no_working_day_left"}


def test_the_listing_and_the_workbook_show_the_local_opening_date(desks: Desks) -> None:
    moment = helsinki_at(date(2026, 12, 1), 0, 30)  # 22:30 UTC on 30.11.
    reply = desks.open(moment, date(2026, 11, 16))
    assert reply.ok and "Kierros ”Kartoitus 12/2026”" in reply.text, reply.text
    desk = desks.desk()
    assert "avattu 1.12.2026" in desk.list().text
    workbook = desk.workbook("autoala")
    assert not isinstance(workbook, Reply) and workbook.dates == "1.12.2026–"
    desks.clock.moment = helsinki_at(date(2027, 1, 1), 1, 0)  # closed on New Year's Day, 23:00 UTC on New Year's Eve
    assert desk.set_status(None, "closed").ok
    workbook = desk.workbook("autoala")
    assert not isinstance(workbook, Reply) and workbook.dates == "1.12.2026–1.1.2027"


def test_a_started_clock_runs_on_from_its_moment() -> None:
    ticks = iter([100.0, 101.5, 3700.0])
    clock = StartedClock(helsinki_at(date(2026, 12, 6), 23, 30), monotonic=lambda: next(ticks))
    assert clock.now() == helsinki_at(date(2026, 12, 6), 23, 30) + timedelta(seconds=1.5)
    assert clock.now().astimezone(HELSINKI) == helsinki_at(date(2026, 12, 7), 0, 30), "past midnight, local"
    with pytest.raises(ValueError, match="naive"):
        StartedClock(datetime(2026, 12, 7, 10))


async def kartoitus(url: str, *args: str, **settings: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=environment(KARTOITUS_DATABASE_URL=url, **settings),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


async def test_kartoitus_round_open_on_the_windows_last_saturday_says_what_is_possible(desks: Desks) -> None:
    """The issue's case, from the command line, with the process clock set by KARTOITUS_CLOCK_START."""
    saturday = {"KARTOITUS_CLOCK_START": "2026-02-28T10:00"}  # wall time in KARTOITUS_TIMEZONE
    common = ("round", "open", "--decision-date", "31.12.2025", "--team", "autoala", "--responsible", "Maija")
    code, out = await kartoitus(desks.url, *common, **saturday)
    assert code == 1 and "viimeinen oli 27.2.2026" in out and "Määräaika on jo mennyt" not in out, out
    code, out = await kartoitus(desks.url, *common, "--part2-deadline", "28.2.2026", **saturday)
    assert code == 1 and "viimeinen oli 27.2.2026" in out, out
    thursday = {"KARTOITUS_CLOCK_START": "2026-02-26T10:00+02:00"}
    code, out = await kartoitus(desks.url, *common, "--part2-deadline", "28.2.2026", **thursday)
    assert code == 1 and "Määräaika 28.2.2026 ei ole arkipäivä" in out and "valitse esimerkiksi 27.2.2026" in out, out
    friday_night = {"KARTOITUS_CLOCK_START": "2026-02-27T00:30+02:00"}  # 22:30 UTC on Thursday
    code, out = await kartoitus(desks.url, *common, **friday_night)
    assert code == 0 and "osa 1 27.2.2026 mennessä, osa 2 27.2.2026 mennessä" in out, out
    assert "tänään on aloitusikkunan viimeinen arkipäivä" in out
    code, out = await kartoitus(desks.url, "round", "list", **friday_night)
    assert "1. Kartoitus 02/2026 – auki, avattu 27.2.2026" in out, out


def test_the_raw_export_dates_an_answer_by_the_local_date() -> None:
    from storage.memory_store import MemoryStore
    from tests.support.clock import FakeClock
    from tests.support.conversation import Chat

    store = MemoryStore()
    chat = Chat(store, INSTRUMENT, clock=FakeClock(helsinki_at(date(2027, 1, 1), 0, 30)))  # 22:30 UTC on 31.12.
    chat.send("/start").send("4")
    chat.close()
    assert {row.answered_on for row in store.export_rows(zone="Europe/Helsinki")} == {"2027-01-01"}
    assert {row.answered_on for row in store.export_rows()} == {"2026-12-31"}, "UTC only when asked for"
