"""Granted roles on SQL: coordinators beyond those named in the settings, and team leads per team."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.database import writing
from storage.tables import role_grant, team


class SqlRoles:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def grant(self, platform_user: str, role: str, *, team_id: int = 0, granted_by: str, now: datetime) -> bool:
        """False if the person already had the role."""
        platform, _, user = platform_user.partition(":")
        key = {"platform": platform, "user_id": user, "role": role, "team_id": team_id}
        with writing(self.engine) as db:
            if db.execute(sa.select(role_grant.c.role).filter_by(**key)).first() is not None:
                return False
            db.execute(role_grant.insert().values(**key, granted_by=granted_by, granted_at=now))
            return True

    def revoke(self, platform_user: str, role: str, *, team_id: int = 0) -> bool:
        platform, _, user = platform_user.partition(":")
        with writing(self.engine) as db:
            result = db.execute(role_grant.delete().where(
                role_grant.c.platform == platform, role_grant.c.user_id == user, role_grant.c.role == role,
                role_grant.c.team_id == team_id))
            return bool(result.rowcount)

    def has_role(self, platform_user: str, role: str) -> bool:
        platform, _, user = platform_user.partition(":")
        with self.engine.connect() as db:
            return db.execute(sa.select(role_grant.c.role).where(
                role_grant.c.platform == platform, role_grant.c.user_id == user,
                role_grant.c.role == role)).first() is not None

    def has_team_role(self, platform_user: str, role: str, team_id: int) -> bool:
        platform, _, user = platform_user.partition(":")
        with self.engine.connect() as db:
            return db.execute(sa.select(role_grant.c.role).where(
                role_grant.c.platform == platform, role_grant.c.user_id == user, role_grant.c.role == role,
                role_grant.c.team_id == team_id)).first() is not None

    def grants(self) -> list[tuple[str, str, str]]:
        """(platform:user_id, role, team title or "") for every grant."""
        with self.engine.connect() as db:
            rows = db.execute(sa.select(role_grant.c.platform, role_grant.c.user_id, role_grant.c.role, team.c.title)
                              .outerjoin(team, team.c.id == role_grant.c.team_id)
                              .order_by(role_grant.c.role, role_grant.c.platform, role_grant.c.user_id)).all()
        return [(f"{row.platform}:{row.user_id}", row.role, row.title or "") for row in rows]
