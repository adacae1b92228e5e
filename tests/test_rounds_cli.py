"""A coordinator opens, follows and closes a round from the command line; a tick sends the invitations."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app.service import TurnService
from bot.core.events import TextReceived
from bot.core.identity import ChannelRef, UserRef
from bot.core.workdays import WorkingHours
from bot.shell.content import load_instrument
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams
from tests.support.cli import run_kartoitus
from tests.support.clock import FakeClock, clock_setting, current_clock, suite_now, suite_today
from tests.support.conversation import RecordingSender
from tests.support.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlackApi

TODAY = suite_now()  # the suite's moment (KARTOITUS_TEST_NOW); each `kartoitus` process goes on from the test's clock
FIRST_OF_MONTH = suite_today().replace(day=1).isoformat()  # a decision inside the start window, on any date


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'rounds.db'}"
    upgrade(url)
    engine = create_database_engine(url)
    teams = SqlTeams(engine)
    for title, members in (("autoala", ["U0ANNA", "U0BO"]), ("sähköala", ["U0CID", "U0ANNA"]),
                           ("hallinto", ["U0DAN"])):
        team = teams.register_team(ChannelRef("slack", "T0KOULU", f"C0{title[:4].upper()}"), title, now=TODAY)
        for member in members:
            teams.join(team.id, UserRef("slack", "T0KOULU", member), now=TODAY)
    engine.dispose()
    yield url


async def kartoitus(database: str, *args: str, api: FakeSlackApi | None = None) -> tuple[int, str]:
    """`kartoitus …` on the test's clock; the ticks here count invitations, so no weekly digests (whatever the day)."""
    return await run_kartoitus(database, *args, api=api)


async def test_a_round_for_two_teams_from_open_to_close(database: str, slack_api: FakeSlackApi) -> None:
    decision = FIRST_OF_MONTH
    code, out = await kartoitus(database, "round", "open", "--decision-date", decision, "--team", "autoala",
                                "--team", "Sähköala", "--responsible", "Maija Mäki", "--name", "Syksy 2026")
    assert code == 0, out
    assert "Kierros ”Syksy 2026” (nro 1) avattiin. Tiimit: autoala, sähköala" in out
    assert "Kutsu lähtee 3 henkilölle" in out

    code, out = await kartoitus(database, "round", "open", "--decision-date", decision, "--team", "hallinto",
                                "--responsible", "X")
    assert code == 1 and "on jo auki" in out, "one planned round at a time"

    code, out = await kartoitus(database, "tick", api=slack_api)
    assert code == 0 and "3 viestiä lähetetty, 0 odottaa" in out, out
    invited = {message.channel for message in slack_api.messages}
    assert invited == {"D0ANNA", "D0BO", "D0CID"}, "each member once, though Anna is in both teams"
    assert "/kartoitus aloita" in slack_api.messages[0].shown
    code, out = await kartoitus(database, "tick", api=slack_api)
    assert "0 viestiä lähetetty" in out and len(slack_api.messages) == 3, "nobody is invited twice"

    engine = create_database_engine(database)  # Bo starts answering: the answers belong to the open round
    store = SqlStore(engine)
    now = current_clock().now()
    service = TurnService(store, load_instrument(), RecordingSender(), FakeClock(now))
    await service.handle(TextReceived(event_id="e1", user=UserRef("slack", "T0KOULU", "U0BO"), at=now, text="hei"))
    await service.handle(TextReceived(event_id="e2", user=UserRef("slack", "T0KOULU", "U0BO"), at=now, text="4"))
    engine.dispose()

    code, out = await kartoitus(database, "round", "status")
    assert code == 0
    assert "autoala: jäseniä 2, aloittaneita 1, osan 1 tehneitä 0, valmiita 0" in out
    assert "sähköala: jäseniä 2, aloittaneita 0" in out
    assert "U0" not in out, "status never names anyone"

    code, out = await kartoitus(database, "digest", "--team", "autoala", "--post", api=slack_api)
    assert code == 0 and "Kooste – tiimi: autoala" in out and "1 viesti lähetetty" in out, out
    posted = slack_api.in_channel("C0AUTO")
    assert len(posted) == 1 and "2 kutsutusta 1 on vastannut" in posted[0].shown, "no chart yet: one rating is too few"
    code, out = await kartoitus(database, "digest", "--team", "hallinto", "--post", api=slack_api)
    assert code == 1 and "ei ole mukana kierroksella" in out

    code, out = await kartoitus(database, "round", "list")
    assert "1. Syksy 2026 – auki" in out
    code, out = await kartoitus(database, "round", "close")
    assert code == 0 and "suljettiin" in out
    code, out = await kartoitus(database, "round", "close", "1")
    assert code == 1 and "on jo suljettu" in out

    # At the close the coordinators get the organisation's report in their DMs: Bo, granted the role here,
    # once the working day has begun (the suite's clock may stand on any day and hour)
    code, out = await kartoitus(database, "role", "grant", "coordinator", "slack:U0BO")
    assert code == 0, out
    working = WorkingHours().next_opening(current_clock().now()) + timedelta(minutes=1)
    code, out = await kartoitus(database, "tick", "--now", working.isoformat(), api=slack_api)
    assert code == 0, out
    report = [file for file in slack_api.files if file["channel"] == "D0BO"]
    assert [file["data"][:4] for file in report] == [b"\x89PNG", b"%PDF"], "the heatmap, then the PDF"
    assert not [file for file in slack_api.files if file["channel"] in {"D0ANNA", "D0CID"}], "not to members"
    code, out = await kartoitus(database, "tick", "--now", (working + timedelta(minutes=1)).isoformat(), api=slack_api)
    assert len([file for file in slack_api.files if file["channel"] == "D0BO"]) == 2, "once"

    code, out = await kartoitus(database, "round", "reopen", "1")
    assert code == 0 and "avattiin uudelleen" in out


async def test_a_round_outside_the_start_window_or_for_an_unknown_team_is_refused(database: str) -> None:
    code, out = await kartoitus(database, "round", "open", "--decision-date", "2020-01-10", "--team", "autoala",
                                "--responsible", "M")
    assert code == 1 and "olisi pitänyt aloittaa viimeistään 10.3.2020" in out
    code, out = await kartoitus(database, "round", "open", "--decision-date", suite_today().isoformat(),
                                "--team", "puutarha", "--responsible", "M")
    assert code == 1 and "Tiimiä ”puutarha” ei löydy" in out and "autoala" in out
    code, out = await kartoitus(database, "round", "open", "--decision-date", "31.2.2026", "--team", "autoala",
                                "--responsible", "M")
    assert code == 1 and "En tunnistanut päivämäärää ”31.2.2026”" in out, "a polite message, in Finnish"
    code, out = await kartoitus(database, "round", "open", "--decision-date", "10.1.2020", "--team", "autoala",
                                "--responsible", "M")
    assert code == 1 and "viimeistään 10.3.2020" in out, "dates as people write them here work too"


async def test_the_running_bot_sends_the_invitations_by_itself(database: str, slack_api: FakeSlackApi) -> None:
    code, out = await kartoitus(database, "round", "open", "--decision-date", FIRST_OF_MONTH,
                                "--team", "hallinto", "--responsible", "Maija Mäki")
    assert code == 0, out
    from tests.support.processes import wait_for
    from tests.support.slack import free_port

    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("SLACK_", "TELEGRAM_", "KARTOITUS_"))}
    environment.update(KARTOITUS_DATABASE_URL=database, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                       SLACK_API_URL=slack_api.url, KARTOITUS_HTTP_PORT=str(free_port()), KARTOITUS_DIGEST_WEEKDAY="0",
                       **clock_setting())
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=environment,
                                                   stdin=asyncio.subprocess.DEVNULL)
    try:
        await wait_for(lambda: bool(slack_api.messages), "the invitation from the running bot", timeout=60)
        assert [message.channel for message in slack_api.messages] == ["D0DAN"]
        assert "Kutsu: kriittisten pisteiden kartoitus" in slack_api.messages[0].shown
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 20) == 0


async def test_roles_are_granted_listed_and_revoked(database: str) -> None:
    code, out = await kartoitus(database, "role", "list")
    assert code == 0 and "Rooleja ei ole myönnetty" in out
    code, out = await kartoitus(database, "role", "grant", "coordinator", "slack:U0BO")
    assert code == 0 and "slack:U0BO on nyt koordinaattori" in out
    code, out = await kartoitus(database, "role", "grant", "coordinator", "slack:U0BO")
    assert "on jo koordinaattori" in out
    code, out = await kartoitus(database, "role", "grant", "lead", "slack:U0ANNA")
    assert code == 1 and "--team" in out
    code, out = await kartoitus(database, "role", "grant", "lead", "slack:U0ANNA", "--team", "AUTOALA")
    assert code == 0 and "vetäjä (tiimi: AUTOALA)" in out
    code, out = await kartoitus(database, "role", "grant", "coordinator", "maija")
    assert code == 1 and "alusta:tunnus" in out
    code, out = await kartoitus(database, "role", "list")
    assert "slack:U0BO: koordinaattori" in out and "slack:U0ANNA: vetäjä (tiimi: autoala)" in out

    engine = create_database_engine(database)
    from bot.app.roles import Roles
    from storage.sql_roles import SqlRoles

    roles = Roles(set(), SqlRoles(engine))
    assert roles.is_coordinator(UserRef("slack", "T0KOULU", "U0BO"))
    assert not roles.is_coordinator(UserRef("slack", "T0KOULU", "U0ANNA")), "a team lead is not a coordinator"
    engine.dispose()
    code, out = await kartoitus(database, "role", "revoke", "coordinator", "slack:U0BO")
    assert code == 0 and "ei ole enää koordinaattori" in out
    code, out = await kartoitus(database, "role", "revoke", "coordinator", "slack:U0BO")
    assert code == 1


async def test_a_teams_digest_from_the_command_line(tmp_path: Path) -> None:
    from tests.bot.test_assessment_flow import rate_all
    from tests.support.conversation import Chat

    url = f"sqlite:///{tmp_path / 'digest.db'}"
    upgrade(url)
    engine = create_database_engine(url)
    teams = SqlTeams(engine)
    team = teams.register_team(ChannelRef("terminal", "local", "autoala"), "autoala", now=TODAY)
    names = ["anna", "bo", "cid", "dan", "eva", "fia"]
    for name in names:
        teams.join(team.id, UserRef("terminal", "local", name), now=TODAY)
    code, out = await kartoitus(url, "round", "open", "--decision-date", FIRST_OF_MONTH,
                                "--team", "autoala", "--responsible", "M")
    assert code == 0, out
    code, out = await kartoitus(url, "digest", "--team", "autoala")
    assert "6 kutsutusta 0 on vastannut" in out and "Tavoitettavuus ja näkyvyys: tarvitaan vielä 3 arviota" in out

    store = SqlStore(engine)

    def five_answer() -> None:  # the conversation driver runs its own event loop: in a thread
        for index, name in enumerate(names[:5]):
            chat = Chat(store, load_instrument(), user=name, clock=FakeClock(current_clock().now()))
            rate_all(chat.send("/start"), "43215432" if index % 2 else "54215432")
            chat.send("3 7").send(f"Toimii {name} <b>hyvin</b>")  # part 2 follows the targets at once
            chat.close()

    await asyncio.to_thread(five_answer)
    engine.dispose()

    code, out = await kartoitus(url, "digest", "--team", "autoala")
    assert code == 0, out
    assert "Kooste – tiimi: autoala" in out and "6 kutsutusta 5 on vastannut: 5 on tehnyt osan 1" in out
    assert "Tavoitettavuus ja näkyvyys: 4,6" in out and "(5 arviota)" in out  # (5+4+5+4+5)/5
    assert "Yhteinen ennakkosuunnittelu: 5 ääntä" in out
    assert "Avoimet vastaukset: Yhteinen ennakkosuunnittelu" in out and "• Toimii anna <b>hyvin</b>" in out
    assert "anna:" not in out.lower() and "bo" not in out.split("Avoimet")[0], "no names outside the answers"


async def test_the_filled_in_workbook_as_markdown_html_and_pdf(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from tests.bot.test_assessment_flow import rate_all
    from tests.support.conversation import Chat

    url = f"sqlite:///{tmp_path / 'workbook.db'}"
    upgrade(url)
    engine = create_database_engine(url)
    teams = SqlTeams(engine)
    team = teams.register_team(ChannelRef("terminal", "local", "Åbo"), "Åbo", now=TODAY)
    names = ["anna", "bo", "cid", "dan", "eva"]
    for name in names:
        teams.join(team.id, UserRef("terminal", "local", name), now=TODAY)
    code, out = await kartoitus(url, "round", "open", "--decision-date", FIRST_OF_MONTH,
                                "--team", "Åbo", "--responsible", "M")
    assert code == 0, out
    store = SqlStore(engine)

    def everyone_answers() -> None:
        for name in names:
            chat = Chat(store, load_instrument(), user=name, clock=FakeClock(current_clock().now()))
            rate_all(chat.send("/start"), "43215432")
            chat.send("3 7").send(f"Työpaikat <script>{name}</script> & ohjaajat").send("/ohita")
            chat.close()

    await asyncio.to_thread(everyone_answers)
    engine.dispose()

    code, markdown = await kartoitus(url, "export", "--format", "md", "--team", "åbo")
    assert code == 0, markdown
    assert markdown.startswith("# Kriittisten pisteiden tarkastelu – oma suunnitelmamme")
    assert "## 3. Yhteinen ennakkosuunnittelu" in markdown and "Arvio: 2,0 / 5 (5 arviota)" in markdown
    assert "### Mikä meillä jo toimii?" in markdown
    assert "- Työpaikat &lt;script&gt;anna&lt;/script&gt; &amp; ohjaajat" in markdown
    assert "<script>" not in markdown, "a coordinator's Markdown viewer must not run an answer"
    assert "Yhteinen ennakkosuunnittelu: valinnut 5 vastaajaa" in markdown, "the development targets with their votes"
    code, page = await kartoitus(url, "export", "--format", "html", "--team", "Åbo")
    assert "&lt;script&gt;anna&lt;/script&gt; &amp; ohjaajat" in page and "<script>" not in page
    pdf = tmp_path / "tyokirja.pdf"
    code, out = await kartoitus(url, "export", "--format", "pdf", "--team", "Åbo", "--out", str(pdf))
    assert code == 0 and "Työkirja kirjoitettiin" in out, out
    reader = PdfReader(pdf)
    first = reader.pages[0]
    assert round(float(first.mediabox.width)) == 595 and round(float(first.mediabox.height)) == 842, "A4"
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Tiimi: Åbo" in text and "Yhteinen ennakkosuunnittelu" in text and "Työpaikat <script>cid</script>" in text
    code, out = await kartoitus(url, "export", "--format", "pdf")
    assert code == 2 and "--team" in out

    code, out = await kartoitus(url, "export", "--format", "json", "--team", "Åbo")
    rows = json.loads(out)
    assert {"round": rows[0]["round"], "team": "Åbo", "point": "", "measure": "answered", "value": "5"} in rows
    assert {r["value"] for r in rows if r["point"] == "ennakkosuunnittelu" and r["measure"] == "mean"} == {"2.0"}
    works = [r["value"] for r in rows if r["point"] == "ennakkosuunnittelu" and r["measure"] == "works"]
    assert sorted(works) == sorted(f"Työpaikat <script>{n}</script> & ohjaajat" for n in names)
    assert not any(r["measure"] == "works" and r["point"] == "naytot" for r in rows), "below the threshold"
    code, out = await kartoitus(url, "export", "--format", "csv", "--team", "Åbo")
    assert out.splitlines()[0] == "round,team,point,measure,value"
    code, out = await kartoitus(url, "export", "--format", "json")
    assert code == 2 and "--raw" in out
    code, out = await kartoitus(url, "export", "--format", "json", "--raw")
    assert code == 0 and len(json.loads(out)) == 5 * 11, "every answer, anonymised: 8 ratings, targets, 2 open"
