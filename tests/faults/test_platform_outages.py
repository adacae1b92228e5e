"""The Bot API misbehaves during a fan-out: 429s, 500s, closed connections, a permanent 400.

Nothing is killed here, so every recipient must get the message exactly once. The fake's fault
phases run on its own wall clock; the bot's clock (`kartoitus tick --now`) runs SPEED times
faster, so the outbox's backoff (30 s, 1, 2, 4 … minutes) passes within the test's minute and a
half, as a cron's ticks would over a quarter of an hour.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.fake_bot_api import FakeBotApi
from tests.support.faults import (
    WORKING_DAY_10,
    Figures,
    assert_every_row_sent_once_counted,
    fault_settings,
    open_round,
    outbox_rows,
    queue_notices,
    telegram_users,
    tick_once,
    unserved,
)

pytestmark = [pytest.mark.faults, pytest.mark.slow]
SPEED = 12  # bot seconds per wall second while the faults last
# Each phase lasts its time and until a send has met it: with the backoff (30 s, 1, 2, 4, 8… min of bot
# time) a short phase could otherwise fall between two retries and test nothing.
PHASES = ({"mode": "429", "seconds": 30, "at_least": 1}, {"mode": "500", "seconds": 30, "at_least": 1},
          {"mode": "close", "seconds": 10, "at_least": 1})


async def test_429_then_500_then_closed_connections_every_recipient_once(fake_api: FakeBotApi,
                                                                         tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'faults.db'}"
    users = telegram_users(50)
    wave = queue_notices(url, users, due=WORKING_DAY_10, name="wave1")
    settings = fault_settings(url, fake_api.url)
    figures = Figures("429 for 30 s, 500 for 30 s, closed connections for 10 s", waves=[wave])
    await fake_api.faults(*PHASES)
    began = time.monotonic()
    moment, sent_during, ticks = WORKING_DAY_10, 0, 0
    while (await fake_api.stats()).fault != "ok":
        # a cron's tick a (bot) minute, at most: 60 / SPEED s of wall time apart, or as fast as ticks start
        await asyncio.sleep(max(0.0, began + ticks * 60 / SPEED - time.monotonic()))
        moment = WORKING_DAY_10 + timedelta(seconds=(time.monotonic() - began) * SPEED)
        code, output, _ = await tick_once(settings, tmp_path, f"tick-{ticks}", moment)
        ticks += 1
        assert code == 0, f"a tick during the outage failed:\n{output[-3000:]}"
        sent_during = len((await fake_api.stats()).delivered)
    outage = time.monotonic() - began
    pending = None
    for extra in range(1, 6):  # afterwards the cron goes on; the longest backoff is an hour
        code, output, pending = await tick_once(settings, tmp_path, f"after-{extra}", moment + timedelta(hours=extra))
        assert code == 0, output[-3000:]
        ticks += 1
        if pending == 0:
            break
    stats = await fake_api.stats()
    rows = outbox_rows(url)
    attempts = Counter(int(row.attempts) for row in rows)
    figures.elapsed = time.monotonic() - began
    figures.duplicates = stats.duplicates(wave.marker)
    figures.notes += [f"outage {outage:.0f} s wall ({outage * SPEED / 60:.0f} min of bot time), {ticks} ticks; "
                      f"refused by the fake: {stats.refused}; delivered during the outage: {sent_during}",
                      f"attempts per message: {dict(sorted(attempts.items()))}"]
    figures.show()
    assert pending == 0, output[-3000:]
    assert unserved(stats, [wave]) == {wave.name: 0}, "every recipient served after the outage"
    assert figures.duplicates == 0, "nothing was killed: nobody gets the message twice"
    assert stats.refused.get("429", 0) and stats.refused.get("500", 0) and stats.refused.get("close", 0), \
        "every kind of fault was met"
    assert_every_row_sent_once_counted(url, stats, [wave])


async def test_a_permanent_400_fails_that_message_with_its_reason_and_the_rest_go_out(fake_api: FakeBotApi,
                                                                                     tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'faults.db'}"
    users = telegram_users(50)
    refused = users[17]
    await fake_api.reject(refused, "Bad Request: message is too long")
    wave = open_round(url, users)
    settings = fault_settings(url, fake_api.url)
    for n in range(3):  # the failed message is kept, not tried again at every tick
        code, output, pending = await tick_once(settings, tmp_path, f"tick-{n}", WORKING_DAY_10 + timedelta(hours=n))
        assert code == 0 and pending == 0, output[-3000:]
    stats = await fake_api.stats()
    copies = stats.copies(wave.marker)
    assert [user for user in users if copies[user] != 1] == [refused], "the other 49 get it once"
    assert stats.refused == {"400": 1}, "a rejected message is not sent again"
    failed = [(row.user_id, row.outcome, str(row.reason).lower()) for row in outbox_rows(url)
              if row.failed_at is not None]
    assert failed == [(refused, "rejected", "message is too long")], "kept as failed, with the platform's reason"

    _, summary, _ = await tick_once(settings, tmp_path, "outbox", args=("outbox",))
    assert "sent 49, failed 1." in summary, summary
    assert "1 × rejected: message is too long" in summary.lower(), summary
    _, listing, _ = await tick_once(settings, tmp_path, "outbox-failed", args=("outbox", "--failed"))
    line = next((line for line in listing.splitlines() if f":{refused}" in line), "")
    assert "rejected: message is too long" in line.lower(), listing
    assert "Kutsu" not in listing and "Hei!" not in listing, "no message text in the listing"
    _, status, _ = await tick_once(settings, tmp_path, "round-status", args=("round", "status"))
    assert "Invitations that could not be delivered: 1." in status, status
    print(f"\n[faults] a permanent 400 for one of 50: 49 delivered once, 1 failed "
          f"({failed[0][1]}: {failed[0][2]}), shown by kartoitus outbox, outbox --failed and round status")
