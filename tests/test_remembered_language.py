"""A person's language is remembered wherever the bot learns it: /liity tells the platform's language of someone
who never talks to the bot in private (their invitation is in it, not in KARTOITUS_LANGUAGE); a /kieli choice of
one round holds in the next (its conversation, and its reminders); and the team and round commands answer in the
chosen language before the locale (the terminal's locale is only the configured language)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from bot.app.outbox import OutboxWorker, message_of
from bot.app.reminders import REMINDER_PROMPT, ReminderPlanner
from bot.app.roles import Roles
from bot.app.round_commands import RoundCommands
from bot.app.round_desk import RoundDesk
from bot.app.service import TurnService
from bot.app.teams import TeamDesk
from bot.core.events import CommandReceived, TextReceived
from bot.core.identity import ChannelRef, UserRef
from bot.core.messages import ChoicePrompt, Notice, Outbound
from bot.shell.content import load_instrument
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_outbox import SqlOutbox
from storage.sql_rounds import SqlRounds
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams
from tests.support.clock import FakeClock, helsinki_at, suite_now, suite_today
from tests.support.conversation import RecordingSender

INSTRUMENT = load_instrument()
GROUP = ChannelRef("telegram", "bot1", "-77")
STINA = UserRef("telegram", "bot1", "301")  # joins with a Swedish Telegram, never talks in private
TERMINAL_SIV = UserRef("terminal", "local", "siv")  # joins a terminal team with locale sv
OLLI = UserRef("telegram", "bot1", "302")  # a Finnish Telegram, chooses Swedish with /kieli


class World:
    def __init__(self, url: str) -> None:
        self.engine = create_database_engine(url)
        self.clock = FakeClock(suite_now())
        self.sender = RecordingSender()
        self.teams = SqlTeams(self.engine)
        self.rounds, self.outbox = SqlRounds(self.engine), SqlOutbox(self.engine)
        self.turns = TurnService(SqlStore(self.engine), INSTRUMENT, self.sender, self.clock, language="en")
        self.team_desk = TeamDesk(self.teams, INSTRUMENT, self.sender, self.clock, lambda code: f"t.me/x?start={code}",
                                  language="en")
        self.desk = RoundDesk(self.rounds, self.outbox, INSTRUMENT, self.clock, language="en")
        self.planner = ReminderPlanner(self.rounds, self.outbox, INSTRUMENT, self.clock, language="en")
        self.worker = OutboxWorker(self.outbox, {"telegram": self.sender}, self.clock, worker="test")
        self.events = 0

    def event_id(self) -> str:
        self.events += 1
        return f"e{self.events}"

    async def join(self, user: UserRef, locale: str | None, channel: ChannelRef = GROUP,
                   title: str = "kieli") -> Outbound:
        replies = await self.team_desk.group_command(CommandReceived(
            event_id=self.event_id(), user=user, at=self.clock.now(), locale=locale, name="join", raw="/liity",
            channel=channel, channel_title=title))
        assert len(replies) == 1, replies
        return replies[0]

    async def command(self, user: UserRef, name: str, argument: str = "", locale: str | None = "fi-FI"
                      ) -> list[Outbound]:
        return list(await self.turns.handle(CommandReceived(event_id=self.event_id(), user=user, at=self.clock.now(),
                                                            locale=locale, name=name, argument=argument)))

    def open_round(self, title: str = "kieli") -> int:
        reply = self.desk.open(decision_date=suite_today().replace(day=1), team_titles=[title], responsible="M",
                               opened_by="test")
        assert reply.ok, reply.text
        return max(info.id for info in self.rounds.rounds())

    def waiting_for(self, user: UserRef) -> list[Outbound]:
        """Everything queued for `user` (whenever it is due), as it would go out now."""
        claimed = self.outbox.claim(worker="peek", platforms=[user.platform], now=self.clock.now() + timedelta(days=60),
                                    lease_seconds=1, limit=100)
        self.outbox.release([item.id for item in claimed], worker="peek", now=self.clock.now())
        return [message_of(item) for item in claimed if item.to == user]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'remembered.db'}"
    upgrade(url)
    world = World(url)
    yield world
    world.engine.dispose()


def heading_of(message: Outbound) -> str:
    assert isinstance(message, Notice) and message.heading is not None, message
    return message.heading


async def test_a_member_who_only_joined_gets_the_invitation_in_the_language_of_their_platform(world: World) -> None:
    confirmed = await world.join(STINA, "sv-SE")
    assert isinstance(confirmed, Notice) and confirmed.language == "sv" and confirmed.text.startswith("Tack!")
    await world.join(UserRef("telegram", "bot1", "303"), None)  # nothing known: the configured English
    world.open_round()

    (stina,) = world.waiting_for(STINA)
    assert stina.language == "sv" and heading_of(stina).startswith("Inbjudan"), stina
    (unknown,) = world.waiting_for(UserRef("telegram", "bot1", "303"))
    assert unknown.language == "en" and heading_of(unknown).startswith("Invitation"), unknown
    assert world.teams.chosen_language(STINA) is None, "a locale is not a choice"


async def test_a_terminal_member_who_only_joined_is_invited_in_the_locale_they_joined_with(world: World) -> None:
    terminal = ChannelRef("terminal", "local", "verstas")
    await world.join(TERMINAL_SIV, "sv", channel=terminal, title="verstas")
    world.open_round("verstas")
    (siv,) = world.waiting_for(TERMINAL_SIV)
    assert siv.language == "sv" and heading_of(siv).startswith("Inbjudan"), siv


async def test_a_chosen_language_wins_over_the_locale_a_member_joins_with(world: World) -> None:
    await world.command(OLLI, "language", "sv")
    assert world.teams.chosen_language(OLLI) == "sv"
    confirmed = await world.join(OLLI, "fi-FI")
    assert confirmed.language == "sv" and isinstance(confirmed, Notice) and confirmed.text.startswith("Tack!")
    world.open_round()
    (invitation,) = world.waiting_for(OLLI)
    assert invitation.language == "sv" and heading_of(invitation).startswith("Inbjudan")


async def test_a_language_chosen_in_one_round_holds_in_the_next_and_in_its_reminders(world: World) -> None:
    await world.join(OLLI, "fi-FI")
    first = await world.command(OLLI, "start")
    assert first and all(message.language == "fi" for message in first), first  # the default round, in Finnish
    changed = await world.command(OLLI, "language", "sv")
    assert changed and all(message.language == "sv" for message in changed), changed

    round_id = world.open_round()  # closes the default round: a new conversation for everyone
    again = await world.command(OLLI, "start")  # the locale is still Finnish: the choice holds
    assert again and all(message.language == "sv" for message in again), again
    more = list(await world.turns.handle(TextReceived(event_id=world.event_id(), user=OLLI, at=world.clock.now(),
                                                      locale="fi-FI", text="4")))
    assert more and all(message.language == "sv" for message in more), more
    assert world.teams.chosen_language(OLLI) == "sv", "the new round's first save erased the choice"
    standing = next(s for s in world.rounds.standings(round_id) if s.user == OLLI)
    assert standing.language == "sv"

    reminders: list[Outbound] = []
    day = suite_today()
    info = world.rounds.round(round_id)
    assert info is not None and info.part1_deadline is not None
    while day <= info.part1_deadline and not reminders:  # whatever the calendar: the first reminder that comes
        world.clock.current = helsinki_at(day, 10).astimezone(UTC)
        before = len(world.sender.sent)
        world.planner.plan()
        await world.worker.drain()
        reminders = [message for message in world.sender.sent[before:] if message.to == OLLI
                     and isinstance(message, ChoicePrompt) and message.prompt_id == REMINDER_PROMPT]
        day += timedelta(days=1)
    assert reminders, "no reminder came before the part 1 deadline"
    assert all(message.language == "sv" for message in reminders), reminders


async def test_round_commands_answer_in_the_chosen_language_though_the_locale_is_the_configured_one(
        world: World) -> None:
    await world.command(TERMINAL_SIV, "language", "sv", locale="en")
    commands = RoundCommands(lambda language: RoundDesk(world.rounds, world.outbox, INSTRUMENT, world.clock,
                                                        language=language),
                             Roles(frozenset()), INSTRUMENT, world.teams.mark_processed, language="en",
                             chosen_language=world.teams.chosen_language)
    (refused,) = commands.handle(CommandReceived(event_id=world.event_id(), user=TERMINAL_SIV, at=world.clock.now(),
                                                 locale="en", name="round", argument="lista"))
    assert isinstance(refused, Notice) and refused.language == "sv"
    assert refused.text == INSTRUMENT.text("sv", "rounds.coordinators_only")
    (other,) = commands.handle(CommandReceived(event_id=world.event_id(), user=STINA, at=world.clock.now(),
                                               locale="en", name="round", argument="lista"))
    assert other.language == "en", "no choice: the locale"
