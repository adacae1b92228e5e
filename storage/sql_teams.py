"""Teams and members, where prompts were shown, and who cannot be reached: the SQL implementation."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.core.identity import ChannelRef, UserRef
from bot.core.language import language_code
from bot.core.ports import Team
from bot.core.text_input import clean_text
from storage.database import writing
from storage.tables import processed_event, respondent, sent_message, team, team_member

_ = sa.bindparam
FIND_RESPONDENT_ID = sa.select(respondent.c.id).where(
    respondent.c.platform == _("platform"), respondent.c.workspace == _("workspace"), respondent.c.user_id == _("user"))


def new_join_code() -> str:
    """A code for a deep link (Telegram allows A-Z, a-z, 0-9, _ and - in a start payload)."""
    return secrets.token_urlsafe(8)


def ensure_respondent(db: Connection, user: UserRef, now: datetime) -> int:
    params = {"platform": user.platform, "workspace": user.workspace, "user": user.user}
    found = db.execute(FIND_RESPONDENT_ID, params).scalar()
    if found is not None:
        return int(found)
    inserted = db.execute(respondent.insert().values(platform=user.platform, workspace=user.workspace,
                                                     user_id=user.user, created_at=now))
    return int(inserted.inserted_primary_key[0])  # type: ignore[index]


def _team(row: sa.Row[tuple[int, str, str, str, str, str]]) -> Team:
    return Team(row.id, ChannelRef(row.platform, row.workspace, row.channel_id), row.title, row.join_code)


class SqlTeams:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def register_team(self, channel: ChannelRef, title: str, *, now: datetime) -> Team:
        where = (team.c.platform == channel.platform, team.c.workspace == channel.workspace,
                 team.c.channel_id == channel.channel)
        title = clean_text(title)  # a group's title comes from the platform: no NUL into PostgreSQL
        with writing(self.engine) as db:
            row = db.execute(sa.select(team).where(*where)).first()
            if row is None:
                db.execute(team.insert().values(platform=channel.platform, workspace=channel.workspace,
                                                channel_id=channel.channel, title=title, join_code=new_join_code(),
                                                created_at=now))
            elif title and row.title != title:
                db.execute(team.update().where(team.c.id == row.id).values(title=title))
            return _team(db.execute(sa.select(team).where(*where)).one())

    def team_of(self, channel: ChannelRef) -> Team | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(team).where(team.c.platform == channel.platform,
                                                   team.c.workspace == channel.workspace,
                                                   team.c.channel_id == channel.channel)).first()
        return _team(row) if row else None

    def team_by_code(self, join_code: str) -> Team | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(team).where(team.c.join_code == join_code)).first()
        return _team(row) if row else None

    def join(self, team_id: int, user: UserRef, *, now: datetime, locale: str | None = None) -> bool:
        language = language_code(locale)
        with writing(self.engine) as db:
            respondent_id = ensure_respondent(db, user, now)
            if language is not None:  # the platform's language as it is now (a turn follows it the same way);
                # a language chosen with /kieli is kept apart (respondent.language) and still wins
                db.execute(respondent.update().where(respondent.c.id == respondent_id,
                                                     respondent.c.platform_language.is_distinct_from(language))
                           .values(platform_language=language))
            exists = db.execute(sa.select(team_member.c.team_id).where(
                team_member.c.team_id == team_id, team_member.c.respondent_id == respondent_id)).first()
            if exists:
                return False
            db.execute(team_member.insert().values(team_id=team_id, respondent_id=respondent_id, joined_at=now))
            return True

    def chosen_language(self, user: UserRef) -> str | None:
        with self.engine.connect() as db:
            found = db.execute(sa.select(respondent.c.language).where(
                respondent.c.platform == user.platform, respondent.c.workspace == user.workspace,
                respondent.c.user_id == user.user)).scalar()
        return str(found) if found else None

    def members(self, team_id: int) -> list[UserRef]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(respondent.c.platform, respondent.c.workspace, respondent.c.user_id)
                              .join(team_member, team_member.c.respondent_id == respondent.c.id)
                              .where(team_member.c.team_id == team_id).order_by(team_member.c.joined_at)).all()
        return [UserRef(row.platform, row.workspace, row.user_id) for row in rows]

    def set_timezone(self, user: UserRef, zone: str, *, now: datetime) -> None:
        with writing(self.engine) as db:
            respondent_id = ensure_respondent(db, user, now)
            db.execute(respondent.update()
                       .where(respondent.c.id == respondent_id, respondent.c.timezone.is_distinct_from(zone))
                       .values(timezone=zone[:64]))

    def mark_processed(self, event_key: str, *, now: datetime) -> bool:
        try:
            with writing(self.engine) as db:
                db.execute(processed_event.insert().values(event_key=event_key, processed_at=now))
        except sa.exc.IntegrityError:
            return False
        return True

    # --- message references ------------------------------------------------------------

    def remember(self, recipient: str, prompt_id: str, ref: str, *, now: datetime) -> None:
        with writing(self.engine) as db:
            db.execute(sent_message.delete().where(sent_message.c.recipient == recipient,
                                                   sent_message.c.prompt_id == prompt_id))
            db.execute(sent_message.insert().values(recipient=recipient, prompt_id=prompt_id, ref=ref, sent_at=now))

    def recall(self, recipient: str, prompt_id: str) -> str | None:
        with self.engine.connect() as db:
            return db.execute(sa.select(sent_message.c.ref).where(
                sent_message.c.recipient == recipient, sent_message.c.prompt_id == prompt_id)).scalar()

    # --- reachability ------------------------------------------------------------------

    def mark_unreachable(self, user: UserRef, *, now: datetime) -> None:
        with writing(self.engine) as db:
            respondent_id = ensure_respondent(db, user, now)
            db.execute(respondent.update().where(respondent.c.id == respondent_id,
                                                 respondent.c.unreachable_since.is_(None))
                       .values(unreachable_since=now))

    def mark_reachable(self, user: UserRef) -> None:
        with writing(self.engine) as db:
            db.execute(respondent.update().where(
                respondent.c.platform == user.platform, respondent.c.workspace == user.workspace,
                respondent.c.user_id == user.user).values(unreachable_since=None))

    def is_unreachable(self, user: UserRef) -> bool:
        with self.engine.connect() as db:
            return db.execute(sa.select(respondent.c.unreachable_since).where(
                respondent.c.platform == user.platform, respondent.c.workspace == user.workspace,
                respondent.c.user_id == user.user)).scalar() is not None
