"""Teams, message references and reachability in memory, with the SQL implementation's semantics."""

from __future__ import annotations

import threading
from datetime import datetime

from bot.core.identity import ChannelRef, UserRef
from bot.core.language import language_code
from bot.core.ports import Team
from bot.core.text_input import clean_text
from storage.sql_teams import new_join_code


class MemoryTeams:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._teams: list[Team] = []
        self._members: dict[int, list[UserRef]] = {}
        self._events: set[str] = set()
        self._refs: dict[tuple[str, str], str] = {}
        self._unreachable: set[UserRef] = set()
        self.platform_languages: dict[UserRef, str] = {}  # what /liity's locale named
        self.chosen_languages: dict[UserRef, str] = {}  # /kieli is a turn's (MemoryStore's): set it here to fake one

    def register_team(self, channel: ChannelRef, title: str, *, now: datetime) -> Team:
        title = clean_text(title)
        with self._lock:
            for index, existing in enumerate(self._teams):
                if existing.channel == channel:
                    if title and existing.title != title:
                        self._teams[index] = Team(existing.id, channel, title, existing.join_code)
                    return self._teams[index]
            created = Team(len(self._teams) + 1, channel, title, new_join_code())
            self._teams.append(created)
            return created

    def team_of(self, channel: ChannelRef) -> Team | None:
        with self._lock:
            return next((t for t in self._teams if t.channel == channel), None)

    def team_by_code(self, join_code: str) -> Team | None:
        with self._lock:
            return next((t for t in self._teams if t.join_code == join_code), None)

    def join(self, team_id: int, user: UserRef, *, now: datetime, locale: str | None = None) -> bool:
        language = language_code(locale)
        with self._lock:
            if language is not None:
                self.platform_languages[user] = language
            members = self._members.setdefault(team_id, [])
            if user in members:
                return False
            members.append(user)
            return True

    def chosen_language(self, user: UserRef) -> str | None:
        with self._lock:
            return self.chosen_languages.get(user)

    def members(self, team_id: int) -> list[UserRef]:
        with self._lock:
            return list(self._members.get(team_id, []))

    def mark_processed(self, event_key: str, *, now: datetime) -> bool:
        with self._lock:
            if event_key in self._events:
                return False
            self._events.add(event_key)
            return True

    def remember(self, recipient: str, prompt_id: str, ref: str, *, now: datetime) -> None:
        with self._lock:
            self._refs[(recipient, prompt_id)] = ref

    def recall(self, recipient: str, prompt_id: str) -> str | None:
        with self._lock:
            return self._refs.get((recipient, prompt_id))

    def mark_unreachable(self, user: UserRef, *, now: datetime) -> None:
        with self._lock:
            self._unreachable.add(user)

    def mark_reachable(self, user: UserRef) -> None:
        with self._lock:
            self._unreachable.discard(user)

    def is_unreachable(self, user: UserRef) -> bool:
        with self._lock:
            return user in self._unreachable
