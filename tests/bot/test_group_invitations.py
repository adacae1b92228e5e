"""Group invitations for members a platform will not let the bot message first, on SQLite.

The Telegram harness shows the whole story (tests/adapters/telegram/test_group_invitations.py);
these cover the step itself: once per round and team, counts only, the team's language, the
parked people the reminder planner leaves alone, and a link that survives the outbox and every
platform's renderer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.slack.outbound import CommandStyle
from adapters.slack.outbound import render as slack_render
from adapters.telegram.outbound import deep_link
from adapters.telegram.outbound import render as telegram_render
from adapters.terminal.outbound import render as terminal_render
from bot.app.group_invitations import GroupInvitations, group_notice_key, parked, team_language
from bot.app.outbox import message_of, scheduled_notice
from bot.core.delivery import Outcome
from bot.core.identity import ChannelRef, UserRef
from bot.core.instrument import Instrument
from bot.core.messages import Link, Notice
from bot.core.ports import Claimed
from bot.core.rounds import RoundPlan
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_outbox import SqlOutbox
from storage.sql_rounds import SqlRounds
from storage.sql_teams import SqlTeams
from storage.tables import outbox_message
from tests.support.clock import FakeClock

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # explicit: nothing here depends on today's date
BOT = "123456789"


def person(n: int) -> UserRef:
    return UserRef("telegram", BOT, str(5000 + n))


class World:
    def __init__(self, engine: sa.Engine, instrument: Instrument) -> None:
        self.engine = engine
        self.teams, self.rounds, self.outbox = SqlTeams(engine), SqlRounds(engine), SqlOutbox(engine)
        self.clock = FakeClock(NOW)
        self.step = GroupInvitations(self.rounds, self.teams, self.outbox, instrument, self.clock,
                                     links={"telegram": lambda code: deep_link("KartoitusBot", code)})

    def team(self, chat: int, title: str, members: list[UserRef]) -> int:
        team = self.teams.register_team(ChannelRef("telegram", BOT, str(chat)), title, now=NOW)
        for member in members:
            self.teams.join(team.id, member, now=NOW)
        return team.id

    def open_round(self, team_ids: list[int]) -> int:
        plan = RoundPlan(name="Syksy", decision_date=date(2026, 11, 2), window_end=date(2027, 1, 2),
                         part1_deadline=date(2026, 12, 11), part2_deadline=date(2026, 12, 31), responsible="Maija",
                         team_ids=tuple(team_ids))
        info = self.rounds.open_round(plan, instrument_version="t", opened_by="test", now=NOW)
        return info.id

    def invited(self, round_id: int, member: UserRef, outcome: Outcome | None) -> None:
        """An invitation in the outbox, then what became of it (None: still waiting)."""
        key = f"invite:{round_id}:{member.key}"
        self.outbox.enqueue([scheduled_notice(key, member, NOW, "Kutsu")], now=NOW)
        if outcome is not None:
            with self.engine.begin() as db:
                db.execute(sa.update(outbox_message).where(outbox_message.c.key == key)
                           .values(failed_at=NOW, outcome=str(outcome), attempts=1))

    def group_notices(self) -> list[tuple[str, str, Notice]]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(outbox_message).where(outbox_message.c.key.like("invite-group:%"))
                              .order_by(outbox_message.c.id)).all()
        notices = []
        for row in rows:
            claimed = Claimed(row.id, row.key, UserRef(row.platform, row.workspace, row.user_id), row.payload, 0)
            message = message_of(claimed)
            assert isinstance(message, Notice)
            notices.append((row.key, row.user_id, message))
        return notices


@pytest.fixture
def world(tmp_path: Path, instrument: Instrument) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'groups.db'}"
    upgrade(url)
    engine = create_database_engine(url)
    yield World(engine, instrument)
    engine.dispose()


def test_one_notice_per_round_and_team_with_counts_and_the_teams_join_link(world: World) -> None:
    autoala = world.team(-1001, "Autoala", [person(1), person(2), person(3)])
    sahko = world.team(-1002, "Sähköala", [person(4), person(5)])
    round_id = world.open_round([autoala, sahko])
    world.invited(round_id, person(1), None)  # still waiting: no reason to tell anyone
    world.invited(round_id, person(2), Outcome.NOT_STARTED)
    world.invited(round_id, person(3), Outcome.NOT_STARTED)
    world.invited(round_id, person(4), Outcome.UNREACHABLE)  # blocked the bot: a group notice would not help
    world.invited(round_id, person(5), None)

    assert world.step.plan() == 1
    assert world.step.plan() == 0, "once per round and team"
    [(key, chat, notice)] = world.group_notices()
    assert key == group_notice_key(round_id, autoala) == f"invite-group:{round_id}:{autoala}"
    assert chat == "-1001" and isinstance(notice.to, ChannelRef)
    assert "avanneet yksityiskeskustelua kanssani: 2." in notice.text and "11.12.2026" in notice.text
    assert str(person(2).user) not in notice.text, "counts only, never who"
    code = world.teams.register_team(ChannelRef("telegram", BOT, "-1001"), "Autoala", now=NOW).join_code
    assert notice.link == Link("Aloita kartoitus", f"https://t.me/KartoitusBot?start={code}")
    assert notice.language == "fi" and notice.heading == "Kutsu: kriittisten pisteiden kartoitus"
    assert parked(world.outbox, round_id) == {person(2).key, person(3).key}


def test_opening_the_chat_puts_the_persons_parked_messages_back_and_ends_their_wait(world: World) -> None:
    autoala = world.team(-1001, "Autoala", [person(1), person(2)])
    round_id = world.open_round([autoala])
    world.invited(round_id, person(1), Outcome.NOT_STARTED)
    world.invited(round_id, person(2), Outcome.NOT_STARTED)
    world.outbox.enqueue([scheduled_notice(f"remind:{round_id}:{person(2).key}:1", person(2), NOW, "M")], now=NOW)
    with world.engine.begin() as db:
        db.execute(sa.update(outbox_message).where(outbox_message.c.key.like("remind:%"))
                   .values(failed_at=NOW, outcome="not_started"))
    assert parked(world.outbox, round_id) == {person(1).key, person(2).key}

    world.clock.advance(hours=2)
    assert world.step.opened(person(2)) == 2, "the invitation and the reminder"
    assert parked(world.outbox, round_id) == {person(1).key}
    assert world.outbox.pending() == 2
    assert world.step.opened(person(2)) == 0


def test_no_notice_for_a_closed_round_or_a_platform_without_a_join_link(world: World, instrument: Instrument) -> None:
    autoala = world.team(-1001, "Autoala", [person(1)])
    round_id = world.open_round([autoala])
    world.invited(round_id, person(1), Outcome.NOT_STARTED)
    unlinked = GroupInvitations(world.rounds, world.teams, world.outbox, instrument, world.clock, links={})
    assert unlinked.plan() == 0
    world.rounds.set_status(round_id, "closed", now=NOW)
    assert world.step.plan() == 0 and world.group_notices() == []


def test_the_notice_is_in_the_language_most_of_the_team_uses(world: World) -> None:
    assert team_language(["sv", "sv-FI", "fi", None], "fi") == "sv"
    assert team_language(["sv", "fi"], "fi") == "fi", "a tie: the configured language"
    assert team_language([None, "de"], "fi") == "fi"
    assert team_language(["en"], "sv") == "en"


def test_a_link_survives_the_outbox_and_each_platform_shows_it(instrument: Instrument) -> None:
    group = ChannelRef("telegram", BOT, "-1001")
    link = Link("Aloita kartoitus", "https://t.me/KartoitusBot?start=abc_DEF-1")
    item = scheduled_notice("k", group, NOW, "Teksti <b>", heading="Otsikko", link=link)
    message = message_of(Claimed(1, "k", UserRef("telegram", BOT, "-1001"), item.payload, 0))
    assert message == Notice(to=group, text="Teksti <b>", heading="Otsikko", link=link)

    [call] = telegram_render(message)
    assert call.params["reply_markup"] == {"inline_keyboard": [[{"text": "Aloita kartoitus", "url": link.url}]]}
    assert call.params["text"] == "<b>Otsikko</b>\n\nTeksti &lt;b&gt;"
    assert terminal_render(message, instrument).endswith(f"Teksti <b>\nAloita kartoitus: {link.url}")
    [slack] = slack_render(Notice(to=ChannelRef("slack", "T1", "C1"), text="Teksti", link=link), instrument.text,
                           CommandStyle([]))
    assert f"Aloita kartoitus: {link.url}" in str(slack.params["blocks"])
    without = scheduled_notice("k", group, NOW, "Teksti")
    assert "link" not in without.payload
