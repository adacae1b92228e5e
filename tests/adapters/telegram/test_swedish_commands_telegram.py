"""Telegram, against the emulator: /ändra, /hjälp, /språk, /fortsätt typed with the Swedish letters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from adapters.telegram.app import TelegramBot
from tests.support.telegram import TelegramPerson

Start = Callable[..., Awaitable[TelegramBot]]


async def test_swedish_letters_in_commands(start_bot: Start, anna: TelegramPerson) -> None:
    await start_bot()
    await anna.say("/språk sv")
    await anna.replies(expect="Språket har bytts till svenska")
    await anna.say("/hjälp")
    assert "Jag känner inte till" not in await anna.replies(expect="Hjälp")
    await anna.say("/starta")
    await anna.replies(expect="Del 1 · 1/8")
    await anna.say("bra")
    await anna.replies(expect="Del 1 · 2/8")
    await anna.say("/paus")
    await anna.replies(expect="Paus.")
    await anna.say("/fortsätt")
    await anna.replies(expect="Välkommen tillbaka")
    await anna.say("/ändra")
    await anna.replies(expect="Vilket svar vill du ändra?")
    await anna.say("/andra@TestNameBot")
    await anna.replies(expect="Vilket svar vill du ändra?")
