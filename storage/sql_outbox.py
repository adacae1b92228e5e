"""The outbox on SQL: idempotent enqueue by key, leased claims, attempts and outcomes per row.

Claims use `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`, so workers on one
PostgreSQL never claim the same row; SQLite serialises writers, and the same statement (without
the row locks, which SQLite has no use for) is atomic there. A row is pending while neither
`sent_at` nor `failed_at` is set; failed rows stay, with the outcome and reason, until an
operator puts them back.

A claim (`claim` for a platform's worker, `take_for` for one person who collects their messages, on
the terminal) also reads the language each recipient is known to use (`respondent`), so a message
worded in several languages goes out in theirs. A reminder made pointless by a later one is closed as
"superseded": neither waiting, sent nor failed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.core.identity import UserRef
from bot.core.ports import Claimed, FailedMessage, OutboxCounts, Scheduled
from storage.database import writing
from storage.tables import outbox_message as t
from storage.tables import respondent

CHUNK = 500
# A row whose attempts were all cut short by crashes (no outcome ever recorded) stops here.
MAX_ATTEMPTS = 10
_pending = sa.and_(t.c.sent_at.is_(None), t.c.failed_at.is_(None))
TAKE_LIMIT = 100  # what one person collects at once (a terminal user coming back)
SUPERSEDED = "superseded"  # done without being sent: a later message (reminder) said it all


def _languages(db: Connection, rows: Sequence[Any]) -> dict[tuple[str, str, str], str]:
    """The language each claimed recipient is known to use (chosen, else their platform's), by identity."""
    users = {row.user_id for row in rows}
    if not users:
        return {}
    found = db.execute(sa.select(respondent.c.platform, respondent.c.workspace, respondent.c.user_id,
                                 sa.func.coalesce(respondent.c.language, respondent.c.platform_language))
                       .where(respondent.c.user_id.in_(users),
                              sa.func.coalesce(respondent.c.language, respondent.c.platform_language).is_not(None)))
    return {(platform, workspace, user): language for platform, workspace, user, language in found}


class SqlOutbox:
    def __init__(self, engine: Engine, *, max_attempts: int = MAX_ATTEMPTS) -> None:
        self.engine = engine
        self.max_attempts = max_attempts
        self._insert: Callable[[sa.Table], Any]
        if engine.dialect.name == "postgresql":  # only the dialect in use is imported (each costs milliseconds)
            from sqlalchemy.dialects.postgresql import insert as postgresql_insert

            self._insert = postgresql_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            self._insert = sqlite_insert

    def enqueue(self, items: Sequence[Scheduled], *, now: datetime) -> int:
        if not items:
            return 0
        rows = [{"key": item.key, "platform": item.to.platform, "workspace": item.to.workspace,
                 "user_id": item.to.user if isinstance(item.to, UserRef) else item.to.channel,
                 "payload": item.payload, "due_at": item.due_at, "attempts": 0, "created_at": now} for item in items]
        added = 0
        with writing(self.engine) as db:
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start:start + CHUNK]
                known = set(db.execute(sa.select(t.c.key).where(t.c.key.in_([row["key"] for row in chunk]))).scalars())
                added += sum(1 for row in chunk if row["key"] not in known)
                # a key another worker adds meanwhile is skipped by the constraint, not duplicated
                db.execute(self._insert(t).on_conflict_do_nothing(index_elements=["key"]), chunk)
        return added

    def known(self, key: str) -> bool:
        with self.engine.connect() as db:
            return db.execute(sa.select(t.c.id).where(t.c.key == key).limit(1)).first() is not None

    def claim(self, *, worker: str, platforms: Sequence[str], now: datetime, lease_seconds: float,
              limit: int) -> list[Claimed]:
        return self._claim(worker, now, lease_seconds, limit, t.c.platform.in_(list(platforms)))

    def take_for(self, user: UserRef, *, worker: str, now: datetime, lease_seconds: float) -> list[Claimed]:
        return self._claim(worker, now, lease_seconds, TAKE_LIMIT, t.c.platform == user.platform,
                           t.c.workspace == user.workspace, t.c.user_id == user.user)

    def _claim(self, worker: str, now: datetime, lease_seconds: float, limit: int, *which: Any) -> list[Claimed]:
        free = sa.or_(t.c.claimed_until.is_(None), t.c.claimed_until < now)
        exhausted = (sa.update(t).where(_pending, free, t.c.attempts >= self.max_attempts)
                     .values(failed_at=now, outcome="exhausted", claimed_by=None, claimed_until=None,
                             reason=sa.func.coalesce(t.c.reason, "no outcome recorded (the sender stopped)")))
        candidates = (sa.select(t.c.id)
                      .where(_pending, t.c.due_at <= now, *which, free)
                      .order_by(t.c.due_at, t.c.id).limit(limit)
                      .with_for_update(skip_locked=True))
        claim = (sa.update(t).where(t.c.id.in_(candidates.scalar_subquery()))
                 .values(claimed_by=worker, claimed_until=now + timedelta(seconds=lease_seconds))
                 .returning(t.c.id, t.c.key, t.c.platform, t.c.workspace, t.c.user_id, t.c.payload, t.c.attempts,
                            t.c.due_at))
        with writing(self.engine) as db:
            db.execute(exhausted)
            rows = sorted(db.execute(claim).all(), key=lambda row: (row.due_at, row.id))
            languages = _languages(db, rows)
        return [Claimed(row.id, row.key, UserRef(row.platform, row.workspace, row.user_id), row.payload, row.attempts,
                        languages.get((row.platform, row.workspace, row.user_id)))
                for row in rows]

    def _update_held(self, message_id: int, worker: str, **values: object) -> bool:
        with writing(self.engine) as db:
            done = db.execute(sa.update(t).where(t.c.id == message_id, t.c.claimed_by == worker, _pending)
                              .values(**values))
        return bool(done.rowcount)

    def supersede(self, ids: Sequence[int], *, worker: str, now: datetime, reason: str) -> None:
        if ids:
            with writing(self.engine) as db:
                db.execute(sa.update(t).where(t.c.id.in_(list(ids)), t.c.claimed_by == worker, _pending)
                           .values(sent_at=now, outcome=SUPERSEDED, reason=reason[:255], claimed_until=None))

    def begin_attempt(self, message_id: int, *, worker: str, now: datetime) -> bool:
        return self._update_held(message_id, worker, attempts=t.c.attempts + 1, last_attempt_at=now)

    def mark_sent(self, message_id: int, *, worker: str, now: datetime, platform_id: str | None = None) -> None:
        self._update_held(message_id, worker, sent_at=now, outcome="delivered", reason=None, platform_id=platform_id,
                          claimed_until=None)

    def reschedule(self, message_id: int, *, worker: str, retry_at: datetime, outcome: str, reason: str) -> None:
        self._update_held(message_id, worker, due_at=retry_at, outcome=outcome, reason=reason[:255],
                          claimed_by=None, claimed_until=None)

    def fail(self, message_id: int, *, worker: str, now: datetime, outcome: str, reason: str) -> None:
        self._update_held(message_id, worker, failed_at=now, outcome=outcome, reason=reason[:255],
                          claimed_by=None, claimed_until=None)

    def release(self, ids: Sequence[int], *, worker: str, now: datetime) -> None:
        if ids:
            with writing(self.engine) as db:
                db.execute(sa.update(t).where(t.c.id.in_(list(ids)), t.c.claimed_by == worker, _pending)
                           .values(claimed_by=None, claimed_until=None))

    def pending(self) -> int:
        with self.engine.connect() as db:
            return int(db.execute(sa.select(sa.func.count()).select_from(t).where(_pending)).scalar_one())

    def counts(self) -> OutboxCounts:
        kind = sa.case((t.c.outcome == SUPERSEDED, SUPERSEDED), (t.c.sent_at.is_not(None), "sent"),
                       (t.c.failed_at.is_not(None), "failed"),
                       (t.c.attempts > 0, "retrying"), else_="waiting")
        with self.engine.connect() as db:
            totals = dict(db.execute(sa.select(kind, sa.func.count()).group_by(kind)).tuples().all())
            failed = db.execute(sa.select(t.c.outcome, t.c.reason, sa.func.count()).where(t.c.failed_at.is_not(None))
                                .group_by(t.c.outcome, t.c.reason)).all()
        return OutboxCounts(waiting=int(totals.get("waiting", 0)), retrying=int(totals.get("retrying", 0)),
                            sent=int(totals.get("sent", 0)),
                            failed={f"{row.outcome}: {row.reason or '–'}": int(row[2]) for row in failed})

    def failed(self, *, limit: int = 200) -> list[FailedMessage]:
        query = (sa.select(t.c.id, t.c.key, t.c.platform, t.c.workspace, t.c.user_id, t.c.attempts, t.c.outcome,
                           t.c.reason, t.c.failed_at)
                 .where(t.c.failed_at.is_not(None)).order_by(t.c.failed_at, t.c.id).limit(limit))
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        return [FailedMessage(row.id, row.key, row.platform, f"{row.platform}:{row.workspace}:{row.user_id}",
                              row.attempts, row.outcome or "", row.reason or "", row.failed_at) for row in rows]

    def retry_failed(self, *, now: datetime, outcome: str | None = None, recipient: UserRef | None = None) -> int:
        which = [t.c.failed_at.is_not(None), t.c.sent_at.is_(None)]
        if outcome is not None:
            which.append(t.c.outcome == outcome)
        if recipient is not None:
            which += [t.c.platform == recipient.platform, t.c.workspace == recipient.workspace,
                      t.c.user_id == recipient.user]
        with writing(self.engine) as db:
            done = db.execute(sa.update(t).where(*which).values(failed_at=None, attempts=0, due_at=now,
                                                                claimed_by=None, claimed_until=None))
        return int(done.rowcount)

    def retry_now(self, *, now: datetime) -> int:
        with writing(self.engine) as db:
            done = db.execute(sa.update(t).where(_pending, t.c.attempts > 0, t.c.due_at > now).values(due_at=now))
        return int(done.rowcount)

    def undelivered(self, key_prefix: str) -> int:
        escaped = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self.engine.connect() as db:
            return int(db.execute(sa.select(sa.func.count()).select_from(t).where(
                t.c.failed_at.is_not(None), t.c.key.like(f"{escaped}%", escape="\\"))).scalar_one())

    def failed_keys(self, key_prefix: str, *, outcome: str) -> list[str]:
        escaped = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self.engine.connect() as db:
            return list(db.execute(sa.select(t.c.key).where(
                t.c.failed_at.is_not(None), t.c.outcome == outcome, t.c.key.like(f"{escaped}%", escape="\\"))
                .order_by(t.c.id)).scalars())
