"""An in-memory TurnStore with the very same semantics as the SQL store (version conflicts included)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.conversation import AnswerRecord, Conversation, RoundRef, with_answers
from bot.core.identity import UserRef
from bot.core.ports import DuplicateEvent, ExportRow, LoadedTurn, StaleWrite
from storage.sql_store import DEFAULT_ROUND_NAME, export_rows
from storage.tables import require_aware


@dataclass
class _Round:
    id: int
    name: str
    instrument_version: str
    opened_at: datetime
    closed_at: datetime | None = None

    @property
    def ref(self) -> RoundRef:
        return RoundRef(self.id, self.instrument_version, self.closed_at is None)


@dataclass
class _Respondent:
    id: int
    language: str | None
    platform_language: str | None


@dataclass(frozen=True, slots=True)
class _Answer:
    """An answer row as the SQL store keeps it (the shape `export_rows` reads)."""

    id: int
    round_id: int
    respondent_key: str  # the SQL store's is random; here the respondent's number will do
    question: str
    value: str | None
    instrument_version: str
    answered_at: datetime


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rounds: dict[int, _Round] = {}
        self._respondents: dict[UserRef, _Respondent] = {}
        self._conversations: dict[tuple[int, int], tuple[dict[str, Any], int]] = {}
        self._answers: list[_Answer] = []
        self._latest: dict[tuple[int, int], dict[str, str | None]] = {}  # (round, respondent) → answers
        self._events: dict[str, datetime] = {}

    # --- rounds ------------------------------------------------------------------------

    def current_round(self, *, instrument_version: str, now: datetime) -> RoundRef:
        with self._lock:
            return self._current_round(instrument_version, now)

    def _current_round(self, instrument_version: str, now: datetime) -> RoundRef:
        open_ids = [round_id for round_id, round_ in self._rounds.items() if round_.closed_at is None]
        if open_ids:
            return self._rounds[max(open_ids)].ref
        new = _Round(len(self._rounds) + 1, DEFAULT_ROUND_NAME, instrument_version, require_aware(now))
        self._rounds[new.id] = new
        return new.ref

    def close_round(self, round_id: int, now: datetime) -> None:
        with self._lock:
            round_ = self._rounds.get(round_id)
            if round_ is not None and round_.closed_at is None:
                round_.closed_at = require_aware(now)

    # --- turns -------------------------------------------------------------------------

    def is_processed(self, event_key: str) -> bool:
        with self._lock:
            return event_key in self._events

    def load_turn(self, user: UserRef, *, event_key: str, instrument_version: str, now: datetime
                  ) -> LoadedTurn | None:
        with self._lock:
            if event_key in self._events:
                return None
            round_ref = self._current_round(instrument_version, now)
            loaded = self._load(user, round_ref)
            person = self._respondents.get(user)
            earlier = [int(state.get("prompt_seq", 0)) for (owner, _round), (state, _version)
                       in self._conversations.items() if person is not None and owner == person.id]
            if loaded is not None or person is None:
                return LoadedTurn(round_ref, loaded)
            return LoadedTurn(round_ref, None, max(earlier, default=0), person.language, person.platform_language)

    def load(self, user: UserRef, round: RoundRef) -> Conversation | None:
        with self._lock:
            return self._load(user, round)

    def _load(self, user: UserRef, round: RoundRef) -> Conversation | None:
        person = self._respondents.get(user)
        stored = self._conversations.get((person.id, round.id)) if person else None
        if person is None or stored is None:
            return None
        state, version = stored
        is_open = self._rounds[round.id].closed_at is None
        return Conversation.from_state(
            state, user=user, round=RoundRef(round.id, round.instrument_version, is_open), version=version,
            language=person.language, platform_language=person.platform_language,
            answers=self._latest.get((round.id, person.id), {}))

    def save(self, conversation: Conversation, answers: Sequence[AnswerRecord], *, event_key: str,
             now: datetime) -> Conversation:
        require_aware(now)
        with self._lock:
            if event_key in self._events:
                raise DuplicateEvent(event_key)
            if conversation.round.id not in self._rounds:
                raise ValueError(f"no round {conversation.round.id}")  # the SQL store's foreign key
            person = self._respondents.get(conversation.user)
            respondent_id = person.id if person else len(self._respondents) + 1
            key = (respondent_id, conversation.round.id)
            stored_version = self._conversations[key][1] if key in self._conversations else 0
            if stored_version != conversation.version:
                raise StaleWrite(conversation.user.key)
            self._events[event_key] = now
            self._respondents[conversation.user] = _Respondent(  # a known language is never erased with None
                respondent_id, conversation.language or (person.language if person else None),
                conversation.platform_language or (person.platform_language if person else None))
            self._conversations[key] = (conversation.state(), stored_version + 1)
            self._append(conversation, respondent_id, answers, now)
        merged = with_answers(conversation.answers, {record.question: record.value for record in answers})
        return conversation.evolve(version=stored_version + 1, answers=merged)

    def _append(self, conversation: Conversation, respondent_id: int, answers: Sequence[AnswerRecord],
                now: datetime) -> None:
        latest = self._latest.setdefault((conversation.round.id, respondent_id), {})
        for record in answers:
            self._answers.append(_Answer(len(self._answers) + 1, conversation.round.id, str(respondent_id),
                                         record.question, record.value, conversation.round.instrument_version, now))
            latest[record.question] = record.value

    # --- export and housekeeping -------------------------------------------------------

    def export_rows(self, *, zone: str = "UTC") -> Iterator[ExportRow]:
        with self._lock:
            rows = list(self._answers)
            rounds = {round_id: round_.name for round_id, round_ in self._rounds.items()}
        yield from export_rows(rows, rounds, zone=zone)

    def answer_count(self) -> int:
        """How many answer rows exist (changed answers included): for the append-only contract."""
        with self._lock:
            return len(self._answers)

    def prune_processed_events(self, older_than: datetime) -> int:
        require_aware(older_than)
        with self._lock:
            old = [key for key, at in self._events.items() if at < older_than]
            for key in old:
                del self._events[key]
            return len(old)
