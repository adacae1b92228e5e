"""Creating and upgrading the schema with Alembic, from code (`kartoitus db upgrade`).

Every CLI command upgrades first, and Alembic with its templates takes about a tenth of a second to
import: a database already at the newest revision is recognised with one query, and Alembic is
imported only when there is something to do.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from storage.database import create_database_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
UPGRADE_LOCK = 0x6B617275  # PostgreSQL advisory lock: two workers starting at once upgrade one after the other


def alembic_config(url: str) -> Config:
    """The Alembic configuration, built in code: no alembic.ini and no logging setup."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision the code knows (as Alembic's script directory says)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS}")
    return head


@functools.cache
def known_head() -> str | None:
    """The newest revision read from the migration files themselves (`revision` and `down_revision`), without
    importing Alembic; None if the files do not form one line (then Alembic decides)."""
    revisions: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        values: dict[str, object] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and node.targets[0].id in ("revision", "down_revision"):
                values[node.targets[0].id] = ast.literal_eval(node.value)
        if isinstance(values.get("revision"), str):
            down = values.get("down_revision")
            revisions[str(values["revision"])] = down if isinstance(down, str) else None
    heads = set(revisions) - set(filter(None, revisions.values()))
    return heads.pop() if len(heads) == 1 else None


def _version_in(connection: sa.Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    versions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    return versions[0] if len(versions) == 1 else None


def upgrade(url: str) -> str:
    """Bring the database at `url` to the newest schema; returns the revision in place."""
    engine = create_database_engine(url)
    try:
        head = known_head()
        with engine.connect() as connection:
            if head is not None and _version_in(connection) == head:
                return head
        from alembic import command

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
    from alembic.runtime.migration import MigrationContext

    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
