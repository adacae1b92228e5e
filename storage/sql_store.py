"""The SQL implementation of TurnStore (SQLite and PostgreSQL), on SQLAlchemy Core for speed."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.core.conversation import AnswerRecord, Conversation, RoundRef, with_answers
from bot.core.identity import UserRef
from bot.core.ports import DuplicateEvent, ExportRow, LoadedTurn, StaleWrite
from storage.database import writing
from storage.tables import (
    UtcDateTime,
    answer,
    assessment_round,
    conversation,
    discussion,
    processed_event,
    require_aware,
    respondent,
    respondent_link,
    team_member,
)

DEFAULT_ROUND_NAME = "Kartoitus"
ROUND_LOCK = 0x6B617274  # PostgreSQL advisory lock taken while opening the default round
_ = sa.bindparam

# The hot path runs these on every turn; built once, SQLAlchemy reuses their compiled form.
EVENT_SEEN = sa.exists().where(processed_event.c.event_key == _("key"))
IS_PROCESSED = sa.select(EVENT_SEEN)
OPEN_ROUND = (sa.select(assessment_round.c.id, assessment_round.c.instrument_version)
              .where(assessment_round.c.status == "open").order_by(assessment_round.c.id.desc()).limit(1))
OPEN_ROUND_AND_EVENT = OPEN_ROUND.add_columns(EVENT_SEEN.label("processed"))
OPEN_DEFAULT_ROUND = assessment_round.insert().from_select(
    ["name", "instrument_version", "status", "opened_at"],
    sa.select(_("name"), _("version"), sa.literal("open"), _("now", type_=UtcDateTime()))
    .where(~sa.exists().where(assessment_round.c.status == "open")))
LOAD_CONVERSATION = (  # the conversation with every answer row of it, oldest first (one row if none)
    sa.select(conversation.c.state, conversation.c.version, respondent.c.language, respondent.c.platform_language,
              assessment_round.c.status, answer.c.question, answer.c.value)
    .select_from(conversation
                 .join(respondent, respondent.c.id == conversation.c.respondent_id)
                 .join(assessment_round, assessment_round.c.id == conversation.c.round_id)
                 .outerjoin(respondent_link, sa.and_(respondent_link.c.round_id == conversation.c.round_id,
                                                     respondent_link.c.respondent_id == conversation.c.respondent_id))
                 .outerjoin(answer, sa.and_(answer.c.round_id == conversation.c.round_id,
                                            answer.c.respondent_key == respondent_link.c.respondent_key)))
    .where(respondent.c.platform == _("platform"), respondent.c.workspace == _("workspace"),
           respondent.c.user_id == _("user"), conversation.c.round_id == _("round"))
    .order_by(answer.c.id))
EARLIER_STATES = (sa.select(conversation.c.state)
                  .select_from(conversation.join(respondent, respondent.c.id == conversation.c.respondent_id))
                  .where(respondent.c.platform == _("platform"), respondent.c.workspace == _("workspace"),
                         respondent.c.user_id == _("user")))
MARK_PROCESSED = processed_event.insert()
FIND_RESPONDENT = (sa.select(respondent.c.id, respondent.c.language, respondent.c.platform_language)
                   .where(respondent.c.platform == _("platform"), respondent.c.workspace == _("workspace"),
                          respondent.c.user_id == _("user")))
UPDATE_LANGUAGES = (respondent.update().where(respondent.c.id == _("respondent"))
                    .values(language=_("language"), platform_language=_("platform_language")))
INSERT_CONVERSATION = conversation.insert()
UPDATE_CONVERSATION = (
    conversation.update()
    .where(conversation.c.respondent_id == _("respondent"), conversation.c.round_id == _("round"),
           conversation.c.version == _("expected"))
    .values(state=_("state"), version=conversation.c.version + 1, updated_at=_("now", type_=UtcDateTime())))
INSERT_ANSWERS = answer.insert()
AGREED_ACTIONS = (  # what the person's teams agreed in rounds before this one, oldest round first (new conversations)
    sa.select(discussion.c.point_id, discussion.c.round_id, discussion.c.actions)
    .select_from(discussion.join(team_member, team_member.c.team_id == discussion.c.team_id))
    .where(team_member.c.respondent_id == _("respondent"), discussion.c.round_id < _("round"),
           discussion.c.actions.is_not(None), discussion.c.actions.not_in(["", "[]"]))
    .order_by(discussion.c.round_id, discussion.c.team_id))
FIND_KEY = sa.select(respondent_link.c.respondent_key).where(
    respondent_link.c.round_id == _("round"), respondent_link.c.respondent_id == _("respondent"))


def new_respondent_key() -> str:
    """A round-specific pseudonym for a person's answers: random, never derived from who they are."""
    return secrets.token_hex(16)


def respondent_key(db: Connection, round_id: int, respondent_id: int) -> str:
    """The person's key in the round, linked on first use (a concurrent first use fails on the primary key)."""
    found = db.execute(FIND_KEY, {"round": round_id, "respondent": respondent_id}).scalar()
    if found is not None:
        return str(found)
    key = new_respondent_key()
    db.execute(respondent_link.insert().values(round_id=round_id, respondent_id=respondent_id, respondent_key=key))
    return key


class SqlStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- rounds ------------------------------------------------------------------------

    def current_round(self, *, instrument_version: str, now: datetime) -> RoundRef:
        with self.engine.connect() as db:
            row = db.execute(OPEN_ROUND).first()
        if row is None:
            return self._open_default_round(instrument_version, now)
        return RoundRef(row.id, row.instrument_version, True)

    def _open_default_round(self, instrument_version: str, now: datetime) -> RoundRef:
        """Opens the default round unless another worker just did; starts with the write (SQLite's lock)."""
        with writing(self.engine) as writer:
            if writer.dialect.name == "postgresql":  # READ COMMITTED would let two workers both insert
                writer.execute(sa.select(sa.func.pg_advisory_xact_lock(ROUND_LOCK)))
            writer.execute(OPEN_DEFAULT_ROUND, {"name": DEFAULT_ROUND_NAME, "version": instrument_version, "now": now})
            row = writer.execute(OPEN_ROUND).one()
        return RoundRef(row.id, row.instrument_version, True)

    def close_round(self, round_id: int, now: datetime) -> None:
        with writing(self.engine) as db:
            db.execute(assessment_round.update()
                       .where(assessment_round.c.id == round_id, assessment_round.c.status == "open")
                       .values(status="closed", closed_at=now))

    # --- turns -------------------------------------------------------------------------

    def is_processed(self, event_key: str) -> bool:
        with self.engine.connect() as db:
            return bool(db.execute(IS_PROCESSED, {"key": event_key}).scalar())

    def load(self, user: UserRef, round: RoundRef) -> Conversation | None:
        with self.engine.connect() as db:
            return self._load(db, user, round)

    def load_turn(self, user: UserRef, *, event_key: str, instrument_version: str, now: datetime
                  ) -> LoadedTurn | None:
        with self.engine.connect() as db:  # two reads on one connection: round and event, then the conversation
            row = db.execute(OPEN_ROUND_AND_EVENT, {"key": event_key}).first()
            if row is None:  # no open round: rare, so the slow path
                if db.execute(IS_PROCESSED, {"key": event_key}).scalar():
                    return None
                round_ref = self._open_default_round(instrument_version, now)
            elif row.processed:
                return None
            else:
                round_ref = RoundRef(row.id, row.instrument_version, True)
            loaded = self._load(db, user, round_ref)
            if loaded is not None:
                return LoadedTurn(round_ref, loaded)
            # A new conversation (a new round, or a person who only joined a team): numbered on from their
            # earlier rounds, and in the languages known of them.
            person = db.execute(FIND_RESPONDENT, {"platform": user.platform, "workspace": user.workspace,
                                                  "user": user.user}).first()
            if person is None:
                return LoadedTurn(round_ref, None)
            return LoadedTurn(round_ref, None, self._last_prompt_seq(db, user), person.language,
                              person.platform_language, self._agreed(db, int(person.id), round_ref.id))

    @staticmethod
    def _last_prompt_seq(db: Connection, user: UserRef) -> int:
        """The highest prompt number of the person's conversations in other rounds (0 if none)."""
        states = db.execute(EARLIER_STATES, {"platform": user.platform, "workspace": user.workspace,
                                             "user": user.user}).scalars()
        return max((int(json.loads(state).get("prompt_seq", 0)) for state in states), default=0)

    @staticmethod
    def _agreed(db: Connection, respondent_id: int, round_id: int) -> Mapping[str, tuple[str, ...]]:
        """Per point, the actions the person's teams agreed in the newest earlier round that agreed any (two teams
        of the person in that round: both teams' actions)."""
        rows = db.execute(AGREED_ACTIONS, {"respondent": respondent_id, "round": round_id}).all()
        return agreed_actions((row.point_id, row.round_id, row.actions) for row in rows)

    @staticmethod
    def _load(db: Connection, user: UserRef, round: RoundRef) -> Conversation | None:
        rows = db.execute(LOAD_CONVERSATION, {"platform": user.platform, "workspace": user.workspace,
                                              "user": user.user, "round": round.id}).all()
        if not rows:
            return None
        head = rows[0]
        answers = {question: value for *_head, question, value in rows if question is not None}  # later rows win
        round_ref = RoundRef(round.id, round.instrument_version, head.status == "open")
        return Conversation.from_state(
            json.loads(head.state), user=user, round=round_ref,
            version=head.version, language=head.language, platform_language=head.platform_language, answers=answers)

    def save(self, conversation_: Conversation, answers: Sequence[AnswerRecord], *, event_key: str,
             now: datetime) -> Conversation:
        require_aware(now)
        with writing(self.engine) as db:  # any exception rolls everything back
            try:
                db.execute(MARK_PROCESSED, {"event_key": event_key, "processed_at": now})
            except sa.exc.IntegrityError as error:
                raise DuplicateEvent(event_key) from error
            try:
                respondent_id = self._respondent(db, conversation_, now)
                version = self._write_conversation(db, conversation_, respondent_id, now)
                key = respondent_key(db, conversation_.round.id, respondent_id) if answers else ""
            except sa.exc.IntegrityError as error:  # another worker created this person, conversation or link first
                raise StaleWrite(conversation_.user.key) from error
            if answers:
                db.execute(INSERT_ANSWERS, [
                    {"round_id": conversation_.round.id, "respondent_key": key,
                     "question": record.question, "value": record.value,
                     "instrument_version": conversation_.round.instrument_version, "answered_at": now}
                    for record in answers])
        merged = with_answers(conversation_.answers, {record.question: record.value for record in answers})
        return conversation_.evolve(version=version, answers=merged)

    @staticmethod
    def _respondent(db: Connection, conversation_: Conversation, now: datetime) -> int:
        user = conversation_.user
        row = db.execute(FIND_RESPONDENT, {"platform": user.platform, "workspace": user.workspace,
                                           "user": user.user}).first()
        languages = {"language": conversation_.language, "platform_language": conversation_.platform_language}
        if row is not None:  # a language once known is never erased by a conversation that does not know it
            languages = {"language": conversation_.language or row.language,
                         "platform_language": conversation_.platform_language or row.platform_language}
        if row is None:
            return int(db.execute(respondent.insert().values(
                platform=user.platform, workspace=user.workspace, user_id=user.user, created_at=now, **languages,
            )).inserted_primary_key[0])  # type: ignore[index]
        if (row.language, row.platform_language) != (languages["language"], languages["platform_language"]):
            db.execute(UPDATE_LANGUAGES, {"respondent": row.id, **languages})
        return int(row.id)

    @staticmethod
    def _write_conversation(db: Connection, conversation_: Conversation, respondent_id: int, now: datetime) -> int:
        state = json.dumps(conversation_.state(), ensure_ascii=False, separators=(",", ":"))
        if conversation_.version == 0:  # a unique violation here means someone else was first: StaleWrite
            db.execute(INSERT_CONVERSATION, {"respondent_id": respondent_id, "round_id": conversation_.round.id,
                                             "state": state, "version": 1, "updated_at": now})
            return 1
        updated = db.execute(UPDATE_CONVERSATION, {"respondent": respondent_id, "round": conversation_.round.id,
                                                   "expected": conversation_.version, "state": state, "now": now})
        if updated.rowcount != 1:
            raise StaleWrite(conversation_.user.key)
        return conversation_.version + 1

    # --- export and housekeeping -------------------------------------------------------

    def export_rows(self, *, zone: str = "UTC") -> Iterator[ExportRow]:
        with self.engine.connect() as db:
            rounds = {row.id: row.name for row in db.execute(sa.select(assessment_round.c.id, assessment_round.c.name))}
            rows = db.execute(sa.select(answer.c.id, answer.c.round_id, answer.c.respondent_key, answer.c.question,
                                        answer.c.value, answer.c.instrument_version, answer.c.answered_at)
                              .order_by(answer.c.id)).all()
        yield from export_rows(rows, rounds, zone=zone)

    def answer_count(self) -> int:
        """How many answer rows exist (changed answers included): for the append-only contract."""
        with self.engine.connect() as db:
            return int(db.execute(sa.select(sa.func.count()).select_from(answer)).scalar_one())

    def prune_processed_events(self, older_than: datetime) -> int:
        require_aware(older_than)
        with writing(self.engine) as db:
            return int(db.execute(processed_event.delete()
                                  .where(processed_event.c.processed_at < older_than)).rowcount)


def agreed_actions(rows: Iterable[tuple[str, int, str]]) -> Mapping[str, tuple[str, ...]]:
    """Point id → actions from (point, round, actions as a JSON list) rows, oldest round first: a point's newest
    round with actions wins, and within one round the actions of every team are kept (each once)."""
    newest: dict[str, tuple[int, list[str]]] = {}
    for point, round_id, text in rows:
        actions = _action_list(text)
        if not actions:
            continue
        kept = newest.get(point)
        if kept is None or round_id > kept[0]:
            newest[point] = (round_id, actions)
        else:
            kept[1].extend(action for action in actions if action not in kept[1])
    return MappingProxyType({point: tuple(actions) for point, (_round, actions) in newest.items()})


def _action_list(text: str) -> list[str]:
    """The texts of a stored JSON list of actions; a malformed value is no actions (a turn never fails on it)."""
    try:
        value = json.loads(text)
    except ValueError:
        return []
    if not isinstance(value, list):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]


def export_rows(rows: Sequence[Any], rounds: Mapping[int, str], *, zone: str = "UTC") -> Iterator[ExportRow]:
    """Latest answer per (round, respondent, question); respondents numbered per round by first answer.

    `rows` are answer rows in id order with aware `answered_at`; `answered_on` is the date in `zone`
    (the CLI gives KARTOITUS_TIMEZONE).
    """
    local = UTC if zone == "UTC" else ZoneInfo(zone)
    numbers: dict[int, dict[str, int]] = {}
    latest: dict[tuple[int, str, str], Any] = {}
    for row in rows:  # ordered by id: first answers number the respondents, later rows win
        per_round = numbers.setdefault(row.round_id, {})
        per_round.setdefault(row.respondent_key, len(per_round) + 1)
        latest[(row.round_id, row.respondent_key, row.question)] = row
    for (round_id, respondent_key_, question), row in sorted(
            latest.items(), key=lambda item: (item[0][0], numbers[item[0][0]][item[0][1]], item[0][2])):
        yield ExportRow(round_id=round_id, round_name=rounds.get(round_id, ""),
                        respondent=numbers[round_id][respondent_key_], question=question, value=row.value,
                        instrument_version=row.instrument_version,
                        answered_on=row.answered_at.astimezone(local).date().isoformat())
