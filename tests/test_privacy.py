"""Who is kept apart from what: `/omat_tiedot`, `/poista_tiedot`, `kartoitus person`, retention and the
migration that gave existing answers pseudonymous keys, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from bot.app.privacy import PrivacyDesk, months_before
from bot.core.events import CommandReceived
from bot.core.identity import ChannelRef, UserRef
from bot.core.messages import Document, Notice
from bot.core.ports import Scheduled
from bot.core.rounds import RoundPlan
from bot.shell import wiring
from bot.shell.content import load_instrument
from bot.shell.settings import Settings
from storage.database import create_database_engine
from storage.migrate import alembic_config, upgrade
from storage.sql_outbox import SqlOutbox
from storage.sql_privacy import SqlPrivacy
from storage.sql_rounds import SqlRounds
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams
from storage.tables import answer, conversation, kept_score, key_team, respondent, respondent_link
from tests.storage.test_migrations import schema_differences
from tests.support.cli import run_kartoitus
from tests.support.clock import FakeClock, suite_now
from tests.support.conversation import Chat
from tests.support.privacy import answer_owners, count_rows, traces

INSTRUMENT = load_instrument()
TUULIKKI = UserRef("terminal", "local", "tuulikki")
OTHERS = ("bo", "cid", "dan")
_events = iter(range(1, 1_000_000))


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'privacy.db'}"
    return str(request.getfixturevalue("fresh_postgres_url"))


@dataclass
class World:
    url: str
    store: SqlStore
    teams: SqlTeams
    rounds: SqlRounds
    clock: FakeClock
    team_id: int
    desk: PrivacyDesk

    def open_round(self, name: str) -> int:
        today = self.clock.now().date()
        plan = RoundPlan(name=name, decision_date=today, window_end=today + timedelta(days=60),
                         part1_deadline=today + timedelta(days=21), part2_deadline=today + timedelta(days=60),
                         responsible="Maija", team_ids=(self.team_id,))
        return self.rounds.open_round(plan, instrument_version=INSTRUMENT.version, opened_by="terminal:maija",
                                      now=self.clock.now()).id

    def answer(self, user: str, ratings: str, text: str | None = None) -> None:
        """Ratings (part 1 runs straight through); with `text`, the targets and a "what works" answer."""
        chat = Chat(self.store, INSTRUMENT, user=user, clock=self.clock)
        try:
            chat.send("/start")
            for rating in ratings:
                chat.send(rating)
            if text is not None:
                chat.send("3 7").send(text)
        finally:
            chat.close()

    def close(self, round_id: int) -> None:
        assert self.rounds.set_status(round_id, "closed", now=self.clock.now())

    def means(self, round_id: int) -> dict[str, float]:
        """The team's mean per rated point, as a digest or a trend computes it."""
        values: dict[str, list[int]] = {}
        for person in self.rounds.team_answers(round_id, self.team_id):
            for question, value in person.items():
                if question.startswith("rate:") and value and value.isdigit():
                    values.setdefault(question, []).append(int(value))
        return {question: sum(numbers) / len(numbers) for question, numbers in sorted(values.items())}

    def command(self, name: str, argument: str = "", user: UserRef = TUULIKKI) -> tuple[object, ...]:
        return tuple(self.desk.handle(CommandReceived(event_id=f"cmd-{next(_events)}", user=user,
                                                      at=self.clock.now(), locale="fi", name=name,
                                                      argument=argument)))


@pytest.fixture
def world(url: str) -> Iterator[World]:
    upgrade(url)
    engine = create_database_engine(url)
    store, teams, rounds = SqlStore(engine), SqlTeams(engine), SqlRounds(engine)
    clock = FakeClock(suite_now())
    team = teams.register_team(ChannelRef("terminal", "local", "autoala"), "autoala", now=clock.now())
    for name in ("tuulikki", *OTHERS):
        teams.join(team.id, UserRef("terminal", "local", name), now=clock.now())
    desk = PrivacyDesk(SqlPrivacy(engine), rounds, INSTRUMENT, clock, mark_processed=teams.mark_processed,
                       min_scores=3, min_texts=5, retention_months=24)
    yield World(url, store, teams, rounds, clock, team.id, desk)
    engine.dispose()


def a_closed_and_an_open_round(world: World) -> tuple[int, int]:
    """Round "Syksy": everyone rated all eight points and wrote, then it closed; "Kevät" is open."""
    autumn = world.open_round("Syksy")
    for index, name in enumerate(("tuulikki", *OTHERS)):
        world.answer(name, "43215432" if index % 2 else "54321543", text=f"Työpaikat ja ohjaajat #{index}")
    world.clock.advance(days=30)
    world.close(autumn)
    world.clock.advance(days=30)
    spring = world.open_round("Kevät")
    world.answer("tuulikki", "234")
    world.answer("bo", "345")
    return autumn, spring


def test_after_erasure_nothing_in_the_database_ties_the_person_to_an_answer(world: World) -> None:
    autumn, spring = a_closed_and_an_open_round(world)
    now = world.clock.now()
    world.rounds.record_reminder(spring, TUULIKKI, phase="part1", now=now)
    SqlOutbox(world.store.engine).enqueue([Scheduled(f"remind:{spring}:{TUULIKKI.key}:1", TUULIKKI, "{}", now)],
                                          now=now)
    world.teams.remember(TUULIKKI.key, "p7", '{"chat": "tuulikki"}', now=now)
    autumn_means = world.means(autumn)
    assert answer_owners(world.url)["terminal:tuulikki"] > 0 and traces(world.url, "tuulikki")

    asked = world.command("erase_data")
    assert len(asked) == 1 and isinstance(asked[0], Notice)
    assert "Vahvista kirjoittamalla /poista_tiedot vahvista" in asked[0].text
    assert answer_owners(world.url)["terminal:tuulikki"] > 0, "nothing is erased before the confirmation"

    replies = world.command("erase_data", "VAHVISTA")
    assert len(replies) == 1 and isinstance(replies[0], Notice)
    said = replies[0].text
    assert "Tietosi on poistettu" in said and "tiimijäsenyydet (1)" in said
    assert "avoimen kierroksen vastaukset (3)" in said, "the three ratings of the open round"
    assert re.search(r"Kierros Syksy \(suljettu \d+\.\d+\.\d{4}\), tiimi: autoala\. Vastauksesi \(10\) jäävät ilman "
                     r"nimeäsi tiimin tuloksiin", said), said
    assert "arviosi (8) tiimin keskiarvoissa" in said and "valintasi (1) tiimin yhteisissä äänimäärissä" in said
    assert "avoimet vastauksesi (1) muiden joukossa ilman nimeä" in said and "poistetaan noin" in said

    assert traces(world.url, "tuulikki") == [], "no table or column names the person any more"
    owners = answer_owners(world.url)
    assert "terminal:tuulikki" not in owners and set(owners) == {f"terminal:{name}" for name in OTHERS}
    unlinked = count_rows(world.url, answer, answer.c.respondent_key.not_in(
        sa.select(respondent_link.c.respondent_key)))
    assert unlinked == 10, "the closed round's answers stay, under a key nobody can follow back"
    assert count_rows(world.url, answer, answer.c.round_id == spring) == 3, "only bo's open-round answers"
    assert world.means(autumn) == autumn_means, "the closed round's results stay as the posted digest showed"
    standings = world.rounds.standings(spring)
    assert [s.user.user for s in standings] == list(OTHERS) and standings[0].answered, "reminders go on"
    assert world.command("my_data")[0] == Notice(to=TUULIKKI, text="Sinusta ei ole tallennettu mitään.",
                                                 language="fi")


def test_my_data_sends_everything_stored_and_a_preview_that_shows_no_digest(world: World) -> None:
    a_closed_and_an_open_round(world)
    document, preview = world.command("my_data")
    assert isinstance(document, Document) and isinstance(preview, Notice)
    assert document.filename == "omat-tiedot.json" and document.to == TUULIKKI
    data = json.loads(document.data)
    assert data["person"]["user_id"] == "tuulikki" and data["teams"][0]["team"] == "autoala"
    by_round = {entry["round"]: entry for entry in data["rounds"]}
    assert set(by_round) == {"Syksy", "Kevät"}
    assert {a["question"]: a["value"] for a in by_round["Kevät"]["answers"]} == {
        "rate:tavoitettavuus": "2", "rate:valmiudet": "3", "rate:ennakkosuunnittelu": "4"}
    assert "Työpaikat ja ohjaajat #0" in [a["value"] for a in by_round["Syksy"]["answers"]]
    assert by_round["Kevät"]["conversation"]["state"]["step"] == "rate:tyopaikkaohjaus"
    assert not {"#1", "#2", "#3", '"bo"', '"cid"'} & set(re.findall(r'#\d|"\w+"', json.dumps(data))), \
        "nothing about anyone else"

    assert preview.heading == "Näin vastauksesi näkyvät tiimin koosteessa"
    assert "Tiimi autoala" in preview.text and "vähintään 3 (nyt 2)" in preview.text
    assert "vähintään 5 (nyt kirjoittajia 0)" in preview.text and "ilman nimiä" in preview.text
    assert "Työpaikat" not in preview.text, "the preview never quotes an answer, not even their own"
    assert world.command("my_data", user=UserRef("terminal", "local", "nobody"))[0].text == (  # type: ignore[attr-defined]
        "Sinusta ei ole tallennettu mitään.")


def test_a_command_the_platform_delivers_twice_is_answered_once(world: World) -> None:
    world.answer("tuulikki", "4")
    event = CommandReceived(event_id="twice", user=TUULIKKI, at=world.clock.now(), locale="sv", name="my_data")
    first, second = world.desk.handle(event), world.desk.handle(event)
    assert [type(m) for m in first] == [Document, Notice] and second == ()
    assert first[0].filename == "mina-uppgifter.json"  # type: ignore[union-attr]
    assert "Så syns dina svar" in first[1].heading  # type: ignore[union-attr, operator]


def test_erasure_of_someone_never_seen(world: World) -> None:
    erasure = world.desk.erase(UserRef("terminal", "local", "nobody"), "en")
    assert erasure == (False, "Nothing is stored about you.")


def test_retention_deletes_old_raw_answers_and_links_and_keeps_the_trend(world: World) -> None:
    autumn, spring = a_closed_and_an_open_round(world)
    world.close(spring)
    closed_at = world.clock.now()
    autumn_means = world.means(autumn)
    world.desk.erase(TUULIKKI, "fi")  # after both closed: her answers stay unlinked, counted for the team
    assert count_rows(world.url, key_team) == 2 and world.means(autumn) == autumn_means
    autumn_answers = count_rows(world.url, answer, answer.c.round_id == autumn)

    world.clock.current = months_before(closed_at, -22)
    assert world.desk.expire() == 0, "both rounds closed less than 24 months ago"
    assert count_rows(world.url, answer, answer.c.round_id == autumn) == autumn_answers

    world.clock.current = months_before(closed_at, -24) + timedelta(days=1)
    assert world.desk.expire() == 2, "both rounds closed more than 24 months ago"
    for table in (answer, respondent_link, conversation, key_team):
        assert count_rows(world.url, table) == 0, table.name
    assert count_rows(world.url, kept_score, kept_score.c.round_id == autumn) > 0
    assert world.means(autumn) == autumn_means, "the trend still compares with the same means"
    assert autumn_answers > 0 and world.desk.expire() == 0, "a second pass finds nothing more"
    assert count_rows(world.url, respondent) == 3, "people stay (they may answer later rounds)"


def test_retention_keeps_rounds_closed_more_recently(world: World) -> None:
    autumn, _ = a_closed_and_an_open_round(world)
    world.clock.advance(days=365)
    assert world.desk.expire() == 0
    assert count_rows(world.url, answer, answer.c.round_id == autumn) > 0
    assert answer_owners(world.url)["terminal:tuulikki"] == 13


def test_months_before_keeps_to_the_calendar() -> None:
    moment = datetime(2026, 3, 31, 12, 0, tzinfo=suite_now().tzinfo)
    assert months_before(moment, 1).date() == date(2026, 2, 28)
    assert months_before(moment, 24).date() == date(2024, 3, 31)
    assert months_before(datetime(2026, 2, 28, tzinfo=moment.tzinfo), -24).date() == date(2028, 2, 28)
    assert months_before(moment, 13).date() == date(2025, 2, 28)


async def test_the_tick_expires_old_rounds_on_its_clock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tick.db'}"
    upgrade(url)
    engine = create_database_engine(url)
    store = SqlStore(engine)
    clock = FakeClock(suite_now())
    def answer_once() -> None:
        chat = Chat(store, INSTRUMENT, user="tuulikki", clock=clock)
        chat.send("/start").send("4")
        chat.close()

    await asyncio.to_thread(answer_once)
    round_id = store.current_round(instrument_version=INSTRUMENT.version, now=clock.now()).id
    store.close_round(round_id, clock.now())
    engine.dispose()
    values = {"KARTOITUS_DATABASE_URL": url, "KARTOITUS_RETENTION_MONTHS": "12", "KARTOITUS_DIGEST_WEEKDAY": "0"}
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    await wiring.tick(settings, now=clock.now() + timedelta(days=300))
    assert count_rows(url, answer) == 1
    await wiring.tick(settings, now=clock.now() + timedelta(days=370))
    assert count_rows(url, answer) == 0 and count_rows(url, respondent_link) == 0


def test_the_migration_gives_existing_answers_keys_and_links(url: str) -> None:
    command.upgrade(alembic_config(url), "0008")
    engine = create_database_engine(url)
    at = suite_now()
    with engine.begin() as db:
        for name in ("anna", "bo"):
            db.execute(sa.text("INSERT INTO respondent (platform, workspace, user_id, created_at) "
                               "VALUES ('terminal', 'local', :name, :at)"), {"name": name, "at": at})
        for status in ("closed", "open"):
            db.execute(sa.text("INSERT INTO assessment_round (name, instrument_version, status, opened_at) "
                               "VALUES ('K', :version, :status, :at)"), {"version": INSTRUMENT.version,
                                                                          "status": status, "at": at})
        db.execute(sa.text("INSERT INTO conversation (respondent_id, round_id, state, version, updated_at) "
                           "VALUES (1, 2, :state, 1, :at)"),
                   {"state": json.dumps({"started": True, "step": "rate:ennakkosuunnittelu"}), "at": at})
        rows = [(1, 1, "rate:tavoitettavuus", "4"), (2, 1, "rate:tavoitettavuus", "2"),
                (1, 2, "rate:tavoitettavuus", "5"), (1, 2, "rate:valmiudet", "3"), (1, 2, "rate:valmiudet", "1")]
        for person, round_id, question, value in rows:
            db.execute(sa.text("INSERT INTO answer (round_id, respondent_id, question, value, instrument_version, "
                               "answered_at) VALUES (:round, :person, :question, :value, :version, :at)"),
                       {"round": round_id, "person": person, "question": question, "value": value,
                        "version": INSTRUMENT.version, "at": at})
    engine.dispose()

    upgrade(url)
    assert schema_differences(url) == []
    engine = create_database_engine(url)
    with engine.connect() as db:
        links = db.execute(sa.select(respondent_link)).all()
        owners = db.execute(sa.select(respondent_link.c.respondent_id, answer.c.round_id, answer.c.value)
                            .join(answer, answer.c.respondent_key == respondent_link.c.respondent_key)
                            .order_by(answer.c.id)).all()
    assert sorted((link.round_id, link.respondent_id) for link in links) == [(1, 1), (1, 2), (2, 1)]
    keys = [link.respondent_key for link in links]
    assert len(set(keys)) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)
    assert [tuple(row) for row in owners] == [(1, 1, "4"), (2, 1, "2"), (1, 2, "5"), (1, 2, "3"), (1, 2, "1")]
    loaded = SqlStore(engine).load(UserRef("terminal", "local", "anna"),
                                   SqlStore(engine).current_round(instrument_version=INSTRUMENT.version, now=at))
    assert loaded is not None and loaded.answers == {"rate:tavoitettavuus": "5", "rate:valmiudet": "1"}
    engine.dispose()


async def test_an_administrator_exports_and_erases_a_person_from_the_command_line(world: World) -> None:
    await asyncio.to_thread(a_closed_and_an_open_round, world)
    code, out = await run_kartoitus(world.url, "person", "export", "terminal:tuulikki")
    assert code == 0, out
    data = json.loads(out)
    assert data["person"]["user_id"] == "tuulikki" and len(data["rounds"]) == 2

    code, out = await run_kartoitus(world.url, "person", "erase", "terminal:tuulikki")
    assert code == 0, out
    assert "Tietosi on poistettu" in out and "Kierros Syksy" in out and "Vastauksesi (10)" in out
    assert traces(world.url, "tuulikki") == []
    assert "terminal:bo" in answer_owners(world.url)

    code, out = await run_kartoitus(world.url, "person", "erase", "terminal:tuulikki")
    assert code == 1 and "Henkilöä terminal:tuulikki ei löytynyt" in out
    code, out = await run_kartoitus(world.url, "person", "export", "tuulikki", KARTOITUS_LANGUAGE="en")
    assert code == 1 and "No person tuulikki was found" in out
