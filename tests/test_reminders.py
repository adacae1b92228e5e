"""Invitations and reminders over weeks of a round, with the clock moved and the tick called:
escalation, working hours, snooze, opting out, catch-up after downtime, closing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.app.digest_schedule import DigestSchedule
from bot.app.dispatcher import Dispatcher
from bot.app.outbox import OutboxWorker
from bot.app.reminders import REMINDER_PROMPT, ReminderDesk, ReminderPlanner
from bot.app.round_desk import RoundDesk
from bot.app.service import TurnService
from bot.core.events import ChoiceSelected, CommandReceived, TextReceived
from bot.core.identity import ChannelRef, UserRef
from bot.core.messages import ChoicePrompt, Notice, Outbound
from bot.shell.content import load_instrument
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_outbox import SqlOutbox
from storage.sql_rounds import SqlRounds
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams
from tests.support.clock import FakeClock
from tests.support.conversation import RecordingSender

INSTRUMENT = load_instrument()
ANNA, BO, CID, MAIJA = (UserRef("telegram", "bot1", user) for user in ("101", "102", "103", "900"))


def helsinki(month: int, day: int, hour: int, year: int = 2026) -> datetime:
    """A moment given in Helsinki winter time (UTC+2)."""
    return datetime(year, month, day, hour - 2, 0, tzinfo=UTC)


class World:
    def __init__(self, url: str, *, digests: bool = False, results_during_round: bool = False) -> None:
        self.engine = create_database_engine(url)
        self.clock = FakeClock(helsinki(11, 23, 10))
        self.sender = RecordingSender()
        self.rounds, self.outbox = SqlRounds(self.engine), SqlOutbox(self.engine)
        self.planner = ReminderPlanner(self.rounds, self.outbox, INSTRUMENT, self.clock,
                                       coordinators=[f"telegram:{MAIJA.user}"])
        self.worker = OutboxWorker(self.outbox, {"telegram": self.sender}, self.clock, worker="test")
        turns = TurnService(SqlStore(self.engine), INSTRUMENT, self.sender, self.clock)
        self.dispatcher = Dispatcher(turns, None, ReminderDesk(self.planner))
        self.events = 0
        self.digests = DigestSchedule(self.rounds, self.outbox,
                                      lambda language: RoundDesk(self.rounds, self.outbox, INSTRUMENT, self.clock,
                                                                 language), self.clock,
                                      min_scores=2, results_during_round=results_during_round) if digests else None

    async def tick(self, moment: datetime) -> dict[str, list[Outbound]]:
        """Move the clock and run one scheduler tick; what each person received."""
        self.clock.current = moment
        before = len(self.sender.sent)
        self.planner.plan()
        if self.digests is not None:
            self.digests.plan()
        await self.worker.drain()
        received: dict[str, list[Outbound]] = {}
        for message in self.sender.sent[before:]:
            received.setdefault(message.to.key, []).append(message)
        return received

    async def act(self, user: UserRef, *, text: str | None = None, button: str | None = None) -> list[Outbound]:
        self.events += 1
        before = len(self.sender.sent)
        if button is not None:
            event: ChoiceSelected | TextReceived = ChoiceSelected(
                event_id=f"e{self.events}", user=user, at=self.clock.now(), prompt_id=REMINDER_PROMPT, value=button)
        else:
            event = TextReceived(event_id=f"e{self.events}", user=user, at=self.clock.now(), text=text or "")
        await self.dispatcher.handle(event)
        return self.sender.sent[before:]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'reminders.db'}"
    upgrade(url)
    world = World(url)
    teams = SqlTeams(world.engine)
    for title, members in (("autoala", [ANNA, BO]), ("sähköala", [CID])):
        team = teams.register_team(ChannelRef("telegram", "bot1", f"-{len(title)}"), title, now=world.clock.now())
        for member in members:
            teams.join(team.id, member, now=world.clock.now())
    reply = RoundDesk(world.rounds, world.outbox, INSTRUMENT, world.clock).open(
        decision_date=date(2026, 11, 16), team_titles=["autoala", "sähköala"], responsible="Maija", opened_by="test",
        part1_deadline=date(2026, 12, 11), part2_deadline=date(2027, 1, 15))
    assert reply.ok, reply.text
    yield world
    world.engine.dispose()


def texts(messages: list[Outbound]) -> str:
    return "\n".join(m.text for m in messages if isinstance(m, Notice | ChoicePrompt))


async def test_reminders_over_a_round(world: World) -> None:
    received = await world.tick(helsinki(11, 23, 10))
    assert set(received) == {ANNA.key, BO.key, CID.key} and "Kutsu" in str(received[ANNA.key][0])
    assert await world.tick(helsinki(11, 24, 10)) == {}, "no reminder before the 7th working day before part 1"

    # 2.12. is 7 working days before the part 1 deadline (11.12.), but not before 9:00
    assert await world.tick(helsinki(12, 2, 8)) == {}
    received = await world.tick(helsinki(12, 2, 9))
    assert set(received) == {ANNA.key, BO.key, CID.key}
    reminder = received[BO.key][0]
    assert isinstance(reminder, ChoicePrompt) and reminder.prompt_id == REMINDER_PROMPT
    assert "Et ole vielä aloittanut" in reminder.text and "11.12.2026" in reminder.text
    assert [o.label for o in reminder.options] == ["Jatka", "Muistuta myöhemmin", "En osallistu"]
    assert await world.tick(helsinki(12, 2, 15)) == {}, "at most one a day"

    # Anna continues from the reminder and rates one point; Cid opts out; Bo asks to be reminded later.
    replies = await world.act(ANNA, button="continue")
    assert "Osa 1 · 1/8" in str(replies) and "Tervetuloa" in texts(replies)
    await world.act(ANNA, text="4")
    assert "en muistuta sinua enää" in texts(await world.act(CID, button="optout"))
    assert "seuraavana arkipäivänä" in texts(await world.act(BO, button="later"))

    # The process is down from 3.12. to 9.12.; on 9.12. the one reminder owed (8.12.) is caught up, once.
    received = await world.tick(helsinki(12, 9, 11))
    assert set(received) == {ANNA.key, BO.key}, "Cid opted out"
    assert "osa 1 on kesken: 1/8" in texts(received[ANNA.key]).lower()
    assert await world.tick(helsinki(12, 9, 14)) == {}
    received = await world.tick(helsinki(12, 10, 9))
    assert set(received) == {ANNA.key, BO.key}, "the 1-day reminder"
    assert await world.tick(helsinki(12, 11, 10)) == {}, "not on the deadline day nor after the escalation"

    # After the part 1 deadline the reminders turn to part 2 (deadline 15.1.): 7 working days before is 5.1.
    assert await world.tick(helsinki(12, 14, 10)) == {}
    received = await world.tick(helsinki(1, 5, 10, year=2027))
    assert set(received) == {ANNA.key, BO.key} and "15.1.2027" in texts(received[BO.key])
    # The start window closes on 16.1.; five working days before it, with nobody done with part 1,
    # the coordinator (who has used the bot) is told, once.
    await world.act(MAIJA, text="hei")
    assert await world.tick(helsinki(1, 7, 10, year=2027)) == {}
    received = await world.tick(helsinki(1, 8, 10, year=2027))
    assert set(received) == {MAIJA.key} and "osan 1 on tehnyt vasta 0/3" in texts(received[MAIJA.key])
    assert await world.tick(helsinki(1, 11, 10, year=2027)) == {}

    # The round closes itself when its time is over; nothing is sent after it.
    assert await world.tick(helsinki(1, 18, 10, year=2027)) == {}
    assert world.rounds.rounds()[0].status == "closed"
    assert await world.tick(helsinki(1, 19, 10, year=2027)) == {}


async def test_invitations_speak_each_members_language(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'languages.db'}"
    upgrade(url)
    world = World(url)
    teams = SqlTeams(world.engine)
    team = teams.register_team(ChannelRef("telegram", "bot1", "-1"), "lager", now=world.clock.now())
    for member in (ANNA, BO):
        teams.join(team.id, member, now=world.clock.now())
    await world.dispatcher.handle(CommandReceived(event_id="lang", user=BO, at=world.clock.now(), name="language",
                                                  argument="sv"))  # Bo chose Swedish before the round
    assert RoundDesk(world.rounds, world.outbox, INSTRUMENT, world.clock).open(
        decision_date=date(2026, 11, 16), team_titles=["lager"], responsible="M", opened_by="test").ok
    received = await world.tick(helsinki(11, 23, 11))
    assert "Kutsu" in str(received[ANNA.key][0]) and "Inbjudan" in str(received[BO.key][0])
    world.engine.dispose()


async def test_a_rounds_own_reminder_days_and_a_persons_own_time_zone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'own.db'}"
    upgrade(url)
    world = World(url)
    teams = SqlTeams(world.engine)
    team = teams.register_team(ChannelRef("telegram", "bot1", "-2"), "tokio", now=world.clock.now())
    for member in (ANNA, BO):
        teams.join(team.id, member, now=world.clock.now())
    teams.set_timezone(BO, "Asia/Tokyo", now=world.clock.now())  # Bo works from Tokyo this autumn
    assert RoundDesk(world.rounds, world.outbox, INSTRUMENT, world.clock).open(
        decision_date=date(2026, 11, 16), team_titles=["tokio"], responsible="M", opened_by="test",
        part1_deadline=date(2026, 12, 11), part2_deadline=date(2027, 1, 15), reminder_days=[2], reminder_max=1).ok
    await world.tick(helsinki(11, 23, 10))  # the invitations
    assert await world.tick(helsinki(12, 8, 10)) == {}, "this round reminds only 2 working days before"
    received = await world.tick(helsinki(12, 9, 10))
    assert set(received) == {ANNA.key}, "10:00 in Helsinki is 17:00 in Tokyo: after Bo's working hours"
    received = await world.tick(datetime(2026, 12, 10, 0, 30, tzinfo=UTC))  # 9:30 in Tokyo, 2:30 in Helsinki
    assert set(received) == {BO.key}
    assert await world.tick(helsinki(1, 5, 10, year=2027)) == {}, "the round's cap of one reminder"
    world.engine.dispose()


async def test_digests_go_to_the_team_channels_weekly_and_at_the_close(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'digests.db'}"
    upgrade(url)
    world = World(url, digests=True)
    world.clock.current = helsinki(11, 23, 7)
    teams = SqlTeams(world.engine)
    channels = {}
    for title, members in (("autoala", [ANNA, BO]), ("sähköala", [CID])):
        team = teams.register_team(ChannelRef("telegram", "bot1", f"-{len(title)}"), title, now=world.clock.now())
        channels[title] = team.channel.key
        for member in members:
            teams.join(team.id, member, now=world.clock.now())
    assert RoundDesk(world.rounds, world.outbox, INSTRUMENT, world.clock).open(
        decision_date=date(2026, 11, 16), team_titles=["autoala", "sähköala"], responsible="M", opened_by="test",
        part1_deadline=date(2026, 12, 11), part2_deadline=date(2026, 12, 18)).ok

    received = await world.tick(helsinki(11, 23, 8))  # Monday before 9: invitations only
    assert set(received) == {ANNA.key, BO.key, CID.key}
    received = await world.tick(helsinki(11, 23, 9))  # Monday 9:00: this week's digests
    assert set(received) == set(channels.values())
    digest = received[channels["autoala"]][0]
    assert isinstance(digest, Notice) and digest.heading == "Kooste – tiimi: autoala · Kartoitus 11/2026"
    assert "2 kutsutusta 0 on vastannut" in digest.text
    assert await world.tick(helsinki(11, 23, 15)) == {}, "once a week"
    assert await world.tick(helsinki(11, 26, 10)) == {}, "only on Mondays"
    received = await world.tick(helsinki(11, 30, 10))
    assert set(received) >= set(channels.values()), "next Monday again"

    for person in (ANNA, BO, CID):
        await world.act(person, text="/aloita")
        await world.act(person, text="4")  # the reminder's buttons aside, answering is answering
    received = await world.tick(helsinki(12, 21, 10, year=2026))  # after part 2's deadline: closed, final digests
    assert world.rounds.rounds()[0].status == "closed"
    assert set(channels.values()) <= set(received)
    assert await world.tick(helsinki(12, 22, 10)) == {}, "the final digest once"
    world.engine.dispose()


@pytest.mark.parametrize("results_during_round", [False, True])
async def test_an_open_rounds_weekly_digest_shows_participation_and_the_close_the_results(
        tmp_path: Path, results_during_round: bool) -> None:
    """KARTOITUS_DIGEST_DURING_ROUND: "participation" (the default) keeps results until the close, against herding;
    "results" shows them weekly as before. The close's digest has the results either way."""
    url = f"sqlite:///{tmp_path / 'digests.db'}"
    upgrade(url)
    world = World(url, digests=True, results_during_round=results_during_round)
    world.clock.current = helsinki(11, 23, 7)
    team = SqlTeams(world.engine).register_team(ChannelRef("telegram", "bot1", "-7"), "autoala", now=world.clock.now())
    for member in (ANNA, BO):
        SqlTeams(world.engine).join(team.id, member, now=world.clock.now())
    assert RoundDesk(world.rounds, world.outbox, INSTRUMENT, world.clock).open(
        decision_date=date(2026, 11, 16), team_titles=["autoala"], responsible="M", opened_by="test",
        part1_deadline=date(2026, 12, 11), part2_deadline=date(2026, 12, 18)).ok
    await world.tick(helsinki(11, 23, 8))
    for person in (ANNA, BO):
        await world.act(person, text="/aloita")
        await world.act(person, text="4")
    weekly = (await world.tick(helsinki(11, 30, 10)))[team.channel.key]
    text = "\n".join(getattr(message, "text", "") for message in weekly)
    assert "2 kutsutusta 2 on vastannut" in text
    if results_during_round:
        assert "Tavoitettavuus ja näkyvyys: 4,0" in text
    else:
        assert "Tulokset julkaistaan tässä, kun kierros päättyy" in text and "4,0" not in text
        assert len(weekly) == 1, "no chart either"
    final = (await world.tick(helsinki(12, 21, 10)))[team.channel.key]
    assert "Tavoitettavuus ja näkyvyys: 4,0" in "\n".join(getattr(message, "text", "") for message in final)
    world.engine.dispose()


async def test_the_part2_reminder_counts_the_targets_the_person_chose(world: World) -> None:
    await world.tick(helsinki(11, 23, 10))
    await world.act(ANNA, text="hei")
    for _ in INSTRUMENT.point_ids:
        await world.act(ANNA, text="4")
    await world.act(ANNA, text="3 7")  # the development targets: points 3 and 7
    for answer in ("Toimii.", "Kehitettävää.", "Lupaus."):
        await world.act(ANNA, text=answer)  # point 3 deepened: one of the two she chose

    received = await world.tick(helsinki(1, 5, 10, year=2027))
    assert "Osa 2 on kesken: 1/2 valitsemaasi kohtaa syvennetty. Määräaika on 15.1.2027." in texts(
        received[ANNA.key])
    assert "/8" not in texts(received[ANNA.key])
