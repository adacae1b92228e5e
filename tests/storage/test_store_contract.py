"""One contract, three stores: in-memory, SQLite file, and a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
import sqlalchemy as sa

from bot.core.conversation import AnswerRecord, Conversation
from bot.core.identity import UserRef
from bot.core.ports import DuplicateEvent, StaleWrite
from storage import tables
from storage.database import create_database_engine
from storage.memory_store import MemoryStore
from storage.migrate import upgrade
from storage.sql_store import SqlStore

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ANNA = UserRef("telegram", "bot1", "1001")
BERTIL = UserRef("slack", "T01", "U02")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryStore | SqlStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    url = f"sqlite:///{tmp_path / 'contract.db'}" if request.param == "sqlite" else \
        request.getfixturevalue("fresh_postgres_url")
    if request.param == "postgres":
        far_off_time_zone(url)
    upgrade(url)
    engine = create_database_engine(url)
    yield SqlStore(engine)
    engine.dispose()


def far_off_time_zone(url: str) -> None:
    """PostgreSQL returns timestamptz in the session's zone: make that zone UTC+14, so UTC is never assumed."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f"ALTER DATABASE \"{name}\" SET timezone TO 'Pacific/Kiritimati'")


def stored(store: SqlStore, statement: str) -> list[tuple[Any, ...]]:
    """Rows exactly as the database holds them, for checks the contract cannot express."""
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(statement)]


def new_conversation(store: MemoryStore | SqlStore, user: UserRef = ANNA) -> Conversation:
    round_ref = store.current_round(instrument_version="2026.1", now=NOW)
    return store.load(user, round_ref) or Conversation(user=user, round=round_ref)


def test_a_new_conversation_round_trips(store: MemoryStore | SqlStore) -> None:
    fresh = new_conversation(store)
    assert fresh.version == 0
    changed = replace(fresh, started=True, step="rate:valmiudet", history=("rate:tavoitettavuus",),
                      prompt_seq=2, language="sv", platform_language="fi", selection=("a", "b"))
    saved = store.save(changed, [AnswerRecord("rate:tavoitettavuus", "4")], event_key="e1", now=NOW)
    assert saved.version == 1
    loaded = store.load(ANNA, fresh.round)
    assert loaded is not None
    assert loaded == replace(changed, version=1, answers=loaded.answers)
    assert dict(loaded.answers) == {"rate:tavoitettavuus": "4"}
    assert (loaded.language, loaded.platform_language) == ("sv", "fi")


def test_versions_increase_and_a_stale_write_changes_nothing(store: MemoryStore | SqlStore) -> None:
    first = store.save(new_conversation(store), [], event_key="e1", now=NOW)
    mine, theirs = store.load(ANNA, first.round), store.load(ANNA, first.round)
    assert mine is not None and theirs is not None and mine.version == theirs.version == 1
    assert store.save(replace(mine, step="x"), [AnswerRecord("q", "mine")], event_key="e2", now=NOW).version == 2
    with pytest.raises(StaleWrite):
        store.save(replace(theirs, step="y"), [AnswerRecord("q", "theirs")], event_key="e3", now=NOW)
    loaded = store.load(ANNA, first.round)
    assert loaded is not None and loaded.step == "x" and loaded.version == 2
    assert dict(loaded.answers) == {"q": "mine"}
    assert not store.is_processed("e3"), "a refused turn must not mark its event processed"


def test_two_first_saves_of_the_same_person_conflict(store: MemoryStore | SqlStore) -> None:
    one, two = new_conversation(store), new_conversation(store)
    store.save(one, [], event_key="e1", now=NOW)
    with pytest.raises(StaleWrite):
        store.save(two, [AnswerRecord("q", "lost?")], event_key="e2", now=NOW)
    assert store.answer_count() == 0


def test_a_duplicate_event_raises_and_writes_nothing(store: MemoryStore | SqlStore) -> None:
    saved = store.save(new_conversation(store), [AnswerRecord("q", "1")], event_key="same", now=NOW)
    assert store.is_processed("same")
    with pytest.raises(DuplicateEvent):
        store.save(replace(saved, step="later"), [AnswerRecord("q", "2")], event_key="same", now=NOW)
    loaded = store.load(ANNA, saved.round)
    assert loaded is not None and loaded.step == "" and dict(loaded.answers) == {"q": "1"}


def test_answers_are_append_only_and_the_latest_wins(store: MemoryStore | SqlStore) -> None:
    saved = store.save(new_conversation(store), [AnswerRecord("q", "1"), AnswerRecord("skip", None)],
                       event_key="e1", now=NOW)
    saved = store.save(saved, [AnswerRecord("q", "5")], event_key="e2", now=NOW + timedelta(days=1))
    assert dict(saved.answers) == {"q": "5", "skip": None}
    loaded = store.load(ANNA, saved.round)
    assert loaded is not None and dict(loaded.answers) == {"q": "5", "skip": None}
    assert store.answer_count() == 3
    if isinstance(store, SqlStore):
        assert stored(store, "SELECT question, value FROM answer ORDER BY id") == [
            ("q", "1"), ("skip", None), ("q", "5")]
    rows = list(store.export_rows())
    assert [(r.question, r.value, r.answered_on) for r in rows] == [("q", "5", "2026-11-24"), ("skip", None,
                                                                                                "2026-11-23")]


def test_the_default_round_is_opened_once_and_closing_it_opens_another(store: MemoryStore | SqlStore) -> None:
    first = store.current_round(instrument_version="2026.1", now=NOW)
    assert store.current_round(instrument_version="2027.1", now=NOW) == first
    assert first.is_open
    saved = store.save(new_conversation(store), [], event_key="e1", now=NOW)
    store.close_round(first.id, NOW)
    loaded = store.load(ANNA, first)
    assert loaded is not None and not loaded.round.is_open and loaded.version == saved.version
    second = store.current_round(instrument_version="2027.1", now=NOW)
    assert second.id != first.id and second.instrument_version == "2027.1" and second.is_open
    assert store.load(ANNA, second) is None


def test_export_numbers_respondents_per_round_by_first_answer(store: MemoryStore | SqlStore) -> None:
    anna = store.save(new_conversation(store, ANNA), [], event_key="anna-0", now=NOW)  # first person, no answer yet
    store.save(new_conversation(store, BERTIL), [AnswerRecord("rate:naytot", "2")], event_key="bertil-1", now=NOW)
    store.save(anna, [AnswerRecord("rate:naytot", "4"), AnswerRecord("open:toimii", "Hyvä")], event_key="anna-1",
               now=NOW)
    first_round = store.current_round(instrument_version="2026.1", now=NOW)
    store.close_round(first_round.id, NOW)
    store.save(new_conversation(store, ANNA), [AnswerRecord("rate:naytot", "5")], event_key="anna-2", now=NOW)
    rows = list(store.export_rows())
    assert [(r.round_id == first_round.id, r.respondent, r.question, r.value) for r in rows] == [
        (True, 1, "rate:naytot", "2"),  # Bertil answered first in round 1
        (True, 2, "open:toimii", "Hyvä"), (True, 2, "rate:naytot", "4"),
        (False, 1, "rate:naytot", "5")]  # numbering restarts in round 2
    assert all(r.round_name == "Kartoitus" and r.instrument_version == "2026.1" for r in rows)
    text = repr(rows)
    assert all(identifier not in text for identifier in ("1001", "U02", "T01", "bot1", "telegram", "slack"))


def test_language_choices_are_saved_and_changed(store: MemoryStore | SqlStore) -> None:
    saved = store.save(replace(new_conversation(store), platform_language="fi"), [], event_key="e1", now=NOW)
    saved = store.save(replace(saved, language="sv", platform_language="en"), [], event_key="e2", now=NOW)
    loaded = store.load(ANNA, saved.round)
    assert loaded is not None and (loaded.language, loaded.platform_language) == ("sv", "en")
    # A conversation that does not know a language (a new round's, before it was seeded) never erases a known one
    store.save(replace(loaded, language=None, platform_language=None), [], event_key="e3", now=NOW)
    loaded = store.load(ANNA, saved.round)
    assert loaded is not None and (loaded.language, loaded.platform_language) == ("sv", "en")
    store.save(replace(loaded, language="fi"), [], event_key="e4", now=NOW)  # a new choice still replaces it
    loaded = store.load(ANNA, saved.round)
    assert loaded is not None and (loaded.language, loaded.platform_language) == ("fi", "en")


def test_a_duplicate_first_turn_of_someone_new_writes_nothing(store: MemoryStore | SqlStore) -> None:
    store.save(new_conversation(store, ANNA), [AnswerRecord("q", "anna")], event_key="same", now=NOW)
    with pytest.raises(DuplicateEvent):
        store.save(replace(new_conversation(store, BERTIL), step="x"), [AnswerRecord("q", "bertil")],
                   event_key="same", now=NOW)
    assert store.load(BERTIL, store.current_round(instrument_version="2026.1", now=NOW)) is None
    assert [(r.respondent, r.value) for r in store.export_rows()] == [(1, "anna")]
    if isinstance(store, SqlStore):
        assert stored(store, "SELECT count(*) FROM respondent") == [(1,)]


def test_times_are_kept_as_utc_whatever_zone_they_arrive_in(store: MemoryStore | SqlStore) -> None:
    helsinki = datetime(2026, 11, 24, 1, 30, tzinfo=ZoneInfo("Europe/Helsinki"))  # 23:30 UTC the day before
    store.save(new_conversation(store), [AnswerRecord("q", "1")], event_key="e1", now=helsinki)
    assert [r.answered_on for r in store.export_rows()] == ["2026-11-23"]
    assert store.prune_processed_events(datetime(2026, 11, 23, 23, 15, tzinfo=UTC)) == 0
    assert store.prune_processed_events(helsinki + timedelta(minutes=15)) == 1
    if isinstance(store, SqlStore):
        columns = (tables.answer.c.answered_at, tables.conversation.c.updated_at, tables.respondent.c.created_at)
        with store.engine.connect() as connection:
            moments = [connection.execute(sa.select(column)).scalar_one() for column in columns]
        assert all(moment == helsinki and moment.tzinfo is UTC for moment in moments)
        if store.engine.dialect.name == "sqlite":
            assert stored(store, "SELECT answered_at FROM answer")[0][0].startswith("2026-11-23 23:30:00")


def test_naive_times_are_refused_and_nothing_is_written(store: MemoryStore | SqlStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.save(new_conversation(store), [AnswerRecord("q", "1")], event_key="e1", now=datetime(2026, 11, 23))
    assert not store.is_processed("e1") and store.answer_count() == 0
    with pytest.raises(ValueError, match="naive"):
        store.prune_processed_events(datetime(2026, 11, 23))


def test_people_see_only_their_own_answers(store: MemoryStore | SqlStore) -> None:
    store.save(new_conversation(store, ANNA), [AnswerRecord("q", "anna")], event_key="a", now=NOW)
    store.save(new_conversation(store, BERTIL), [AnswerRecord("q", "bertil")], event_key="b", now=NOW)
    round_ref = store.current_round(instrument_version="2026.1", now=NOW)
    anna, bertil = store.load(ANNA, round_ref), store.load(BERTIL, round_ref)
    assert anna is not None and dict(anna.answers) == {"q": "anna"}
    assert bertil is not None and dict(bertil.answers) == {"q": "bertil"}


def test_processed_events_can_be_pruned(store: MemoryStore | SqlStore) -> None:
    saved = store.save(new_conversation(store), [], event_key="old", now=NOW - timedelta(days=40))
    store.save(saved, [], event_key="new", now=NOW)
    assert store.prune_processed_events(NOW - timedelta(days=30)) == 1
    assert not store.is_processed("old") and store.is_processed("new")


def test_load_turn_reads_round_and_conversation_or_says_processed(store: MemoryStore | SqlStore) -> None:
    first = store.load_turn(ANNA, event_key="e1", instrument_version="2026.1", now=NOW)
    assert first is not None and first.conversation is None and first.round.is_open
    saved = store.save(Conversation(user=ANNA, round=first.round, step="x"), [AnswerRecord("q", "1")],
                       event_key="e1", now=NOW)
    assert store.load_turn(ANNA, event_key="e1", instrument_version="2026.1", now=NOW) is None
    second = store.load_turn(ANNA, event_key="e2", instrument_version="2026.1", now=NOW)
    assert second is not None and second.round == first.round
    assert second.conversation is not None and second.conversation.version == saved.version
    assert dict(second.conversation.answers) == {"q": "1"}
