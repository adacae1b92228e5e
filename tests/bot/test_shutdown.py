"""The graceful stop's parts: replies handed to the outbox, the ticker's close, running handlers, their order."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from adapters.inflight import InFlight
from bot.app.draining import HANDED_OVER, DrainingSender
from bot.app.outbox import message_of
from bot.core.delivery import DELIVERED, Delivery, Outcome, unreachable
from bot.core.identity import ChannelRef, UserRef
from bot.core.messages import Notice, Outbound, PromptClosed
from bot.shell.scheduler import Ticker
from bot.shell.wiring import shut_down
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_outbox import SqlOutbox
from tests.support.clock import FakeClock

ANNA = UserRef("telegram", "1", "501")
GROUP = ChannelRef("telegram", "1", "-100")


class HeldSender:
    """A platform sender whose sends wait until released (a group's slot a minute away)."""

    def __init__(self, *, refuse: set[str] | None = None) -> None:
        self.release = asyncio.Event()
        self.sent: list[Outbound] = []
        self.refuse = refuse or set()

    async def send(self, messages: Sequence[Outbound]) -> list[Delivery]:
        outcomes = []
        for message in messages:
            if isinstance(message, Notice) and message.text in self.refuse:
                outcomes.append(unreachable("blocked"))
                continue
            await self.release.wait()
            self.sent.append(message)
            outcomes.append(DELIVERED)
        return outcomes


@pytest.fixture
def outbox(tmp_path: Path) -> SqlOutbox:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    upgrade(url)
    return SqlOutbox(create_database_engine(url))


async def test_replies_pass_through_until_the_stop_then_wait_no_more(outbox: SqlOutbox) -> None:
    inner, clock = HeldSender(refuse={"estetty"}), FakeClock()
    drain = DrainingSender(inner, outbox, clock)
    inner.release.set()
    first = await drain.send([Notice(to=ANNA, text="estetty"), Notice(to=ANNA, text="ei lähde"),
                              Notice(to=GROUP, text="lähtee")])
    assert [d.outcome for d in first] == [Outcome.UNREACHABLE, Outcome.UNREACHABLE, Outcome.DELIVERED], \
        "the platform sender's rule: nothing after an undelivered message to the same recipient"
    assert [m.text for m in inner.sent if isinstance(m, Notice)] == ["lähtee"]

    inner.release.clear()
    confirmation = Notice(to=GROUP, text="Olet nyt tiimin jäsen (jäseniä 4).", heading="Tiimi", language="sv")
    waiting = asyncio.ensure_future(drain.send([confirmation, PromptClosed(to=GROUP, prompt_id="p1")]))
    await asyncio.sleep(0.01)
    drain.hand_over()
    assert await waiting == [HANDED_OVER, Delivery(Outcome.RETRY, reason="not sent: the process stopped")]
    assert await drain.send([Notice(to=ANNA, text="myöhässä")]) == [HANDED_OVER], "a turn finishing after the stop"
    assert outbox.pending() == 0, "kept until the turns are done, then written in one go"
    assert await drain.flush() == 2 and await drain.flush() == 0
    assert (drain.handed_over, drain.dropped) == (2, 1)

    claimed = outbox.claim(worker="next", platforms=["telegram"], now=clock.now(), lease_seconds=60, limit=10)
    assert [message_of(item) for item in claimed] == [confirmation, Notice(to=ANNA, text="myöhässä")]
    assert inner.sent[1:] == [], "nothing was sent twice"


async def test_a_turn_cancelled_itself_is_not_handed_over(outbox: SqlOutbox) -> None:
    inner = HeldSender()
    drain = DrainingSender(inner, outbox, FakeClock())
    task = asyncio.ensure_future(drain.send([Notice(to=ANNA, text="kesken")]))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await drain.flush() == 0


async def test_the_ticker_closes_after_its_running_tick_stopped_taking_work() -> None:
    stopping = asyncio.Event()
    seen: list[float] = []

    async def work() -> int:
        await stopping.wait()
        return 0

    async def stop_work(timeout: float) -> None:
        seen.append(timeout)
        stopping.set()

    ticker = Ticker(work, interval_seconds=0.05, stop_work=stop_work)
    ticker.start()
    for _ in range(200):
        if ticker.ticks:
            break
        await asyncio.sleep(0.01)
    await ticker.close(timeout=2)
    assert seen == [2] and ticker.ticks == 1
    await asyncio.sleep(0.15)
    assert ticker.ticks == 1, "no tick after the close"


async def test_a_tick_that_will_not_stop_is_cancelled_at_the_timeout() -> None:
    async def work() -> int:
        await asyncio.Event().wait()
        return 0

    ticker = Ticker(work, interval_seconds=60)
    ticker.start()
    for _ in range(200):
        if ticker.ticks:
            break
        await asyncio.sleep(0.01)
    await asyncio.wait_for(ticker.close(timeout=0.2), 5)


async def test_in_flight_handlers_settle_or_are_cancelled() -> None:
    in_flight, release = InFlight(), asyncio.Event()

    @in_flight.tracked
    async def handler(name: str) -> str:
        await release.wait()
        return name

    first = asyncio.ensure_future(handler("a"))
    await asyncio.sleep(0)
    assert len(in_flight) == 1
    assert not await in_flight.settle(0.05)
    release.set()
    assert await in_flight.settle(1) and await first == "a"
    release.clear()
    stuck = asyncio.ensure_future(handler("b"))
    await asyncio.sleep(0)
    assert await in_flight.cancel() == 1 and stuck.cancelled()


class FakeApp:
    def __init__(self, log: list[str], name: str, drain: DrainingSender) -> None:
        self.log, self.name, self.drain = log, name, drain

    async def stop_intake(self) -> None:
        self.log.append(f"{self.name}: no new work")

    async def settle(self, timeout: float) -> bool:
        self.log.append(f"{self.name}: settle {timeout:.0f}")
        return False

    async def stop(self, *, timeout: float = 5) -> None:
        self.log.append(f"{self.name}: stop, handing over: {self.drain.handing_over}")


async def test_the_stop_takes_no_new_work_first_and_writes_kept_replies_last(outbox: SqlOutbox) -> None:
    log: list[str] = []
    drain = DrainingSender(HeldSender(), outbox, FakeClock())

    async def stop_work(timeout: float) -> None:
        log.append("outbox worker: stop")

    async def work() -> int:
        await asyncio.sleep(0.05)
        return 0

    ticker = Ticker(work, interval_seconds=60, stop_work=stop_work)
    ticker.start()
    while ticker.ticks == 0:  # the stop must meet a running tick: wait for it, however busy the machine
        await asyncio.sleep(0.005)
    await shut_down([FakeApp(log, "telegram", drain), FakeApp(log, "slack", drain)], ticker, [drain], grace=4)
    assert log[:2] == ["telegram: no new work", "slack: no new work"]
    platforms = [entry for entry in log if not entry.startswith("outbox")]
    assert platforms[2:] == ["telegram: settle 4", "slack: settle 4", "telegram: stop, handing over: True",
                             "slack: stop, handing over: True"]
    assert "outbox worker: stop" in log
