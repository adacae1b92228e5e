"""Team discussions on SQLite and PostgreSQL: opening, replies and their edits, the agreed entry, idle ones,
what a team agreed earlier, and a person's replies in their data, their erasure and retention."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.core.discussions import DEVELOP, OTHER, WORKS, DiscussionReply, TeamEntry
from bot.core.identity import ChannelRef, UserRef
from bot.core.rounds import RoundPlan
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_discussions import SqlDiscussions
from storage.sql_privacy import ERASED, SqlPrivacy
from storage.sql_rounds import SqlRounds
from storage.sql_teams import SqlTeams
from storage.tables import discussion, discussion_reply
from tests.support.privacy import count_rows, traces

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
GROUP = ChannelRef("telegram", "bot", "-100123")
OTHER_GROUP = ChannelRef("telegram", "bot", "-100999")
ANNA = UserRef("telegram", "bot", "1001")
BERTIL = UserRef("telegram", "bot", "1002")
CAJSA = UserRef("telegram", "bot", "1003")
LEAD = "telegram:1001"


@dataclass
class World:
    url: str
    store: SqlDiscussions
    teams: SqlTeams
    rounds: SqlRounds
    privacy: SqlPrivacy
    team_id: int
    other_team_id: int

    def open_round(self, name: str, *, now: datetime = NOW) -> int:
        """A planned round for both teams; the round open before it is closed."""
        for info in self.rounds.rounds():
            if info.status == "open":
                self.rounds.set_status(info.id, "closed", now=now)
        today = now.date()
        plan = RoundPlan(name=name, decision_date=today, window_end=today + timedelta(days=60),
                         part1_deadline=today + timedelta(days=21), part2_deadline=today + timedelta(days=60),
                         responsible="Maija", team_ids=(self.team_id, self.other_team_id))
        return self.rounds.open_round(plan, instrument_version="1", opened_by="telegram:9", now=now).id

    def open(self, round_id: int, point: str = "tavoitettavuus", *, team_id: int | None = None,
             channel: ChannelRef = GROUP, now: datetime = NOW, message: str | None = "500") -> int:
        found, _ = self.store.open_discussion(team_id=self.team_id if team_id is None else team_id,
                                              round_id=round_id, point_id=point, channel=channel, opened_by=LEAD,
                                              now=now)
        if message is not None:
            self.store.set_message(found.id, message)
        return found.id


@pytest.fixture(params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'discussions.db'}" if request.param == "sqlite" else \
        str(request.getfixturevalue("fresh_postgres_url"))
    upgrade(url)
    engine = create_database_engine(url)
    teams = SqlTeams(engine)
    team = teams.register_team(GROUP, "Autoala", now=NOW)
    other = teams.register_team(OTHER_GROUP, "Sote", now=NOW)
    for person in (ANNA, BERTIL, CAJSA):
        teams.join(team.id, person, now=NOW)
    yield World(url, SqlDiscussions(engine), teams, SqlRounds(engine), SqlPrivacy(engine), team.id, other.id)
    engine.dispose()


def test_a_discussion_is_opened_once_and_found_by_its_message(world: World) -> None:
    round_id = world.open_round("Syksy")
    first, created = world.store.open_discussion(team_id=world.team_id, round_id=round_id, point_id="valmiudet",
                                                 channel=GROUP, opened_by=LEAD, now=NOW)
    assert created and first.is_open and first.message_ref is None
    assert (first.team_id, first.round_id, first.point_id, first.channel) == (world.team_id, round_id, "valmiudet",
                                                                              GROUP)
    assert first.opened_by == LEAD and first.opened_at == NOW and first.last_activity_at == NOW
    assert first.promise is None and first.actions == () and first.recorded_at is None

    again, created = world.store.open_discussion(team_id=world.team_id, round_id=round_id, point_id="valmiudet",
                                                 channel=GROUP, opened_by="telegram:1002",
                                                 now=NOW + timedelta(hours=1))
    assert not created and again == first, "an open discussion is returned as it is"

    world.store.set_message(first.id, "777")
    assert world.store.by_message(GROUP, "777") == world.store.discussion(first.id)
    assert world.store.by_message(OTHER_GROUP, "777") is None and world.store.by_message(GROUP, "778") is None
    assert world.store.find(world.team_id, round_id, "valmiudet") == world.store.discussion(first.id)
    assert world.store.find(world.team_id, round_id, "tavoitettavuus") is None
    assert world.store.discussion(first.id + 1000) is None

    world.open(round_id, "ennakkosuunnittelu", message="778")
    assert [d.point_id for d in world.store.of_team(world.team_id, round_id)] == ["ennakkosuunnittelu", "valmiudet"]
    assert world.store.of_team(world.other_team_id, round_id) == []

    world.store.set_message(first.id, None)
    assert world.store.by_message(GROUP, "777") is None, "posting it again failed"


def test_a_closed_discussion_opens_again_with_its_replies_and_entry(world: World) -> None:
    round_id = world.open_round("Syksy")
    found = world.open(round_id)
    world.store.save_reply(found, message_ref="501", author=ANNA, kind=WORKS, text="Ohjaajat", now=NOW)
    world.store.record(found, promise="Soitamme", actions=("Anna: kysely",), recorded_by=LEAD, now=NOW)
    later = NOW + timedelta(days=3)
    world.store.mark_reminded(found, now=NOW + timedelta(days=2))
    assert world.store.close(found, now=later)
    assert not world.store.close(found, now=later + timedelta(hours=1)), "closed already"
    closed = world.store.discussion(found)
    assert closed is not None and not closed.is_open and closed.closed_at == later

    reopened, created = world.store.open_discussion(team_id=world.team_id, round_id=round_id,
                                                    point_id="tavoitettavuus", channel=GROUP, opened_by=LEAD,
                                                    now=later + timedelta(days=1))
    assert created and reopened.id == found and reopened.is_open
    assert reopened.reminded_at is None and reopened.last_activity_at == later + timedelta(days=1)
    assert reopened.promise == "Soitamme" and reopened.actions == ("Anna: kysely",)
    assert reopened.opened_at == NOW and reopened.message_ref == "500"
    assert world.store.replies(found) == [DiscussionReply("501", WORKS, "Ohjaajat")]


def test_a_reply_is_saved_once_and_an_edit_keeps_its_author_and_place(world: World) -> None:
    round_id = world.open_round("Syksy")
    found = world.open(round_id)
    at = [NOW + timedelta(minutes=minutes) for minutes in range(6)]
    assert world.store.save_reply(found, message_ref="9", author=ANNA, kind=WORKS, text="Ohjaajat", now=at[1])
    assert world.store.save_reply(found, message_ref="10", author=BERTIL, kind=DEVELOP, text="Aikataulut",
                                  now=at[2])
    assert world.store.save_reply(found, message_ref="11", author=ANNA, kind=OTHER, text="Kysymys", now=at[3])
    loaded = world.store.discussion(found)
    assert loaded is not None and loaded.last_activity_at == at[3]

    assert not world.store.save_reply(found, message_ref="9", author=CAJSA, kind=DEVELOP, text="Ohjaajat puuttuvat",
                                      now=at[4]), "an edit"
    loaded = world.store.discussion(found)
    assert loaded is not None and loaded.last_activity_at == at[4]
    assert world.store.replies(found) == [DiscussionReply("9", DEVELOP, "Ohjaajat puuttuvat"),
                                          DiscussionReply("10", DEVELOP, "Aikataulut"),
                                          DiscussionReply("11", OTHER, "Kysymys")], "first written first"
    assert world.store.participants(found) == 2, "the edit kept Anna as its author"
    with world.store.engine.connect() as db:
        row = db.execute(sa.select(discussion_reply).where(discussion_reply.c.message_ref == "9")).one()
    assert (row.user_id, row.created_at, row.edited_at) == ("1001", at[1], at[4])

    assert world.store.reply_discussion(GROUP, "10") == world.store.discussion(found)
    assert world.store.reply_discussion(OTHER_GROUP, "10") is None
    assert world.store.reply_discussion(GROUP, "500") is None, "the opening message is no reply"


def test_replies_written_at_the_same_moment_keep_the_platforms_order(world: World) -> None:
    found = world.open(world.open_round("Syksy"))
    for ref in ("10", "9", "100"):
        world.store.save_reply(found, message_ref=ref, author=ANNA, kind=WORKS, text=f"#{ref}", now=NOW)
    assert [reply.message_ref for reply in world.store.replies(found)] == ["9", "10", "100"]
    assert world.store.participants(found) == 1
    assert world.store.participants(found + 1000) == 0


def test_a_reply_is_removed_only_in_its_own_channel(world: World) -> None:
    round_id = world.open_round("Syksy")
    ours = world.open(round_id)
    theirs = world.open(round_id, team_id=world.other_team_id, channel=OTHER_GROUP)
    world.store.save_reply(ours, message_ref="501", author=ANNA, kind=WORKS, text="Meidän", now=NOW)
    world.store.save_reply(theirs, message_ref="501", author=BERTIL, kind=WORKS, text="Heidän", now=NOW)
    assert world.store.remove_reply(GROUP, "501")
    assert not world.store.remove_reply(GROUP, "501"), "gone already"
    assert not world.store.remove_reply(GROUP, "999")
    assert world.store.replies(ours) == []
    assert world.store.replies(theirs) == [DiscussionReply("501", WORKS, "Heidän")]
    assert world.store.reply_discussion(GROUP, "501") is None
    assert world.store.reply_discussion(OTHER_GROUP, "501") == world.store.discussion(theirs)


def test_text_a_database_refuses_is_cleaned(world: World) -> None:
    found = world.open(world.open_round("Syksy"))
    world.store.save_reply(found, message_ref="501", author=ANNA, kind=WORKS, text="Oh\x00jaajat", now=NOW)
    world.store.record(found, promise="Soi\x00tamme", actions=("Anna\x00: kysely",), recorded_by=LEAD, now=NOW)
    assert world.store.replies(found) == [DiscussionReply("501", WORKS, "Ohjaajat")]
    loaded = world.store.discussion(found)
    assert loaded is not None and loaded.promise == "Soitamme" and loaded.actions == ("Anna: kysely",)


def test_the_agreed_entry_is_recorded_in_parts(world: World) -> None:
    found = world.open(world.open_round("Syksy"))
    world.store.record(found, promise="Soitamme joka viikko", recorded_by=LEAD, now=NOW)
    loaded = world.store.discussion(found)
    assert loaded is not None and loaded.promise == "Soitamme joka viikko" and loaded.actions == ()
    assert loaded.recorded_at == NOW

    world.store.record(found, actions=("Anna: kysely, 1.12.", "Bertil: kalenteri"), recorded_by=LEAD,
                       now=NOW + timedelta(hours=1))
    loaded = world.store.discussion(found)
    assert loaded is not None and loaded.promise == "Soitamme joka viikko", "the promise is left as it was"
    assert loaded.actions == ("Anna: kysely, 1.12.", "Bertil: kalenteri")
    assert loaded.recorded_at == NOW + timedelta(hours=1)

    world.store.record(found, promise="", recorded_by=LEAD, now=NOW + timedelta(hours=2))
    loaded = world.store.discussion(found)
    assert loaded is not None and loaded.promise is None and len(loaded.actions) == 2
    world.store.record(found, actions=(), recorded_by=LEAD, now=NOW + timedelta(hours=3))
    loaded = world.store.discussion(found)
    assert loaded is not None and loaded.promise is None and loaded.actions == ()


def test_idle_discussions_are_open_posted_unreminded_and_quiet(world: World) -> None:
    round_id = world.open_round("Syksy")
    quiet = world.open(round_id, "tavoitettavuus", message="500")
    replied = world.open(round_id, "valmiudet", message="600")
    world.store.save_reply(replied, message_ref="601", author=ANNA, kind=WORKS, text="Hyvin",
                           now=NOW + timedelta(days=2))
    reminded = world.open(round_id, "ennakkosuunnittelu", message="700")
    world.store.mark_reminded(reminded, now=NOW + timedelta(days=1))
    closed = world.open(round_id, "tyopaikkaohjaus", message="800")
    world.store.close(closed, now=NOW + timedelta(hours=1))
    world.open(round_id, "palaute", message=None)  # its message was never posted

    before = NOW + timedelta(days=1)
    assert [d.id for d in world.store.idle(before=before)] == [quiet]
    assert [d.id for d in world.store.idle(before=NOW + timedelta(days=3))] == [quiet, replied]
    assert world.store.idle(before=NOW) == [], "strictly before"
    world.store.mark_reminded(quiet, now=before)
    idle = world.store.idle(before=NOW + timedelta(days=3))
    assert [d.id for d in idle] == [replied]
    loaded = world.store.discussion(quiet)
    assert loaded is not None and loaded.reminded_at == before


def test_team_entries_are_the_discussions_with_replies_or_an_agreed_entry(world: World) -> None:
    round_id = world.open_round("Syksy")
    talked = world.open(round_id, "valmiudet")
    for minute, (ref, person, kind, text) in enumerate([
            ("1", ANNA, WORKS, "Ohjaajat"), ("2", BERTIL, DEVELOP, "Aikataulut"), ("3", ANNA, WORKS, "Palaute"),
            ("4", CAJSA, OTHER, "Kysymys"), ("5", BERTIL, DEVELOP, "Tilat")]):
        world.store.save_reply(talked, message_ref=ref, author=person, kind=kind, text=text,
                               now=NOW + timedelta(minutes=minute))
    world.store.record(talked, promise="Soitamme", actions=("Anna: kysely",), recorded_by=LEAD, now=NOW)
    agreed = world.open(round_id, "tavoitettavuus")
    world.store.record(agreed, actions=("Bertil: kalenteri",), recorded_by=LEAD, now=NOW)
    promised = world.open(round_id, "palaute")
    world.store.record(promised, promise="Vastaamme viikossa", recorded_by=LEAD, now=NOW)
    world.open(round_id, "ennakkosuunnittelu")  # opened, nothing said
    cleared = world.open(round_id, "tyopaikkaohjaus")
    world.store.record(cleared, promise="", actions=(), recorded_by=LEAD, now=NOW)
    world.open(round_id, "valmiudet", team_id=world.other_team_id, channel=OTHER_GROUP)

    entries = world.store.team_entries(world.team_id, round_id)
    assert entries == {
        "valmiudet": TeamEntry("valmiudet", 3, works=("Ohjaajat", "Palaute"), develop=("Aikataulut", "Tilat"),
                               other=("Kysymys",), promise="Soitamme", actions=("Anna: kysely",)),
        "tavoitettavuus": TeamEntry("tavoitettavuus", 0, actions=("Bertil: kalenteri",)),
        "palaute": TeamEntry("palaute", 0, promise="Vastaamme viikossa"),
    }
    assert world.store.team_entries(world.other_team_id, round_id) == {}
    assert world.store.team_entries(world.team_id, round_id + 1000) == {}


def test_the_actions_agreed_before_come_from_the_newest_earlier_round(world: World) -> None:
    first = world.open_round("Kevät 2026", now=NOW)
    second = world.open_round("Syksy 2026", now=NOW + timedelta(days=1))
    third = world.open_round("Kevät 2027", now=NOW + timedelta(days=2))
    ours, theirs = world.team_id, world.other_team_id

    def agree(round_id: int, point: str, team_id: int, *actions: str) -> None:
        channel = GROUP if team_id == ours else OTHER_GROUP
        found = world.open(round_id, point, team_id=team_id, channel=channel)
        world.store.record(found, actions=actions, recorded_by=LEAD, now=NOW)

    agree(first, "valmiudet", ours, "Vanha toimi")
    agree(first, "palaute", ours, "Palautekysely")
    agree(first, "tavoitettavuus", theirs, "Heidän vanha")
    agree(second, "valmiudet", ours, "Uusi toimi", "Toinen")
    agree(second, "palaute", ours)  # discussed, no actions: the older ones still stand
    agree(second, "tavoitettavuus", theirs, "Heidän uusi")
    agree(second, "tyopaikkaohjaus", theirs, "Vain heillä")
    agree(third, "valmiudet", ours, "Tämän kierroksen")

    assert world.store.agreed_before([ours], third) == {"valmiudet": ("Uusi toimi", "Toinen"),
                                                        "palaute": ("Palautekysely",)}
    assert world.store.agreed_before([ours, theirs], third) == {
        "valmiudet": ("Uusi toimi", "Toinen"), "palaute": ("Palautekysely",), "tavoitettavuus": ("Heidän uusi",),
        "tyopaikkaohjaus": ("Vain heillä",)}
    assert world.store.agreed_before({theirs}, second) == {"tavoitettavuus": ("Heidän vanha",)}
    assert world.store.agreed_before([ours, theirs], first) == {}, "nothing before the first round"
    assert world.store.agreed_before([], third) == {}


def test_a_persons_replies_are_in_their_data_and_go_with_their_erasure(world: World) -> None:
    round_id = world.open_round("Syksy")
    found = world.open(round_id, "valmiudet")
    world.store.save_reply(found, message_ref="501", author=BERTIL, kind=WORKS, text="Bertilin salainen havainto",
                           now=NOW)
    world.store.save_reply(found, message_ref="502", author=ANNA, kind=DEVELOP, text="Annan ajatus",
                           now=NOW + timedelta(minutes=1))
    world.store.save_reply(found, message_ref="503", author=BERTIL, kind=OTHER, text="Bertilin kysymys",
                           now=NOW + timedelta(minutes=2))
    world.store.record(found, promise="Soitamme", actions=("Tiimi: kysely",), recorded_by="telegram:1002", now=NOW)

    data = world.privacy.personal_data(BERTIL)
    assert data is not None
    assert data["discussion_replies"] == [
        {"team": "Autoala", "round_id": round_id, "point_id": "valmiudet", "kind": WORKS,
         "text": "Bertilin salainen havainto", "created_at": NOW.isoformat(), "edited_at": None},
        {"team": "Autoala", "round_id": round_id, "point_id": "valmiudet", "kind": OTHER,
         "text": "Bertilin kysymys", "created_at": (NOW + timedelta(minutes=2)).isoformat(), "edited_at": None}]
    assert "Annan ajatus" not in str(data), "nothing anyone else wrote"
    stranger = world.privacy.personal_data(UserRef("telegram", "bot", "4004"))
    assert stranger is None
    replier = UserRef("telegram", "bot", "5005")  # replied in the group, never talked to the bot
    world.store.save_reply(found, message_ref="504", author=replier, kind=WORKS, text="Vieras",
                           now=NOW + timedelta(minutes=3))
    shown = world.privacy.personal_data(replier)
    assert shown is not None and [r["text"] for r in shown["discussion_replies"]] == ["Vieras"]
    assert "discussion_replies" not in (world.privacy.personal_data(CAJSA) or {}), "only when there are any"

    erasure = world.privacy.erase(BERTIL, now=NOW)
    assert erasure.found
    assert world.store.replies(found) == [DiscussionReply("502", DEVELOP, "Annan ajatus"),
                                          DiscussionReply("504", WORKS, "Vieras")]
    assert traces(world.url, "Bertilin", "telegram:1002") == [], "the erased person's replies are gone"
    assert count_rows(world.url, discussion_reply, discussion_reply.c.user_id == "1002") == 0
    assert world.privacy.personal_data(BERTIL) is None
    loaded = world.store.discussion(found)
    assert loaded is not None and loaded.promise == "Soitamme" and loaded.actions == ("Tiimi: kysely",), \
        "the team's agreed entry stays"
    with world.store.engine.connect() as db:
        assert db.execute(sa.select(discussion.c.recorded_by)).scalar_one() == ERASED

    assert world.privacy.erase(replier, now=NOW).found, "only replies were stored about them"
    assert world.store.participants(found) == 1


def test_retention_drops_the_replies_and_keeps_the_agreed_actions(world: World) -> None:
    old = world.open_round("Kevät", now=NOW)
    found = world.open(old, "valmiudet")
    world.store.save_reply(found, message_ref="501", author=ANNA, kind=WORKS, text="Ohjaajat", now=NOW)
    world.store.record(found, promise="Soitamme", actions=("Anna: kysely",), recorded_by=LEAD, now=NOW)
    current = world.open_round("Syksy", now=NOW + timedelta(days=30))  # closes "Kevät"
    recent = world.open(current, "valmiudet")
    world.store.save_reply(recent, message_ref="601", author=ANNA, kind=WORKS, text="Uusi", now=NOW)

    assert world.privacy.expire(NOW) == 0, "it closed after that"
    assert world.privacy.expire(NOW + timedelta(days=31)) == 1, "only the replies were left of it"
    assert world.store.replies(found) == [] and world.store.participants(found) == 0
    assert world.store.replies(recent) == [DiscussionReply("601", WORKS, "Uusi")], "an open round keeps them"
    assert world.store.team_entries(world.team_id, old) == {
        "valmiudet": TeamEntry("valmiudet", 0, promise="Soitamme", actions=("Anna: kysely",))}
    assert world.store.agreed_before([world.team_id], current) == {"valmiudet": ("Anna: kysely",)}
    assert world.privacy.expire(NOW + timedelta(days=31)) == 0, "a second pass finds nothing more"
