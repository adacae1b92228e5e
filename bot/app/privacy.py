"""A person's privacy requests: `/omat_tiedot` (everything stored, as JSON, and how their answers appear
in the team's digest) and `/poista_tiedot` (erasure, after a typed confirmation); the same for an
administrator (`kartoitus person export|erase`), and the retention step of the scheduler's tick.

The digest preview never shows a digest: only the rules and counts that decide whether a person's
answers appear at all, and in which aggregated form. Nothing here logs what anyone answered.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.core.events import CommandReceived
from bot.core.flow import DEEPENING
from bot.core.identity import UserRef
from bot.core.instrument import Instrument
from bot.core.language import language_or
from bot.core.messages import Document, Notice, Outbound
from bot.core.ports import Clock, Erasure, KeptRound, PrivacyStore, RoundStore
from bot.core.rounds import date_text
from bot.reports.digest import ANONYMITY_FLOOR
from bot.reports.export import json_text

log = logging.getLogger(__name__)
ProcessedMarker = Callable[..., bool]  # TeamStore.mark_processed(key, now=...)
MY_DATA, ERASE = "my_data", "erase_data"
COMMANDS = (MY_DATA, ERASE)
TEXT_KINDS = frozenset({*DEEPENING, "level", "plan"})


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall time `months` calendar months earlier (31.3. minus one month is 28./29.2.)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def answer_kinds(questions: Sequence[str]) -> tuple[int, int, int]:
    """(ratings, choices, open answers) among question ids."""
    kinds = [question.split(":", 1)[0] for question in questions]
    ratings = sum(1 for kind in kinds if kind == "rate")
    texts = sum(1 for kind in kinds if kind in TEXT_KINDS)
    return ratings, len(kinds) - ratings - texts, texts


def personal_json(data: dict[str, object]) -> bytes:
    """The person's data as a JSON file: the export's JSON (readable letters, `<`, `>`, `&` escaped)."""
    return (json_text(data) + "\n").encode("utf-8")


class PrivacyDesk:
    def __init__(self, privacy: PrivacyStore, rounds: RoundStore, instrument: Instrument, clock: Clock, *,
                 mark_processed: ProcessedMarker | None = None, min_scores: int = 3, min_texts: int = 5,
                 retention_months: int = 24, zone: str = "Europe/Helsinki", language: str = "fi") -> None:
        self.privacy = privacy
        self.rounds = rounds
        self.instrument = instrument
        self.clock = clock
        self.mark_processed = mark_processed
        self.min_scores = max(min_scores, ANONYMITY_FLOOR)
        self.min_texts = max(min_texts, ANONYMITY_FLOOR)
        self.retention_months = retention_months
        self.zone = ZoneInfo(zone)
        self.language = language  # when the platform names none of our languages

    def t(self, language: str, key: str, **values: object) -> str:
        return self.instrument.text(language, key, **values)

    # --- in chat ---------------------------------------------------------------------------

    def handle(self, event: CommandReceived) -> Sequence[Outbound]:
        """The reply to `/omat_tiedot` or `/poista_tiedot [vahvista]` (synchronous: reads and writes the database)."""
        language = language_or(event.locale, self.language)
        if self.mark_processed is not None and not self.mark_processed(f"{event.key}:privacy", now=self.clock.now()):
            return ()  # the platform delivered the command twice
        if event.name == MY_DATA:
            return self.my_data(event.user, language)
        if not self.confirmed(event.argument):
            return (Notice(to=event.user, heading=self.t(language, "privacy.erase_heading"),
                           text=self.t(language, "privacy.erase_confirm", months=self.retention_months),
                           language=language),)
        erasure = self.privacy.erase(event.user, now=self.clock.now())
        log.info("privacy: a person erased their data on %s", event.user.platform)
        return (Notice(to=event.user, heading=self.t(language, "privacy.erase_heading"),
                       text=self.erasure_text(erasure, language), language=language),)

    def confirmed(self, argument: str) -> bool:
        words = {word.strip().casefold() for language in self.instrument.languages
                 for word in self.t(language, "privacy.confirm_words").split(",")}
        return argument.strip().casefold() in words

    def my_data(self, user: UserRef, language: str) -> Sequence[Outbound]:
        data = self.privacy.personal_data(user)
        if data is None:
            return (Notice(to=user, text=self.t(language, "privacy.nothing_stored"), language=language),)
        document = Document(to=user, data=personal_json(data), filename=self.t(language, "privacy.filename"),
                            caption=self.t(language, "privacy.file_caption"), language=language)
        preview = Notice(to=user, heading=self.t(language, "privacy.preview_heading"),
                         text=self.preview(user, language), language=language)
        return (document, preview)

    def preview(self, user: UserRef, language: str) -> str:
        """How the person's answers appear in each of their teams' digests: rules and counts, never a digest."""
        teams = self.privacy.teams_of(user)
        current = next((info for info in self.rounds.rounds() if info.status == "open"), None)
        if not teams:
            return self.t(language, "privacy.preview_no_team", min_scores=self.min_scores, min_texts=self.min_texts)
        parts = []
        for team in teams:
            answers = self.rounds.team_answers(current.id, team.id) if current is not None else []
            raters = sum(1 for person in answers
                         if any(q.startswith("rate:") and (v or "").isdigit() for q, v in person.items()))
            writers = sum(1 for person in answers
                          if any(q.split(":", 1)[0] in DEEPENING and v for q, v in person.items()))
            parts.append(self.t(language, "privacy.preview_team", team=team.title, raters=raters, writers=writers,
                                min_scores=self.min_scores, min_texts=self.min_texts))
        return "\n\n".join([*parts, self.t(language, "privacy.preview_never")])

    # --- what an erasure did -----------------------------------------------------------------

    def erasure_text(self, erasure: Erasure, language: str) -> str:
        if not erasure.found:
            return self.t(language, "privacy.nothing_stored")
        lines = [self.t(language, "privacy.erased", answers=erasure.answers_removed,
                        memberships=erasure.memberships_removed, conversations=erasure.conversations_removed)]
        lines += [self.kept_text(kept, language) for kept in erasure.kept]
        if not erasure.kept:
            lines.append(self.t(language, "privacy.nothing_kept"))
        return "\n\n".join(lines)

    def kept_text(self, kept: KeptRound, language: str) -> str:
        ratings, choices, texts = answer_kinds(kept.questions)
        forms = [self.t(language, f"privacy.kept_{kind}", count=count)
                 for kind, count in (("ratings", ratings), ("choices", choices), ("texts", texts)) if count]
        closed = kept.closed_at.astimezone(self.zone).date() if kept.closed_at is not None else None
        until = self._until(closed)
        teams = ", ".join(kept.teams) or self.t(language, "privacy.kept_no_team")
        return self.t(language, "privacy.kept_round", round=kept.round_name, closed=date_text(closed),
                      count=len(kept.questions), teams=teams, forms="; ".join(forms) or "–", until=date_text(until))

    def _until(self, closed: date | None) -> date | None:
        if closed is None:
            return None
        return months_before(datetime(closed.year, closed.month, closed.day), -self.retention_months).date()

    # --- for an administrator and the scheduler ------------------------------------------------

    def export(self, user: UserRef) -> bytes | None:
        data = self.privacy.personal_data(user)
        return personal_json(data) if data is not None else None

    def erase(self, user: UserRef, language: str) -> tuple[bool, str]:
        erasure = self.privacy.erase(user, now=self.clock.now())
        log.info("privacy: an administrator erased a person's data on %s", user.platform)
        return erasure.found, self.erasure_text(erasure, language)

    def expire(self) -> int:
        """Retention: raw answers and links of rounds closed more than `retention_months` ago go."""
        expired = self.privacy.expire(months_before(self.clock.now(), self.retention_months))
        if expired:
            log.info("retention: raw answers of %d closed rounds deleted, their scores kept", expired)
        return expired
