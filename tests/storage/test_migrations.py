"""Alembic migrations build exactly the schema the tables describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from storage import tables
from storage.database import create_database_engine
from storage.migrate import alembic_config, current_revision, head_revision, upgrade


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'schema.db'}"
    return str(request.getfixturevalue("fresh_postgres_url"))


def schema_differences(url: str) -> list[object]:
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = create_database_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_builds_exactly_the_models_schema(url: str) -> None:
    assert current_revision(url) is None
    assert upgrade(url) == head_revision() == current_revision(url)
    assert schema_differences(url) == []
    assert table_names(url) == {*SQLModel.metadata.tables, "alembic_version"}


def test_a_second_upgrade_changes_nothing(url: str) -> None:
    upgrade(url)
    engine = create_database_engine(url)
    with engine.begin() as connection:
        connection.execute(tables.assessment_round.insert().values(
            name="Syksy", instrument_version="1", status="open", opened_at=datetime(2026, 9, 1, tzinfo=UTC)))
    assert upgrade(url) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(sa.select(tables.assessment_round.c.name)).scalars().all() == ["Syksy"]
    engine.dispose()
    assert schema_differences(url) == []


def test_the_environment_also_runs_from_a_url_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'by_url.db'}"
    command.upgrade(alembic_config(url), "head")
    assert current_revision(url) == head_revision()
    assert schema_differences(url) == []


def test_offline_mode_prints_the_sql() -> None:
    config = alembic_config("postgresql+psycopg://nobody@127.0.0.1:1/none")
    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", sql=True)
    sql = config.output_buffer.getvalue()
    assert "CREATE TABLE respondent" in sql and "TIMESTAMP WITH TIME ZONE" in sql


def test_sqlite_connections_use_wal_and_enforce_foreign_keys(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as connection:
        pragmas = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                   for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
    engine.dispose()
    assert pragmas["journal_mode"] == "wal" and pragmas["synchronous"] == 1 and pragmas["foreign_keys"] == 1
    assert int(pragmas["busy_timeout"]) >= 5000


def test_plain_postgresql_urls_mean_psycopg_3() -> None:
    for url in ("postgresql://kartoitus@db/kartoitus", "postgres://kartoitus@db/kartoitus"):
        engine = create_database_engine(url)
        assert engine.url.drivername == "postgresql+psycopg" and engine.url.database == "kartoitus"
        engine.dispose()


def test_the_head_read_from_the_files_is_alembics() -> None:
    """`upgrade` skips importing Alembic when the database is at the head it reads from the migration files."""
    from storage.migrate import known_head

    assert known_head() == head_revision()
