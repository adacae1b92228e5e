"""The real Telegram adapter against the Bot API emulator, acted on as a person would."""

from __future__ import annotations

import asyncio
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


async def answer_part1(person: TelegramPerson) -> None:
    """Part 1 by buttons: eight ratings (continuing at the break), then the two targets."""
    for index, label in enumerate(["4 Toimii", "3 Toimii", "2 Toimii", "En osaa", "5 Toimii", "4 Toimii",
                                   "3 Toimii", "2 Toimii"], 1):
        await person.press(label, (await person.history())[-1])
        await person.replies(expect="Jatketaanko" if index == 5 else ("Kehittämiskohteet" if index == 8 else "/8"))
        if index == 5:
            await person.press("Jatka", (await person.history())[-1])
            await person.replies(expect="Osa 1 · 6/8")


async def test_a_whole_assessment_by_buttons_and_text(start_bot: Start, anna: TelegramPerson,
                                                      stores: tuple[SqlStore, SqlTeams]) -> None:
    await start_bot()
    await anna.say("/start")
    await anna.replies(expect="Osa 1 · 1/8")
    await answer_part1(anna)
    targets = (await anna.history())[-1]
    await anna.press("Yhteinen ennakkosuunnittelu", targets)
    redrawn = await wait_for_edit(anna, targets["message_id"], "☑ Yhteinen ennakkosuunnittelu")
    assert "Valmis (1/2)" in str(redrawn["reply_markup"])
    await anna.press("Näyttöjen laatu", redrawn)
    await wait_for_edit(anna, targets["message_id"], "☑ Näyttöjen laatu")
    await anna.press("Valmis", targets)
    await anna.replies(expect="Osa 1 on valmis")
    await anna.press("Jatka", (await anna.history())[-1])
    await anna.replies(expect="Mikä meillä jo toimii?")
    await anna.say("HOKS-keskustelut sujuvat <hyvin> & nopeasti.")
    await anna.replies(expect="Missä meillä on vielä kehitettävää?")
    await anna.say("Digitaaliset välineet.")
    await anna.replies(expect="Miten lunastatte palvelulupauksen?")
    await anna.press("Ohita", (await anna.history())[-1])
    await anna.replies(expect="Kohta on valmis: 1/8")
    await anna.press("Jatka", (await anna.history())[-1])
    await anna.replies(expect="Osa 2 · 7. Näyttöjen laatu")
    for _ in range(3):
        await anna.press("Ohita", (await anna.history())[-1])
        await anna.replies()
    await anna.press("Jatka", (await anna.history())[-1])
    await anna.replies(expect="Muut kriittiset pisteet")
    await anna.press("Siirry eteenpäin", (await anna.history())[-1])
    await anna.replies(expect="kumppanuuden neljää tasoa")
    await anna.press("Ohita tämä osio", (await anna.history())[-1])
    summary = await anna.replies(expect="Kirjoita yhteenvetoon")
    assert "Mikä toimii: HOKS-keskustelut sujuvat &lt;hyvin&gt; &amp; nopeasti." in summary
    await anna.say("Edetään yhdessä.")
    await anna.replies(expect="Kiitos! Kartoitus on valmis")

    answers = {row.question: row.value for row in stores[0].export_rows()}
    assert answers["rate:tavoitettavuus"] == "4" and answers["rate:tyopaikkaohjaus"] == "cant_say"
    assert answers["priorities"] == "ennakkosuunnittelu,naytot"
    assert answers["works:ennakkosuunnittelu"] == "HOKS-keskustelut sujuvat <hyvin> & nopeasti."
    assert answers["promise:ennakkosuunnittelu"] is None
    assert answers["plan"] == "Edetään yhdessä."
    assert len(answers) == 8 + 1 + 6 + 1


async def wait_for_edit(person: TelegramPerson, message_id: int, text: str) -> dict[str, object]:
    for _ in range(100):
        message = next(m for m in await person.history() if m["message_id"] == message_id)
        if text in str(message.get("reply_markup")) or text in str(message.get("text")):
            return message
        await asyncio.sleep(0.05)
    raise AssertionError(f"message {message_id} never showed {text!r}")
