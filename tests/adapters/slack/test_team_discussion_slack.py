"""A team discussion in a Slack channel, end to end through the real bolt app: a coordinator names the lead
with a mention, the lead opens a discussion of a point, members reply in its thread (one reply edited, one
deleted, hostile text in them), outsiders are refused, the lead closes it and records the team's agreed
answer (in the modal) and actions (typed in the DM); the recap, the workbook (md, html, pdf) and the next
round's digest and part 2 carry them, escaped and without names.
"""

from __future__ import annotations

import io

import httpx

from adapters.ratelimit import RateLimiter
from adapters.slack.platform import PLATFORM as SLACK
from bot.core.clock import StartedClock
from bot.shell import wiring
from bot.shell.settings import Settings
from storage.database import create_database_engine
from storage.sql_discussions import SqlDiscussions
from tests.adapters.slack.conftest import FAST
from tests.support.clock import HELSINKI
from tests.support.slack import FakeSlackApi, Posted, SlackPerson, free_port

CHANNEL = "C0AUTO"
IN_CHANNEL = {"channel": CHANNEL, "channel_name": "autoala"}
NAMES = ("Ahonen", "Berg", "Ceder", "U0AINO", "U0BERTIL", "U0CECILIA", "U0MAIJA")


def without_names(text: str) -> None:
    for name in NAMES:
        assert name not in text, f"{name} shown in:\n{text}"


def channel_message(api: FakeSlackApi, fragment: str) -> Posted | None:
    return next((m for m in reversed(api.in_channel(CHANNEL)) if fragment in m.shown), None)


async def test_a_team_discussion_in_a_thread_from_the_first_reply_to_the_next_round(
        settings: Settings, slack_api: FakeSlackApi, http: httpx.AsyncClient, suite_clock: StartedClock) -> None:
    coordinated = settings.model_copy(update={"coordinators": "slack:U0MAIJA", "min_scores": 2, "digest_weekday": 0})
    bot = wiring.platform_app(coordinated, SLACK, limiter=RateLimiter(**FAST), clock=suite_clock)  # type: ignore[arg-type]
    port = free_port()
    await bot.start(host="127.0.0.1", port=port)
    url = f"http://127.0.0.1:{port}/slack/events"
    aino, bertil, cecilia, maija = (SlackPerson(url, slack_api, http, user)
                                    for user in ("U0AINO", "U0BERTIL", "U0CECILIA", "U0MAIJA"))
    engine = create_database_engine(settings.database_url)
    discussions = SqlDiscussions(engine)

    async def seen(person: SlackPerson, fragment: str) -> Posted:
        await person.wait_for(lambda: channel_message(slack_api, fragment) is not None, f"{fragment!r} in the channel")
        found = channel_message(slack_api, fragment)
        assert found is not None
        return found

    try:
        for person in (aino, bertil, cecilia):
            await person.command("liity", **IN_CHANNEL)
        await cecilia.wait_for(lambda: len(slack_api.in_channel(CHANNEL)) == 3, "the joins")
        decision = suite_clock.now().astimezone(HELSINKI).date().replace(day=1)
        await maija.command(f"kierros uusi {decision:%d.%m.%Y} autoala; vastuu Riitta Rehtori")
        await maija.expect("Kutsu lähtee 3 henkilölle")

        # Only a coordinator names a lead, by mentioning them.
        await bertil.command("vetaja @Cecilia Ceder", mentions={"Cecilia Ceder": "U0CECILIA"}, **IN_CHANNEL)
        await seen(bertil, "Tiimin vetäjän voi nimetä vain koordinaattori.")
        await maija.command("vetaja @Aino Ahonen", mentions={"Aino Ahonen": "U0AINO"}, **IN_CHANNEL)
        await seen(maija, "Aino Ahonen on nyt tiimin autoala vetäjä")
        await aino.wait_for(lambda: "Sinut on nimetty tiimin autoala vetäjäksi" in aino.transcript(), "the lead told")

        # Someone who is neither lead nor coordinator cannot start a discussion; the lead can.
        await bertil.command("keskustelu 1", **IN_CHANNEL)
        await seen(bertil, "Keskustelun voivat aloittaa ja päättää tiimin vetäjä ja koordinaattorit.")
        await aino.command("keskustelu 1", **IN_CHANNEL)
        opening = await seen(aino, "Tiimin keskustelu: 1. Tavoitettavuus ja näkyvyys")
        assert "Mikä meillä jo toimii?" in opening.shown and "Missä meillä on vielä kehitettävää?" in opening.shown
        assert opening.thread_ts is None, "the discussion's own message, whose thread the replies go in"

        # Three members reply in its thread; one reply is edited, one deleted.
        first = await bertil.reply_in_thread(CHANNEL, opening.ts, "+ Puhelimeen vastataan <b>aina</b>")
        await cecilia.reply_in_thread(CHANNEL, opening.ts, "- <!here> verkkosivut ovat vanhentuneet & sekavat")
        await aino.reply_in_thread(CHANNEL, opening.ts, "Yhteinen sähköposti <script>alert(1)</script>")
        deleted = await cecilia.reply_in_thread(CHANNEL, opening.ts, "- tämä poistuu")
        await aino.wait_for(lambda: len(discussions.replies(1)) == 4, "four replies stored")
        await bertil.edit_in_thread(CHANNEL, opening.ts, first, "+ Puhelimeen vastataan <b>aina</b> samana päivänä")
        await cecilia.delete_in_thread(CHANNEL, opening.ts, deleted)
        await aino.wait_for(lambda: [r.message_ref for r in discussions.replies(1)
                                     if r.text.endswith("samana päivänä")] == [first]
                            and len(discussions.replies(1)) == 3, "the edit and the deletion")
        await bertil.reply_in_thread(CHANNEL, "1700000000.000001", "+ another thread's reply is no reply of it")
        await cecilia.reply_in_thread(CHANNEL, opening.ts, "")  # an empty message (a file only) adds nothing

        # Closing: refused to a member, done by the lead, with a recap in the thread.
        await cecilia.command("keskustelu valmis 1", **IN_CHANNEL)
        await seen(cecilia, "Keskustelun voivat aloittaa ja päättää")
        await aino.command("keskustelu valmis 1", **IN_CHANNEL)
        recap = await seen(aino, "Yhteenveto keskustelusta: 1. Tavoitettavuus ja näkyvyys")
        assert recap.thread_ts == opening.ts, "in the discussion's thread"
        shown = recap.shown
        assert "Mukana 3 henkilöä, 3 vastausta." in shown
        works, develop = shown.index("Mikä meillä jo toimii?"), shown.index("Missä meillä on vielä kehitettävää?")
        assert works < shown.index("Puhelimeen vastataan &lt;b&gt;aina&lt;/b&gt; samana päivänä") < develop
        assert develop < shown.index("&lt;!here&gt; verkkosivut ovat vanhentuneet &amp; sekavat")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "Muita ajatuksia" in shown
        assert "<!here>" not in shown and "tämä poistuu" not in shown and "another thread" not in shown
        without_names(shown)

        # The lead records the team's agreed answer in the modal and the actions typed in the DM.
        await aino.wait_for(lambda: "Tiimin suunnitelma: 1. Tavoitettavuus ja näkyvyys" in aino.transcript(),
                            "the lead's question")
        await aino.click("Kirjoita vastaus")
        await aino.wait_for(lambda: bool(slack_api.opened), "the modal")
        await aino.submit("Vastaamme <i>samana</i> päivänä.")
        await aino.expect("Mitä toimenpiteitä sovitte?")
        await aino.say("Tiimivastaava: päivitetään verkkosivut, 31.1.\n• Kaikki: puhelinvuorot näkyviin, 15.2.")
        await aino.expect("Kirjasin tiimin suunnitelmaan kohdan Tavoitettavuus ja näkyvyys")
        agreed = await seen(aino, "Tiimin sovitut asiat kohdasta 1. Tavoitettavuus ja näkyvyys")
        assert agreed.thread_ts == opening.ts
        assert "Palvelulupaus: Vastaamme &lt;i&gt;samana&lt;/i&gt; päivänä." in agreed.shown
        assert "• Tiimivastaava: päivitetään verkkosivut, 31.1." in agreed.shown

        # The workbook: the team's entry beside the individual answers, escaped, without names.
        for form in ("md", "html", "pdf"):
            before = len(slack_api.files)
            await maija.command(f"kierros tyokirja autoala {form}")
            await maija.wait_for(lambda: len(slack_api.files) > before and bool(slack_api.files[-1]["channel"]),  # noqa: B023
                                 f"the {form} workbook")
            data: bytes = slack_api.files[-1]["data"]
            if form == "pdf":
                from pypdf import PdfReader
                pages = PdfReader(io.BytesIO(data)).pages
                text = " ".join(" ".join((page.extract_text() or "").split()) for page in pages)
                assert "Tiimin yhteinen keskustelu" in text and "<!here> verkkosivut" in text
            else:
                text = data.decode("utf-8")
                assert "Tiimin yhteinen keskustelu" in text and "&lt;!here&gt; verkkosivut" in text
                assert "<script>" not in text and "<!here>" not in text
            assert "Tiimivastaava: päivitetään verkkosivut, 31.1." in text
            without_names(text)

        # The organisation's report: the heatmap as a picture and the report as a PDF, to a coordinator only.
        before = len(slack_api.files)
        await bertil.command("kierros raportti")
        await bertil.expect("Kierroksia hallitsevat koordinaattorit.")
        assert len(slack_api.files) == before
        await maija.command("kierros raportti")
        await maija.wait_for(lambda: len(slack_api.files) >= before + 2
                             and all(f["channel"] for f in slack_api.files[before:]), "the organisation's report")
        picture, report = slack_api.files[before:before + 2]
        assert picture["data"][:8] == b"\x89PNG\r\n\x1a\n" and report["filename"].endswith(".pdf")
        assert picture["channel"] == report["channel"], "both in her DM"
        from pypdf import PdfReader
        text = " ".join(" ".join((page.extract_text() or "").split())
                        for page in PdfReader(io.BytesIO(report["data"])).pages)
        assert "autoala" in text and "Tiimivastaava: päivitetään verkkosivut, 31.1." in text
        without_names(text)

        # The next round: the digest lists the agreed actions beside the point, and part 2 starts with them.
        await maija.command("kierros sulje")
        await maija.expect("suljettiin")
        await maija.command(f"kierros uusi {decision:%d.%m.%Y} autoala; vastuu Riitta Rehtori")
        await maija.expect("Kutsu lähtee 3 henkilölle")
        posted = len(slack_api.in_channel(CHANNEL))
        await aino.command("yhteenveto", **IN_CHANNEL)
        await aino.wait_for(lambda: any("Kooste – tiimi: autoala" in m.shown
                                        for m in slack_api.in_channel(CHANNEL)[posted:]), "the digest")
        digest = next(m.shown for m in slack_api.in_channel(CHANNEL)[posted:] if "Kooste – tiimi: autoala" in m.shown)
        assert digest.index("Tavoitettavuus ja näkyvyys") < digest.index("Tiimivastaava: päivitetään verkkosivut")
        without_names(digest)
        await bertil.command("aloita")
        await bertil.expect("Osa 1 · 1/8")
        for index in range(1, 9):
            await bertil.click("4 Toimii")
            await bertil.expect("Kehittämiskohteet" if index == 8 else f"Osa 1 · {index + 1}/8")
        targets = slack_api.dm("U0BERTIL")[-1]
        for target in ("Tavoitettavuus ja näkyvyys", "Näyttöjen laatu"):
            updates = targets.updates
            await bertil.click(target, targets)
            await bertil.wait_for(lambda: targets.updates > updates, "the toggle")  # noqa: B023
        await bertil.click("Valmis (2/2)", targets)
        await bertil.expect("Mikä meillä jo toimii?", "Tiimivastaava: päivitetään verkkosivut, 31.1.",
                            "Miten se on edennyt")
    finally:
        engine.dispose()
        await bot.stop()
