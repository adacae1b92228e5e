"""Creating SQLAlchemy engines: SQLite files in WAL mode, PostgreSQL through psycopg 3."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Connection, Engine, make_url

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
        # A writing transaction (see `writing`) takes the write lock at BEGIN, waiting up to busy_timeout:
        # a deferred one that reads first and writes later (enqueue checks its keys, a person is looked
        # up before a join) fails at once with "database is locked" when another connection committed
        # in between, and busy_timeout cannot help it. Reads stay deferred and never wait for a writer.
        dbapi_connection.driver_connection.execute("BEGIN IMMEDIATE" if _writing.get() else "BEGIN")


_writing: ContextVar[bool] = ContextVar("kartoitus_sqlite_writing", default=False)


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """`engine.begin()` for a transaction that writes: on SQLite it takes the write lock first."""
    with ExitStack() as stack:
        token = _writing.set(True)
        try:
            connection = stack.enter_context(engine.begin())  # BEGIN runs here, with the flag set
        finally:
            _writing.reset(token)  # reads opened inside stay deferred
        yield connection


registry.register("sqlite.kartoitus", __name__, "TransactionalSQLiteDialect")


def normalise_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean PostgreSQL through psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def create_database_engine(url: str) -> Engine:
    """An engine for `url`. Its errors and SQL logging never show bound parameters (`hide_parameters`):
    parameters are answers and conversation state, and a failed insert is logged at ERROR."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        return sa.create_engine(parsed.set(drivername="sqlite+kartoitus"), hide_parameters=True,
                                connect_args={"check_same_thread": False, "timeout": 30})
    return sa.create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
