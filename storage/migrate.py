"""Creating and upgrading the schema with Alembic, from code (`kartoitus db upgrade`)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.database import create_database_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
UPGRADE_LOCK = 0x6B617275  # PostgreSQL advisory lock: two workers starting at once upgrade one after the other


def alembic_config(url: str) -> Config:
    """The Alembic configuration, built in code: no alembic.ini and no logging setup."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS}")
    return head


def upgrade(url: str) -> str:
    """Bring the database at `url` to the newest schema; returns the revision in place."""
    engine = create_database_engine(url)
    try:
        with engine.begin() as connection:  # one transaction: on PostgreSQL a failed upgrade leaves nothing
            if connection.dialect.name == "postgresql":
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(UPGRADE_LOCK)))
            config = alembic_config(url)
            config.attributes["connection"] = connection  # env.py runs on this connection
            command.upgrade(config, "head")
        return current_revision(url) or ""
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at; None for an empty database."""
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
