"""SIGKILL of `kartoitus run` (Telegram polling against the fake Bot API) in the middle of a fan-out.

The running bot's ticker sends the outbox at start and then every minute; the test kills the
process at a random moment after it reached the Bot API, waits until the dead worker's leases
(KARTOITUS_OUTBOX_LEASE_SECONDS=5 here) have run out, and starts it again, whose first tick takes
the abandoned messages back. Afterwards: everyone served, duplicates within kills × in flight,
a tick reports 0 waiting, no row stuck.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.fake_bot_api import FakeBotApi
from tests.support.faults import (
    Figures,
    assert_every_row_sent_once_counted,
    duplicates,
    fault_settings,
    leases_run_out,
    outbox_rows,
    pending_rows,
    queue_notices,
    start_and_kill,
    telegram_users,
    tick_once,
    unserved,
    utc_now,
    waiting_rows,
)
from tests.support.processes import BotProcess, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow]
RECIPIENTS = 200
KILLS = 4
LEASE = 5  # seconds: the running bot uses the real clock, so a short lease brings the rows back soon


async def test_killed_run_serves_everyone_within_the_bound(fake_api: FakeBotApi, tmp_path: Path) -> None:
    await fake_api.latency(0.3)
    url = f"sqlite:///{tmp_path / 'faults.db'}"
    users = telegram_users(RECIPIENTS)
    figures = Figures("kill -9 of kartoitus run (Telegram polling), SQLite")
    figures.waves.append(queue_notices(url, users, due=utc_now() - timedelta(minutes=1), name="wave1"))
    settings = fault_settings(url, fake_api.url, KARTOITUS_OUTBOX_LEASE_SECONDS=str(LEASE))
    figures.seed = random.SystemRandom().randrange(1 << 30)
    rng = random.Random(figures.seed)
    began = time.monotonic()
    bot = BotProcess("run", tmp_path, **settings)
    try:
        while True:
            stats = await fake_api.stats()
            if not any(unserved(stats, figures.waves).values()):
                if figures.kills >= KILLS:
                    break
                figures.waves.append(queue_notices(url, users, due=utc_now(), name=f"wave{len(figures.waves) + 1}"))
            await leases_run_out(url, timeout=LEASE + 30)  # the dead worker's claims come back
            assert figures.runs < 30, unserved(stats, figures.waves)
            if figures.kills < KILLS:
                killed = await start_and_kill(bot, ("run",), fake_api, rng, figures)
                assert killed, f"kartoitus run ended by itself:\n{bot.output()[-3000:]}"
                continue
            await bot.start("run")  # the last start: it finishes the fan-out
            figures.runs += 1

            # Everyone may have a copy already (from killed runs that could not mark it): wait for the
            # outbox itself, so that nothing is on the wire when the bot is stopped.
            await wait_for(lambda: pending_rows(url) == 0, "the restarted bot to send everything", timeout=120)
            code, seconds = await bot.terminate()
            assert code == 0, bot.output()[-3000:]
            figures.notes.append(f"the last run stopped on SIGTERM in {seconds:.1f} s")
    finally:
        await bot.kill()
    figures.elapsed = time.monotonic() - began

    code, output, pending = await tick_once(settings, tmp_path, "tick-final")
    stats = await fake_api.stats()
    figures.duplicates = duplicates(stats, figures.waves)
    figures.notes.append(f"final tick: {output.strip().splitlines()[-1] if output.strip() else '–'}")
    figures.show()
    assert code == 0 and pending == 0, f"{output[-3000:]}\nwaiting: {waiting_rows(url)}"
    assert unserved(stats, figures.waves) == {wave.name: 0 for wave in figures.waves}
    assert figures.duplicates <= figures.bound, f"{figures.duplicates} duplicates > bound {figures.bound}"
    assert_every_row_sent_once_counted(url, stats, figures.waves)


async def test_sigterm_in_the_middle_of_a_fanout_sends_nothing_twice(fake_api: FakeBotApi, tmp_path: Path) -> None:
    """A graceful stop finishes (or gives back) what is on the wire: no message may go out twice."""
    await fake_api.latency(0.3)
    url = f"sqlite:///{tmp_path / 'faults.db'}"
    users = telegram_users(RECIPIENTS)
    wave = queue_notices(url, users, due=utc_now() - timedelta(minutes=1), name="wave1")
    settings = fault_settings(url, fake_api.url, KARTOITUS_OUTBOX_LEASE_SECONDS=str(LEASE))
    bot = await BotProcess("run", tmp_path, **settings).start("run")
    try:
        async def under_way() -> bool:
            return len((await fake_api.stats()).delivered) >= 40

        await wait_for(under_way, "the fan-out under way", timeout=90)
        code, seconds = await bot.terminate()
        assert code == 0 and seconds < 10, bot.output()[-3000:]
    finally:
        await bot.kill()
    retried = [(row.user_id, row.reason) for row in outbox_rows(url) if row.outcome == "retry" and row.sent_at is None]
    code, output, _ = await tick_once(settings, tmp_path, "outbox-retry", args=("outbox", "retry"))
    assert code == 0, output
    code, output, pending = await tick_once(settings, tmp_path, "tick-final")
    stats = await fake_api.stats()
    print(f"\n[faults] SIGTERM of kartoitus run mid-fan-out: stopped in {seconds:.1f} s, {len(retried)} messages "
          f"recorded as 'retry' at the stop ({retried[:3]}…), duplicates {stats.duplicates(wave.marker)} (expected 0)")
    assert code == 0 and pending == 0, f"{output[-3000:]}\nwaiting: {waiting_rows(url)}"
    assert unserved(stats, [wave]) == {wave.name: 0}
    assert stats.duplicates(wave.marker) == 0, "nothing was killed: a graceful stop must not send anything twice"
