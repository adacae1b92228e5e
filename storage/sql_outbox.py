"""The outbox on SQL: idempotent enqueue by key, leased claims, exactly-once marking.

Claims use `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`, so workers on one
PostgreSQL never claim the same row; SQLite serialises writers, and the same statement (without
the row locks, which SQLite has no use for) is atomic there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from bot.identity import UserRef
from bot.ports import Claimed, Scheduled
from storage.tables import outbox_message as t

CHUNK = 500


class SqlOutbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    def enqueue(self, items: Sequence[Scheduled], *, now: datetime) -> int:
        if not items:
            return 0
        rows = [{"key": item.key, "platform": item.to.platform, "workspace": item.to.workspace,
                 "user_id": item.to.user if isinstance(item.to, UserRef) else item.to.channel,
                 "payload": item.payload, "due_at": item.due_at, "attempts": 0, "created_at": now} for item in items]
        added = 0
        with self.engine.begin() as db:
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start:start + CHUNK]
                known = set(db.execute(sa.select(t.c.key).where(t.c.key.in_([row["key"] for row in chunk]))).scalars())
                added += sum(1 for row in chunk if row["key"] not in known)
                # a key another worker adds meanwhile is skipped by the constraint, not duplicated
                db.execute(self._insert(t).on_conflict_do_nothing(index_elements=["key"]), chunk)
        return added

    def claim(self, *, worker: str, platforms: Sequence[str], now: datetime, lease_seconds: float,
              limit: int, max_attempts: int = 2) -> list[Claimed]:
        candidates = (sa.select(t.c.id)
                      .where(t.c.sent_at.is_(None), t.c.due_at <= now, t.c.platform.in_(list(platforms)),
                             sa.or_(t.c.claimed_until.is_(None), t.c.claimed_until < now),
                             t.c.attempts < max_attempts)
                      .order_by(t.c.due_at, t.c.id).limit(limit)
                      .with_for_update(skip_locked=True))
        claim = (sa.update(t).where(t.c.id.in_(candidates.scalar_subquery()))
                 .values(claimed_by=worker, claimed_until=now + timedelta(seconds=lease_seconds),
                         attempts=t.c.attempts + 1)
                 .returning(t.c.id, t.c.key, t.c.platform, t.c.workspace, t.c.user_id, t.c.payload, t.c.attempts,
                            t.c.due_at))
        with self.engine.begin() as db:
            rows = sorted(db.execute(claim).all(), key=lambda row: (row.due_at, row.id))
        return [Claimed(row.id, row.key, UserRef(row.platform, row.workspace, row.user_id), row.payload, row.attempts)
                for row in rows]

    def mark_sent(self, ids: Sequence[int], *, worker: str, now: datetime) -> None:
        if ids:
            with self.engine.begin() as db:
                db.execute(sa.update(t).where(t.c.id.in_(list(ids)), t.c.claimed_by == worker).values(sent_at=now))

    def release(self, ids: Sequence[int], *, worker: str, retry_at: datetime) -> None:
        if ids:
            with self.engine.begin() as db:  # a released claim sent nothing, so it does not count as an attempt
                db.execute(sa.update(t).where(t.c.id.in_(list(ids)), t.c.claimed_by == worker, t.c.sent_at.is_(None))
                           .values(claimed_until=retry_at, attempts=t.c.attempts - 1))

    def pending(self) -> int:
        with self.engine.connect() as db:
            return int(db.execute(sa.select(sa.func.count()).select_from(t).where(t.c.sent_at.is_(None))).scalar_one())
