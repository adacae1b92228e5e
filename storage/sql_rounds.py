"""Planned assessment rounds on SQL: open (closing the automatic default round), list, status, close, reopen.

Status counts people per team and never names anyone: who has not answered is shown to no one.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.core.identity import ChannelRef, UserRef
from bot.core.ports import Team
from bot.core.rounds import MemberStanding, RoundConflict, RoundInfo, RoundPlan, TeamProgress
from storage.database import writing
from storage.sql_teams import ensure_respondent
from storage.tables import (
    answer,
    assessment_round,
    conversation,
    kept_score,
    key_team,
    reminder_state,
    respondent,
    respondent_link,
    round_team,
    team,
    team_member,
)

# Answers with the person behind them, while the link exists (open rounds, and closed ones until retention).
LINKED = answer.join(respondent_link, respondent_link.c.respondent_key == answer.c.respondent_key)


def team_keys(round_id: int, team_id: int) -> sa.Select[tuple[str]]:
    """The respondent keys that count for a team in a round: its members' (through their links) and,
    after a member erased their data in a closed round, the keys `key_team` keeps for the team."""
    members = (sa.select(respondent_link.c.respondent_key)
               .join(team_member, team_member.c.respondent_id == respondent_link.c.respondent_id)
               .where(respondent_link.c.round_id == round_id, team_member.c.team_id == team_id))
    kept_keys = sa.select(key_team.c.respondent_key).where(key_team.c.round_id == round_id,
                                                           key_team.c.team_id == team_id)
    return members.union(kept_keys).subquery().select()


class SqlRounds:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open_round(self, plan: RoundPlan, *, instrument_version: str, opened_by: str, now: datetime) -> RoundInfo:
        """Open a planned round for `plan.team_ids`; the automatic default round (if open) is closed."""
        with writing(self.engine) as db:
            if db.dialect.name == "postgresql":  # two coordinators at once must not both open one
                db.execute(sa.select(sa.func.pg_advisory_xact_lock(0x6B617274)))
            planned = db.execute(_rounds().where(assessment_round.c.status == "open",
                                                 assessment_round.c.decision_date.is_not(None))).first()
            if planned is not None:
                raise RoundConflict(_info(planned, _team_titles(db, planned.id).get(planned.id, [])))
            db.execute(assessment_round.update().where(assessment_round.c.status == "open")
                       .values(status="closed", closed_at=now))
            round_id = db.execute(assessment_round.insert().values(
                name=plan.name, instrument_version=instrument_version, status="open", opened_at=now,
                decision_date=plan.decision_date, window_end=plan.window_end, part1_deadline=plan.part1_deadline,
                part2_deadline=plan.part2_deadline, responsible=plan.responsible, opened_by=opened_by,
                reminder_days=",".join(map(str, plan.reminder_days)) if plan.reminder_days else None,
                reminder_max=plan.reminder_max,
            )).inserted_primary_key[0]  # type: ignore[index]
            if plan.team_ids:
                db.execute(round_team.insert(), [{"round_id": round_id, "team_id": t} for t in plan.team_ids])
            row = db.execute(_rounds().where(assessment_round.c.id == round_id)).one()
            return _info(row, _team_titles(db, round_id).get(round_id, []))

    def rounds(self) -> list[RoundInfo]:
        """Every round, newest first (two queries, however many rounds: the scheduler asks every minute)."""
        with self.engine.connect() as db:
            rows = db.execute(_rounds().order_by(assessment_round.c.id.desc())).all()
            titles = _team_titles(db, None)
        return [_info(row, titles.get(row.id, [])) for row in rows]

    def round(self, round_id: int) -> RoundInfo | None:
        with self.engine.connect() as db:
            row = db.execute(_rounds().where(assessment_round.c.id == round_id)).first()
            return _info(row, _team_titles(db, round_id).get(round_id, [])) if row else None

    def set_status(self, round_id: int, status: str, *, now: datetime) -> bool:
        """Close or reopen; False if the round does not exist or already has that status."""
        values = {"status": status, "closed_at": now if status == "closed" else None}
        with writing(self.engine) as db:
            result = db.execute(assessment_round.update()
                                .where(assessment_round.c.id == round_id, assessment_round.c.status != status)
                                .values(**values))
            return bool(result.rowcount)

    def progress(self, round_id: int) -> list[TeamProgress]:
        """Per team: members, how many have started (opened the review), finished part 1, finished everything."""
        person = respondent_link.c.respondent_id
        answered = (sa.select(person.label("respondent_id"),
                              sa.func.count(sa.distinct(answer.c.question)).label("questions"),
                              sa.func.max(sa.case((answer.c.question == "priorities", 1), else_=0)).label("part1"),
                              sa.func.max(sa.case((answer.c.question == "plan", 1), else_=0)).label("done"))
                    .select_from(LINKED).where(answer.c.round_id == round_id).group_by(person).subquery())
        started = (sa.select(conversation.c.respondent_id).where(conversation.c.round_id == round_id).subquery())
        query = (sa.select(team.c.id, team.c.title, sa.func.count(team_member.c.respondent_id).label("members"),
                           sa.func.count(started.c.respondent_id).label("started"),
                           sa.func.coalesce(sa.func.sum(answered.c.part1), 0).label("part1"),
                           sa.func.coalesce(sa.func.sum(answered.c.done), 0).label("finished"))
                 .select_from(round_team.join(team, team.c.id == round_team.c.team_id)
                              .outerjoin(team_member, team_member.c.team_id == team.c.id)
                              .outerjoin(answered, answered.c.respondent_id == team_member.c.respondent_id)
                              .outerjoin(started, started.c.respondent_id == team_member.c.respondent_id))
                 .where(round_team.c.round_id == round_id).group_by(team.c.id, team.c.title).order_by(team.c.title))
        with self.engine.connect() as db:
            teams = [TeamProgress(row.title, row.members, row.started, int(row.part1), int(row.finished))
                     for row in db.execute(query)]
        return sorted(teams, key=lambda progress: progress.team.casefold())

    def standings(self, round_id: int) -> list[MemberStanding]:
        """Every member of the round's teams with the questions they answered and their reminder state."""
        members = (sa.select(respondent.c.id, respondent.c.platform, respondent.c.workspace, respondent.c.user_id,
                             sa.func.coalesce(respondent.c.language, respondent.c.platform_language).label("language"),
                             respondent.c.timezone,
                             reminder_state.c.phase, reminder_state.c.sent, reminder_state.c.total,
                             reminder_state.c.last_sent, reminder_state.c.snoozed_until,
                             reminder_state.c.opted_out).distinct()
                   .join(team_member, team_member.c.respondent_id == respondent.c.id)
                   .join(round_team, round_team.c.team_id == team_member.c.team_id)
                   .outerjoin(reminder_state, sa.and_(reminder_state.c.round_id == round_id,
                                                      reminder_state.c.respondent_id == respondent.c.id))
                   .where(round_team.c.round_id == round_id).order_by(respondent.c.id))
        answered = (sa.select(respondent_link.c.respondent_id, answer.c.question).distinct()
                    .select_from(LINKED).where(answer.c.round_id == round_id))
        targets = (sa.select(respondent_link.c.respondent_id, answer.c.value).select_from(LINKED)
                   .where(answer.c.round_id == round_id, answer.c.question == "priorities").order_by(answer.c.id))
        with self.engine.connect() as db:
            questions: dict[int, set[str]] = {}
            for row in db.execute(answered):
                questions.setdefault(row.respondent_id, set()).add(row.question)
            chosen = {row.respondent_id: row.value for row in db.execute(targets)}  # the latest choice wins
            return [MemberStanding(UserRef(row.platform, row.workspace, row.user_id), row.language,
                                   frozenset(questions.get(row.id, ())), row.timezone, row.phase or "", row.sent or 0,
                                   row.total or 0, row.last_sent, row.snoozed_until, bool(row.opted_out),
                                   tuple(filter(None, (chosen.get(row.id) or "").split(","))))
                    for row in db.execute(members)]

    def people(self, platform_user_ids: Collection[str]) -> list[UserRef]:
        wanted = {tuple(item.split(":", 1)) for item in platform_user_ids if ":" in item}
        if not wanted:
            return []
        with self.engine.connect() as db:
            rows = db.execute(sa.select(respondent.c.platform, respondent.c.workspace, respondent.c.user_id)
                              .where(respondent.c.user_id.in_([user for _, user in wanted]))).all()
        return [UserRef(row.platform, row.workspace, row.user_id) for row in rows
                if (row.platform, row.user_id) in wanted]

    def record_reminder(self, round_id: int, user: UserRef, *, phase: str, now: datetime) -> None:
        same_phase = reminder_state.c.phase == phase
        self._update_state(round_id, user, now, phase=phase, total=reminder_state.c.total + 1, last_sent=now,
                           sent=sa.case((same_phase, reminder_state.c.sent + 1), else_=1))

    def snooze(self, round_id: int, user: UserRef, *, until: datetime, now: datetime) -> None:
        self._update_state(round_id, user, now, snoozed_until=until)

    def opt_out(self, round_id: int, user: UserRef, *, now: datetime) -> None:
        self._update_state(round_id, user, now, opted_out=True)

    def _update_state(self, round_id: int, user: UserRef, now: datetime, **values: object) -> None:
        with writing(self.engine) as db:
            respondent_id = ensure_respondent(db, user, now)
            key = {"round_id": round_id, "respondent_id": respondent_id}
            exists = db.execute(sa.select(reminder_state.c.sent).where(
                reminder_state.c.round_id == round_id, reminder_state.c.respondent_id == respondent_id)).first()
            if exists is None:
                db.execute(reminder_state.insert().values(**key, phase="", sent=0, total=0, opted_out=False))
            db.execute(reminder_state.update().where(reminder_state.c.round_id == round_id,
                                                     reminder_state.c.respondent_id == respondent_id).values(**values))

    def team_answers(self, round_id: int, team_id: int) -> list[dict[str, str | None]]:
        """The latest answers of each member of the team in the round, one mapping per respondent key.

        A key counts for the team through its link to a member, or (after that person erased their
        data in a closed round) through `key_team`. When retention has deleted the round's raw answers,
        the kept scores come back as rating-only mappings with the same counts per value (the means and
        distributions a trend needs; no open answers, no person)."""
        latest = (sa.select(sa.func.max(answer.c.id)).where(
            answer.c.round_id == round_id, answer.c.respondent_key.in_(team_keys(round_id, team_id)))
            .group_by(answer.c.respondent_key, answer.c.question))
        query = (sa.select(answer.c.respondent_key, answer.c.question, answer.c.value)
                 .where(answer.c.id.in_(latest)).order_by(answer.c.respondent_key))
        people: dict[str, dict[str, str | None]] = {}
        with self.engine.connect() as db:
            for row in db.execute(query):
                people.setdefault(row.respondent_key, {})[row.question] = row.value
            if people:
                return list(people.values())
            kept = db.execute(sa.select(kept_score.c.question, kept_score.c.value, kept_score.c.count.label("n"))
                              .where(kept_score.c.round_id == round_id, kept_score.c.team_id == team_id)
                              .order_by(kept_score.c.question, kept_score.c.value)).all()
        return rows_from_counts([(row.question, row.value, int(row.n)) for row in kept])

    def round_teams(self, round_id: int) -> list[Team]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(team).join(round_team, round_team.c.team_id == team.c.id)
                              .where(round_team.c.round_id == round_id).order_by(team.c.id)).all()
        return [Team(row.id, ChannelRef(row.platform, row.workspace, row.channel_id), row.title, row.join_code)
                for row in rows]

    def team_size(self, team_id: int) -> int:
        with self.engine.connect() as db:
            return int(db.execute(sa.select(sa.func.count()).select_from(team_member)
                                  .where(team_member.c.team_id == team_id)).scalar_one())

    def previous_round(self, round_id: int, team_id: int) -> int | None:
        """The newest earlier round that covered the team."""
        with self.engine.connect() as db:
            found = db.execute(sa.select(sa.func.max(round_team.c.round_id)).where(
                round_team.c.team_id == team_id, round_team.c.round_id < round_id)).scalar()
        return int(found) if found is not None else None

    def team_titles(self) -> dict[str, int]:
        """Every team's title → id."""
        with self.engine.connect() as db:
            return {row.title: row.id for row in db.execute(sa.select(team.c.id, team.c.title).order_by(team.c.title))}


def rows_from_counts(counts: Collection[tuple[str, str, int]]) -> list[dict[str, str | None]]:
    """Rating-only mappings with exactly `count` of each (question, value): the i-th mapping takes each
    question's i-th value, so every mean and distribution is as it was; no mapping is a real person."""
    columns: dict[str, list[str]] = {}
    for question, value, count in counts:
        columns.setdefault(question, []).extend([value] * count)
    people: list[dict[str, str | None]] = [{} for _ in range(max(map(len, columns.values()), default=0))]
    for question, values in columns.items():
        for person, value in zip(people, values, strict=False):
            person[question] = value
    return people


def _team_titles(db: Connection, round_id: int | None) -> dict[int, list[str]]:
    """Round id → its teams' titles (of one round, or of all)."""
    query = sa.select(round_team.c.round_id, team.c.title).join(team, team.c.id == round_team.c.team_id)
    if round_id is not None:
        query = query.where(round_team.c.round_id == round_id)
    titles: dict[int, list[str]] = {}
    for row in db.execute(query):
        titles.setdefault(row.round_id, []).append(row.title)
    return titles


def _info(row: sa.Row[tuple[object, ...]], titles: list[str]) -> RoundInfo:
    return RoundInfo(id=row.id, name=row.name, status=row.status, instrument_version=row.instrument_version,
                     opened_at=row.opened_at, closed_at=row.closed_at, decision_date=row.decision_date,
                     window_end=row.window_end, part1_deadline=row.part1_deadline,
                     part2_deadline=row.part2_deadline, responsible=row.responsible,
                     teams=tuple(sorted(titles, key=str.casefold)),
                     reminder_days=tuple(map(int, row.reminder_days.split(","))) if row.reminder_days else None,
                     reminder_max=row.reminder_max)


def _rounds() -> sa.Select[tuple[object, ...]]:
    return sa.select(assessment_round)
