"""Teams, message references and reachability: one contract over memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.identity import ChannelRef, UserRef
from storage.database import create_database_engine
from storage.memory_teams import MemoryTeams
from storage.migrate import upgrade
from storage.sql_teams import SqlTeams

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
GROUP = ChannelRef("telegram", "bot", "-100123")
ANNA = UserRef("telegram", "bot", "1001")
BERTIL = UserRef("telegram", "bot", "1002")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def teams(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryTeams | SqlTeams]:
    if request.param == "memory":
        yield MemoryTeams()
        return
    url = f"sqlite:///{tmp_path / 'teams.db'}" if request.param == "sqlite" else \
        request.getfixturevalue("fresh_postgres_url")
    upgrade(url)
    engine = create_database_engine(url)
    yield SqlTeams(engine)
    engine.dispose()


def test_a_team_is_registered_once_with_a_join_code(teams: MemoryTeams | SqlTeams) -> None:
    first = teams.register_team(GROUP, "Autoala", now=NOW)
    again = teams.register_team(GROUP, "Autoala ja logistiikka", now=NOW)
    assert again.id == first.id and again.join_code == first.join_code
    assert again.title == "Autoala ja logistiikka"
    assert len(first.join_code) >= 8 and all(c.isalnum() or c in "_-" for c in first.join_code)
    assert teams.team_by_code(first.join_code) == again
    assert teams.team_by_code("nope") is None
    other = teams.register_team(ChannelRef("telegram", "bot", "-100999"), "Sote", now=NOW)
    assert other.id != first.id and other.join_code != first.join_code
    assert teams.team_of(GROUP) == again
    unknown = ChannelRef("telegram", "bot", "-100777")
    assert teams.team_of(unknown) is None and teams.team_of(unknown) is None, "looking registers nothing"


def test_joining_is_idempotent_and_members_are_listed(teams: MemoryTeams | SqlTeams) -> None:
    team = teams.register_team(GROUP, "Autoala", now=NOW)
    assert teams.join(team.id, ANNA, now=NOW)
    assert not teams.join(team.id, ANNA, now=NOW)
    assert teams.join(team.id, BERTIL, now=NOW)
    assert teams.members(team.id) == [ANNA, BERTIL]


def test_events_outside_conversations_are_processed_once(teams: MemoryTeams | SqlTeams) -> None:
    assert teams.mark_processed("telegram:bot:u1", now=NOW)
    assert not teams.mark_processed("telegram:bot:u1", now=NOW)


def test_message_references_are_remembered_and_replaced(teams: MemoryTeams | SqlTeams) -> None:
    assert teams.recall("telegram:bot:1001", "7") is None
    teams.remember("telegram:bot:1001", "7", '{"message_id": 1}', now=NOW)
    teams.remember("telegram:bot:1001", "7", '{"message_id": 2}', now=NOW)
    assert teams.recall("telegram:bot:1001", "7") == '{"message_id": 2}'
    assert teams.recall("telegram:bot:1002", "7") is None


def test_unreachable_people_are_remembered(teams: MemoryTeams | SqlTeams) -> None:
    assert not teams.is_unreachable(ANNA)
    teams.mark_unreachable(ANNA, now=NOW)
    teams.mark_unreachable(ANNA, now=NOW)
    assert teams.is_unreachable(ANNA) and not teams.is_unreachable(BERTIL)
    teams.mark_reachable(ANNA)
    assert not teams.is_unreachable(ANNA)
