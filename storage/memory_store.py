"""An in-memory TurnStore with the very same semantics as the SQL store (version conflicts included)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from bot.conversation import AnswerRecord, Conversation, RoundRef, with_answers
from bot.identity import UserRef
from bot.ports import DuplicateEvent, ExportRow, LoadedTurn, StaleWrite
from storage.sql_store import DEFAULT_ROUND_NAME, export_rows


@dataclass
class _Round:
    id: int
    name: str
    instrument_version: str
    is_open: bool = True


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rounds: list[_Round] = []
        self._respondents: dict[str, tuple[int, str | None, str | None]] = {}
        self._conversations: dict[tuple[int, int], tuple[dict[str, Any], int]] = {}
        self._answers: list[SimpleNamespace] = []
        self._events: dict[str, datetime] = {}

    def current_round(self, *, instrument_version: str, now: datetime) -> RoundRef:
        with self._lock:
            open_rounds = [r for r in self._rounds if r.is_open]
            if not open_rounds:
                self._rounds.append(_Round(len(self._rounds) + 1, DEFAULT_ROUND_NAME, instrument_version))
                open_rounds = self._rounds[-1:]
            latest = open_rounds[-1]
            return RoundRef(latest.id, latest.instrument_version, True)

    def close_round(self, round_id: int, now: datetime) -> None:
        with self._lock:
            for round_ in self._rounds:
                if round_.id == round_id:
                    round_.is_open = False

    def is_processed(self, event_key: str) -> bool:
        with self._lock:
            return event_key in self._events

    def load_turn(self, user: UserRef, *, event_key: str, instrument_version: str, now: datetime
                  ) -> LoadedTurn | None:
        if self.is_processed(event_key):
            return None
        round_ref = self.current_round(instrument_version=instrument_version, now=now)
        return LoadedTurn(round_ref, self.load(user, round_ref))

    def load(self, user: UserRef, round: RoundRef) -> Conversation | None:
        with self._lock:
            person = self._respondents.get(user.key)
            if person is None or (person[0], round.id) not in self._conversations:
                return None
            state, version = self._conversations[(person[0], round.id)]
            latest = {a.question: a.value for a in self._answers if a.round_id == round.id
                      and a.respondent_id == person[0]}
            is_open = next(r.is_open for r in self._rounds if r.id == round.id)
            return Conversation.from_state(state, user=user, round=replace(round, is_open=is_open), version=version,
                                           language=person[1], platform_language=person[2], answers=latest)

    def save(self, conversation: Conversation, answers: Sequence[AnswerRecord], *, event_key: str,
             now: datetime) -> Conversation:
        with self._lock:
            if event_key in self._events:
                raise DuplicateEvent(event_key)
            person = self._respondents.get(conversation.user.key)
            respondent_id = person[0] if person else len(self._respondents) + 1
            key = (respondent_id, conversation.round.id)
            stored_version = self._conversations[key][1] if key in self._conversations else 0
            if stored_version != conversation.version:
                raise StaleWrite(conversation.user.key)
            self._events[event_key] = now
            self._respondents[conversation.user.key] = (respondent_id, conversation.language,
                                                        conversation.platform_language)
            self._conversations[key] = (conversation.state(), stored_version + 1)
            for record in answers:
                self._answers.append(SimpleNamespace(
                    id=len(self._answers) + 1, round_id=conversation.round.id, respondent_id=respondent_id,
                    question=record.question, value=record.value,
                    instrument_version=conversation.round.instrument_version, answered_at=now))
        merged = with_answers(conversation.answers, {record.question: record.value for record in answers})
        return replace(conversation, version=stored_version + 1, answers=merged)

    def export_rows(self) -> Iterator[ExportRow]:
        with self._lock:
            rows = list(self._answers)
            rounds = {r.id: r.name for r in self._rounds}
        yield from export_rows(rows, rounds)

    def answer_count(self) -> int:
        """How many answer rows exist (changed answers included): for the append-only contract."""
        with self._lock:
            return len(self._answers)

    def prune_processed_events(self, older_than: datetime) -> int:
        with self._lock:
            old = [key for key, at in self._events.items() if at < older_than]
            for key in old:
                del self._events[key]
            return len(old)
