"""Team discussions through the real dispatcher and stores (bot.shell.wiring on a SQLite file), below the
platforms: the lead's agreed entry in their private chat (typed, in a form, skipped; by someone else),
replies after the close, a closer whose private chat cannot be reached, and the one reminder of an idle
discussion on the working-day calendar (a weekend, Christmas Eve and Christmas Day do not count).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.app.discussions import IdleDiscussions
from bot.core.delivery import Delivery, not_started, retry
from bot.core.events import ChoiceSelected, CommandReceived, Event, TextReceived, ThreadReply
from bot.core.identity import ChannelRef, UserRef
from bot.core.messages import FreeTextPrompt, Notice, Outbound
from bot.core.ports import LATEST_PROMPT
from bot.core.workdays import WorkingHours
from bot.shell import wiring
from bot.shell.settings import Settings
from storage.sql_discussions import SqlDiscussions
from storage.sql_outbox import SqlOutbox
from storage.sql_roles import SqlRoles
from storage.sql_rounds import SqlRounds
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams
from tests.support.clock import FakeClock, helsinki_at, suite_now
from tests.support.conversation import RecordingSender

GROUP = ChannelRef("slack", "T1", "C0AUTO")
LEAD = UserRef("slack", "T1", "U0LEAD")
MEMBER = UserRef("slack", "T1", "U0MEMBER")
_ids = itertools.count(1)


class Unreachable(RecordingSender):
    """A platform that cannot message people privately (a Telegram user who never opened the chat)."""

    async def send(self, messages: Sequence[Outbound]) -> list[Delivery]:
        delivered = await super().send(messages)
        return [not_started("403") if isinstance(m.to, UserRef) else d
                for m, d in zip(messages, delivered, strict=True)]


class RecapRateLimited(RecordingSender):
    """The platform answers the recap with 429s for longer than the sender waits."""

    async def send(self, messages: Sequence[Outbound]) -> list[Delivery]:
        delivered = await super().send(messages)
        return [retry("429 Too Many Requests", 600) if (getattr(m, "heading", None) or "").startswith("Yhteenveto")
                else d for m, d in zip(messages, delivered, strict=True)]


class Team:
    def __init__(self, database: Path, sender: RecordingSender | None = None) -> None:
        self.settings = Settings(_env_file=None, KARTOITUS_DATABASE_URL=f"sqlite:///{database}")  # type: ignore[call-arg]
        wiring.prepare_database(self.settings)
        self.engine = wiring.engine_for(self.settings)
        self.clock = FakeClock(suite_now())
        self.teams = SqlTeams(self.engine)
        team = self.teams.register_team(GROUP, "autoala", now=self.clock.now())
        for person in (LEAD, MEMBER):
            self.teams.join(team.id, person, now=self.clock.now())
        SqlRoles(self.engine).grant("slack:U0LEAD", "lead", team_id=team.id, granted_by="test", now=self.clock.now())
        self.sender = sender or RecordingSender()
        build = wiring.dispatcher_factory(self.settings, wiring.instrument_for(self.settings), self.teams, self.clock)
        self.dispatcher = build(self.sender, lambda code: "https://slack.com/app_redirect?app=A1")
        self.discussions = SqlDiscussions(self.engine)
        # The automatic round, as the first person's turn opens it (discussions belong to the open round).
        SqlStore(self.engine).current_round(instrument_version=wiring.instrument_for(self.settings).version,
                                            now=self.clock.now())

    def handle(self, event: Event | ThreadReply) -> list[Outbound]:
        return list(asyncio.run(self.dispatcher.handle(event)))

    def command(self, user: UserRef, argument: str, *, name: str = "discuss") -> list[Outbound]:
        return self.handle(CommandReceived(event_id=f"c{next(_ids)}", user=user, at=self.clock.now(), locale="fi",
                                           name=name, argument=argument, raw=name, channel=GROUP,
                                           channel_title="autoala"))

    def reply(self, user: UserRef, text: str, *, to: str | None = None, ref: str | None = None,
              edited: bool = False) -> list[Outbound]:
        """A reply to the newest discussion's message (or to the message `to`)."""
        newest = max(self.discussions.of_team(1, SqlRounds(self.engine).rounds()[0].id), key=lambda d: d.id)
        return self.handle(ThreadReply(event_id=f"r{next(_ids)}", user=user, at=self.clock.now(), channel=GROUP,
                                       text=text, reply_to=to or str(newest.message_ref),
                                       message_ref=ref or str(next(_ids) + 1000),
                                       edited=edited))

    def private(self, text: str, *, prompt_id: str | None = None, user: UserRef = LEAD) -> list[Outbound]:
        return self.handle(TextReceived(event_id=f"t{next(_ids)}", user=user, at=self.clock.now(), locale="fi",
                                        text=text, prompt_id=prompt_id))


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    made = Team(tmp_path / "kartoitus.db")
    yield made
    made.engine.dispose()


def texts(replies: Sequence[Outbound]) -> str:
    return "\n".join(f"{getattr(m, 'heading', '') or ''} {getattr(m, 'text', '')}" for m in replies)


def test_the_lead_records_the_entry_in_a_form_then_by_typing_and_no_one_else_can(team: Team) -> None:
    [opening] = team.command(LEAD, "1")
    assert isinstance(opening, Notice) and opening.to == GROUP
    team.reply(MEMBER, "+ Puhelin toimii")
    closed = team.command(LEAD, "valmis 1")
    recap, question = closed
    assert isinstance(recap, Notice) and recap.thread is not None and "Mukana 1 henkilö, 1 vastaus." in recap.text
    assert isinstance(question, FreeTextPrompt) and question.to == LEAD and question.prompt_id == "team:1:promise"
    # A member who is not the lead cannot answer the team's question, even with its id.
    refused = team.private("Lupaamme kaiken", prompt_id="team:1:promise", user=MEMBER)
    assert "Tätä kirjausta ei enää odoteta" in texts(refused)
    assert team.discussions.discussion(1).promise is None  # type: ignore[union-attr]
    # The lead answers in the form (a Slack modal names its question), then types the actions where asked.
    answered = team.private("Vastaamme samana päivänä.", prompt_id="team:1:promise")
    assert [type(m).__name__ for m in answered] == ["PromptClosed", "FreeTextPrompt"]
    assert answered[1].prompt_id == "team:1:actions"  # type: ignore[union-attr]
    team.teams.remember(LEAD.key, LATEST_PROMPT, "team:1:actions", now=team.clock.now())  # it reached the screen
    done = team.private("Tiimivastaava: verkkosivut, 31.1.\n\n- Kaikki: puhelinvuorot, 15.2.")
    assert "Kirjasin tiimin suunnitelmaan kohdan Tavoitettavuus ja näkyvyys." in texts(done)
    shared = done[-1]
    assert isinstance(shared, Notice) and shared.to == GROUP and shared.thread == recap.thread
    assert "• Tiimivastaava: verkkosivut, 31.1.\n• Kaikki: puhelinvuorot, 15.2." in shared.text
    entry = team.discussions.discussion(1)
    assert entry is not None and entry.promise == "Vastaamme samana päivänä."
    assert entry.actions == ("Tiimivastaava: verkkosivut, 31.1.", "Kaikki: puhelinvuorot, 15.2.")
    # Text typed after that is the person's own review again: the team's question is no longer awaited.
    after = team.private("4")
    assert "Kirjasin" not in texts(after)
    assert team.discussions.discussion(1).actions == entry.actions  # type: ignore[union-attr]


def test_skipping_keeps_what_was_recorded_and_a_repeated_event_counts_once(team: Team) -> None:
    team.command(LEAD, "2")
    team.command(LEAD, "valmis 2")
    skip = ChoiceSelected(event_id="skip-1", user=LEAD, at=team.clock.now(), locale="fi",
                          prompt_id="team:1:promise", value="skip")
    first = team.handle(skip)
    assert team.handle(skip) == [], "the platform delivered the press twice"
    assert first[-1].prompt_id == "team:1:actions"  # type: ignore[union-attr]
    team.private("-", prompt_id="team:1:actions")
    entry = team.discussions.discussion(1)
    assert entry is not None and entry.promise is None and entry.actions == ()
    assert "Toimenpiteitä ei kirjattu." in texts(team.sender.sent[-1:])


def test_replies_after_the_close_are_not_saved_and_edits_of_them_say_nothing(team: Team) -> None:
    [opening] = team.command(LEAD, "3")
    team.reply(MEMBER, "- Aikataulut", ref="2001")
    team.command(LEAD, "valmis 3")
    late = team.reply(MEMBER, "+ Myöhässä")
    assert "Tämä keskustelu on jo päätetty" in texts(late)
    assert team.reply(MEMBER, "- Aikataulut ja välineet", ref="2001", edited=True) == []
    assert [r.text for r in team.discussions.replies(1)] == ["Aikataulut"], "closed: the stored reply stands"
    assert team.reply(MEMBER, "+ another message's thread", to="999") == []
    assert len(team.discussions.replies(1)) == 1
    # Opened again, the earlier replies still count, and the group is told so.
    again = team.command(LEAD, "3")
    assert "avattiin uudelleen; aiemmat vastaukset ovat tallessa" in texts(again)
    assert isinstance(opening, Notice)


def test_a_closer_whose_private_chat_cannot_be_reached_is_told_in_the_group(tmp_path: Path) -> None:
    team = Team(tmp_path / "kartoitus.db", sender=Unreachable())
    try:
        team.command(LEAD, "1")
        replies = team.command(LEAD, "valmis 1")
        told = replies[-1]
        assert isinstance(told, Notice) and told.to == GROUP
        assert "En saanut lähetettyä sinulle yksityisviestiä" in told.text
        again = team.command(LEAD, "valmis 1")
        assert "Yhteenveto keskustelusta" not in texts(again), "closing again asks again, without a second recap"
        assert "En saanut lähetettyä" in texts(again)
    finally:
        team.engine.dispose()


def test_unknown_points_the_list_and_a_discussion_in_a_private_chat(team: Team) -> None:
    assert "En tunnista kohtaa ”12”" in texts(team.command(LEAD, "12"))
    team.command(LEAD, "näyt")  # the start of a title: Näyttöjen laatu
    listed = texts(team.command(LEAD, ""))
    assert "1. Tavoitettavuus ja näkyvyys" in listed and "Käynnissä nyt: 7. Näyttöjen laatu" in listed
    assert "ei ole keskustelua tällä kierroksella" in texts(team.command(LEAD, "valmis 2"))
    private = team.handle(CommandReceived(event_id="p1", user=LEAD, at=team.clock.now(), locale="fi",
                                          name="discuss", argument="1", raw="keskustelu"))
    assert "Keskustelu käydään tiimin ryhmässä" in texts(private)


@pytest.mark.parametrize(("opened", "quiet", "reminded"), [
    # Friday 10:00; Monday and Tuesday are two working days; the third ends on Wednesday at 10:00.
    (helsinki_at(date(2026, 12, 11), 10), helsinki_at(date(2026, 12, 16), 9, 59),
     helsinki_at(date(2026, 12, 16), 10, 1)),
    # Tuesday before Christmas: Christmas Eve and Day, then the weekend, do not count.
    (helsinki_at(date(2026, 12, 22), 11), helsinki_at(date(2026, 12, 28), 15),
     helsinki_at(date(2026, 12, 29), 11, 30)),
])
def test_an_idle_discussion_gets_one_reminder_after_working_days(team: Team, opened: datetime, quiet: datetime,
                                                                 reminded: datetime) -> None:
    team.clock.current = opened
    team.command(LEAD, "1")
    outbox = SqlOutbox(team.engine)
    idle = IdleDiscussions(team.discussions, wiring.instrument_for(team.settings), team.clock, idle_days=3,
                           hours=WorkingHours())
    team.clock.current = quiet
    assert idle.plan(outbox) == 0, "not yet three working days"
    team.clock.current = reminded.replace(hour=20)
    assert idle.plan(outbox) == 0, "outside working hours"
    team.clock.current = reminded
    assert idle.plan(outbox) == 1 and idle.plan(outbox) == 0, "one reminder"
    assert outbox.pending() == 1


def test_a_reply_keeps_a_discussion_from_being_idle(team: Team) -> None:
    team.clock.current = helsinki_at(date(2026, 12, 7), 10)
    team.command(LEAD, "1")
    team.clock.current = helsinki_at(date(2026, 12, 9), 10)
    team.reply(MEMBER, "+ jotain")
    idle = IdleDiscussions(team.discussions, wiring.instrument_for(team.settings), team.clock, idle_days=3)
    team.clock.current = helsinki_at(date(2026, 12, 11), 12)
    assert idle.plan(SqlOutbox(team.engine)) == 0
    team.clock.current = helsinki_at(date(2026, 12, 14), 12)
    assert idle.plan(SqlOutbox(team.engine)) == 1


def test_a_recap_the_platform_would_not_take_goes_out_from_the_outbox(tmp_path: Path) -> None:
    team = Team(tmp_path / "kartoitus.db", sender=RecapRateLimited())
    try:
        team.command(LEAD, "1")
        team.reply(MEMBER, "- Verkkosivut")
        team.command(LEAD, "valmis 1")
        outbox = SqlOutbox(team.engine)
        assert outbox.pending() == 1, "the closed discussion's recap waits in the outbox"
        [claimed] = outbox.claim(worker="w", platforms=["slack"], now=team.clock.now(), lease_seconds=60, limit=10)
        from bot.app.outbox import message_of
        recap = message_of(claimed)
        assert isinstance(recap, Notice) and recap.to == GROUP
        assert recap.heading == "Yhteenveto keskustelusta: 1. Tavoitettavuus ja näkyvyys"
        assert "• Verkkosivut" in recap.text and recap.thread == team.discussions.discussion(1).message_ref  # type: ignore[union-attr]
    finally:
        team.engine.dispose()
