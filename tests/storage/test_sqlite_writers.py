"""Several writers on one SQLite file (the embedded default): a transaction that reads before it writes waits
for the write lock instead of failing with "database is locked"."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from bot.app.outbox import scheduled_notice
from bot.core.identity import ChannelRef, UserRef
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_outbox import SqlOutbox
from storage.sql_teams import SqlTeams

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_concurrent_read_then_write_transactions_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'writers.db'}"
    upgrade(url)
    engines = [create_database_engine(url) for _ in range(4)]  # as if four processes
    team = SqlTeams(engines[0]).register_team(ChannelRef("telegram", "bot", "-100"), "Autoala", now=NOW)

    def work(worker: int) -> None:
        outbox, teams = SqlOutbox(engines[worker]), SqlTeams(engines[worker])
        for n in range(40):
            person = UserRef("telegram", "bot", f"{worker}-{n}")
            outbox.enqueue([scheduled_notice(f"k:{worker}:{n}", person, NOW, "x")], now=NOW)
            teams.join(team.id, person, now=NOW)
            teams.set_timezone(person, "Europe/Helsinki", now=NOW)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))  # re-raises any "database is locked"
    assert SqlOutbox(engines[0]).pending() == 160
    assert len(SqlTeams(engines[0]).members(team.id)) == 160
    for engine in engines:
        engine.dispose()
