"""A team discussion in a Telegram group, end to end against the emulator: a coordinator names the lead by
replying to her message, the lead opens a discussion of a point, members reply to its message (one reply
edited, one taken back, hostile text in them), outsiders are refused, the lead closes it and records the
team's agreed answer and actions in her private chat; the recap, the workbook (md, html, pdf) and the next
round's digest and part 2 carry them, escaped and without names.

Telegram never tells a bot that a message was deleted, so taking a reply back is editing it to "-".
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

from adapters.ratelimit import RateLimiter
from adapters.telegram.platform import PLATFORM as TELEGRAM
from bot.core.clock import StartedClock
from bot.shell import wiring
from bot.shell.settings import Settings
from storage.database import create_database_engine
from storage.sql_discussions import SqlDiscussions
from storage.sql_rounds import SqlRounds
from tests.adapters.telegram.conftest import FAST
from tests.support.clock import HELSINKI
from tests.support.telegram import WAIT_SECONDS, TelegramPerson
from tests.support.telegram_proxy import RepairingProxy

GROUP = (-100777, "Autoala")
NAMES = ("Aino", "Bertil", "Cecilia", "Maija")


async def wait_until(condition: Any, what: Any) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while not await asyncio.to_thread(condition):
        assert asyncio.get_running_loop().time() < deadline, \
            f"timed out waiting for {what if isinstance(what, str) else what()}"
        await asyncio.sleep(0.05)


async def wait_until_async(person: TelegramPerson, label: str) -> None:
    """Until the newest message's buttons show `label` (a toggle redraws the card's buttons only)."""
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while label not in str((await person.history())[-1].get("reply_markup")):
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {label}"
        await asyncio.sleep(0.05)


def without_names(text: str) -> None:
    for name in NAMES:
        assert name not in text, f"{name} shown in:\n{text}"


async def test_a_team_discussion_from_the_first_reply_to_the_next_round(
        settings: Settings, http: Any, telegram_emulator: str, telegram_proxy: RepairingProxy,
        suite_clock: StartedClock) -> None:
    aino, bertil, cecilia, maija = (TelegramPerson(http, telegram_emulator, name=name) for name in NAMES)
    coordinated = settings.model_copy(update={"coordinators": f"telegram:{maija.id}", "min_scores": 2,
                                              "digest_weekday": 0})
    bot = wiring.platform_app(coordinated, TELEGRAM, limiter=RateLimiter(**FAST), clock=suite_clock)  # type: ignore[arg-type]
    await bot.start()
    engine = create_database_engine(settings.database_url)
    discussions = SqlDiscussions(engine)
    try:
        joined: dict[str, int] = {}
        for person in (aino, bertil, cecilia, maija):
            await person.say("/start")
            await person.replies(expect="Osa 1 · 1/8")
            group = person.in_group(*GROUP)
            joined[person.name] = await group.write("/liity")
            await group.replies(expect="tiimin jäsen: Autoala")
        decision = suite_clock.now().astimezone(HELSINKI).date().replace(day=1)
        await maija.say(f"/kierros uusi {decision:%d.%m.%Y} autoala; vastuu Riitta Rehtori")
        await maija.replies(expect="Kutsu lähtee 4 henkilölle")
        in_group = {person.name: person.in_group(*GROUP) for person in (aino, bertil, cecilia, maija)}

        # Only a coordinator names a lead: by replying to the person's message with /vetaja.
        await in_group["Bertil"].say("/vetaja", reply_to=cecilia.in_group(*GROUP).written(joined["Cecilia"]))
        await in_group["Bertil"].replies(expect="Tiimin vetäjän voi nimetä vain koordinaattori.")
        await in_group["Maija"].say("/vetaja", reply_to=aino.in_group(*GROUP).written(joined["Aino"]))
        await in_group["Maija"].replies(expect="Aino on nyt tiimin Autoala vetäjä")
        await aino.replies(expect="Sinut on nimetty tiimin Autoala vetäjäksi")

        # Someone who is neither lead nor coordinator cannot start a discussion; the lead can.
        await in_group["Bertil"].say("/keskustelu 1")
        await in_group["Bertil"].replies(expect="Keskustelun voivat aloittaa ja päättää tiimin vetäjä ja "
                                                "koordinaattorit.")
        await in_group["Aino"].say("/keskustelu 1")
        opening = await in_group["Aino"].replies(expect="Tiimin keskustelu: 1. Tavoitettavuus ja näkyvyys")
        assert "Mikä meillä jo toimii?" in opening and "Missä meillä on vielä kehitettävää?" in opening
        assert "Miten oppilaitosten palveluista viestitään työelämälle?" in opening, "the guiding questions"
        assert len(opening) < 4096, "one message, on a phone"
        message = next(m for m in reversed(await in_group["Aino"].history())
                       if "Tiimin keskustelu: 1." in m.get("text", ""))

        # Three members reply to it; one reply is edited, one taken back (edited to "-").
        first = await in_group["Bertil"].write("+ Puhelimeen vastataan <b>aina</b>", reply_to=message)
        await in_group["Cecilia"].write("- <!here> verkkosivut ovat vanhentuneet & sekavat", reply_to=message)
        await in_group["Aino"].write("Yhteinen sähköposti <script>alert(1)</script>", reply_to=message)
        taken_back = await in_group["Cecilia"].write("- tämä poistuu", reply_to=message)
        await wait_until(lambda: len(discussions.replies(1)) == 4, "four replies stored")
        await in_group["Bertil"].edit(first, "+ Puhelimeen vastataan <b>aina</b> samana päivänä", reply_to=message)
        await in_group["Cecilia"].edit(taken_back, "-", reply_to=message)
        await wait_until(lambda: [r.message_ref for r in discussions.replies(1)
                                  if r.text.endswith("samana päivänä")] == [str(first)]
                         and len(discussions.replies(1)) == 3,
                         lambda: f"the edit and the taking back: {discussions.replies(1)}, ids {first}, {taken_back}")

        # Closing: refused to a member, done by the lead, with a recap in the group.
        await in_group["Cecilia"].say("/keskustelu valmis 1")
        await in_group["Cecilia"].replies(expect="Keskustelun voivat aloittaa ja päättää")
        await in_group["Aino"].say("/keskustelu valmis 1")
        recap = await in_group["Aino"].replies(expect="Yhteenveto keskustelusta: 1. Tavoitettavuus ja näkyvyys")
        assert "Mukana 3 henkilöä, 3 vastausta." in recap
        works, develop = recap.index("Mikä meillä jo toimii?"), recap.index("Missä meillä on vielä kehitettävää?")
        assert works < recap.index("Puhelimeen vastataan &lt;b&gt;aina&lt;/b&gt; samana päivänä") < develop
        assert develop < recap.index("&lt;!here&gt; verkkosivut ovat vanhentuneet &amp; sekavat")
        assert "Muita ajatuksia" in recap and "&lt;script&gt;alert(1)&lt;/script&gt;" in recap
        assert "tämä poistuu" not in recap and "<b>aina" not in recap and "<script>" not in recap
        without_names(recap)
        recap_call = next(params for method, params in reversed(telegram_proxy.calls)
                          if method == "sendMessage" and "Yhteenveto keskustelusta" in str(params.get("text")))
        assert recap_call["reply_parameters"]["message_id"] == message["message_id"], "a reply to the discussion"

        # The lead records the team's agreed answer and actions in her private chat.
        question = await aino.replies(expect="Tiimin suunnitelma: 1. Tavoitettavuus ja näkyvyys")
        assert "Mikä on tiimin sovittu vastaus?" in question
        await aino.say("Vastaamme <i>samana</i> päivänä.")
        await aino.replies(expect="Mitä toimenpiteitä sovitte?")
        await aino.say("Tiimivastaava: päivitetään verkkosivut, 31.1.\n• Kaikki: puhelinvuorot näkyviin, 15.2.")
        await aino.replies(expect="Kirjasin tiimin suunnitelmaan kohdan Tavoitettavuus ja näkyvyys")
        agreed = await in_group["Aino"].replies(expect="Tiimin sovitut asiat kohdasta 1. Tavoitettavuus")
        assert "Palvelulupaus: Vastaamme &lt;i&gt;samana&lt;/i&gt; päivänä." in agreed
        assert "• Tiimivastaava: päivitetään verkkosivut, 31.1." in agreed and "• Kaikki: puhelinvuorot" in agreed

        # The workbook: the team's entry beside the individual answers, escaped, without names.
        for form in ("md", "html", "pdf"):
            before = len(telegram_proxy.documents)
            await maija.say(f"/kierros tyokirja autoala {form}")
            await maija.wait_until(lambda: len(telegram_proxy.documents) > before,  # noqa: B023 - awaited here
                                   f"the {form} workbook")
            data: bytes = telegram_proxy.documents[-1]["png"]
            if form == "pdf":
                from pypdf import PdfReader
                pages = PdfReader(io.BytesIO(data)).pages
                text = " ".join(" ".join((page.extract_text() or "").split()) for page in pages)
                assert "Tiimin yhteinen keskustelu" in text and "<script>alert(1)</script>" in text
                assert "Tiimivastaava: päivitetään verkkosivut, 31.1." in text
            else:
                text = data.decode("utf-8")
                assert "Tiimin yhteinen keskustelu" in text
                assert "Tiimivastaava: päivitetään verkkosivut, 31.1." in text
                assert "<script>" not in text and "<!here>" not in text and "<i>samana" not in text
                assert ("&lt;script&gt;" in text) and ("&lt;!here&gt;" in text)
            without_names(text)

        # The organisation's report: the heatmap as a picture and the report as a PDF, to a coordinator only.
        photos, documents = len(telegram_proxy.photos), len(telegram_proxy.documents)
        await bertil.say("/kierros raportti")
        await bertil.replies(expect="Kierroksia hallitsevat koordinaattorit.")
        assert (len(telegram_proxy.photos), len(telegram_proxy.documents)) == (photos, documents)
        await maija.say("/kierros raportti")
        await maija.wait_until(lambda: len(telegram_proxy.documents) > documents, "the organisation's report")
        (picture,) = telegram_proxy.photos[photos:]
        assert picture["png"][:8] == b"\x89PNG\r\n\x1a\n" and picture["chat_id"] == maija.id
        assert picture["caption"].startswith("Organisaation kuva")
        (report,) = telegram_proxy.documents[documents:]
        assert report["filename"].startswith("raportti-") and report["filename"].endswith(".pdf")
        from pypdf import PdfReader
        text = " ".join(" ".join((page.extract_text() or "").split())
                        for page in PdfReader(io.BytesIO(report["png"])).pages)
        assert "Autoala" in text and "Tavoitettavuus ja näkyvyys" in text
        assert "Vastaamme <i>samana</i> päivänä." in text, "the team's promise, as its lead wrote it"
        assert "Tiimivastaava: päivitetään verkkosivut, 31.1." in text, "and its agreed actions"
        without_names(text)

        # The next round: the lead's digest lists the agreed actions beside the point, and part 2 starts with them.
        await maija.say("/kierros sulje")
        await maija.replies(expect="suljettiin")
        await maija.say(f"/kierros uusi {decision:%d.%m.%Y} autoala; vastuu Riitta Rehtori")
        await maija.replies(expect="Kutsu lähtee 4 henkilölle")
        await in_group["Aino"].say("/yhteenveto")
        digest = await in_group["Aino"].replies(expect="Kooste – tiimi: Autoala")
        assert digest.index("Tavoitettavuus ja näkyvyys") < digest.index("Tiimivastaava: päivitetään verkkosivut")
        without_names(digest)
        await bertil.say("/aloita")
        await bertil.replies(expect="Osa 1 · 1/8")
        for index in range(1, 9):
            await bertil.press("4 Toimii", (await bertil.history())[-1])
            await bertil.replies(expect="Kehittämiskohteet" if index == 8 else f"Osa 1 · {index + 1}/8")
        for target in ("Tavoitettavuus ja näkyvyys", "Näyttöjen laatu"):
            await bertil.press(target, (await bertil.history())[-1])
            await wait_until_async(bertil, f"☑ {target}")
        await bertil.press("Valmis", (await bertil.history())[-1])
        part2 = await bertil.replies(expect="Mikä meillä jo toimii?")
        assert "Tiimivastaava: päivitetään verkkosivut, 31.1." in part2 and "Miten se on edennyt" in part2
        newest = SqlRounds(engine).rounds()[0]
        assert newest.status == "open" and discussions.team_entries(1, newest.id) == {}, "the new round starts empty"
    finally:
        engine.dispose()
        await bot.stop()
