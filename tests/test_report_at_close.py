"""When a round closes, every known coordinator gets the organisation's report in a private message, once:
the heatmap picture(s) and the PDF, through the durable outbox (the real SQLite world of test_reminders)."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.digest_schedule import FINAL_DIGEST_DAYS, DigestSchedule
from bot.app.round_desk import RoundDesk
from bot.core.delivery import Delivery, retry
from bot.core.events import CommandReceived
from bot.core.identity import ChannelRef, UserRef
from bot.core.messages import Document, Image, Outbound
from bot.reports.organisation import OrganisationReport
from storage.migrate import upgrade
from storage.sql_roles import SqlRoles
from storage.sql_teams import SqlTeams
from tests.support.conversation import RecordingSender
from tests.test_reminders import ANNA, BO, INSTRUMENT, MAIJA, World, helsinki

PAULA = UserRef("telegram", "bot1", "901")  # granted the coordinator's role by command, not named in the settings


class CountingDesk(RoundDesk):
    """The real desk, counting the PDFs it renders (a second or two each in production)."""

    pdfs = 0

    def report_pdf(self, report: OrganisationReport) -> bytes:
        CountingDesk.pdfs += 1
        return super().report_pdf(report)


class BrokenDesk(CountingDesk):
    """A desk whose PDF cannot be made while `broken` (a renderer's bug)."""

    broken = True

    def report_pdf(self, report: OrganisationReport) -> bytes:
        if BrokenDesk.broken:
            raise RuntimeError("weasyprint fell over")
        return super().report_pdf(report)


class OutageSender(RecordingSender):
    """The platform answers 429 with `retry_after` while `down`; what it refuses is not delivered."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.refused = 0

    async def send(self, messages: Sequence[Outbound]) -> list[Delivery]:
        if self.down:
            self.refused += len(messages)
            return [retry("429 Too Many Requests", retry_after=120) for _ in messages]
        return await super().send(messages)


def with_reports(world: World, *, coordinators: Sequence[UserRef] = (MAIJA,)) -> None:
    """The world's digest schedule, told who the coordinators are (settings) and who was granted the role."""
    roles = SqlRoles(world.engine)
    world.digests = DigestSchedule(
        world.rounds, world.outbox, lambda language: CountingDesk(world.rounds, world.outbox, INSTRUMENT, world.clock,
                                                                  language), world.clock,
        min_scores=2, coordinators=[f"{person.platform}:{person.user}" for person in coordinators],
        coordinators_granted=lambda: [name for name, role, _ in roles.grants() if role == "coordinator"],
        chosen_language=SqlTeams(world.engine).chosen_language)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'report.db'}"
    upgrade(url)
    world = World(url)
    world.clock.current = helsinki(11, 23, 9)
    with_reports(world)
    teams = SqlTeams(world.engine)
    team = teams.register_team(ChannelRef("telegram", "bot1", "-7"), "autoala", now=world.clock.now())
    for member in (ANNA, BO):
        teams.join(team.id, member, now=world.clock.now())
    assert desk(world).open(decision_date=date(2026, 11, 16), team_titles=["autoala"], responsible="Maija",
                            opened_by="test", part1_deadline=date(2026, 12, 11), part2_deadline=date(2027, 1, 15)).ok
    CountingDesk.pdfs = 0
    yield world
    world.engine.dispose()


def desk(world: World) -> RoundDesk:
    return RoundDesk(world.rounds, world.outbox, INSTRUMENT, world.clock)


async def a_round_answered(world: World) -> int:
    """The invitations sent, the coordinator has used the bot, two members rated a point; the round's id."""
    await world.tick(helsinki(11, 23, 10))
    await world.act(MAIJA, text="hei")
    for person in (ANNA, BO):
        await world.act(person, text="/aloita")
        await world.act(person, text="4")
    return world.rounds.rounds()[0].id


def close(world: World, round_id: int, moment: datetime) -> None:
    world.clock.current = moment
    assert desk(world).set_status(round_id, "closed").ok


def the_report(messages: Sequence[Outbound]) -> tuple[list[Image], list[Document]]:
    return [m for m in messages if isinstance(m, Image)], [m for m in messages if isinstance(m, Document)]


def assert_a_whole_report(messages: Sequence[Outbound]) -> None:
    pictures, documents = the_report(messages)
    assert pictures and all(picture.png.startswith(b"\x89PNG") for picture in pictures), "the heatmap picture(s)"
    assert all(picture.to == MAIJA and "Kartoitus 11/2026" in picture.caption for picture in pictures)
    assert len(documents) == 1, "one PDF"
    assert documents[0].data.startswith(b"%PDF") and documents[0].filename.endswith(".pdf")
    assert documents[0].to == MAIJA, "in a private message"
    assert len(messages) == len(pictures) + 1, "nothing but the report"


async def test_the_coordinator_gets_the_report_once_when_the_round_closes(world: World) -> None:
    round_id = await a_round_answered(world)
    assert await world.tick(helsinki(11, 23, 11)) == {}, "nothing while the round is open (not a Monday 9:00)"

    close(world, round_id, helsinki(11, 24, 14))
    received = await world.tick(helsinki(11, 24, 14))
    assert_a_whole_report(received[MAIJA.key])
    assert ANNA.key not in received and BO.key not in received, "a team member gets no report (the team digest "\
        "goes to the team's channel)"
    assert "telegram:bot1:-7" in received, "the final team digest went out as before"

    assert await world.tick(helsinki(11, 24, 14) + timedelta(minutes=1)) == {}, "once"
    assert await world.tick(helsinki(11, 25, 10)) == {}, "a day later: nothing more"
    assert CountingDesk.pdfs == 1, "rendered once, not again at every tick"


async def closed_with_paula(world: World, *, language: str | None = None
                            ) -> tuple[list[Image], list[Document], bytes]:
    """Paula (who used the bot, and chose `language`) is granted the coordinator's role, the round closes, one
    tick: Paula's pictures and documents, and Maija's PDF (her whole report is checked)."""
    round_id = await a_round_answered(world)
    await world.act(PAULA, text="hei")
    if language is not None:
        await world.dispatcher.handle(CommandReceived(event_id="language", user=PAULA, at=world.clock.now(),
                                                      name="language", argument=language))
    assert SqlRoles(world.engine).grant(f"telegram:{PAULA.user}", "coordinator", granted_by="telegram:900",
                                        now=world.clock.now())
    close(world, round_id, helsinki(11, 24, 14))
    received = await world.tick(helsinki(11, 24, 14))
    assert_a_whole_report(received[MAIJA.key])
    pictures, documents = the_report(received[PAULA.key])
    return pictures, documents, the_report(received[MAIJA.key])[1][0].data


async def test_a_granted_coordinator_gets_it_too_and_it_is_rendered_once_for_both(world: World) -> None:
    pictures, documents, maijas = await closed_with_paula(world)
    assert pictures and len(documents) == 1 and documents[0].data == maijas
    assert CountingDesk.pdfs == 1, "one report for all the coordinators who need it"
    assert await world.tick(helsinki(11, 24, 15)) == {}


async def test_a_round_closed_long_ago_sends_no_report(world: World) -> None:
    round_id = await a_round_answered(world)
    close(world, round_id, helsinki(11, 24, 14))  # the bot was down from the close for longer than the window
    received = await world.tick(helsinki(11, 24, 14) + timedelta(days=FINAL_DIGEST_DAYS, hours=1))
    assert MAIJA.key not in received
    assert CountingDesk.pdfs == 0


async def test_a_platform_outage_delays_the_report_and_loses_nothing(world: World) -> None:
    round_id = await a_round_answered(world)
    sender = OutageSender()  # the scheduled messages' platform from now on
    world.sender, world.worker.senders = sender, {"telegram": sender}

    close(world, round_id, helsinki(11, 24, 14))
    sender.down = True
    assert await world.tick(helsinki(11, 24, 14)) == {}
    assert sender.refused >= 1, "the platform was asked and said later"
    sender.down = False
    assert await world.tick(helsinki(11, 24, 14) + timedelta(minutes=1)) == {}, "not before its retry-after"
    late = await world.tick(helsinki(11, 24, 14) + timedelta(minutes=3))
    sent = late.get(MAIJA.key, [])
    assert sent, "delivered once the platform is back"
    for moment in (helsinki(11, 24, 15), helsinki(11, 24, 16), helsinki(11, 25, 10)):
        sent += (await world.tick(moment)).get(MAIJA.key, [])
    assert_a_whole_report(sent)  # each picture and the PDF exactly once, for all the retries
    assert world.outbox.pending() == 0 and world.outbox.counts().failed == {}


async def test_a_round_closed_in_the_evening_reports_in_the_next_working_morning(world: World) -> None:
    """Friday 27 November at 22:00 (the scheduler closes a round at the first tick after its last day, whatever
    the hour): the coordinator hears of it on Monday at 9:00, not at night or at the weekend."""
    round_id = await a_round_answered(world)
    close(world, round_id, helsinki(11, 27, 22))
    received = await world.tick(helsinki(11, 27, 22))
    assert MAIJA.key not in received
    assert MAIJA.key not in await world.tick(helsinki(11, 28, 12)), "Saturday"
    assert MAIJA.key not in await world.tick(helsinki(11, 30, 8)), "Monday before working hours"
    assert_a_whole_report((await world.tick(helsinki(11, 30, 9))).get(MAIJA.key, []))
    assert CountingDesk.pdfs == 1


async def test_a_coordinator_who_chose_swedish_gets_it_in_swedish(world: World) -> None:
    pictures, documents, _ = await closed_with_paula(world, language="sv")
    assert pictures and all(picture.caption.startswith("Organisationens bild") for picture in pictures)
    assert documents[0].caption.startswith("Organisationens bild")
    from pypdf import PdfReader
    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(documents[0].data)).pages)
    assert "Deltagande" in text and "Osallistuminen" not in text
    assert CountingDesk.pdfs == 2, "one for each language"


async def test_a_report_that_cannot_be_made_leaves_the_tick_going_and_comes_at_the_next(world: World) -> None:
    round_id = await a_round_answered(world)
    world.digests = None
    with_reports(world)
    assert world.digests is not None
    world.digests.desk_for = lambda language: BrokenDesk(world.rounds, world.outbox, INSTRUMENT, world.clock,
                                                         language)
    close(world, round_id, helsinki(11, 24, 14))
    BrokenDesk.broken = True
    received = await world.tick(helsinki(11, 24, 14))
    assert MAIJA.key not in received, "nothing half-made"
    assert "telegram:bot1:-7" in received, "the team's final digest still went out in the same tick"
    BrokenDesk.broken = False
    assert_a_whole_report((await world.tick(helsinki(11, 24, 15))).get(MAIJA.key, []))
