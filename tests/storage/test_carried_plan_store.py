"""The plan comes back, from the store: a new conversation carries what the person's teams agreed before.

On a real SQLite file and the suite's throwaway PostgreSQL. The teams, memberships and rounds are made with
their own stores; the discussion rows are written to their table as the discussions' store records them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.core.conversation import Conversation, RoundRef
from bot.core.identity import ChannelRef, UserRef
from bot.core.ports import LoadedTurn
from bot.shell.content import load_instrument
from storage import tables
from storage.database import create_database_engine, writing
from storage.memory_store import MemoryStore
from storage.migrate import upgrade
from storage.sql_rounds import SqlRounds
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams
from tests.bot.test_commands_and_navigation import finish_part1
from tests.support.conversation import Chat

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
VERSION = "2026.1"
ANNA = UserRef("telegram", "bot", "1001")
BERTIL = UserRef("telegram", "bot", "1002")
CECILIA = UserRef("telegram", "bot", "1003")  # in no team
AUTOALA = ChannelRef("telegram", "bot", "-100123")
SOTE = ChannelRef("telegram", "bot", "-100456")
LOGISTIIKKA = ChannelRef("telegram", "bot", "-100789")


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'carried.db'}" if request.param == "sqlite" else \
        request.getfixturevalue("fresh_postgres_url")
    upgrade(url)
    engine = create_database_engine(url)
    yield engine
    engine.dispose()


def rounds_with_the_third_reopened(engine: Engine) -> list[int]:
    """Four rounds, one after another; then the third is opened again: round 4 is later than the current one."""
    store, ids = SqlStore(engine), []
    for number in range(4):
        round_ref = store.current_round(instrument_version=VERSION, now=NOW + timedelta(days=30 * number))
        ids.append(round_ref.id)
        store.close_round(round_ref.id, NOW + timedelta(days=30 * number + 20))
    assert SqlRounds(engine).set_status(ids[2], "open", now=NOW + timedelta(days=200))
    assert store.current_round(instrument_version=VERSION, now=NOW).id == ids[2]
    return ids


def team_with(engine: Engine, channel: ChannelRef, title: str, *members: UserRef) -> int:
    teams = SqlTeams(engine)
    team = teams.register_team(channel, title, now=NOW)
    for member in members:
        teams.join(team.id, member, now=NOW)
    return team.id


def agreed(engine: Engine, team_id: int, round_id: int, point_id: str, actions: Any) -> None:
    """A discussion closed with `actions` (a list stored as JSON, or the column's text as it is)."""
    stored = actions if actions is None or isinstance(actions, str) else json.dumps(actions, ensure_ascii=False)
    channel = sa.select(tables.team.c.platform, tables.team.c.workspace, tables.team.c.channel_id).where(
        tables.team.c.id == team_id)
    with writing(engine) as db:
        platform, workspace, channel_id = db.execute(channel).one()
        db.execute(tables.discussion.insert().values(
            team_id=team_id, round_id=round_id, point_id=point_id, platform=platform, workspace=workspace,
            channel_id=channel_id, message_ref=f"m{round_id}-{point_id}", opened_by="telegram:9", opened_at=NOW,
            closed_at=NOW, last_activity_at=NOW, actions=stored, recorded_by="telegram:9", recorded_at=NOW))


def turn(store: SqlStore | MemoryStore, user: UserRef, key: str = "e") -> LoadedTurn:
    loaded = store.load_turn(user, event_key=key, instrument_version=VERSION, now=NOW + timedelta(days=201))
    assert loaded is not None
    return loaded


def test_the_newest_earlier_round_with_actions_wins_per_point(engine: Engine) -> None:
    first, second, current, later = rounds_with_the_third_reopened(engine)
    autoala = team_with(engine, AUTOALA, "Autoala", ANNA)
    sote = team_with(engine, SOTE, "Sote", BERTIL)
    agreed(engine, autoala, first, "ennakkosuunnittelu", ["Vanha sopimus"])
    agreed(engine, autoala, second, "ennakkosuunnittelu", ["Ohjaajat tapaavat", "Tehtävät ajoissa"])
    agreed(engine, autoala, first, "palaute", ["Palaute joka jaksosta"])
    agreed(engine, autoala, second, "palaute", [])  # closed without actions: the first round's still hold
    agreed(engine, autoala, second, "naytot", None)  # still open, nothing recorded
    agreed(engine, autoala, second, "siirtymat", "")
    agreed(engine, autoala, second, "asiakassuhde", ["  ", ""])
    agreed(engine, autoala, current, "tavoitettavuus", ["Tämän kierroksen sopimus"])
    agreed(engine, autoala, later, "ennakkosuunnittelu", ["Myöhemmän kierroksen sopimus"])
    agreed(engine, autoala, later, "valmiudet", ["Myöhemmän kierroksen sopimus"])
    agreed(engine, sote, second, "tyopaikkaohjaus", ["Soten sopimus"])
    store = SqlStore(engine)
    assert SqlStore(engine).load(ANNA, RoundRef(current, VERSION)) is None, "Anna has no conversation yet"

    loaded = turn(store, ANNA)
    assert loaded.conversation is None and loaded.round.id == current
    assert dict(loaded.agreed) == {"ennakkosuunnittelu": ("Ohjaajat tapaavat", "Tehtävät ajoissa"),
                                   "palaute": ("Palaute joka jaksosta",)}
    assert dict(turn(store, BERTIL).agreed) == {"tyopaikkaohjaus": ("Soten sopimus",)}, "another team's are not Anna's"
    assert dict(turn(store, CECILIA).agreed) == {}, "a person the store does not know is in no team"


def test_a_person_in_two_teams_carries_both_and_one_without_a_team_none(engine: Engine) -> None:
    first, second, _current, _later = rounds_with_the_third_reopened(engine)
    autoala = team_with(engine, AUTOALA, "Autoala", ANNA)
    logistiikka = team_with(engine, LOGISTIIKKA, "Logistiikka", ANNA)
    agreed(engine, autoala, second, "ennakkosuunnittelu", ["Ohjaajat tapaavat", "Yhteinen kalenteri"])
    agreed(engine, logistiikka, second, "ennakkosuunnittelu", ["Yhteinen kalenteri", "Kuljetukset sovitaan"])
    agreed(engine, logistiikka, first, "naytot", ["Näytöt etukäteen"])
    agreed(engine, autoala, second, "palaute", "not json")  # a malformed value is no actions, never a failed turn
    agreed(engine, autoala, first, "palaute", '{"a": 1}')
    agreed(engine, autoala, first, "siirtymat", '["Siirtymät", 3, null]')
    store = SqlStore(engine)
    assert dict(turn(store, ANNA).agreed) == {
        "ennakkosuunnittelu": ("Ohjaajat tapaavat", "Yhteinen kalenteri", "Kuljetukset sovitaan"),
        "naytot": ("Näytöt etukäteen",), "siirtymat": ("Siirtymät",)}
    SqlTeams(engine).set_timezone(CECILIA, "Europe/Helsinki", now=NOW)  # known to the store, in no team
    cecilia = turn(store, CECILIA)
    assert cecilia.conversation is None and dict(cecilia.agreed) == {}


def test_an_existing_conversations_turn_keeps_its_own_and_reads_no_discussions(engine: Engine) -> None:
    _first, second, current, _later = rounds_with_the_third_reopened(engine)
    autoala = team_with(engine, AUTOALA, "Autoala", ANNA)
    agreed(engine, autoala, second, "ennakkosuunnittelu", ["Ohjaajat tapaavat"])
    store = SqlStore(engine)
    loaded = turn(store, ANNA, "e1")
    started = Conversation(user=ANNA, round=loaded.round, started=True, agreed=loaded.agreed)
    store.save(started, [], event_key="e1", now=NOW + timedelta(days=201))
    agreed(engine, autoala, second, "palaute", ["Sovittu vasta myöhemmin"])  # recorded after the round began

    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        again = turn(store, ANNA, "e2")
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert again.conversation is not None and again.round.id == current
    assert dict(again.conversation.agreed) == {"ennakkosuunnittelu": ("Ohjaajat tapaavat",)}
    assert dict(again.agreed) == {}, "only a new conversation is given them"
    assert statements and not any("discussion" in statement for statement in statements), statements
    assert len(statements) == 2, "the hot path stays two reads: round and event, then the conversation"
    stored = store.load(ANNA, again.round)
    assert stored is not None and replace(stored, version=again.conversation.version) == again.conversation


def test_a_new_rounds_first_question_shows_the_plan_end_to_end(engine: Engine) -> None:
    instrument = load_instrument()
    _first, second, _current, _later = rounds_with_the_third_reopened(engine)
    person = UserRef("terminal", "local", "anna")
    autoala = team_with(engine, AUTOALA, "Autoala", person)
    agreed(engine, autoala, second, "ennakkosuunnittelu", ["Ohjaajat tapaavat ennen jaksoa"])
    agreed(engine, autoala, second, "naytot", ["Näytöt sovitaan etukäteen"])
    chat = Chat(SqlStore(engine), instrument)
    try:
        finish_part1(chat).expect("Viime kierroksella sovitte:", "• Ohjaajat tapaavat ennen jaksoa",
                                  "Miten se on edennyt?").expect_not("Näytöt sovitaan")
        chat.send("Hyvin.").expect("Missä meillä on vielä kehitettävää?").expect_not("Viime kierroksella")
        chat.send("/ohita").send("/ohita").expect("Kohta on valmis", "Osa 2 · 7.",
                                                  "• Näytöt sovitaan etukäteen").expect_not("Ohjaajat tapaavat")
    finally:
        chat.close()


def test_the_memory_store_carries_nothing() -> None:
    store = MemoryStore()
    loaded = turn(store, ANNA)
    assert loaded.conversation is None and dict(loaded.agreed) == {}
