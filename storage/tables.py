"""The SQLModel tables: respondents, rounds, conversations, append-only answers under pseudonymous keys
(and the separate links from people to those keys), processed events, teams, sent prompts, the outbox of
scheduled messages, and the aggregates kept after retention."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def require_aware(moment: datetime) -> datetime:
    """The stores refuse naive times: a time without an offset cannot be turned into UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a naive datetime cannot be stored: {moment!r}")
    return moment


class UtcDateTime(sa.TypeDecorator[datetime]):
    """An aware datetime stored as UTC and read back as UTC-aware, on SQLite and PostgreSQL alike.

    SQLite keeps no offset (it would store an aware time's wall clock) and PostgreSQL returns
    `timestamptz` in the session's time zone; both are normalised here. Naive times are refused.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else require_aware(value).astimezone(UTC)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _utc_column(nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(UtcDateTime(), nullable=nullable)


class Respondent(SQLModel, table=True):
    __tablename__ = "respondent"
    __table_args__ = (sa.UniqueConstraint("platform", "workspace", "user_id", name="uq_respondent_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    workspace: str = Field(max_length=128)
    user_id: str = Field(max_length=128)
    language: str | None = Field(default=None, max_length=8)
    platform_language: str | None = Field(default=None, max_length=8)
    created_at: datetime = Field(sa_column=_utc_column())
    unreachable_since: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    timezone: str | None = Field(default=None, max_length=64)  # where the platform tells it (Slack)


class AssessmentRound(SQLModel, table=True):
    __tablename__ = "assessment_round"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    instrument_version: str = Field(max_length=64)
    status: str = Field(default="open", max_length=16, index=True)
    opened_at: datetime = Field(sa_column=_utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    # A planned round (opened by a coordinator); the automatic default round leaves these empty.
    decision_date: date | None = None  # the strategy-funding decision; the review starts within two months
    window_end: date | None = None
    part1_deadline: date | None = None
    part2_deadline: date | None = None
    responsible: str | None = Field(default=None, max_length=200)
    opened_by: str | None = Field(default=None, max_length=255)
    reminder_days: str | None = Field(default=None, max_length=64)  # this round's own "7,3,1", if any
    reminder_max: int | None = None


class RoundTeam(SQLModel, table=True):
    """The teams a round covers."""

    __tablename__ = "round_team"

    round_id: int = Field(foreign_key="assessment_round.id", primary_key=True)
    team_id: int = Field(foreign_key="team.id", primary_key=True)


class ConversationRow(SQLModel, table=True):
    __tablename__ = "conversation"
    __table_args__ = (sa.UniqueConstraint("respondent_id", "round_id", name="uq_conversation_round"),)

    id: int | None = Field(default=None, primary_key=True)
    respondent_id: int = Field(foreign_key="respondent.id")
    round_id: int = Field(foreign_key="assessment_round.id")
    state: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    version: int
    updated_at: datetime = Field(sa_column=_utc_column())


class AnswerRow(SQLModel, table=True):
    """One answer as given; a changed answer is a new row (latest id wins), never an update.

    Who answered is not here: `respondent_key` is a random, round-specific pseudonym, and only
    `respondent_link` (deleted at erasure and by retention) ties it to a person."""

    __tablename__ = "answer"
    __table_args__ = (sa.Index("ix_answer_round_key", "round_id", "respondent_key"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="assessment_round.id")
    respondent_key: str = Field(max_length=32)
    question: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    value: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    instrument_version: str = Field(max_length=64)
    answered_at: datetime = Field(sa_column=_utc_column())


class RespondentLink(SQLModel, table=True):
    """Who is behind a round's pseudonymous respondent key: the only tie from a person to answers.

    Reminders and participation counts read it while a round is open; erasure and retention delete it."""

    __tablename__ = "respondent_link"
    __table_args__ = (sa.UniqueConstraint("respondent_key", name="uq_respondent_link_key"),)

    round_id: int = Field(foreign_key="assessment_round.id", primary_key=True)
    respondent_id: int = Field(foreign_key="respondent.id", primary_key=True)
    respondent_key: str = Field(max_length=32)


class KeyTeam(SQLModel, table=True):
    """The team an unlinked key's answers still count for: kept when a person erases their data after a
    round closed (those answers are in the team's posted digests). Names a team, never a person."""

    __tablename__ = "key_team"

    round_id: int = Field(foreign_key="assessment_round.id", primary_key=True)
    respondent_key: str = Field(max_length=32, primary_key=True)
    team_id: int = Field(foreign_key="team.id", primary_key=True)


class KeptScore(SQLModel, table=True):
    """A team's ratings of a round kept after retention deleted the raw answers: how many gave `value`
    to `question` (a part 1 rating), so the next round's digest can still show the trend."""

    __tablename__ = "kept_score"

    round_id: int = Field(foreign_key="assessment_round.id", primary_key=True)
    team_id: int = Field(foreign_key="team.id", primary_key=True)
    question: str = Field(max_length=64, primary_key=True)
    value: str = Field(max_length=16, primary_key=True)
    count: int


class ProcessedEvent(SQLModel, table=True):
    __tablename__ = "processed_event"

    event_key: str = Field(primary_key=True, max_length=255)
    processed_at: datetime = Field(sa_column=_utc_column())


class Team(SQLModel, table=True):
    """A Slack channel, a Telegram group or a named terminal group, with a code to join it."""

    __tablename__ = "team"
    __table_args__ = (sa.UniqueConstraint("platform", "workspace", "channel_id", name="uq_team_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    workspace: str = Field(max_length=128)
    channel_id: str = Field(max_length=128)
    title: str = Field(max_length=255)
    join_code: str = Field(max_length=32, unique=True)
    created_at: datetime = Field(sa_column=_utc_column())


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"

    team_id: int = Field(foreign_key="team.id", primary_key=True)
    respondent_id: int = Field(foreign_key="respondent.id", primary_key=True)
    joined_at: datetime = Field(sa_column=_utc_column())


class SentMessage(SQLModel, table=True):
    """Where a prompt was shown on a platform, so its buttons can be removed later, also after a restart."""

    __tablename__ = "sent_message"
    __table_args__ = (sa.UniqueConstraint("recipient", "prompt_id", name="uq_sent_message_prompt"),)

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=255)
    prompt_id: str = Field(max_length=32)
    ref: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    sent_at: datetime = Field(sa_column=_utc_column())


class OutboxMessage(SQLModel, table=True):
    """A message to send later, exactly once per `key`: claimed by one worker at a time with a lease."""

    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_message_due", "sent_at", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)
    platform: str = Field(max_length=32)
    workspace: str = Field(max_length=128)
    user_id: str = Field(max_length=128)
    payload: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    due_at: datetime = Field(sa_column=_utc_column())
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=128)
    claimed_until: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    created_at: datetime = Field(sa_column=_utc_column())
    last_attempt_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    failed_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))  # kept, never deleted
    outcome: str | None = Field(default=None, max_length=32)  # of the last attempt: retry, rejected, unreachable…
    reason: str | None = Field(default=None, max_length=255)  # the platform's error, never message text
    platform_id: str | None = Field(default=None, max_length=64)  # the delivered message's id on the platform


class ReminderState(SQLModel, table=True):
    """How a person has been reminded in a round, and whether they asked for quiet."""

    __tablename__ = "reminder_state"

    round_id: int = Field(foreign_key="assessment_round.id", primary_key=True)
    respondent_id: int = Field(foreign_key="respondent.id", primary_key=True)
    phase: str = Field(default="", max_length=16)  # the deadline being reminded of: "part1" or "part2"
    sent: int = 0  # reminders in this phase (they escalate toward its deadline)
    total: int = 0  # reminders in the whole round (capped)
    last_sent: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    snoozed_until: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    opted_out: bool = False


class RoleGrant(SQLModel, table=True):
    """A role a coordinator granted: "coordinator", or "lead" of one team (team_id 0 for no team)."""

    __tablename__ = "role_grant"

    platform: str = Field(max_length=32, primary_key=True)
    user_id: str = Field(max_length=128, primary_key=True)
    role: str = Field(max_length=16, primary_key=True)
    team_id: int = Field(default=0, primary_key=True)
    granted_by: str = Field(max_length=255)
    granted_at: datetime = Field(sa_column=_utc_column())


class DiscussionRow(SQLModel, table=True):
    """A team's discussion of one critical point in one round (bot.core.discussions), with its agreed entry."""

    __tablename__ = "discussion"
    __table_args__ = (sa.UniqueConstraint("team_id", "round_id", "point_id", name="uq_discussion_point"),
                      sa.Index("ix_discussion_message", "platform", "workspace", "channel_id", "message_ref"))

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    round_id: int = Field(foreign_key="assessment_round.id")
    point_id: str = Field(max_length=64)
    platform: str = Field(max_length=32)
    workspace: str = Field(max_length=128)
    channel_id: str = Field(max_length=128)
    message_ref: str | None = Field(default=None, max_length=64)
    opened_by: str = Field(max_length=255)
    opened_at: datetime = Field(sa_column=_utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    last_activity_at: datetime = Field(sa_column=_utc_column())
    reminded_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    promise: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    actions: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))  # JSON list of lines
    recorded_by: str | None = Field(default=None, max_length=255)
    recorded_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class DiscussionReplyRow(SQLModel, table=True):
    """One reply in a discussion. The author is kept only to count who took part and for their erasure."""

    __tablename__ = "discussion_reply"

    discussion_id: int = Field(foreign_key="discussion.id", primary_key=True)
    message_ref: str = Field(max_length=64, primary_key=True)
    platform: str = Field(max_length=32)
    workspace: str = Field(max_length=128)
    user_id: str = Field(max_length=128)
    kind: str = Field(max_length=16)
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(sa_column=_utc_column())
    edited_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


respondent = Respondent.__table__  # type: ignore[attr-defined]
assessment_round = AssessmentRound.__table__  # type: ignore[attr-defined]
conversation = ConversationRow.__table__  # type: ignore[attr-defined]
answer = AnswerRow.__table__  # type: ignore[attr-defined]
processed_event = ProcessedEvent.__table__  # type: ignore[attr-defined]
team = Team.__table__  # type: ignore[attr-defined]
team_member = TeamMember.__table__  # type: ignore[attr-defined]
sent_message = SentMessage.__table__  # type: ignore[attr-defined]
outbox_message = OutboxMessage.__table__  # type: ignore[attr-defined]
round_team = RoundTeam.__table__  # type: ignore[attr-defined]
reminder_state = ReminderState.__table__  # type: ignore[attr-defined]
role_grant = RoleGrant.__table__  # type: ignore[attr-defined]
respondent_link = RespondentLink.__table__  # type: ignore[attr-defined]
key_team = KeyTeam.__table__  # type: ignore[attr-defined]
kept_score = KeptScore.__table__  # type: ignore[attr-defined]
discussion = DiscussionRow.__table__  # type: ignore[attr-defined]
discussion_reply = DiscussionReplyRow.__table__  # type: ignore[attr-defined]
