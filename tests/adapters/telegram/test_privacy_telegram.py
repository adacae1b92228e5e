"""`/omat_tiedot` and `/poista_tiedot` in the real Telegram adapter against the Bot API emulator."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from adapters.telegram.app import TelegramBot
from bot.shell.settings import Settings
from tests.support.privacy import answer_owners, traces
from tests.support.telegram import TelegramPerson
from tests.support.telegram_proxy import RepairingProxy

Start = Callable[..., Awaitable[TelegramBot]]
TUULIKKI_ID = 987654321  # a number no timestamp, key or counter of the test contains


async def test_my_data_and_erasure_in_telegram(start_bot: Start, anna: TelegramPerson, settings: Settings,
                                               telegram_proxy: RepairingProxy) -> None:
    await start_bot()
    tuulikki = TelegramPerson(anna.http, anna.url, name="Tuulikki", language="fi", user_id=TUULIKKI_ID)
    for person in (tuulikki, anna):
        group = person.in_group(-100555, "Autoalan tiimi")
        await group.say("/liity")
        await group.replies(expect="tiimin jäsen: Autoalan tiimi")
        await person.say("/start")
        await person.replies(expect="Osa 1 · 1/8")
        await person.press("4 Toimii hyvin", (await person.history())[-1])
        await person.replies(expect="Osa 1 · 2/8")
    await tuulikki.in_group(-100555, "Autoalan tiimi").say("/omat_tiedot")
    await tuulikki.in_group(-100555, "Autoalan tiimi").replies(expect="Vastaan tähän vain yksityisviestissä")
    assert not telegram_proxy.documents, "nobody's data goes to a group"

    await tuulikki.say("/omat_tiedot")
    preview = await tuulikki.replies(expect="Näin vastauksesi näkyvät tiimin koosteessa")
    assert "Tiimi Autoalan tiimi" in preview and "vähintään 3 (nyt 2)" in preview
    await tuulikki.wait_until(lambda: bool(telegram_proxy.documents), "the JSON file")
    sent = telegram_proxy.documents[-1]
    assert sent["chat_id"] == TUULIKKI_ID and sent["filename"] == "omat-tiedot.json"
    assert sent["caption"] == "Kaikki, mitä sinusta on tallennettu (JSON)"
    data = json.loads(sent["png"])
    assert data["person"]["user_id"] == str(TUULIKKI_ID) and data["teams"][0]["team"] == "Autoalan tiimi"
    assert data["rounds"][0]["answers"][0]["question"] == "rate:tavoitettavuus"

    await tuulikki.say("/poista_tiedot")
    await tuulikki.replies(expect="Vahvista kirjoittamalla /poista_tiedot vahvista")
    assert answer_owners(settings.database_url)[f"telegram:{TUULIKKI_ID}"] == 1
    await tuulikki.say("/poista_tiedot vahvista")
    said = await tuulikki.replies(expect="Tietosi on poistettu")
    assert "tiimijäsenyydet (1) ja avoimen kierroksen vastaukset (1)" in said

    assert traces(settings.database_url, str(TUULIKKI_ID), "Tuulikki") == []
    assert answer_owners(settings.database_url) == {f"telegram:{anna.id}": 1}, "Anna's answers are untouched"
