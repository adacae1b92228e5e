"""The store never forgets a language it knows: a conversation that does not know the person's languages (a new
round's, before anything was said) saves without erasing them, and a new conversation is loaded with them; /liity
tells the platform's language, which never overrides a chosen one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.conversation import Conversation
from bot.core.identity import ChannelRef, UserRef
from storage.database import create_database_engine
from storage.memory_store import MemoryStore
from storage.migrate import upgrade
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # stored moments only: no rule of the calendar is involved
ANNA = UserRef("telegram", "bot1", "1001")


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryStore | SqlStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    url = f"sqlite:///{tmp_path / 'languages.db'}"
    upgrade(url)
    engine = create_database_engine(url)
    yield SqlStore(engine)
    engine.dispose()


def test_a_new_rounds_conversation_keeps_and_starts_in_the_chosen_language(store: MemoryStore | SqlStore) -> None:
    first = store.current_round(instrument_version="1", now=NOW)
    store.save(Conversation(user=ANNA, round=first, language="sv", platform_language="fi"), [], event_key="a", now=NOW)
    store.close_round(first.id, NOW)
    second = store.current_round(instrument_version="1", now=NOW)
    assert second.id != first.id

    loaded = store.load_turn(ANNA, event_key="b", instrument_version="1", now=NOW)
    assert loaded is not None and loaded.conversation is None and loaded.round.id == second.id
    assert (loaded.language, loaded.platform_language) == ("sv", "fi")

    store.save(Conversation(user=ANNA, round=second), [], event_key="b", now=NOW)  # knows neither language
    again = store.load(ANNA, second)
    assert again is not None and (again.language, again.platform_language) == ("sv", "fi")
    store.save(again.evolve(platform_language="en"), [], event_key="c", now=NOW)  # a known one changes
    latest = store.load(ANNA, second)
    assert latest is not None and (latest.language, latest.platform_language) == ("sv", "en")


def test_a_person_never_seen_starts_with_no_language(store: MemoryStore | SqlStore) -> None:
    loaded = store.load_turn(ANNA, event_key="a", instrument_version="1", now=NOW)
    assert loaded is not None and (loaded.conversation, loaded.language, loaded.platform_language) == (None, None, None)


def test_joining_a_team_tells_the_platform_language_and_a_chosen_one_wins(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'teams.db'}"
    upgrade(url)
    engine = create_database_engine(url)
    teams, store = SqlTeams(engine), SqlStore(engine)
    team = teams.register_team(ChannelRef("telegram", "bot1", "-1"), "autoala", now=NOW)
    assert teams.join(team.id, ANNA, now=NOW, locale="sv-SE")
    loaded = store.load_turn(ANNA, event_key="a", instrument_version="1", now=NOW)
    assert loaded is not None and (loaded.language, loaded.platform_language) == (None, "sv")
    assert teams.chosen_language(ANNA) is None

    store.save(Conversation(user=ANNA, round=loaded.round, language="fi", platform_language="sv"), [],
               event_key="a", now=NOW)
    assert not teams.join(team.id, ANNA, now=NOW, locale="en-GB")  # already a member: the locale still counts
    assert not teams.join(team.id, ANNA, now=NOW, locale="de-DE")  # none of ours: nothing changes
    conversation = store.load(ANNA, loaded.round)
    assert conversation is not None and (conversation.language, conversation.platform_language) == ("fi", "en")
    assert teams.chosen_language(ANNA) == "fi"
    assert teams.chosen_language(UserRef("telegram", "bot1", "nobody")) is None
    engine.dispose()
