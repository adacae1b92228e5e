"""The SQLModel tables: respondents, rounds, conversations, append-only answers, processed events."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def _utc_column(nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(sa.DateTime(timezone=True), nullable=nullable)


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


class AssessmentRound(SQLModel, table=True):
    __tablename__ = "assessment_round"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    instrument_version: str = Field(max_length=64)
    status: str = Field(default="open", max_length=16, index=True)
    opened_at: datetime = Field(sa_column=_utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


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
    """One answer as given; a changed answer is a new row (latest id wins), never an update."""

    __tablename__ = "answer"
    __table_args__ = (sa.Index("ix_answer_round_respondent", "round_id", "respondent_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="assessment_round.id")
    respondent_id: int = Field(foreign_key="respondent.id")
    question: str = Field(max_length=128)
    value: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    instrument_version: str = Field(max_length=64)
    answered_at: datetime = Field(sa_column=_utc_column())


class ProcessedEvent(SQLModel, table=True):
    __tablename__ = "processed_event"

    event_key: str = Field(primary_key=True, max_length=255)
    processed_at: datetime = Field(sa_column=_utc_column())


respondent = Respondent.__table__  # type: ignore[attr-defined]
assessment_round = AssessmentRound.__table__  # type: ignore[attr-defined]
conversation = ConversationRow.__table__  # type: ignore[attr-defined]
answer = AnswerRow.__table__  # type: ignore[attr-defined]
processed_event = ProcessedEvent.__table__  # type: ignore[attr-defined]
