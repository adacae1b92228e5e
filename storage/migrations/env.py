"""Alembic environment, driven from code (storage.migrate): no alembic.ini, no logging config."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import storage.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.database import create_database_engine

config = context.config


def render_item(kind: str, obj: Any, _context: Any) -> str | bool:
    """Autogenerate writes SQLModel's AutoString as a plain sa.String, so revisions need no sqlmodel import."""
    if kind == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=SQLModel.metadata, compare_type=True,
                      render_as_batch=connection.dialect.name == "sqlite", render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # `alembic upgrade --sql`: print the SQL for the URL's dialect
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=SQLModel.metadata,
                      literal_binds=True, render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()
elif (given := config.attributes.get("connection")) is not None:
    run(given)
else:  # only a URL: make our own engine, with the same SQLite settings the application uses
    engine = create_database_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.begin() as connection:
            run(connection)
    finally:
        engine.dispose()
