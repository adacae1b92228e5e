"""Every scheduled message to a person speaks that person's language, not KARTOITUS_LANGUAGE: the
invitation and the reminders of a round opened with the configured language English go to a Finnish
member in Finnish and to a Swedish one in Swedish; only someone whose language is unknown gets English.
A language the bot learns after the message was queued, before it goes out, is the one it goes out in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.app.outbox import OutboxWorker, message_of, scheduled_notice
from bot.app.reminders import REMINDER_PROMPT, ReminderPlanner
from bot.app.round_desk import RoundDesk
from bot.app.service import TurnService
from bot.core.events import CommandReceived
from bot.core.identity import ChannelRef, UserRef
from bot.core.messages import ChoicePrompt, Notice, Outbound
from bot.core.ports import Claimed
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
AINO, SVEN, EMMA, LATE = (UserRef("telegram", "bot1", user) for user in ("201", "202", "203", "204"))


def helsinki(month: int, day: int, hour: int, year: int = 2026) -> datetime:
    """A moment given in Helsinki winter time (UTC+2); a fixed calendar, whatever today's date is."""
    return datetime(year, month, day, hour - 2, 0, tzinfo=UTC)


class World:
    def __init__(self, url: str) -> None:
        self.engine = create_database_engine(url)
        self.clock = FakeClock(helsinki(11, 23, 10))
        self.sender = RecordingSender()
        self.rounds, self.outbox = SqlRounds(self.engine), SqlOutbox(self.engine)
        self.turns = TurnService(SqlStore(self.engine), INSTRUMENT, RecordingSender(), self.clock, language="en")
        self.planner = ReminderPlanner(self.rounds, self.outbox, INSTRUMENT, self.clock, language="en")
        self.desk = RoundDesk(self.rounds, self.outbox, INSTRUMENT, self.clock, language="en")
        self.worker = OutboxWorker(self.outbox, {"telegram": self.sender}, self.clock, worker="test")
        self.events = 0

    async def speak(self, user: UserRef, locale: str) -> None:
        """The person uses the bot once, their platform telling its locale (as Telegram's language_code)."""
        self.events += 1
        await self.turns.handle(CommandReceived(event_id=f"e{self.events}", user=user, at=self.clock.now(),
                                                locale=locale, name="help"))

    async def tick(self, moment: datetime) -> dict[UserRef, list[Outbound]]:
        self.clock.current = moment
        before = len(self.sender.sent)
        self.planner.plan()
        await self.worker.drain()
        received: dict[UserRef, list[Outbound]] = {}
        for message in self.sender.sent[before:]:
            assert isinstance(message.to, UserRef)
            received.setdefault(message.to, []).append(message)
        return received


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'languages.db'}"
    upgrade(url)
    world = World(url)
    team = SqlTeams(world.engine).register_team(ChannelRef("telegram", "bot1", "-7"), "kieli", now=world.clock.now())
    for member in (AINO, SVEN, EMMA, LATE):
        SqlTeams(world.engine).join(team.id, member, now=world.clock.now())
    yield world
    world.engine.dispose()


def only(messages: list[Outbound]) -> Outbound:
    assert len(messages) == 1, messages
    return messages[0]


async def test_invitation_and_reminder_in_each_members_language_though_the_configured_one_is_english(
        world: World) -> None:
    await world.speak(AINO, "fi-FI")
    await world.speak(SVEN, "sv-SE")  # Emma and Late only joined the team: nothing is known of their language
    assert world.desk.open(decision_date=date(2026, 11, 16), team_titles=["kieli"], responsible="M", opened_by="t",
                           part1_deadline=date(2026, 12, 11), part2_deadline=date(2027, 1, 15)).ok
    await world.speak(LATE, "sv-FI")  # after the invitation was queued, before the tick sent it

    received = await world.tick(helsinki(11, 23, 11))
    invitations = {user: only(messages) for user, messages in received.items()}
    assert set(invitations) == {AINO, SVEN, EMMA, LATE}
    for user, language, heading in ((AINO, "fi", "Kutsu"), (SVEN, "sv", "Inbjudan"), (EMMA, "en", "Invitation"),
                                    (LATE, "sv", "Inbjudan")):
        invitation = invitations[user]
        assert isinstance(invitation, Notice) and invitation.language == language, (user, invitation)
        assert invitation.heading is not None and invitation.heading.startswith(heading), invitation.heading

    received = await world.tick(helsinki(12, 2, 10))  # 7 working days before the part 1 deadline
    reminders = {user: only(messages) for user, messages in received.items()}
    assert set(reminders) == {AINO, SVEN, EMMA, LATE}
    name = next(info.name for info in world.rounds.rounds() if info.decision_date is not None)
    for user, language in ((AINO, "fi"), (SVEN, "sv"), (EMMA, "en"), (LATE, "sv")):
        reminder = reminders[user]
        assert isinstance(reminder, ChoicePrompt) and reminder.prompt_id == REMINDER_PROMPT
        assert reminder.language == language
        assert reminder.text == INSTRUMENT.text(language, "reminders.not_started", name=name, deadline="11.12.2026")
        assert [option.label for option in reminder.options] == [
            INSTRUMENT.text(language, key) for key in ("reminders.continue", "reminders.later", "reminders.opt_out")]


def test_a_message_worded_once_keeps_its_language_whatever_the_recipient_speaks() -> None:
    """A reply handed over at a shutdown, a group's notice: not worded in other languages, so sent as it is."""
    item = scheduled_notice("reply:1", AINO, helsinki(11, 23, 10), "Kiitos!", language="fi")
    message = message_of(Claimed(1, item.key, AINO, item.payload, 0, "sv"))
    assert isinstance(message, Notice) and (message.text, message.language) == ("Kiitos!", "fi")
