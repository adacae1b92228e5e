"""The real Telegram adapter against the Bot API emulator, acted on as a person would."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from adapters.telegram.app import TelegramBot
from tests.support.telegram import TelegramPerson

Start = Callable[..., Awaitable[TelegramBot]]


async def test_start_shows_the_welcome_and_the_first_question_with_buttons(start_bot: Start,
                                                                           anna: TelegramPerson) -> None:
    await start_bot()
    await anna.say("/start")
    text = await anna.replies(expect="Osa 1 · 1/8")
    assert "Tervetuloa!" in text
    question = (await anna.history())[-1]
    labels = [row[0]["text"] for row in question["reply_markup"]["inline_keyboard"]]
    assert labels == ["1 Ei toimi", "2 Toimii heikosti", "3 Toimii osittain", "4 Toimii hyvin",
                      "5 Toimii erinomaisesti", "En osaa sanoa"]
    assert "<b>Osa 1 · 1/8 Tavoitettavuus ja näkyvyys</b>" in question["text"]
    await anna.press("4 Toimii hyvin", question)
    await anna.replies(expect="Osa 1 · 2/8")
    answered = next(m for m in await anna.history() if m["message_id"] == question["message_id"])
    assert "✓ <b>4 Toimii hyvin</b>" in answered["text"]
    assert not answered["reply_markup"]["inline_keyboard"], "no stale keyboard is left to tap"
