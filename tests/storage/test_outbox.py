"""The durable outbox on SQLite and PostgreSQL: idempotent enqueue, leases, no double sends."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.identity import UserRef
from bot.messages import Notice, Outbound
from bot.outbox import OutboxWorker, scheduled_notice
from bot.ports import Scheduled
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_outbox import SqlOutbox
from tests.support.clock import FakeClock

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    value = f"sqlite:///{tmp_path / 'outbox.db'}" if request.param == "sqlite" else str(
        request.getfixturevalue("fresh_postgres_url"))
    upgrade(value)
    return value


@pytest.fixture
def outbox(url: str) -> Iterator[SqlOutbox]:
    engine = create_database_engine(url)
    yield SqlOutbox(engine)
    engine.dispose()


def person(n: int) -> UserRef:
    return UserRef("telegram", "bot1", str(1000 + n))


def reminders(count: int, due: datetime = NOW) -> list[Scheduled]:
    return [scheduled_notice(f"remind:1:{n}:1", person(n), due, f"Muistutus {n}") for n in range(count)]


class RecordingSender:
    def __init__(self, fail_for: set[str] | None = None) -> None:
        self.sent: list[Outbound] = []
        self.fail_for = fail_for or set()

    async def send(self, messages: Sequence[Outbound]) -> None:
        for message in messages:
            if message.to.key in self.fail_for:
                raise RuntimeError("the platform is down")
            self.sent.append(message)


def test_enqueue_is_idempotent_by_key(outbox: SqlOutbox) -> None:
    assert outbox.enqueue(reminders(3), now=NOW) == 3
    assert outbox.enqueue(reminders(5), now=NOW) == 2, "the three known keys are not added again"
    assert outbox.pending() == 5


def test_only_due_messages_are_claimed_and_a_claim_is_exclusive(outbox: SqlOutbox) -> None:
    outbox.enqueue([*reminders(2), scheduled_notice("later", person(9), NOW + timedelta(days=1), "Myöhemmin")],
                   now=NOW)
    first = outbox.claim(worker="a", platforms=["telegram"], now=NOW, lease_seconds=60, limit=10)
    assert [c.key for c in first] == ["remind:1:0:1", "remind:1:1:1"]
    assert outbox.claim(worker="b", platforms=["telegram"], now=NOW, lease_seconds=60, limit=10) == []
    assert outbox.claim(worker="b", platforms=["slack"], now=NOW + timedelta(days=2), lease_seconds=60,
                        limit=10) == [], "a worker only claims its own platforms"


def test_a_crashed_workers_claim_is_sent_again_once_after_the_lease(outbox: SqlOutbox) -> None:
    outbox.enqueue(reminders(1), now=NOW)
    assert len(outbox.claim(worker="a", platforms=["telegram"], now=NOW, lease_seconds=60, limit=10)) == 1
    # worker a crashes before marking; after the lease worker b claims it again, once
    again = outbox.claim(worker="b", platforms=["telegram"], now=NOW + timedelta(seconds=61), lease_seconds=60,
                         limit=10)
    assert [c.attempts for c in again] == [2]
    assert outbox.claim(worker="c", platforms=["telegram"], now=NOW + timedelta(seconds=200), lease_seconds=60,
                        limit=10) == [], "at most one re-send per key"
    outbox.mark_sent([again[0].id], worker="a", now=NOW)
    assert outbox.pending() == 1, "only the worker holding the claim can mark it"
    outbox.mark_sent([again[0].id], worker="b", now=NOW)
    assert outbox.pending() == 0


async def test_the_worker_sends_each_due_message_once_and_retries_failures(outbox: SqlOutbox) -> None:
    clock = FakeClock(NOW)
    outbox.enqueue(reminders(30), now=NOW)
    sender = RecordingSender(fail_for={person(7).key})
    worker = OutboxWorker(outbox, {"telegram": sender}, clock, worker="w1", batch=8)
    assert await worker.drain() == 29
    assert sorted(m.text for m in sender.sent if isinstance(m, Notice)) == sorted(
        f"Muistutus {n}" for n in range(30) if n != 7)
    assert await worker.drain() == 0, "the failed one waits for its retry time"
    sender.fail_for.clear()
    clock.advance(minutes=2)
    assert await worker.drain() == 1 and outbox.pending() == 0
    assert len(sender.sent) == 30


@pytest.mark.postgres
@pytest.mark.slow
def test_two_worker_processes_share_a_fanout_without_duplicates_or_losses(fresh_postgres_url: str,
                                                                         tmp_path: Path) -> None:
    upgrade(fresh_postgres_url)
    engine = create_database_engine(fresh_postgres_url)
    SqlOutbox(engine).enqueue(reminders(1000), now=NOW)
    engine.dispose()
    logs = [tmp_path / "worker-a.jsonl", tmp_path / "worker-b.jsonl"]
    workers = [subprocess.Popen([sys.executable, "-m", "tests.support.outbox_worker", fresh_postgres_url, str(log),
                                 NOW.isoformat()], cwd=ROOT) for log in logs]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]
    sent = [json.loads(line)["user"] for log in logs for line in log.read_text().splitlines()]
    assert len(sent) == 1000 and len(set(sent)) == 1000, "every reminder went out exactly once"
    per_worker = [len(log.read_text().splitlines()) for log in logs]
    assert all(count > 0 for count in per_worker), f"both workers took part: {per_worker}"


def test_stored_payloads_come_back_as_the_same_messages(outbox: SqlOutbox) -> None:
    from bot.identity import ChannelRef
    from bot.messages import Image
    from bot.outbox import message_of, scheduled_image

    team = ChannelRef("slack", "T1", "C0AUTO")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    outbox.enqueue([scheduled_image("digest:1:1:final:chart", team, NOW, png, caption="Tiimin autoala kooste"),
                    scheduled_notice("digest:1:1:final", team, NOW, "Kooste <b>", heading="Tiimi")], now=NOW)
    claimed = outbox.claim(worker="w", platforms=["slack"], now=NOW, lease_seconds=60, limit=10)
    messages = {c.key: message_of(c) for c in claimed}
    image = messages["digest:1:1:final:chart"]
    assert isinstance(image, Image) and image.png == png and image.to == team
    notice = messages["digest:1:1:final"]
    assert isinstance(notice, Notice) and notice.to == team and notice.text == "Kooste <b>"
