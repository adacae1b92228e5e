"""The durable outbox on SQLite and PostgreSQL: idempotent enqueue, leases, outcomes, no double sends."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.outbox import OutboxWorker, RetryPolicy, scheduled_notice
from bot.core.delivery import DELIVERED, Delivery, rejected, retry, unreachable
from bot.core.identity import UserRef
from bot.core.messages import Notice, Outbound
from bot.core.ports import Scheduled
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
    """Delivers, except to the people in `answers` (who get that outcome) or `fail_for` (a sender that raises)."""

    def __init__(self, fail_for: set[str] | None = None) -> None:
        self.sent: list[Outbound] = []
        self.fail_for = fail_for or set()
        self.answers: dict[str, Delivery] = {}
        self.requests = 0

    async def send(self, messages: Sequence[Outbound]) -> list[Delivery]:
        outcomes = []
        for message in messages:
            self.requests += 1
            if message.to.key in self.fail_for:
                raise RuntimeError("the platform is down")
            outcome = self.answers.get(message.to.key, DELIVERED)
            if outcome.delivered:
                self.sent.append(message)
            outcomes.append(outcome)
        return outcomes


def test_enqueue_is_idempotent_by_key(outbox: SqlOutbox) -> None:
    assert outbox.enqueue(reminders(3), now=NOW) == 3
    assert outbox.enqueue(reminders(5), now=NOW) == 2, "the three known keys are not added again"
    assert outbox.pending() == 5


def test_a_key_stays_known_whatever_became_of_its_message(outbox: SqlOutbox) -> None:
    outbox.enqueue(reminders(2), now=NOW)
    assert outbox.known("remind:1:0:1") and not outbox.known("remind:1:2:1")
    assert not outbox.known("remind:1:%"), "a key, not a pattern"
    first, second = outbox.claim(worker="w", platforms=["telegram"], now=NOW, lease_seconds=60, limit=2)
    outbox.mark_sent(first.id, worker="w", now=NOW)
    outbox.fail(second.id, worker="w", now=NOW, outcome="rejected", reason="400")
    assert outbox.known(first.key) and outbox.known(second.key), "sent or failed, it was enqueued"


def test_only_due_messages_are_claimed_and_a_claim_is_exclusive(outbox: SqlOutbox) -> None:
    outbox.enqueue([*reminders(2), scheduled_notice("later", person(9), NOW + timedelta(days=1), "Myöhemmin")],
                   now=NOW)
    first = outbox.claim(worker="a", platforms=["telegram"], now=NOW, lease_seconds=60, limit=10)
    assert [c.key for c in first] == ["remind:1:0:1", "remind:1:1:1"]
    assert outbox.claim(worker="b", platforms=["telegram"], now=NOW, lease_seconds=60, limit=10) == []
    assert outbox.claim(worker="b", platforms=["slack"], now=NOW + timedelta(days=2), lease_seconds=60,
                        limit=10) == [], "a worker only claims its own platforms"


def test_a_crashed_workers_claim_comes_back_after_the_lease_and_attempts_count_sends(outbox: SqlOutbox) -> None:
    outbox.enqueue(reminders(1), now=NOW)
    first = outbox.claim(worker="a", platforms=["telegram"], now=NOW, lease_seconds=60, limit=10)
    assert [c.attempts for c in first] == [0], "a claim is not an attempt"
    assert outbox.begin_attempt(first[0].id, worker="a", now=NOW)
    # worker a dies on the wire; after the lease worker b claims it again
    assert outbox.claim(worker="b", platforms=["telegram"], now=NOW + timedelta(seconds=30), lease_seconds=60,
                        limit=10) == [], "the lease holds"
    again = outbox.claim(worker="b", platforms=["telegram"], now=NOW + timedelta(seconds=61), lease_seconds=60,
                         limit=10)
    assert [c.attempts for c in again] == [1], "the send on the wire is counted"
    assert not outbox.begin_attempt(again[0].id, worker="a", now=NOW), "a's lease is gone"
    outbox.mark_sent(again[0].id, worker="a", now=NOW)
    assert outbox.pending() == 1, "only the worker holding the claim can mark it"
    outbox.mark_sent(again[0].id, worker="b", now=NOW)
    assert outbox.pending() == 0


def test_many_crashes_before_any_outcome_end_as_failed_not_stuck(url: str) -> None:
    engine = create_database_engine(url)
    outbox = SqlOutbox(engine, max_attempts=3)
    outbox.enqueue(reminders(1), now=NOW)
    moment = NOW
    for n in range(3):
        moment += timedelta(minutes=5)
        claimed = outbox.claim(worker=f"w{n}", platforms=["telegram"], now=moment, lease_seconds=60, limit=10)
        assert len(claimed) == 1 and outbox.begin_attempt(claimed[0].id, worker=f"w{n}", now=moment)
    assert outbox.claim(worker="w9", platforms=["telegram"], now=moment + timedelta(minutes=5), lease_seconds=60,
                        limit=10) == []
    assert outbox.pending() == 0 and [f.outcome for f in outbox.failed()] == ["exhausted"]
    engine.dispose()


async def test_the_worker_sends_each_due_message_once_and_retries_failures(outbox: SqlOutbox) -> None:
    clock = FakeClock(NOW)
    outbox.enqueue(reminders(30), now=NOW)
    sender = RecordingSender(fail_for={person(7).key})
    worker = OutboxWorker(outbox, {"telegram": sender}, clock, worker="w1", in_flight=4)
    assert await worker.drain() == 29
    assert sorted(m.text for m in sender.sent if isinstance(m, Notice)) == sorted(
        f"Muistutus {n}" for n in range(30) if n != 7)
    assert await worker.drain() == 0, "the failed one waits for its retry time"
    sender.fail_for.clear()
    clock.advance(minutes=2)
    assert await worker.drain() == 1 and outbox.pending() == 0
    assert len(sender.sent) == 30


async def test_only_a_delivered_message_is_marked_sent(outbox: SqlOutbox) -> None:
    """429 and 5xx are retried later; a permanent 400 and a person who left are failed with the reason."""
    clock = FakeClock(NOW)
    outbox.enqueue(reminders(4), now=NOW)
    sender = RecordingSender()
    sender.answers = {person(0).key: retry("429 Too Many Requests", 20), person(1).key: rejected("message is too long"),
                      person(2).key: unreachable("Forbidden: bot was blocked by the user")}
    worker = OutboxWorker(outbox, {"telegram": sender}, clock, worker="w", in_flight=1)
    assert await worker.drain() == 0, "the 429 leaves the platform alone for the rest of the drain"
    assert outbox.pending() == 4 and sender.requests == 1
    clock.advance(seconds=31)
    assert await worker.drain() == 1, "person 3 is delivered; the rest did not deliver"
    counts = outbox.counts()
    assert counts.sent == 1 and counts.retrying == 1 and counts.failed == {
        "rejected: message is too long": 1, "unreachable: Forbidden: bot was blocked by the user": 1}
    assert outbox.pending() == 1, "failed messages are not pending, but kept"
    assert {f.key: (f.outcome, f.attempts) for f in outbox.failed()} == {
        "remind:1:1:1": ("rejected", 1), "remind:1:2:1": ("unreachable", 1)}
    assert outbox.undelivered("remind:1:") == 2 and outbox.undelivered("remind:1_") == 0

    sender.answers = {}
    clock.advance(minutes=2)
    assert await worker.drain() == 1 and outbox.pending() == 0
    assert outbox.retry_failed(now=clock.now(), outcome="rejected") == 1
    assert await worker.drain() == 1 and outbox.counts().failed == {
        "unreachable: Forbidden: bot was blocked by the user": 1}
    assert [m.to.key for m in sender.sent].count(person(0).key) == 1, "a 429 is not a delivery: no duplicate"


async def test_a_rate_limit_for_two_minutes_is_delivered_once_after_it_ends(outbox: SqlOutbox) -> None:
    clock = FakeClock(NOW)
    outbox.enqueue(reminders(3), now=NOW)
    sender = RecordingSender()
    worker = OutboxWorker(outbox, {"telegram": sender}, clock, worker="w")
    limited_until = NOW + timedelta(minutes=2)
    while clock.now() < limited_until + timedelta(minutes=5):  # a tick a minute
        limited = clock.now() < limited_until
        sender.answers = {person(n).key: retry("429 Too Many Requests", 5) for n in range(3)} if limited else {}
        await worker.drain()
        clock.advance(minutes=1)
    assert sorted(m.to.key for m in sender.sent) == sorted(person(n).key for n in range(3)), "each once"
    assert outbox.pending() == 0 and outbox.counts().failed == {}


async def test_retries_back_off_and_stop_after_the_documented_number_of_sends(outbox: SqlOutbox) -> None:
    policy = RetryPolicy()
    assert [policy.delay(n, None).total_seconds() for n in range(1, 11)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert policy.delay(1, 90).total_seconds() == 90, "the platform's retry-after when it is longer"
    clock = FakeClock(NOW)
    outbox.enqueue(reminders(1), now=NOW)
    sender = RecordingSender()
    sender.answers = {person(0).key: retry("NetworkError: Bad Gateway")}
    worker = OutboxWorker(outbox, {"telegram": sender}, clock, worker="w", policy=RetryPolicy(max_attempts=4))
    for _ in range(20):
        await worker.drain()
        clock.advance(hours=1)
    assert sender.requests == 4, "four real sends, then it stops"
    assert [(f.outcome, f.reason, f.attempts) for f in outbox.failed()] == [
        ("exhausted", "NetworkError: Bad Gateway", 4)]


async def test_a_stopping_worker_gives_its_claims_back_at_once(outbox: SqlOutbox) -> None:
    import asyncio

    class SlowSender(RecordingSender):
        async def send(self, messages: Sequence[Outbound]) -> list[Delivery]:
            await asyncio.sleep(30)
            return await super().send(messages)

    clock = FakeClock(NOW)
    outbox.enqueue(reminders(5), now=NOW)
    worker = OutboxWorker(outbox, {"telegram": SlowSender()}, clock, worker="w", in_flight=2, lease_seconds=600)
    draining = asyncio.create_task(worker.drain())
    await asyncio.sleep(0.5)
    await worker.stop(timeout=0.2)
    await asyncio.wait_for(draining, timeout=5)
    again = outbox.claim(worker="other", platforms=["telegram"], now=NOW, lease_seconds=60, limit=10)
    assert len(again) == 5, "nothing waits for the ten-minute lease"
    assert sorted(c.attempts for c in again) == [0, 0, 0, 1, 1], "the two on the wire are counted"


async def test_a_persons_messages_arrive_in_their_order_while_others_go_side_by_side(outbox: SqlOutbox) -> None:
    """A digest before its chart, a heatmap before its PDF: the first of Anna's three is the slowest to send,
    yet the other two wait for it; Bo's message meanwhile is not held up by Anna's."""
    import asyncio

    class UnevenSender(RecordingSender):
        async def send(self, messages: Sequence[Outbound]) -> list[Delivery]:
            text = getattr(messages[0], "text", "")
            await asyncio.sleep(0.3 if text == "1/3" else 0.01)
            return await super().send(messages)

    anna, bo = person(1), person(2)
    outbox.enqueue([scheduled_notice(f"report:{n}", anna, NOW, f"{n}/3") for n in (1, 2, 3)]
                   + [scheduled_notice("other", bo, NOW, "Bo")], now=NOW)
    sender = UnevenSender()
    worker = OutboxWorker(outbox, {"telegram": sender}, FakeClock(NOW), worker="w", in_flight=8)
    assert await worker.drain() == 4
    texts = [getattr(message, "text", "") for message in sender.sent]
    assert [text for text in texts if text != "Bo"] == ["1/3", "2/3", "3/3"]
    assert texts.index("Bo") < texts.index("1/3"), "Bo's went out while Anna's first was still on its way"


async def test_a_stop_while_a_message_waits_its_turn_gives_its_claim_back_unsent(outbox: SqlOutbox) -> None:
    import asyncio

    class SlowSender(RecordingSender):
        async def send(self, messages: Sequence[Outbound]) -> list[Delivery]:
            await asyncio.sleep(30)
            return await super().send(messages)

    outbox.enqueue([scheduled_notice(f"report:{n}", person(1), NOW, f"{n}/2") for n in (1, 2)], now=NOW)
    worker = OutboxWorker(outbox, {"telegram": SlowSender()}, FakeClock(NOW), worker="w", lease_seconds=600)
    draining = asyncio.create_task(worker.drain())
    await asyncio.sleep(0.5)
    await worker.stop(timeout=0.2)
    await asyncio.wait_for(draining, timeout=5)
    again = outbox.claim(worker="other", platforms=["telegram"], now=NOW, lease_seconds=60, limit=10)
    assert sorted((c.key, c.attempts) for c in again) == [("report:1", 1), ("report:2", 0)], \
        "the first was on the wire (counted), the second never left"


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
    from bot.app.outbox import message_of, scheduled_image
    from bot.core.identity import ChannelRef
    from bot.core.messages import Image

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
