"""A fast person on Telegram, under Telegram's own send limits (1 message/s per chat): the tangle of issue 13,
item 7, reproduced and fixed.

The person acts every 0.25 s without waiting for the bot: taps on the card and types ratings, faster than the
bot may write to the chat, so after the first few the bot's replies arrive after the person's next action (as
reported: an answer typed in that gap landed on whichever question was current). Whatever the timing, every
answer must count for the question that was on the person's screen when they gave it, nothing may be asked
twice or get stuck, and each tap costs one Bot API call: the card is edited into the next question.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from adapters.ratelimit import RateLimiter
from adapters.telegram.app import TelegramBot
from adapters.telegram.platform import PLATFORM as TELEGRAM
from bot.core.clock import StartedClock
from bot.shell import wiring
from bot.shell.settings import Settings
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams
from tests.support.fast_person import ACTIONS, GAP, LABELS, expected, rating_meant
from tests.support.telegram import TelegramPerson
from tests.support.telegram_proxy import RepairingProxy


@pytest_asyncio.fixture
async def paced_bot(settings: Settings, suite_clock: StartedClock) -> AsyncIterator[TelegramBot]:
    """The real bot with Telegram's own limits (30/s overall, 1/s per chat with a burst of 3)."""
    bot = wiring.platform_app(settings, TELEGRAM, limiter=RateLimiter(), clock=suite_clock)
    assert isinstance(bot, TelegramBot)
    await bot.start()
    yield bot
    await bot.stop()


def card_point(message: dict[str, Any]) -> int | None:
    """The point a rating card shows (its heading "Osa 1 · k/8"), None for any other message."""
    found = re.search(r"Osa 1 · (\d)/8", message.get("text", ""))
    return int(found.group(1)) if found and message.get("reply_markup", {}).get("inline_keyboard") else None


async def the_card(person: TelegramPerson) -> dict[str, Any]:
    cards = [m for m in await person.history() if card_point(m) is not None]
    assert len(cards) == 1, "part 1 is one card"
    return cards[0]


async def test_a_fast_person_answers_every_question_they_saw_and_nothing_else(
        paced_bot: TelegramBot, anna: TelegramPerson, telegram_proxy: RepairingProxy,
        stores: tuple[SqlStore, SqlTeams]) -> None:
    await anna.say("/start")
    await anna.replies(expect="Osa 1 · 1/8")
    calls_before = len(telegram_proxy.calls)
    meant: dict[int, str] = {}  # point number → the rating the person gave while seeing that point's card
    for kind, value in ACTIONS:
        # The card stays as it is while the person reads it and acts, as on a phone: the bot's edit lands before
        # or after the action, never between the look and the action (the harness has no reaction time).
        async with telegram_proxy.looking():
            card = await the_card(anna)
            point = card_point(card)
            assert point is not None
            if kind == "tap":
                await anna.press(LABELS[value], card)
                meant[point] = value
            else:
                await anna.say(value)
                meant[point] = rating_meant(value)
        await asyncio.sleep(GAP)

    async def settled() -> dict[str, str | None]:
        """The answers once the paced replies have caught up: no call from the bot for 1.5 s."""
        seen, quiet_since = -1, 0.0
        loop = asyncio.get_running_loop()
        for _ in range(600):
            made = len([c for c in telegram_proxy.calls if c[0] != "getUpdates"])
            if made != seen:
                seen, quiet_since = made, loop.time()
            elif loop.time() - quiet_since > 1.5:
                return {row.question: row.value for row in stores[0].export_rows()}
            await asyncio.sleep(0.1)
        raise AssertionError(f"the bot never went quiet: {await anna.history()}")

    answers = await settled()
    assert answers == expected(meant), \
        "each answer counts for the question on screen when it was given"
    assert card_point(await the_card(anna)) == max(meant) + 1, "the card shows the first question not answered"
    edits = [c for c in telegram_proxy.calls[calls_before:] if c[0] == "editMessageText"]
    sends = [c for c in telegram_proxy.calls[calls_before:] if c[0] == "sendMessage"]
    assert len(edits) == len(ACTIONS) and not sends, "one Bot API call per answer: the card, edited in place"
    assert not any("jo vastattu" in m.get("text", "") or "En tunnistanut" in m.get("text", "")
                   for m in await anna.history()), "nothing was refused or asked twice"

    # Not stuck: the rest of part 1 at a person's pace, on the same card.
    while (point := card_point(await the_card(anna))) is not None and point <= 8:
        await anna.press(LABELS["4"], await the_card(anna))
        await anna.replies(expect="Kehittämiskohteet" if point == 8 else f"Osa 1 · {point + 1}/8")
        if point == 8:
            break
    answers = {row.question: row.value for row in stores[0].export_rows()}
    assert len(answers) == 8
