"""Typed text is bound to the question on the person's screen when it arrives (bot.app.service), not when its
turn gets to run: a person taps a rating and, before the bot has answered, types a correction. The text waits
behind the tap's turn; meanwhile the tap's reply, the next question, is delivered. That question was not on
the person's screen when they typed, so the text is for the card they saw. Real SQLite; the sender notes each
delivered question as the platform senders do (adapters.delivery.remember_shown)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from adapters.delivery import remember_shown
from bot.app.service import TurnService
from bot.core.delivery import DELIVERED, Delivery
from bot.core.events import ChoiceSelected, CommandReceived, TextReceived
from bot.core.identity import UserRef
from bot.core.messages import ChoicePrompt, Outbound
from bot.shell.content import load_instrument
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams
from tests.support.clock import FakeClock

ANNA = UserRef("telegram", "bot1", "101")


class NotingSender:
    """Delivers at once and notes each question as on the person's screen, as the platform senders do."""

    def __init__(self, refs: SqlTeams, clock: FakeClock) -> None:
        self.refs, self.clock = refs, clock
        self.sent: list[Outbound] = []

    async def send(self, messages: Sequence[Outbound]) -> list[Delivery]:
        for message in messages:
            self.sent.append(message)
            remember_shown(self.refs, message, self.clock)
        return [DELIVERED for _ in messages]


async def test_a_correction_typed_before_the_next_card_arrived_is_for_the_card_on_screen(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'arrival.db'}"
    upgrade(url)
    engine = create_database_engine(url)
    clock = FakeClock()
    instrument = load_instrument()
    teams = SqlTeams(engine)
    sender = NotingSender(teams, clock)
    service = TurnService(SqlStore(engine), instrument, sender, clock, shown=teams)
    first, second = instrument.point_ids[:2]
    try:
        await service.handle(CommandReceived(event_id="start", user=ANNA, at=clock.now(), name="start"))
        card = next(m for m in reversed(sender.sent) if isinstance(m, ChoicePrompt))
        # The tap and the text come one after the other; the text arrives while the tap's turn still runs.
        tap = asyncio.create_task(service.handle(ChoiceSelected(event_id="tap", user=ANNA, at=clock.now(),
                                                                prompt_id=card.prompt_id, value="4")))
        await asyncio.sleep(0)  # the tap's turn has the person's lock and is off in its thread
        text = asyncio.create_task(service.handle(TextReceived(event_id="text", user=ANNA, at=clock.now(),
                                                               text="2")))
        await asyncio.gather(tap, text)
        answers = {row.question: row.value for row in SqlStore(engine).export_rows()}
        assert answers == {f"rate:{first}": "2"}, \
            "the 2 corrects the first point, whose card was on screen; the second is still to be answered"
        assert f"rate:{second}" not in answers
    finally:
        engine.dispose()
