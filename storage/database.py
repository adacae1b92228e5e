"""Creating SQLAlchemy engines: SQLite files in WAL mode, PostgreSQL through psycopg 3."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Engine, make_url

# WAL lets readers work during a write; NORMAL keeps every commit across a crash of the process
# (only a power cut may lose the last commits), at a fraction of FULL's fsyncs.
SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000")


class TransactionalSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite with real transactions, set up in the dialect rather than with engine events.

    The driver's own transaction handling is switched off and BEGIN is issued here, so reads run in
    a transaction too. Engine events would do the same, but they make every statement slower.
    """

    supports_statement_cache = True

    def on_connect(self) -> Callable[[Any], None]:
        inherited = super().on_connect()

        def connect(connection: Any) -> None:
            if inherited is not None:
                inherited(connection)
            connection.isolation_level = None
            cursor = connection.cursor()
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        return connect

    def do_begin(self, dbapi_connection: Any) -> None:
        # Every writing transaction of the stores starts with a write, so a deferred BEGIN takes the
        # write lock at once (waiting up to busy_timeout) and readers never queue behind writers.
        dbapi_connection.driver_connection.execute("BEGIN")


registry.register("sqlite.kartoitus", __name__, "TransactionalSQLiteDialect")


def normalise_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean PostgreSQL through psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def create_database_engine(url: str) -> Engine:
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        return sa.create_engine(parsed.set(drivername="sqlite+kartoitus"),
                                connect_args={"check_same_thread": False, "timeout": 30})
    return sa.create_engine(parsed, pool_pre_ping=True)
