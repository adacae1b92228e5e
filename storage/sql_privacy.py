"""A data subject's requests and retention on SQL: everything stored about a person, erasure, expiry.

Answers live under round-specific pseudonymous keys (`answer.respondent_key`); `respondent_link` is
the only tie from a person to a key. Erasure deletes the person's rows and links: answers of open
rounds go too, answers of closed rounds stay unlinked, counted for the teams the person was in
(`key_team`), because they are in digests already posted. Retention deletes a long-closed round's
raw answers, links and conversations, keeping each team's rating counts (`kept_score`) for trends.

A person's replies in their team's discussions (`discussion_reply`) are theirs too: shown in their data,
deleted at their erasure, and deleted with the round by retention. The discussion itself, with the
promise and actions the team agreed, is the team's plan and stays (whoever opened or recorded it erased).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.core.identity import ChannelRef, UserRef
from bot.core.ports import Erasure, KeptRound, Team
from storage.database import writing
from storage.sql_rounds import team_keys
from storage.tables import (
    answer,
    assessment_round,
    conversation,
    discussion,
    discussion_reply,
    kept_score,
    key_team,
    outbox_message,
    processed_event,
    reminder_state,
    respondent,
    respondent_link,
    role_grant,
    round_team,
    sent_message,
    team,
    team_member,
)

ERASED = "–"  # what stands where an erased person was named as the one who granted a role or opened a round
RATING = "rate:"


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _find(db: Connection, user: UserRef) -> int | None:
    found = db.execute(sa.select(respondent.c.id).where(
        respondent.c.platform == user.platform, respondent.c.workspace == user.workspace,
        respondent.c.user_id == user.user)).scalar()
    return int(found) if found is not None else None


class SqlPrivacy:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- what is stored --------------------------------------------------------------------

    def personal_data(self, user: UserRef) -> dict[str, Any] | None:
        """Everything stored about `user`: identity, teams, rounds (conversations, answers, reminders), roles,
        messages, prompts shown and, when there are any, their replies in team discussions."""
        with self.engine.connect() as db:
            person_id = _find(db, user)
            roles = self._roles(db, user)
            messages = self._messages(db, user)
            replies = self._discussion_replies(db, user)
            if person_id is None and not roles and not messages and not replies:
                return None
            person = db.execute(sa.select(respondent).where(respondent.c.id == person_id)).first()
            data: dict[str, Any] = {
                "person": None if person is None else {
                    "platform": person.platform, "workspace": person.workspace, "user_id": person.user_id,
                    "language": person.language, "platform_language": person.platform_language,
                    "timezone": person.timezone, "first_seen": _when(person.created_at),
                    "unreachable_since": _when(person.unreachable_since)},
                "teams": self._teams(db, person_id),
                "rounds": self._rounds(db, person_id),
                "roles": roles,
                "messages": messages,
                "prompts_shown": int(db.execute(sa.select(sa.func.count()).select_from(sent_message)
                                                .where(sent_message.c.recipient == user.key)).scalar_one()),
            }
            if replies:
                data["discussion_replies"] = replies
            return data

    @staticmethod
    def _teams(db: Connection, person_id: int | None) -> list[dict[str, Any]]:
        rows = db.execute(sa.select(team.c.title, team_member.c.joined_at)
                          .join(team_member, team_member.c.team_id == team.c.id)
                          .where(team_member.c.respondent_id == person_id).order_by(team.c.title)).all()
        return [{"team": row.title, "joined_at": _when(row.joined_at)} for row in rows]

    @staticmethod
    def _rounds(db: Connection, person_id: int | None) -> list[dict[str, Any]]:
        rounds: dict[int, dict[str, Any]] = {}

        def entry(round_id: int) -> dict[str, Any]:
            if round_id not in rounds:
                info = db.execute(sa.select(assessment_round.c.name, assessment_round.c.status)
                                  .where(assessment_round.c.id == round_id)).one()
                rounds[round_id] = {"round_id": round_id, "round": info.name, "status": info.status,
                                    "conversation": None, "answers": [], "reminders": None}
            return rounds[round_id]

        for row in db.execute(sa.select(conversation).where(conversation.c.respondent_id == person_id)):
            entry(row.round_id)["conversation"] = {"state": json.loads(row.state), "version": row.version,
                                                   "updated_at": _when(row.updated_at)}
        for row in db.execute(sa.select(answer).join(respondent_link,
                                                     respondent_link.c.respondent_key == answer.c.respondent_key)
                              .where(respondent_link.c.respondent_id == person_id).order_by(answer.c.id)):
            entry(row.round_id)["answers"].append({"question": row.question, "value": row.value,
                                                   "answered_at": _when(row.answered_at),
                                                   "instrument_version": row.instrument_version})
        for row in db.execute(sa.select(reminder_state).where(reminder_state.c.respondent_id == person_id)):
            entry(row.round_id)["reminders"] = {"sent": row.total, "last_sent": _when(row.last_sent),
                                                "snoozed_until": _when(row.snoozed_until),
                                                "opted_out": bool(row.opted_out)}
        return [rounds[key] for key in sorted(rounds)]

    @staticmethod
    def _roles(db: Connection, user: UserRef) -> list[dict[str, Any]]:
        rows = db.execute(sa.select(role_grant.c.role, team.c.title, role_grant.c.granted_by, role_grant.c.granted_at)
                          .outerjoin(team, team.c.id == role_grant.c.team_id)
                          .where(role_grant.c.platform == user.platform, role_grant.c.user_id == user.user)).all()
        return [{"role": row.role, "team": row.title, "granted_by": row.granted_by,
                 "granted_at": _when(row.granted_at)} for row in rows]

    @staticmethod
    def _messages(db: Connection, user: UserRef) -> list[dict[str, Any]]:
        rows = db.execute(sa.select(outbox_message).where(*_recipient(user)).order_by(outbox_message.c.id)).all()
        return [{"key": row.key, "message": json.loads(row.payload), "created_at": _when(row.created_at),
                 "due_at": _when(row.due_at), "sent_at": _when(row.sent_at), "failed_at": _when(row.failed_at),
                 "outcome": row.outcome} for row in rows]

    @staticmethod
    def _discussion_replies(db: Connection, user: UserRef) -> list[dict[str, Any]]:
        rows = db.execute(sa.select(discussion_reply.c.kind, discussion_reply.c.text, discussion_reply.c.created_at,
                                    discussion_reply.c.edited_at, discussion.c.point_id, discussion.c.round_id,
                                    team.c.title)
                          .join(discussion, discussion.c.id == discussion_reply.c.discussion_id)
                          .join(team, team.c.id == discussion.c.team_id)
                          .where(*_author(user))
                          .order_by(discussion_reply.c.created_at, discussion.c.id)).all()
        return [{"team": row.title, "round_id": row.round_id, "point_id": row.point_id, "kind": row.kind,
                 "text": row.text, "created_at": _when(row.created_at), "edited_at": _when(row.edited_at)}
                for row in rows]

    def teams_of(self, user: UserRef) -> list[Team]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(team).join(team_member, team_member.c.team_id == team.c.id)
                              .join(respondent, respondent.c.id == team_member.c.respondent_id)
                              .where(respondent.c.platform == user.platform,
                                     respondent.c.workspace == user.workspace,
                                     respondent.c.user_id == user.user).order_by(team.c.title)).all()
        return [Team(row.id, ChannelRef(row.platform, row.workspace, row.channel_id), row.title, row.join_code)
                for row in rows]

    # --- erasure ---------------------------------------------------------------------------

    def erase(self, user: UserRef, *, now: datetime) -> Erasure:
        """Remove identity, conversations, memberships, links, reminders, roles, messages, open rounds' answers
        and the person's discussion replies; closed rounds' answers stay unlinked (their team in `key_team`)."""
        with writing(self.engine) as db:
            person_id = _find(db, user)
            found = person_id is not None
            answers_removed = conversations = memberships = 0
            kept: list[KeptRound] = []
            if person_id is not None:
                answers_removed, kept = self._unlink(db, person_id)
                conversations = db.execute(conversation.delete()
                                           .where(conversation.c.respondent_id == person_id)).rowcount
                db.execute(reminder_state.delete().where(reminder_state.c.respondent_id == person_id))
                memberships = db.execute(team_member.delete()
                                         .where(team_member.c.respondent_id == person_id)).rowcount
                db.execute(respondent.delete().where(respondent.c.id == person_id))
            found = self._forget_elsewhere(db, user) or found
        return Erasure(found, int(answers_removed), int(conversations), int(memberships), tuple(kept))

    @staticmethod
    def _unlink(db: Connection, person_id: int) -> tuple[int, list[KeptRound]]:
        """Delete the person's links; open rounds' answers with them, closed rounds' answers kept for their teams."""
        links = db.execute(sa.select(respondent_link.c.round_id, respondent_link.c.respondent_key,
                                     assessment_round.c.name, assessment_round.c.status, assessment_round.c.closed_at)
                           .join(assessment_round, assessment_round.c.id == respondent_link.c.round_id)
                           .where(respondent_link.c.respondent_id == person_id)
                           .order_by(respondent_link.c.round_id)).all()
        member_of = [row.team_id for row in db.execute(sa.select(team_member.c.team_id)
                                                       .where(team_member.c.respondent_id == person_id))]
        removed = 0
        kept: list[KeptRound] = []
        for link in links:
            if link.status == "open":
                removed += db.execute(answer.delete().where(answer.c.respondent_key == link.respondent_key)).rowcount
                continue
            covered = {row.team_id for row in db.execute(sa.select(round_team.c.team_id)
                                                         .where(round_team.c.round_id == link.round_id))}
            teams = [team_id for team_id in member_of if not covered or team_id in covered]
            if teams:
                db.execute(key_team.insert(), [{"round_id": link.round_id, "respondent_key": link.respondent_key,
                                                "team_id": team_id} for team_id in teams])
            titles = tuple(sorted(db.execute(sa.select(team.c.title).where(team.c.id.in_(teams))).scalars(),
                                  key=str.casefold)) if teams else ()
            questions = tuple(sorted(set(db.execute(sa.select(answer.c.question)
                                                    .where(answer.c.respondent_key == link.respondent_key)
                                                    ).scalars())))
            kept.append(KeptRound(link.round_id, link.name, link.closed_at, titles, questions))
        db.execute(respondent_link.delete().where(respondent_link.c.respondent_id == person_id))
        return removed, kept

    @staticmethod
    def _forget_elsewhere(db: Connection, user: UserRef) -> bool:
        """The rows that name the person without a respondent id: prompts shown, messages, roles, discussion
        replies, event keys; where they opened a round or a discussion or recorded its entry, the name goes."""
        name = f"{user.platform}:{user.user}"
        found = 0
        found += db.execute(sent_message.delete().where(sent_message.c.recipient == user.key)).rowcount
        found += db.execute(outbox_message.delete().where(*_recipient(user))).rowcount
        found += db.execute(outbox_message.delete().where(outbox_message.c.key.contains(user.key,
                                                                                        autoescape=True))).rowcount
        found += db.execute(role_grant.delete().where(role_grant.c.platform == user.platform,
                                                      role_grant.c.user_id == user.user)).rowcount
        found += db.execute(discussion_reply.delete().where(*_author(user))).rowcount
        db.execute(role_grant.update().where(role_grant.c.granted_by == name).values(granted_by=ERASED))
        db.execute(discussion.update().where(discussion.c.opened_by == name).values(opened_by=ERASED))
        db.execute(discussion.update().where(discussion.c.recorded_by == name).values(recorded_by=ERASED))
        db.execute(assessment_round.update().where(assessment_round.c.opened_by == name).values(opened_by=ERASED))
        db.execute(assessment_round.update().where(assessment_round.c.responsible == user.user)
                   .values(responsible=ERASED))
        # Slack's click and Home ids end in the user id ("action-<ts>-U123", "…-U123:join"): dedupe keys only.
        key = processed_event.c.event_key
        db.execute(processed_event.delete().where(
            key.startswith(f"{user.platform}:{user.workspace}:", autoescape=True),
            sa.or_(key.endswith(f"-{user.user}", autoescape=True), key.contains(f"-{user.user}:", autoescape=True))))
        return found > 0

    # --- retention -------------------------------------------------------------------------

    def expire(self, closed_before: datetime) -> int:
        """Delete raw answers, links, conversations, reminders and discussion replies of rounds closed before
        `closed_before`, keeping each team's rating counts and its discussions' agreed entries; returns how
        many rounds were expired."""
        due = sa.select(assessment_round.c.id).where(
            assessment_round.c.status == "closed", assessment_round.c.closed_at < closed_before,
            sa.or_(sa.exists().where(answer.c.round_id == assessment_round.c.id),
                   sa.exists().where(respondent_link.c.round_id == assessment_round.c.id),
                   sa.exists().where(conversation.c.round_id == assessment_round.c.id),
                   sa.exists().where(discussion_reply.c.discussion_id == discussion.c.id,
                                     discussion.c.round_id == assessment_round.c.id)))
        with self.engine.connect() as db:  # every tick asks; only a due round takes the write lock
            if db.execute(due.limit(1)).first() is None:
                return 0
        with writing(self.engine) as db:
            rounds = db.execute(due).scalars().all()
            for round_id in rounds:
                self._keep_scores(db, round_id)
                for table in (answer, key_team, respondent_link, conversation, reminder_state):
                    db.execute(table.delete().where(table.c.round_id == round_id))
                db.execute(discussion_reply.delete().where(discussion_reply.c.discussion_id.in_(
                    sa.select(discussion.c.id).where(discussion.c.round_id == round_id))))
        return len(rounds)

    @staticmethod
    def _keep_scores(db: Connection, round_id: int) -> None:
        """Each covered team's rating counts (question, value → how many), the numbers a trend is made of."""
        teams = db.execute(sa.select(round_team.c.team_id).where(round_team.c.round_id == round_id)).scalars().all()
        for team_id in teams:
            if db.execute(sa.select(kept_score.c.count).where(kept_score.c.round_id == round_id,
                                                              kept_score.c.team_id == team_id)).first():
                continue
            counts = Counter((question, value) for question, value in _team_ratings(db, round_id, team_id))
            if counts:
                db.execute(kept_score.insert(), [{"round_id": round_id, "team_id": team_id, "question": question,
                                                  "value": value, "count": count}
                                                 for (question, value), count in sorted(counts.items())])


def _team_ratings(db: Connection, round_id: int, team_id: int) -> Sequence[tuple[str, str]]:
    """The latest rating of each of the team's keys per point (as `SqlRounds.team_answers` counts them)."""
    latest = (sa.select(sa.func.max(answer.c.id)).where(
        answer.c.round_id == round_id, answer.c.question.startswith(RATING),
        answer.c.respondent_key.in_(team_keys(round_id, team_id)))
        .group_by(answer.c.respondent_key, answer.c.question))
    rows = db.execute(sa.select(answer.c.question, answer.c.value).where(answer.c.id.in_(latest))).all()
    return [(row.question, row.value) for row in rows if row.value is not None]


def _author(user: UserRef) -> tuple[sa.ColumnElement[bool], ...]:
    return (discussion_reply.c.platform == user.platform, discussion_reply.c.workspace == user.workspace,
            discussion_reply.c.user_id == user.user)


def _recipient(user: UserRef) -> tuple[sa.ColumnElement[bool], ...]:
    return (outbox_message.c.platform == user.platform, outbox_message.c.workspace == user.workspace,
            outbox_message.c.user_id == user.user)
