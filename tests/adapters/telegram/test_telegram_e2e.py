"""The real Telegram adapter against the Bot API emulator, acted on as a person would."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable

from adapters.telegram.app import TelegramBot
from adapters.telegram.platform import PLATFORM as TELEGRAM
from bot.core.clock import StartedClock
from bot.shell.settings import Settings
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams
from tests.support.telegram import WAIT_SECONDS, TelegramPerson
from tests.support.telegram_proxy import RepairingProxy

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
    card = next(m for m in await anna.history() if m["message_id"] == question["message_id"])
    assert "<b>Osa 1 · 2/8 Opiskelijan valmiudet</b>" in card["text"], "the same message turned into point 2"
    assert "Vastauksesi tähän asti: Tavoitettavuus ja näkyvyys 4" in card["text"]
    assert (await anna.history())[-1]["message_id"] == question["message_id"], "no new message for a tap"
    old, new = (b["callback_data"] for b in (question["reply_markup"]["inline_keyboard"][0][0],
                                             card["reply_markup"]["inline_keyboard"][0][0]))
    assert old != new, "its buttons are point 2's now"


async def answer_part1(person: TelegramPerson) -> None:
    """Part 1 by buttons: eight ratings straight through, then the two targets."""
    for index, label in enumerate(["4 Toimii", "3 Toimii", "2 Toimii", "En osaa", "5 Toimii", "4 Toimii",
                                   "3 Toimii", "2 Toimii"], 1):
        await person.press(label, (await person.history())[-1])
        await person.replies(expect="Kehittämiskohteet" if index == 8 else f"Osa 1 · {index + 1}/8")


async def test_a_whole_assessment_by_buttons_and_text(start_bot: Start, anna: TelegramPerson,
                                                      stores: tuple[SqlStore, SqlTeams], settings: Settings) -> None:
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
    question = await anna.replies(expect="Mikä meillä jo toimii?")
    assert "Osa 1 on valmis" in question and "Apukysymykset · " not in question
    assert (await anna.history())[-1]["message_id"] == targets["message_id"], "the targets' card turned into it"
    await anna.press("Apukysymykset", (await anna.history())[-1])  # a reading aid, not a step
    guide = await anna.replies(expect="Apukysymykset · 3. Yhteinen ennakkosuunnittelu")
    assert guide.index("Oletteko varanneet aikaa HOKSaukseen?") < guide.index("Mikä meillä jo toimii?")
    navigation = []  # inputs that answer no question: a whole assessment needs at most two
    await anna.say("HOKS-keskustelut sujuvat <hyvin> & nopeasti.")
    await anna.replies(expect="Missä meillä on vielä kehitettävää?")
    await anna.say("Digitaaliset välineet.")
    await anna.replies(expect="Mitä lupaatte tässä asiassa työelämäkumppaneillenne ja miten pidätte lupauksenne?")
    await anna.press("Ohita", (await anna.history())[-1])
    question = await anna.replies(expect="Osa 2 · 7. Näyttöjen laatu")
    assert "Kohta on valmis: 1/2 valitsemaasi kohtaa." in question
    for _ in range(2):
        await anna.press("Ohita", (await anna.history())[-1])
        await anna.replies()
    await anna.press("Ohita", (await anna.history())[-1])
    await anna.replies(expect="Muut kriittiset pisteet")
    for label, following in (("Siirry eteenpäin", "kumppanuuden neljää tasoa"), ("Ohita tämä osio", "yhteenvetoon")):
        await anna.press(label, (await anna.history())[-1])
        navigation.append(label)
        summary = await anna.replies(expect=following)
    assert len(navigation) <= 2
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
    environment = {**os.environ, "KARTOITUS_DATABASE_URL": settings.database_url}
    exported = subprocess.run([sys.executable, "-m", "bot", "export", "--format", "json", "--raw"],
                              capture_output=True,
                              text=True, check=True, env=environment)
    assert {row["question"]: row["value"] for row in json.loads(exported.stdout)} == answers
    assert str(anna.id) not in exported.stdout


async def wait_for_edit(person: TelegramPerson, message_id: int, text: str) -> dict[str, object]:
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        message = next(m for m in await person.history() if m["message_id"] == message_id)
        if text in str(message.get("reply_markup")) or text in str(message.get("text")):
            return message
        await asyncio.sleep(0.05)
    raise AssertionError(f"message {message_id} never showed {text!r}")


async def test_an_old_button_counts_for_its_own_question_and_a_restart_resumes(start_bot: Start, anna: TelegramPerson,
                                                                   stores: tuple[SqlStore, SqlTeams]) -> None:
    bot = await start_bot()
    await anna.say("/start")
    await anna.replies(expect="Osa 1 · 1/8")
    first = (await anna.history())[-1]
    await anna.press("5 Toimii", first)
    await anna.replies(expect="Osa 1 · 2/8")
    old_keyboard = first["reply_markup"]["inline_keyboard"][0][0]["callback_data"]  # "1 Ei toimi" of point 1
    await anna.press_data(first, old_keyboard)  # point 1's keyboard, still shown on another device
    await anna.replies(expect="Vastauksesi tähän asti: Tavoitettavuus ja näkyvyys 1")  # it corrects point 1 only
    await anna.press_data(first, old_keyboard.split(":")[0] + ":kahvi")  # an option that question never had
    await anna.replies(expect="Tähän kysymykseen on jo vastattu, joten mitään ei muutettu.")
    await anna.say("/tauko")
    await anna.replies(expect="Tauko. Vastauksesi on tallennettu")
    await bot.stop()

    await start_bot()
    await anna.say("/jatka")
    await anna.replies(expect="Osa 1 · 2/8 Opiskelijan valmiudet")
    await anna.say("Toimii hyvin")
    await anna.replies(expect="Osa 1 · 3/8")
    answers = {row.question: row.value for row in stores[0].export_rows()}
    assert answers == {"rate:tavoitettavuus": "1", "rate:valmiudet": "4"}


async def test_the_same_update_twice_is_processed_once(start_bot: Start, anna: TelegramPerson,
                                                       stores: tuple[SqlStore, SqlTeams]) -> None:
    from telegram import Update

    bot = await start_bot()
    await anna.say("/start")
    await anna.replies(expect="Osa 1 · 1/8")
    payload = {"update_id": 99001, "message": {"message_id": 7, "date": 1_763_800_000, "text": "4",
                                                "chat": {"id": anna.id, "type": "private"},
                                                "from": {"id": anna.id, "is_bot": False, "first_name": "Anna"}}}
    await anna.look()
    for _ in range(2):
        await bot.application.process_update(Update.de_json(payload, bot.application.bot))
    await anna.replies(expect="Osa 1 · 2/8")
    assert [row.value for row in stores[0].export_rows()] == ["4"]


async def test_a_group_join_and_a_deep_link(start_bot: Start, anna: TelegramPerson,
                                            stores: tuple[SqlStore, SqlTeams]) -> None:
    await start_bot()
    group = anna.in_group(-100777, "Autoalan tiimi")
    await group.say("/liity@TestNameBot")
    joined = await group.replies(expect="Olet nyt tiimin jäsen: Autoalan tiimi (jäseniä 1)")
    assert "https://t.me/TestNameBot?start=" in joined
    await group.say("/tauko")
    await group.replies(expect="Vastaan tähän vain yksityisviestissä")
    await group.say("jutustelua ryhmässä")  # not addressed to the bot: ignored
    await group.say("/liity")
    await group.replies(expect="Olet jo tiimin jäsen: Autoalan tiimi")
    code = joined.split("?start=")[1].split()[0]

    bertil = TelegramPerson(anna.http, anna.url, name="Bertil", language="sv")
    await bertil.say(f"/start {code}")
    text = await bertil.replies(expect="Del 1 · 1/8")
    assert text.index("Du gick med i teamet Autoalan tiimi.") < text.index("Välkommen!")
    team = stores[1].team_by_code(code)
    assert team is not None and [u.user for u in stores[1].members(team.id)] == [str(anna.id), str(bertil.id)]
    await bertil.say("/start vanha-koodi")
    await bertil.replies(expect="Länken är inte giltig")


async def test_command_menus_in_three_languages(start_bot: Start, telegram_proxy: object) -> None:
    await start_bot()
    menus = telegram_proxy.menus  # type: ignore[attr-defined]
    finnish = [c["command"] for c in menus[("all_private_chats", "")]]
    assert finnish[:3] == ["aloita", "tauko", "jatka"]
    assert not {"liity", "kierros", "yhteenveto", "keskustelu", "vetaja"} & set(finnish), \
        "group and coordinator commands stay out of DMs"
    assert [c["command"] for c in menus[("all_group_chats", "")]] == ["ohje", "liity", "yhteenveto", "keskustelu",
                                                                        "vetaja"]
    assert "paus" in [c["command"] for c in menus[("all_private_chats", "sv")]]
    assert "pause" in [c["command"] for c in menus[("all_private_chats", "en")]]
    assert menus[("all_group_chats", "en")][1] == {"command": "join",
                                                   "description": "Join the team (in the team's group)"}


async def test_webhook_mode_with_and_without_the_secret(start_bot: Start, anna: TelegramPerson,
                                                        telegram_proxy: object) -> None:
    import socket

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/telegram"
    await start_bot(webhook_url=url, webhook_secret="kartoitus_secret-1", listen="127.0.0.1", port=port)
    assert telegram_proxy.webhook == {"url": url, "secret": "kartoitus_secret-1"}  # type: ignore[attr-defined]
    await anna.say("/start")
    await anna.replies(expect="Osa 1 · 1/8")

    forged = {"update_id": 424242, "message": {"message_id": 1, "date": 1_763_800_000, "text": "/start",
                                               "chat": {"id": 1, "type": "private"},
                                               "from": {"id": 1, "is_bot": False, "first_name": "Mallory"}}}
    async with httpx.AsyncClient() as client:
        without = await client.post(url, json=forged)
        wrong = await client.post(url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
    assert without.status_code == 403 and wrong.status_code == 403


async def test_a_429_is_retried_once_and_a_blocked_person_is_marked_unreachable(
        start_bot: Start, anna: TelegramPerson, telegram_proxy: object, stores: tuple[SqlStore, SqlTeams]) -> None:
    from bot.core.identity import UserRef

    await start_bot()
    proxy = telegram_proxy
    proxy.fail_next["sendMessage"] = [{"ok": False, "error_code": 429,  # type: ignore[attr-defined]
                                       "description": "Too Many Requests: retry after 1",
                                       "parameters": {"retry_after": 1}}]
    await anna.say("/start")
    text = await anna.replies(expect="Osa 1 · 1/8")
    assert text.count("Tervetuloa!") == 1, "retried, not duplicated"
    sends = [params for method, params in proxy.calls if method == "sendMessage"]  # type: ignore[attr-defined]
    assert len(sends) == 3 and sends[0]["text"] == sends[1]["text"]

    proxy.fail_next["sendMessage"] = [{"ok": False, "error_code": 403,  # type: ignore[attr-defined]
                                       "description": "Forbidden: bot was blocked by the user"}]
    await anna.say("/ohje")
    person = UserRef("telegram", "123456789", str(anna.id))
    await anna.wait_until(lambda: stores[1].is_unreachable(person), "the person marked unreachable")
    await anna.say("/ohje")
    await anna.replies(expect="Ohje")
    assert not stores[1].is_unreachable(person), "writing again makes a person reachable"


async def test_a_coordinator_opens_a_round_for_two_groups_and_members_are_invited(
        settings: Settings, anna: TelegramPerson, telegram_proxy: RepairingProxy, suite_clock: StartedClock) -> None:
    from adapters.ratelimit import RateLimiter
    from bot.shell import wiring
    from tests.adapters.telegram.conftest import FAST
    from tests.support.clock import HELSINKI

    maija = TelegramPerson(anna.http, anna.url, name="Maija")
    bo, cid = (TelegramPerson(anna.http, anna.url, name=name) for name in ("Bo", "Cid"))
    # The ticks count invitations only: no weekly digests, whatever day the suite runs on (they have their own
    # tests). The bot and the ticks share the suite's clock.
    coordinated = settings.model_copy(update={"coordinators": f"telegram:{maija.id}", "min_scores": 2,
                                              "digest_weekday": 0})
    bot = wiring.platform_app(coordinated, TELEGRAM, limiter=RateLimiter(**FAST), clock=suite_clock)  # type: ignore[arg-type]
    await bot.start()
    try:
        for person, chat_id, title in ((anna, -100901, "Autoala"), (bo, -100901, "Autoala"),
                                       (cid, -100902, "Sähköala")):
            group = person.in_group(chat_id, title)
            await group.say("/liity")
            await group.replies(expect=f"tiimin jäsen: {title}")

        await anna.say("/kierros lista")
        await anna.replies(expect="Kierroksia hallitsevat koordinaattorit")
        opened_on = suite_clock.now().astimezone(HELSINKI).date()
        decision = opened_on.replace(day=1)
        await maija.say(f"/kierros uusi {decision:%d.%m.%Y} autoala, sähköala; vastuu Maija Mäki")
        await maija.replies(expect="Kutsu lähtee 3 henkilölle")

        # Bo and Cid joined only in their groups, and Telegram does not let the bot message them first:
        # each group gets one notice with a button that opens the chat, and then the invitation comes.
        sent = await wiring.tick(coordinated, clock=suite_clock)
        assert sent == (3, 0), "Anna's invitation and one notice in each group"
        await anna.replies(expect="Kutsu: kriittisten pisteiden kartoitus")
        for person, chat_id, title in ((bo, -100901, "Autoala"), (cid, -100902, "Sähköala")):
            await person.in_group(chat_id, title).replies(expect="avanneet yksityiskeskustelua kanssani: 1.")
            button = (await person.in_group(chat_id, title).history())[-1]["reply_markup"]["inline_keyboard"][0][0]
            await person.say(f"/start {button['url'].split('?start=')[1]}")
            await person.replies(expect="Osa 1 · 1/8")
        assert await wiring.tick(coordinated, clock=suite_clock) == (2, 0)
        for person in (bo, cid):
            await person.replies(expect="Kutsu: kriittisten pisteiden kartoitus")
        await bo.say("/aloita")
        await bo.replies(expect="Osa 1 · 1/8")
        await maija.say("/kierros tila")
        await maija.replies(expect="Autoala: jäseniä 2, aloittaneita 1")

        # The team's summary: a lead or a coordinator asks in the group; others are refused.
        from storage.database import create_database_engine
        from storage.sql_roles import SqlRoles
        from storage.sql_rounds import SqlRounds

        engine = create_database_engine(settings.database_url)
        autoala = SqlRounds(engine).team_titles()["Autoala"]
        SqlRoles(engine).grant(f"telegram:{bo.id}", "lead", team_id=autoala, granted_by="test",
                               now=suite_clock.now())
        engine.dispose()
        group = anna.in_group(-100901, "Autoala")
        await group.say("/yhteenveto")
        await group.replies(expect="Koosteen voivat pyytää tiimin vetäjä ja koordinaattorit")
        await bo.in_group(-100901, "Autoala").say("/yhteenveto")
        summary = await group.replies(expect="Kooste – tiimi: Autoala")
        assert "2 kutsutusta 0 on vastannut" in summary and "tarvitaan vielä 2 arviota" in summary
        assert not telegram_proxy.photos, "no chart while nothing can be shown"

        # With enough ratings the summary comes with its chart, sent as a photo.
        for person in (anna, bo, cid):
            await person.say("/aloita")
            await person.replies(expect="Osa 1 · 1/8")
            await person.say("4")
            await person.replies(expect="Osa 1 · 2/8")
        await maija.in_group(-100901, "Autoala").say("/yhteenveto")
        summary = await group.replies(expect="Kooste – tiimi: Autoala")
        assert "Tavoitettavuus ja näkyvyys: 4,0" in summary and "(2 arviota)" in summary
        await group.wait_until(lambda: bool(telegram_proxy.photos), "the chart")
        photo = telegram_proxy.photos[-1]
        assert photo["chat_id"] == -100901 and photo["png"][:4] == b"\x89PNG" and len(photo["png"]) > 10_000
        assert photo["caption"] == f"Kooste – tiimi: Autoala · Kartoitus {opened_on:%m/%Y}", \
            "named after the local month"

        # The coordinator gets the team's filled-in workbook as a PDF file in the private chat.
        await maija.say("/kierros tyokirja autoala pdf")
        await maija.wait_until(lambda: bool(telegram_proxy.documents), "the workbook")
        workbook = telegram_proxy.documents[-1]
        assert workbook["chat_id"] == maija.id and workbook["png"][:5] == b"%PDF-"
        assert workbook["filename"].startswith("tyokirja-autoala-") and workbook["filename"].endswith(".pdf")
        assert workbook["caption"].startswith("Täytetty työkirja: tiimi Autoala")
        await anna.say("/kierros tyokirja autoala")
        await anna.replies(expect="Kierroksia hallitsevat koordinaattorit")
    finally:
        await bot.stop()
