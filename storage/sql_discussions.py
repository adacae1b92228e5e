"""Team discussions on SQL (the `DiscussionStore` port): one discussion per team, round and point, its replies
with their authors (only to count who took part and for erasure), and the team's agreed promise and actions."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.core.discussions import DEVELOP, OTHER, WORKS, Discussion, DiscussionReply, TeamEntry
from bot.core.identity import ChannelRef, UserRef
from bot.core.text_input import clean_text
from storage.database import writing
from storage.tables import discussion, discussion_reply

T = TypeVar("T")
ATTEMPTS = 3  # a unique key taken by a concurrent writer in between: the next attempt finds the row


def _actions_of(stored: str | None) -> tuple[str, ...]:
    if not stored:
        return ()
    loaded = json.loads(stored)
    return tuple(str(item) for item in loaded) if isinstance(loaded, list) else ()


def _discussion(row: sa.Row[Any]) -> Discussion:
    return Discussion(id=row.id, team_id=row.team_id, round_id=row.round_id, point_id=row.point_id,
                      channel=ChannelRef(row.platform, row.workspace, row.channel_id), message_ref=row.message_ref,
                      opened_by=row.opened_by, opened_at=row.opened_at, closed_at=row.closed_at,
                      last_activity_at=row.last_activity_at, reminded_at=row.reminded_at, promise=row.promise,
                      actions=_actions_of(row.actions), recorded_at=row.recorded_at)


def _in_channel(channel: ChannelRef) -> tuple[sa.ColumnElement[bool], ...]:
    return (discussion.c.platform == channel.platform, discussion.c.workspace == channel.workspace,
            discussion.c.channel_id == channel.channel)


# In the order written, which is the order of the platform's message ids in a channel (Slack's ts, Telegram's
# integers: shorter is older), not of the times they were stored (a platform's events are handled concurrently).
_REPLY_ORDER = (sa.func.length(discussion_reply.c.message_ref), discussion_reply.c.message_ref)


def _participants(db: Connection, discussion_ids: Iterable[int]) -> dict[int, int]:
    """Discussion id → how many different people replied (COUNT(DISTINCT a, b) is PostgreSQL only)."""
    authors = (sa.select(discussion_reply.c.discussion_id, discussion_reply.c.platform, discussion_reply.c.workspace,
                         discussion_reply.c.user_id).distinct()
               .where(discussion_reply.c.discussion_id.in_(list(discussion_ids))).subquery())
    rows = db.execute(sa.select(authors.c.discussion_id, sa.func.count()).group_by(authors.c.discussion_id)).all()
    return {int(discussion_id): int(count) for discussion_id, count in rows}


class SqlDiscussions:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _write(self, work: Callable[[Connection], T]) -> T:
        """`work` in a writing transaction, tried again when a concurrent insert took its unique key."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with writing(self.engine) as db:
                    return work(db)
            except IntegrityError:
                if attempt == ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    # --- a discussion ----------------------------------------------------------------------

    def open_discussion(self, *, team_id: int, round_id: int, point_id: str, channel: ChannelRef, opened_by: str,
                        now: datetime) -> tuple[Discussion, bool]:
        """The discussion of (team, round, point), created or (if closed) opened again; True when it was not
        open before. Its replies and agreed entry are kept when it is opened again."""
        where = (discussion.c.team_id == team_id, discussion.c.round_id == round_id,
                 discussion.c.point_id == point_id)

        def work(db: Connection) -> tuple[Discussion, bool]:
            row = db.execute(sa.select(discussion).where(*where)).first()
            if row is None:
                db.execute(discussion.insert().values(
                    team_id=team_id, round_id=round_id, point_id=point_id, platform=channel.platform,
                    workspace=channel.workspace, channel_id=channel.channel, opened_by=opened_by, opened_at=now,
                    last_activity_at=now))
            elif row.closed_at is not None:
                db.execute(discussion.update().where(discussion.c.id == row.id)
                           .values(closed_at=None, reminded_at=None, last_activity_at=now))
            else:
                return _discussion(row), False
            return _discussion(db.execute(sa.select(discussion).where(*where)).one()), True

        return self._write(work)

    def set_message(self, discussion_id: int, message_ref: str | None) -> None:
        """The bot's opening message, whose replies belong to the discussion (None: posting it failed)."""
        with writing(self.engine) as db:
            db.execute(discussion.update().where(discussion.c.id == discussion_id).values(message_ref=message_ref))

    def discussion(self, discussion_id: int) -> Discussion | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(discussion).where(discussion.c.id == discussion_id)).first()
        return _discussion(row) if row is not None else None

    def find(self, team_id: int, round_id: int, point_id: str) -> Discussion | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(discussion).where(discussion.c.team_id == team_id,
                                                         discussion.c.round_id == round_id,
                                                         discussion.c.point_id == point_id)).first()
        return _discussion(row) if row is not None else None

    def by_message(self, channel: ChannelRef, message_ref: str) -> Discussion | None:
        """The discussion whose opening message in `channel` is `message_ref` (open or closed)."""
        with self.engine.connect() as db:
            row = db.execute(sa.select(discussion).where(*_in_channel(channel), discussion.c.message_ref == message_ref)
                             .order_by(discussion.c.id.desc()).limit(1)).first()
        return _discussion(row) if row is not None else None

    def of_team(self, team_id: int, round_id: int) -> list[Discussion]:
        """The team's discussions of a round, in the order of the points' ids."""
        with self.engine.connect() as db:
            rows = db.execute(sa.select(discussion).where(discussion.c.team_id == team_id,
                                                          discussion.c.round_id == round_id)
                              .order_by(discussion.c.point_id)).all()
        return [_discussion(row) for row in rows]

    # --- replies ---------------------------------------------------------------------------

    def save_reply(self, discussion_id: int, *, message_ref: str, author: UserRef, kind: str, text: str,
                   now: datetime) -> bool:
        """Add a reply, or update the one with this `message_ref` (an edit); True if it was new.
        Moves the discussion's last activity to `now`. An edit keeps the reply's author and first time."""
        key = (discussion_reply.c.discussion_id == discussion_id, discussion_reply.c.message_ref == message_ref)
        text = clean_text(text)  # what people type in a group: no NUL into PostgreSQL

        def work(db: Connection) -> bool:
            exists = db.execute(sa.select(discussion_reply.c.message_ref).where(*key)).first() is not None
            if exists:
                db.execute(discussion_reply.update().where(*key).values(kind=kind, text=text, edited_at=now))
            else:
                db.execute(discussion_reply.insert().values(
                    discussion_id=discussion_id, message_ref=message_ref, platform=author.platform,
                    workspace=author.workspace, user_id=author.user, kind=kind, text=text, created_at=now))
            db.execute(discussion.update().where(discussion.c.id == discussion_id).values(last_activity_at=now))
            return not exists

        return self._write(work)

    def remove_reply(self, channel: ChannelRef, message_ref: str) -> bool:
        """Remove the reply `message_ref` of any discussion in `channel`; False if there was none."""
        in_channel = sa.select(discussion.c.id).where(*_in_channel(channel))
        with writing(self.engine) as db:
            result = db.execute(discussion_reply.delete().where(discussion_reply.c.message_ref == message_ref,
                                                                discussion_reply.c.discussion_id.in_(in_channel)))
            return bool(result.rowcount)

    def reply_discussion(self, channel: ChannelRef, message_ref: str) -> Discussion | None:
        """The discussion a stored reply `message_ref` in `channel` belongs to (an edit names only its message)."""
        with self.engine.connect() as db:
            row = db.execute(sa.select(discussion)
                             .join(discussion_reply, discussion_reply.c.discussion_id == discussion.c.id)
                             .where(*_in_channel(channel), discussion_reply.c.message_ref == message_ref)
                             .order_by(discussion.c.id.desc()).limit(1)).first()
        return _discussion(row) if row is not None else None

    def replies(self, discussion_id: int) -> list[DiscussionReply]:
        """The replies in the order they were first written."""
        with self.engine.connect() as db:
            rows = db.execute(sa.select(discussion_reply.c.message_ref, discussion_reply.c.kind,
                                        discussion_reply.c.text)
                              .where(discussion_reply.c.discussion_id == discussion_id).order_by(*_REPLY_ORDER)).all()
        return [DiscussionReply(row.message_ref, row.kind, row.text) for row in rows]

    def participants(self, discussion_id: int) -> int:
        """How many different people replied."""
        with self.engine.connect() as db:
            return _participants(db, [discussion_id]).get(discussion_id, 0)

    # --- closing, the agreed entry, reminders ----------------------------------------------

    def close(self, discussion_id: int, *, now: datetime) -> bool:
        """False if it was closed already."""
        with writing(self.engine) as db:
            result = db.execute(discussion.update().where(discussion.c.id == discussion_id,
                                                          discussion.c.closed_at.is_(None)).values(closed_at=now))
            return bool(result.rowcount)

    def record(self, discussion_id: int, *, promise: str | None = None, actions: tuple[str, ...] | None = None,
               recorded_by: str, now: datetime) -> None:
        """Set the team's agreed answer and/or actions (None leaves that one as it is; "" / () clears it)."""
        values: dict[str, Any] = {"recorded_by": recorded_by, "recorded_at": now}
        if promise is not None:
            values["promise"] = clean_text(promise).strip() or None
        if actions is not None:
            kept = [line for line in (clean_text(action).strip() for action in actions) if line]
            values["actions"] = json.dumps(kept, ensure_ascii=False) if kept else None
        with writing(self.engine) as db:
            db.execute(discussion.update().where(discussion.c.id == discussion_id).values(**values))

    def idle(self, *, before: datetime) -> list[Discussion]:
        """Open discussions with a posted message, never reminded, whose last activity is before `before`."""
        with self.engine.connect() as db:
            rows = db.execute(sa.select(discussion).where(
                discussion.c.closed_at.is_(None), discussion.c.message_ref.is_not(None),
                discussion.c.reminded_at.is_(None), discussion.c.last_activity_at < before)
                .order_by(discussion.c.last_activity_at, discussion.c.id)).all()
        return [_discussion(row) for row in rows]

    def mark_reminded(self, discussion_id: int, *, now: datetime) -> None:
        with writing(self.engine) as db:
            db.execute(discussion.update().where(discussion.c.id == discussion_id).values(reminded_at=now))

    # --- what the team agreed --------------------------------------------------------------

    def team_entries(self, team_id: int, round_id: int) -> dict[str, TeamEntry]:
        """Point id → the team's entry of the round: every discussion with replies or an agreed entry."""
        with self.engine.connect() as db:
            discussions = db.execute(sa.select(discussion).where(discussion.c.team_id == team_id,
                                                                 discussion.c.round_id == round_id)
                                     .order_by(discussion.c.point_id)).all()
            ids = [row.id for row in discussions]
            texts: dict[int, dict[str, list[str]]] = {row.id: {WORKS: [], DEVELOP: [], OTHER: []}
                                                       for row in discussions}
            for reply in db.execute(sa.select(discussion_reply.c.discussion_id, discussion_reply.c.kind,
                                              discussion_reply.c.text)
                                    .where(discussion_reply.c.discussion_id.in_(ids)).order_by(*_REPLY_ORDER)):
                texts[reply.discussion_id].setdefault(reply.kind, []).append(reply.text)
            counts = _participants(db, ids) if ids else {}
        entries: dict[str, TeamEntry] = {}
        for row in discussions:
            by_kind, actions = texts[row.id], _actions_of(row.actions)
            if not any(by_kind.values()) and not row.promise and not actions:
                continue
            entries[row.point_id] = TeamEntry(point_id=row.point_id, participants=counts.get(row.id, 0),
                                              works=tuple(by_kind[WORKS]), develop=tuple(by_kind[DEVELOP]),
                                              other=tuple(by_kind[OTHER]), promise=row.promise, actions=actions)
        return entries

    def agreed_before(self, team_ids: Collection[int], round_id: int) -> dict[str, tuple[str, ...]]:
        """Point id → the actions agreed for it in the newest earlier round (id below `round_id`) of any of
        `team_ids` that has actions for that point: what a member of those teams is shown in part 2."""
        if not team_ids:
            return {}
        with self.engine.connect() as db:
            rows = db.execute(sa.select(discussion.c.point_id, discussion.c.actions).where(
                discussion.c.team_id.in_(list(team_ids)), discussion.c.round_id < round_id,
                discussion.c.actions.is_not(None)).order_by(discussion.c.round_id, discussion.c.id)).all()
        agreed: dict[str, tuple[str, ...]] = {}
        for row in rows:  # oldest first: a newer round's actions replace an older one's
            actions = _actions_of(row.actions)
            if actions:
                agreed[row.point_id] = actions
        return agreed
