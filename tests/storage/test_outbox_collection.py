"""What waited for a person on a platform that cannot push (the terminal), collected when they come back:
the invitation and the latest reminder only, each shown once and recorded as delivered, never twice when
two chats open at once; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.outbox import Collection, OutboxWorker, scheduled_notice
from bot.core.delivery import retry
from bot.core.identity import UserRef
from bot.core.messages import Notice
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_outbox import SqlOutbox
from tests.storage.test_outbox import RecordingSender
from tests.support.clock import FakeClock

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ANNA, BO = UserRef("terminal", "local", "anna"), UserRef("terminal", "local", "bo")


@pytest.fixture(params=["sqlite", "postgres"])
def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlOutbox]:
    url = f"sqlite:///{tmp_path / 'held.db'}" if request.param == "sqlite" else str(
        request.getfixturevalue("fresh_postgres_url"))
    upgrade(url)
    engine = create_database_engine(url)
    yield SqlOutbox(engine)
    engine.dispose()


def queue_while_away(outbox: SqlOutbox) -> None:
    outbox.enqueue([scheduled_notice("invite:2:terminal:local:anna", ANNA, NOW, "Kutsu"),
                    scheduled_notice("remind:2:terminal:local:anna:1", ANNA, NOW + timedelta(days=7), "Muistutus 1"),
                    scheduled_notice("remind:2:terminal:local:anna:2", ANNA, NOW + timedelta(days=10), "Muistutus 2"),
                    scheduled_notice("remind:2:terminal:local:anna:3", ANNA, NOW + timedelta(days=13), "Muistutus 3"),
                    scheduled_notice("invite:2:terminal:local:bo", BO, NOW, "Kutsu Bolle"),
                    scheduled_notice("remind:2:terminal:local:anna:4", ANNA, NOW + timedelta(days=30), "Myöhemmin")],
                   now=NOW)


async def test_the_invitation_and_the_latest_reminder_are_shown_once_and_recorded(outbox: SqlOutbox) -> None:
    queue_while_away(outbox)
    clock = FakeClock(NOW + timedelta(days=14))
    shown = RecordingSender()
    assert await Collection(outbox, clock, worker="terminal-1").deliver(ANNA, shown) == 2
    assert [m.text for m in shown.sent if isinstance(m, Notice)] == ["Kutsu", "Muistutus 3"], \
        "the older reminders are superseded; the one due later, and Bo's invitation, are not Anna's to see now"
    counts = outbox.counts()
    assert (counts.waiting, counts.sent, counts.failed) == (2, 2, {}), "Bo's invitation and the later reminder wait"

    again = RecordingSender()
    assert await Collection(outbox, clock, worker="terminal-2").deliver(ANNA, again) == 0 and again.sent == []
    worker = OutboxWorker(outbox, {"terminal": RecordingSender()}, clock, worker="w")
    assert await worker.drain() == 1, "a worker for the platform still finds Bo's invitation (nothing of Anna's)"


async def test_two_chats_opened_at_once_show_each_message_once(outbox: SqlOutbox) -> None:
    queue_while_away(outbox)
    clock = FakeClock(NOW + timedelta(days=14))
    first, second = RecordingSender(), RecordingSender()
    delivered = await asyncio.gather(Collection(outbox, clock, worker="terminal-1").deliver(ANNA, first),
                                     Collection(outbox, clock, worker="terminal-2").deliver(ANNA, second))
    assert sum(delivered) == 2
    assert sorted(m.text for m in [*first.sent, *second.sent] if isinstance(m, Notice)) == ["Kutsu", "Muistutus 3"]


async def test_what_could_not_be_shown_waits_for_the_next_time(outbox: SqlOutbox) -> None:
    outbox.enqueue([scheduled_notice("invite:2:terminal:local:anna", ANNA, NOW, "Kutsu")], now=NOW)
    clock = FakeClock(NOW)
    broken = RecordingSender()
    broken.answers[ANNA.key] = retry("the terminal went away")
    assert await Collection(outbox, clock, worker="terminal-1").deliver(ANNA, broken) == 0
    assert outbox.counts().retrying == 1, "the attempt and its outcome are recorded as a worker records them"
    clock.advance(minutes=5)
    shown = RecordingSender()
    assert await Collection(outbox, clock, worker="terminal-2").deliver(ANNA, shown) == 1
    assert [m.text for m in shown.sent if isinstance(m, Notice)] == ["Kutsu"]
    counts = outbox.counts()
    assert (counts.sent, counts.retrying, counts.waiting) == (1, 0, 0)


async def test_a_person_named_like_a_team_never_collects_the_teams_messages(outbox: SqlOutbox) -> None:
    """A team's digest goes to its channel, stored in the same columns as a person: "autoala" the person must
    not see the digest of the team "autoala"."""
    from bot.core.identity import ChannelRef

    person, team = UserRef("terminal", "local", "autoala"), ChannelRef("terminal", "local", "autoala")
    outbox.enqueue([scheduled_notice("digest:2:autoala", team, NOW, "Tiimin kooste"),
                    scheduled_notice("invite:2:terminal:local:autoala", person, NOW, "Kutsu")], now=NOW)
    shown = RecordingSender()
    assert await Collection(outbox, FakeClock(NOW), worker="terminal-1").deliver(person, shown) == 1
    assert [m.text for m in shown.sent if isinstance(m, Notice)] == ["Kutsu"]
    assert outbox.counts().waiting == 1, "the digest still waits, unclaimed, for its channel"
