"""The real Slack adapter (slack-bolt in HTTP mode) receiving signed requests, with its Web API
client pointed at a local fake that records calls."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from adapters.slack.platform import PLATFORM as SLACK
from bot.core.clock import StartedClock
from bot.core.identity import UserRef
from bot.shell.settings import Settings
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams
from storage.tables import respondent
from tests.support.slack import TEAM, FakeSlackApi, Posted, SlackPerson

Start = Callable[[], Awaitable[str]]


def saved(stores: tuple[SqlStore, SqlTeams]) -> dict[str, str | None]:
    return {row.question: row.value for row in stores[0].export_rows()}


async def test_a_dm_starts_the_review_with_buttons(anna: SlackPerson, slack_api: FakeSlackApi) -> None:
    response = await anna.say("hei")
    assert response.status_code == 200
    question = await anna.expect("Tervetuloa", "Osa 1 · 1/8", "Miten hyvin tämä toimii meillä nyt?")
    labels = [element["text"]["text"] for _, element in question.buttons()]
    assert labels == ["1 Ei toimi", "2 Toimii heikosti", "3 Toimii osittain", "4 Toimii hyvin",
                      "5 Toimii erinomaisesti", "En osaa sanoa"]
    before = list(question.buttons())
    posted = len(slack_api.dm(anna.user))
    await anna.click("4 Toimii hyvin")
    await anna.expect("Osa 1 · 2/8")
    assert "Osa 1 · 2/8 Opiskelijan valmiudet" in question.shown, "the same message turned into point 2"
    assert "Vastauksesi tähän asti: Tavoitettavuus ja näkyvyys 4" in question.shown
    assert len(slack_api.dm(anna.user)) == posted, "no new message for a tap"
    assert [e["value"] for _, e in question.buttons()] != [e["value"] for _, e in before], "point 2's buttons now"


async def redrawn(person: SlackPerson, message: Posted, text: str) -> None:
    await person.wait_for(lambda: text in message.shown, f"{text!r} on the redrawn message")


async def answer_part1(person: SlackPerson) -> None:
    """Part 1 by buttons: eight ratings straight through, then the two targets by toggles."""
    for index, label in enumerate(["4 Toimii", "3 Toimii", "2 Toimii", "En osaa", "5 Toimii", "4 Toimii",
                                   "3 Toimii", "2 Toimii"], 1):
        await person.click(label)
        await person.expect("Kehittämiskohteet" if index == 8 else f"Osa 1 · {index + 1}/8")
    targets = person.api.dm(person.user)[-1]
    await person.click("Yhteinen ennakkosuunnittelu", targets)
    await redrawn(person, targets, "☑ Yhteinen ennakkosuunnittelu")
    assert "Valmis (1/2)" in targets.shown
    await person.click("Näyttöjen laatu", targets)
    await redrawn(person, targets, "☑ Näyttöjen laatu")
    await person.click("Valmis (2/2)", targets)
    await person.expect("Osa 1 on valmis", "Mikä meillä jo toimii?")  # part 2's first question at once


async def test_a_whole_assessment_in_slack_and_the_export(anna: SlackPerson, slack_api: FakeSlackApi,
                                                          stores: tuple[SqlStore, SqlTeams], settings: Settings
                                                          ) -> None:
    await anna.say("moi")
    await anna.expect("Osa 1 · 1/8")
    await answer_part1(anna)
    works = await anna.expect("Osa 2 · 3. Yhteinen ennakkosuunnittelu", "Mikä meillä jo toimii?", "Kirjoita vastaus",
                              "Apukysymykset", "Pidä tauko")
    assert "Oletteko varanneet aikaa HOKSaukseen?" not in works.shown
    await anna.click("Apukysymykset", works)  # a reading aid, drawn onto the same message: not a step
    await anna.expect("Apukysymykset · 3. Yhteinen ennakkosuunnittelu", "Oletteko varanneet aikaa HOKSaukseen?")
    navigation = []  # inputs that answer no question: a whole assessment needs at most two
    await anna.click("Kirjoita vastaus", works)
    await anna.wait_for(lambda: len(slack_api.opened) == 1, "the answer modal")
    modal = slack_api.opened[-1]
    assert modal["callback_id"] == "answer" and modal["title"]["text"] == "Vastauksesi"
    assert "Mikä meillä jo toimii?" in json.dumps(modal["blocks"], ensure_ascii=False)
    answer = "HOKS-keskustelut sujuvat.\nTyöpaikat tuntevat meidät <hyvin> & nopeasti."
    response = await anna.submit(answer)
    assert response.status_code == 200 and not response.content, "a valid modal closes"
    await anna.expect("Missä meillä on vielä kehitettävää?")
    assert "✓ HOKS-keskustelut sujuvat.\nTyöpaikat tuntevat meidät &lt;hyvin&gt; &amp; nopeasti." in works.shown, \
        "the prompt shows what was written in the modal"
    await anna.say("Digitaaliset välineet puuttuvat.")
    await anna.expect("Mitä lupaatte tässä asiassa työelämäkumppaneillenne ja miten pidätte lupauksenne?")
    await anna.click("Ohita")
    await anna.expect("Kohta on valmis: 1/2 valitsemaasi kohtaa.", "Osa 2 · 7. Näyttöjen laatu")
    for _ in range(2):
        await anna.click("Ohita")
        await anna.wait_for(lambda: len(anna.replies) > 0, "a reply")
    await anna.click("Ohita")
    await anna.expect("Kohta on valmis: 2/2 valitsemaasi kohtaa.", "Muut kriittiset pisteet")
    await anna.click("Siirry eteenpäin")
    navigation.append("Siirry eteenpäin")
    await anna.expect("kumppanuuden neljää tasoa")
    await anna.click("Ohita tämä osio")
    navigation.append("Ohita tämä osio")
    assert len(navigation) <= 2
    await anna.expect("Kirjoita yhteenvetoon", "Mikä toimii: HOKS-keskustelut sujuvat.",
                      "Työpaikat tuntevat meidät &lt;hyvin&gt; &amp; nopeasti.")
    await anna.say("Edetään yhdessä.")
    await anna.expect("Kiitos! Kartoitus on valmis", "/kartoitus muuta", "/kartoitus vastaukset")

    answers = saved(stores)
    assert answers["rate:tavoitettavuus"] == "4" and answers["rate:tyopaikkaohjaus"] == "cant_say"
    assert answers["priorities"] == "ennakkosuunnittelu,naytot"
    assert answers["works:ennakkosuunnittelu"] == answer
    assert answers["develop:ennakkosuunnittelu"] == "Digitaaliset välineet puuttuvat."
    assert answers["promise:ennakkosuunnittelu"] is None
    assert answers["plan"] == "Edetään yhdessä."
    assert len(answers) == 8 + 1 + 6 + 1
    environment = {**os.environ, "KARTOITUS_DATABASE_URL": settings.database_url}
    exported = subprocess.run([sys.executable, "-m", "bot", "export", "--format", "json", "--raw"],
                              capture_output=True,
                              text=True, check=True, env=environment)
    assert {row["question"]: row["value"] for row in json.loads(exported.stdout)} == answers
    assert anna.user not in exported.stdout


async def reach_first_open_question(person: SlackPerson) -> Posted:
    await person.say("/aloita")
    await person.expect("Osa 1 · 1/8")
    await answer_part1(person)
    return await person.expect("Mikä meillä jo toimii?")


async def test_a_modal_keeps_the_text_when_validation_fails(anna: SlackPerson, slack_api: FakeSlackApi,
                                                            stores: tuple[SqlStore, SqlTeams]) -> None:
    works = await reach_first_open_question(anna)
    await anna.click("Kirjoita vastaus", works)
    await anna.wait_for(lambda: len(slack_api.opened) == 1, "the answer modal")
    response = await anna.submit("   \n  ")
    assert response.status_code == 200
    assert response.json() == {"response_action": "errors", "errors": {
        "answer": "Vastaus on tyhjä. Kirjoita vastauksesi, tai sulje ikkuna ja ohita kysymys."}}
    assert "works:ennakkosuunnittelu" not in saved(stores)
    await anna.submit("Ohjaajat tuntevat tutkinnon perusteet.")
    await anna.expect("Missä meillä on vielä kehitettävää?")
    assert saved(stores)["works:ennakkosuunnittelu"] == "Ohjaajat tuntevat tutkinnon perusteet."


async def test_a_modal_for_a_question_answered_meanwhile_gives_the_text_back(
        anna: SlackPerson, slack_api: FakeSlackApi, stores: tuple[SqlStore, SqlTeams]) -> None:
    works = await reach_first_open_question(anna)
    await anna.click("Kirjoita vastaus", works)
    await anna.wait_for(lambda: len(slack_api.opened) == 1, "the answer modal")
    await anna.say("Vastaus viestinä.")  # answered on the phone while the modal was open on the laptop
    await anna.expect("Missä meillä on vielä kehitettävää?")
    await anna.submit("Pitkä <b>mietitty</b> vastaus modaalissa")
    await anna.expect("Tähän kysymykseen on jo vastattu", "tekstiäsi ei tallennettu",
                      "Pitkä &lt;b&gt;mietitty&lt;/b&gt; vastaus modaalissa")
    assert saved(stores)["works:ennakkosuunnittelu"] == "Vastaus viestinä."


async def test_an_answer_with_a_channel_ping_pings_nobody(anna: SlackPerson, slack_api: FakeSlackApi,
                                                          stores: tuple[SqlStore, SqlTeams]) -> None:
    await reach_first_open_question(anna)
    await anna.say("Kerro <!channel> ja <@U0BOSS> *heti*")
    await anna.expect("Missä meillä on vielä kehitettävää?")
    assert saved(stores)["works:ennakkosuunnittelu"] == "Kerro <!channel> ja <@U0BOSS> *heti*"
    await anna.say("/vastaukset")
    await anna.expect("Kerro &lt;!channel&gt; ja &lt;@U0BOSS&gt;")
    posted = json.dumps([params for method, params in slack_api.calls if method.startswith("chat.")],
                        ensure_ascii=False)
    assert "<!channel>" not in posted and "<@U0BOSS>" not in posted


async def test_an_old_button_counts_for_its_own_question_only(anna: SlackPerson,
                                                                      stores: tuple[SqlStore, SqlTeams]) -> None:
    await anna.say("hei")
    first = await anna.expect("Osa 1 · 1/8")
    stale = list(first.buttons())
    await anna.click("5 Toimii", first)
    await anna.expect("Osa 1 · 2/8")
    block, element = stale[0]  # "1 Ei toimi" of point 1, still shown on another device
    await anna.press(first, block, element)
    await anna.expect("Vastauksesi tähän asti: Tavoitettavuus ja näkyvyys 1")  # it corrects point 1 only
    assert saved(stores) == {"rate:tavoitettavuus": "1"}
    await anna.press(first, block, {**element, "value": element["value"].split(":")[0] + ":kahvi"})  # no such option
    await anna.expect("Tähän kysymykseen on jo vastattu, joten mitään ei muutettu.")
    assert saved(stores) == {"rate:tavoitettavuus": "1"}


async def test_a_retried_event_is_processed_once(anna: SlackPerson, slack_api: FakeSlackApi,
                                                 stores: tuple[SqlStore, SqlTeams]) -> None:
    await anna.say("hei")
    await anna.expect("Osa 1 · 1/8")
    await anna.say("4", event_id="Ev0RETRIED")
    await anna.expect("Osa 1 · 2/8")
    before = len(slack_api.dm(anna.user))
    response = await anna.say("4", event_id="Ev0RETRIED", retry=1)
    assert response.status_code == 200
    await asyncio.sleep(0.5)
    assert len(slack_api.dm(anna.user)) == before, "the retry was not answered again"
    assert saved(stores) == {"rate:tavoitettavuus": "4"}


async def test_a_bad_signature_is_refused(anna: SlackPerson, slack_api: FakeSlackApi,
                                          stores: tuple[SqlStore, SqlTeams]) -> None:
    body = anna.event_body({"type": "message", "channel_type": "im", "user": anna.user, "text": "hei",
                            "channel": "D0ANNA", "ts": "1.0"})
    response = await anna.post(body, "application/json", signature="v0=" + "0" * 64)
    assert response.status_code == 401
    forged = SlackPerson(anna.app_url, slack_api, anna.http, "U0MALLORY", secret="not-the-secret")
    assert (await forged.say("hei")).status_code == 401
    await asyncio.sleep(0.3)
    assert not slack_api.messages and not saved(stores)


@pytest.mark.parametrize("skew", [-360, 360], ids=["six minutes old", "six minutes ahead"])
async def test_a_request_signed_outside_five_minutes_or_unsigned_is_refused(
        anna: SlackPerson, slack_api: FakeSlackApi, stores: tuple[SqlStore, SqlTeams], skew: int) -> None:
    """A captured request replayed later (or a clock far ahead) is refused though its signature is right."""
    body = anna.event_body({"type": "message", "channel_type": "im", "user": anna.user, "text": "hei",
                            "channel": "D0ANNA", "ts": "1.0"})
    timestamp = str(int(time.time()) + skew)
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": anna.verifier.generate_signature(timestamp=timestamp, body=body)}
    assert (await anna.http.post(anna.app_url, content=body.encode(), headers=headers)).status_code == 401
    unsigned = await anna.http.post(anna.app_url, content=body.encode(), headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    await asyncio.sleep(0.3)
    assert not slack_api.messages and not saved(stores)


async def test_a_429_is_retried_after_retry_after(anna: SlackPerson, slack_api: FakeSlackApi) -> None:
    slack_api.rate_limit_next["chat.postMessage"] = 1
    await anna.say("hei")
    await anna.expect("Tervetuloa", "Osa 1 · 1/8")
    attempts = [params for method, params in slack_api.calls if method == "chat.postMessage"]
    assert attempts[0] == attempts[1], "the refused message was sent again, unchanged"


async def test_a_person_who_left_is_marked_unreachable(anna: SlackPerson, slack_api: FakeSlackApi,
                                                       stores: tuple[SqlStore, SqlTeams]) -> None:
    slack_api.gone.add(anna.user)
    await anna.say("hei")
    await anna.wait_for(lambda: _unreachable(stores, anna.user), "the person marked unreachable")
    assert slack_api.count("chat.postMessage") == 1, "one failure is enough: the rest of the turn is not sent"


def _unreachable(stores: tuple[SqlStore, SqlTeams], user: str) -> bool:
    return stores[1].is_unreachable(UserRef("slack", TEAM, user))


async def test_slash_commands_and_localised_help(anna: SlackPerson, slack_api: FakeSlackApi) -> None:
    await anna.command("")
    help_text = (await anna.expect("Ohje", "/kartoitus tauko", "/kartoitus jatka", "/kartoitus kieli")).shown
    assert "/tauko" not in help_text.replace("/kartoitus tauko", "")
    await anna.command("aloita")
    await anna.expect("Osa 1 · 1/8")
    await anna.command("tauko")
    await anna.expect("Tauko. Vastauksesi on tallennettu", "/kartoitus jatka")
    await anna.command("kieli sv")
    await anna.expect("Språket har bytts till svenska")
    await anna.command("fortsatt")
    await anna.expect("Välkommen tillbaka", "Del 1 · 1/8")
    await anna.command("help")
    await anna.expect("Hjälp", "/kartoitus paus")
    await anna.command("kahvia")
    await anna.expect("kahvia")


async def test_the_language_follows_a_swedish_slack_locale_but_not_the_english_default(
        app_url: str, slack_api: FakeSlackApi, http: httpx.AsyncClient, stores: tuple[SqlStore, SqlTeams]) -> None:
    slack_api.locales.update({"U0SVEA": "sv-SE", "U0EERO": "en-US"})
    slack_api.timezones["U0SVEA"] = "Europe/Stockholm"
    svea, eero = SlackPerson(app_url, slack_api, http, "U0SVEA"), SlackPerson(app_url, slack_api, http, "U0EERO")
    await svea.say("hej")
    await svea.expect("Välkommen", "Del 1 · 1/8")
    await eero.say("hello")
    await eero.expect("Tervetuloa", "Osa 1 · 1/8")
    assert slack_api.count("users.info") == 2, "each person's locale is looked up once, then cached"
    with stores[0].engine.connect() as db:  # the time zone is kept for reminders in their working hours
        zones = dict(db.execute(sa.select(respondent.c.user_id, respondent.c.timezone)).all())
    assert zones == {"U0SVEA": "Europe/Stockholm", "U0EERO": "Europe/Helsinki"}
    await eero.command("language en")
    await eero.expect("The language is now English")
    await eero.say("4")
    await eero.expect("Part 1 · 2/8")


async def test_the_app_home_shows_progress_continue_and_language(anna: SlackPerson, slack_api: FakeSlackApi
                                                                 ) -> None:
    await anna.open_home()
    await anna.wait_for(lambda: anna.user in slack_api.homes, "the App Home")
    home = json.dumps(slack_api.homes[anna.user], ensure_ascii=False)
    assert "Kriittisten pisteiden kartoitus" in home and "Et ole vielä aloittanut" in home and "Aloita" in home
    await anna.press_on_home("Aloita")
    await anna.expect("Tervetuloa", "Osa 1 · 1/8")
    await answer_part1(anna)
    slack_api.homes.clear()
    await anna.open_home()
    await anna.wait_for(lambda: anna.user in slack_api.homes, "the App Home")
    home = json.dumps(slack_api.homes[anna.user], ensure_ascii=False)
    assert "Osa 1 valmis. Kehittämiskohteet: Yhteinen ennakkosuunnittelu, Näyttöjen laatu" in home
    assert "Osa 2: 0/2 valitsemaasi kohtaa syvennetty" in home and "Jatka" in home
    await anna.choose_language_on_home("en")
    await anna.wait_for(lambda: "Part 1 done" in json.dumps(slack_api.homes[anna.user]), "the English App Home")
    await anna.expect("The language is now English")
    await anna.press_on_home("Continue")
    await anna.expect("Welcome back", "What already works for us?")


async def test_joining_a_team_in_its_channel(anna: SlackPerson, slack_api: FakeSlackApi,
                                             stores: tuple[SqlStore, SqlTeams]) -> None:
    await anna.command("liity", channel="C0TIIMI", channel_name="autoala")
    await anna.wait_for(lambda: bool(slack_api.in_channel("C0TIIMI")), "a reply in the channel")
    reply = slack_api.in_channel("C0TIIMI")[-1].shown
    assert "autoala" in reply and "jäseniä 1" in reply
    assert "https://slack.com/app_redirect?app=A0KARTOITUS" in reply
    await anna.command("tauko", channel="C0TIIMI", channel_name="autoala")
    await anna.wait_for(lambda: len(slack_api.in_channel("C0TIIMI")) == 2, "a second reply in the channel")
    assert "vain yksityisviestissä" in slack_api.in_channel("C0TIIMI")[-1].shown


async def test_socket_mode_receives_events_and_acknowledges_them(settings: Settings, slack_api: FakeSlackApi,
                                                                 http: httpx.AsyncClient) -> None:
    """Socket Mode (the default for a school without a public URL): the same app over a WebSocket."""
    from adapters.ratelimit import RateLimiter
    from bot.shell import wiring
    from tests.adapters.slack.conftest import FAST
    from tests.support.slack import APP_TOKEN

    socket_settings = settings.model_copy(update={"slack_app_token": SecretStr(APP_TOKEN)})
    bot = wiring.platform_app(socket_settings, SLACK, limiter=RateLimiter(**FAST))  # type: ignore[arg-type]
    await bot.start()
    try:
        anna = SlackPerson("http://unused.invalid", slack_api, http, "U0ANNA")
        await anna.wait_for(lambda: bool(slack_api._sockets), "the app to connect")
        event = json.loads(anna.event_body({"type": "message", "channel_type": "im", "channel": "D0ANNA",
                                            "user": "U0ANNA", "text": "hei", "ts": "1.1"}))
        envelope = await slack_api.envelope("events_api", event)
        await anna.expect("Tervetuloa", "Osa 1 · 1/8")
        assert {"envelope_id": envelope} in [{"envelope_id": ack["envelope_id"]} for ack in slack_api.socket_acks]
        anna.cursor = len(slack_api.dm(anna.user))
        command = await slack_api.envelope("slash_commands", {
            "team_id": TEAM, "channel_id": "D0ANNA", "user_id": "U0ANNA", "command": "/kartoitus", "text": "tauko",
            "trigger_id": "t-socket", "api_app_id": "A0KARTOITUS"})
        await anna.expect("Tauko. Vastauksesi on tallennettu")
        assert command in [ack["envelope_id"] for ack in slack_api.socket_acks]
    finally:
        await bot.stop()


async def test_a_long_answer_is_kept_whole_and_shown_in_sections(anna: SlackPerson, slack_api: FakeSlackApi,
                                                                 stores: tuple[SqlStore, SqlTeams]) -> None:
    await reach_first_open_question(anna)
    long_answer = " ".join(f"lause{n} <ok> & hyvä." for n in range(170))  # ≈ 3,600 characters, 4,600 escaped
    await anna.say(long_answer)
    await anna.expect("Missä meillä on vielä kehitettävää?")
    assert saved(stores)["works:ennakkosuunnittelu"] == long_answer
    await anna.say("/vastaukset")
    await anna.expect("lause169 &lt;ok&gt; &amp; hyvä.")
    summary = next(m for m in slack_api.dm(anna.user)[anna.cursor:] if "lause0 &lt;ok&gt;" in m.shown)
    sections = [block["text"]["text"] for block in summary.blocks if block["type"] == "section"]
    assert len(sections) > 1 and all(len(text) <= 3000 for text in sections)
    assert "lause169 &lt;ok&gt;" in summary.shown, "the whole answer is in the one summary message"


async def test_kartoitus_run_serves_slack_when_it_is_configured(settings: Settings, slack_api: FakeSlackApi,
                                                               http: httpx.AsyncClient) -> None:
    """`make run` runs `kartoitus run`: with Slack settings it serves Slack instead of the terminal chat."""
    from tests.support.slack import BOT_TOKEN, SIGNING_SECRET, free_port

    port = free_port()
    environment = {**os.environ, "KARTOITUS_DATABASE_URL": settings.database_url, "SLACK_BOT_TOKEN": BOT_TOKEN,
                   "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack_api.url,
                   "KARTOITUS_HTTP_PORT": str(port)}
    for key in ("TELEGRAM_BOT_TOKEN", "SLACK_APP_TOKEN"):
        environment.pop(key, None)
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=environment,
                                                   stdin=asyncio.subprocess.DEVNULL)
    try:
        anna = SlackPerson(f"http://127.0.0.1:{port}/slack/events", slack_api, http, "U0ANNA")
        started = asyncio.get_running_loop().time()
        while True:  # until the process listens: generous, the imports alone take seconds on a loaded machine
            try:
                await anna.say("hei")
                break
            except httpx.TransportError:
                assert asyncio.get_running_loop().time() - started < 60, "kartoitus run did not start listening"
                await asyncio.sleep(0.05)
        await anna.expect("Tervetuloa", "Osa 1 · 1/8")
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 20) == 0, "SIGTERM stops it cleanly"


async def test_a_coordinator_opens_a_round_for_two_channels_and_members_are_invited_and_reminded(
        settings: Settings, slack_api: FakeSlackApi, http: httpx.AsyncClient, suite_clock: StartedClock) -> None:
    from datetime import timedelta

    from adapters.ratelimit import RateLimiter
    from bot.core.workdays import working_days_before
    from bot.shell import wiring
    from storage.database import create_database_engine
    from storage.sql_rounds import SqlRounds
    from tests.adapters.slack.conftest import FAST
    from tests.support.clock import HELSINKI, helsinki_at
    from tests.support.slack import free_port

    # Every tick below counts invitations and reminders only: no weekly digests, whatever day the suite runs on
    # (they have tests of their own). The app and the ticks share the suite's clock.
    coordinated = settings.model_copy(update={"coordinators": "slack:U0MAIJA", "min_scores": 2, "digest_weekday": 0})
    bot = wiring.platform_app(coordinated, SLACK, limiter=RateLimiter(**FAST), clock=suite_clock)  # type: ignore[arg-type]
    port = free_port()
    await bot.start(host="127.0.0.1", port=port)
    url = f"http://127.0.0.1:{port}/slack/events"
    people = {name: SlackPerson(url, slack_api, http, name) for name in ("U0MAIJA", "U0ANNA", "U0BO", "U0CID")}
    try:
        for user, channel, title in (("U0ANNA", "C0AUTO", "autoala"), ("U0BO", "C0AUTO", "autoala"),
                                     ("U0CID", "C0SAHKO", "sähköala")):
            await people[user].command("liity", channel=channel, channel_name=title)
        await people["U0CID"].wait_for(lambda: len(slack_api.in_channel("C0SAHKO")) == 1, "the join")

        await people["U0ANNA"].command("kierros lista")
        await people["U0ANNA"].expect("Kierroksia hallitsevat koordinaattorit")
        today = suite_clock.now().astimezone(HELSINKI).date()
        decision = today.replace(day=1)
        await people["U0MAIJA"].command(f"kierros uusi {decision:%d.%m.%Y} autoala, sähköala; vastuu Maija Mäki")
        await people["U0MAIJA"].expect("avattiin. Tiimit: autoala, sähköala", "Kutsu lähtee 3 henkilölle")

        sent, pending = await wiring.tick(coordinated, clock=suite_clock)
        assert (sent, pending) == (3, 0)
        for user in ("U0ANNA", "U0BO", "U0CID"):
            assert "Kutsu: kriittisten pisteiden kartoitus" in people[user].transcript()
            assert "/kartoitus aloita" in people[user].transcript()
        assert "Kutsu: kriittisten" not in people["U0MAIJA"].transcript(), "the coordinator is in no team"

        engine = create_database_engine(settings.database_url)
        current = SqlRounds(engine).rounds()[0]
        engine.dispose()
        assert current.part1_deadline is not None
        first_reminder = working_days_before(current.part1_deadline, 7)
        assert first_reminder > today, "part 1 is due in about three weeks: its first reminder is days away"
        morning = helsinki_at(first_reminder, 10)
        assert await wiring.tick(coordinated, now=morning - timedelta(days=1)) == (0, 0)
        assert await wiring.tick(coordinated, now=morning) == (3, 0)
        bo = people["U0BO"]
        await bo.click("Muistuta myöhemmin")
        await bo.expect("muistutan seuraavana arkipäivänä")
        await people["U0ANNA"].click("Jatka")
        await people["U0ANNA"].expect("Osa 1 · 1/8")
        await people["U0MAIJA"].command("kierros tila")
        await people["U0MAIJA"].expect("autoala: jäseniä 2", "sähköala: jäseniä 1")

        # Two ratings in autoala: the summary, asked for in the channel, comes with its chart.
        for user in ("U0ANNA", "U0BO"):
            await people[user].command("aloita")
            await people[user].expect("Osa 1 · 1/8")
            await people[user].click("4 Toimii hyvin")
            await people[user].expect("Osa 1 · 2/8")
        await people["U0ANNA"].command("yhteenveto", channel="C0AUTO", channel_name="autoala")
        await people["U0ANNA"].wait_for(lambda: any("vetäjä ja koordinaattorit" in m.shown
                                                    for m in slack_api.in_channel("C0AUTO")), "the refusal")
        await people["U0MAIJA"].command("yhteenveto", channel="C0AUTO", channel_name="autoala")
        await people["U0MAIJA"].wait_for(lambda: any("Kooste – tiimi: autoala" in m.shown
                                                     for m in slack_api.in_channel("C0AUTO")), "the summary")
        await people["U0MAIJA"].wait_for(lambda: bool(slack_api.files) and bool(slack_api.files[-1]["channel"]),
                                         "the chart")
        chart = slack_api.files[-1]
        assert chart["channel"] == "C0AUTO" and chart["data"][:4] == b"\x89PNG" and chart["length"] > 10_000
        assert chart["title"].startswith("Kooste – tiimi: autoala")

        await people["U0MAIJA"].command("kierros tyokirja autoala md")
        await people["U0MAIJA"].wait_for(lambda: len(slack_api.files) == 2 and bool(slack_api.files[-1]["channel"]),
                                         "the workbook")
        workbook = slack_api.files[-1]
        assert workbook["channel"] == "D0MAIJA" and workbook["filename"].endswith(".md")
        assert workbook["data"].decode("utf-8").startswith("# Kriittisten pisteiden tarkastelu")
    finally:
        await bot.stop()
