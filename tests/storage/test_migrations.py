"""Alembic migrations build exactly the schema the tables describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import storage.tables  # noqa: F401
from storage.database import create_database_engine
from storage.migrate import current_revision, upgrade


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'schema.db'}"
    return str(request.getfixturevalue("fresh_postgres_url"))


def test_upgrade_builds_the_models_schema_and_is_idempotent(url: str) -> None:
    assert current_revision(url) is None
    head = upgrade(url)
    assert head == "0002" == current_revision(url)
    assert upgrade(url) == head
    engine = create_database_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    engine.dispose()
