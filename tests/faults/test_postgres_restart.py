"""PostgreSQL restarts (pg_ctl restart -m immediate: every connection cut) while a fan-out is being sent.

The cluster is the test's own (tests.support.faults.restartable_postgres), so nobody else's
connections are cut. Sends must resume, nothing may be lost, and what goes out twice is bounded
like a kill: the messages on the wire when the database went away (at most in flight).
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.fake_bot_api import FakeBotApi
from tests.support.faults import (
    LEASE_SECONDS,
    WORKING_DAY_10,
    Figures,
    RestartablePostgres,
    assert_every_row_sent_once_counted,
    duplicates,
    fault_settings,
    open_round,
    pending_rows,
    queue_notices,
    telegram_users,
    tick_once,
    unserved,
    utc_now,
)
from tests.support.processes import BotProcess, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.postgres]
RECIPIENTS = 200


async def delivered_at_least(api: FakeBotApi, count: int) -> None:
    async def enough() -> bool:
        return len((await api.stats()).delivered) >= count

    await wait_for(enough, f"{count} messages delivered", timeout=90)


async def test_a_postgres_restart_in_the_middle_of_a_tick(fake_api: FakeBotApi, tmp_path: Path,
                                                          restartable_postgres: RestartablePostgres) -> None:
    await fake_api.latency(0.3)
    url = restartable_postgres.url
    wave = open_round(url, telegram_users(RECIPIENTS))
    settings = fault_settings(url, fake_api.url)
    figures = Figures("PostgreSQL restart in the middle of kartoitus tick", waves=[wave])
    began = time.monotonic()
    tick = await BotProcess("tick-0", tmp_path, **settings).start("tick", "--now", WORKING_DAY_10.isoformat())
    await delivered_at_least(fake_api, 40)
    took = await asyncio.to_thread(restartable_postgres.restart)
    figures.restarts += 1
    code = await tick.wait(timeout=180)
    first = len((await fake_api.stats()).delivered)
    lines = tick.output().strip().splitlines()
    figures.notes.append(f"the tick at the restart ({took:.1f} s) exited {code} after {first} deliveries: "
                         f"{lines[-1] if lines else '–'}")
    moment, pending, runs = WORKING_DAY_10, None, 1
    while pending != 0:
        assert runs < 6, f"still {pending} waiting after {runs} ticks"
        moment += timedelta(seconds=LEASE_SECONDS + 10)  # the cut tick's claims come back after the lease
        code, output, pending = await tick_once(settings, tmp_path, f"tick-{runs}", moment)
        runs += 1
        assert code == 0, output[-3000:]
    stats = await fake_api.stats()
    figures.runs, figures.elapsed = runs, time.monotonic() - began
    figures.duplicates = duplicates(stats, figures.waves)
    figures.notes.append(f"{runs} ticks in all")
    figures.show()
    assert unserved(stats, figures.waves) == {wave.name: 0}, "nothing lost"
    assert figures.duplicates <= figures.bound, "at most what was on the wire goes twice"
    assert_every_row_sent_once_counted(url, stats, figures.waves)


# The remaining 160 messages take about 6 s. A restart of 0.3 s should not stop the sending for
# long: the worker rides it out (a send it could not record comes back after the 5 s lease) and
# the next tick comes within KARTOITUS_TICK_SECONDS.
RESUME_SECONDS = 30


async def test_a_postgres_restart_in_the_middle_of_a_running_bots_fanout(
        fake_api: FakeBotApi, tmp_path: Path, restartable_postgres: RestartablePostgres) -> None:
    await fake_api.latency(0.3)
    url = restartable_postgres.url
    wave = queue_notices(url, telegram_users(RECIPIENTS), due=utc_now() - timedelta(minutes=1), name="wave1")
    settings = fault_settings(url, fake_api.url, KARTOITUS_OUTBOX_LEASE_SECONDS="5", KARTOITUS_TICK_SECONDS="5")
    figures = Figures("PostgreSQL restart in the middle of kartoitus run's fan-out", waves=[wave])
    bot = await BotProcess("run", tmp_path, **settings).start("run")
    try:
        await delivered_at_least(fake_api, 40)
        took = await asyncio.to_thread(restartable_postgres.restart)
        figures.restarts += 1
        restarted = time.monotonic()

        async def served() -> bool:
            return not unserved(await fake_api.stats(), [wave])[wave.name]

        try:
            await wait_for(served, "the running bot to resume sending", timeout=RESUME_SECONDS)
            await wait_for(lambda: pending_rows(url) == 0, "the outbox to be empty", timeout=RESUME_SECONDS)
        finally:
            stats = await fake_api.stats()
            figures.elapsed = time.monotonic() - restarted
            figures.duplicates = duplicates(stats, figures.waves)
            figures.notes.append(f"restart took {took:.1f} s; {len(stats.delivered)} deliveries "
                                 f"{figures.elapsed:.0f} s after it; bot still running: {bot.running()}")
            figures.show()
        assert bot.running(), bot.output()[-3000:]
        code, _ = await bot.terminate()
        assert code == 0, bot.output()[-3000:]
    finally:
        await bot.kill()
    assert figures.duplicates <= figures.bound
    assert_every_row_sent_once_counted(url, stats, figures.waves)
