"""KARTOITUS_PROCESSES: each of N processes keeps a share of the platform limits, so that together they
stay within them (checked with fake clocks, the processes out of step and requests leaving late)."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import pytest

from adapters.ratelimit import RateLimiter
from adapters.slack.platform import PLATFORM as SLACK
from adapters.telegram.platform import PLATFORM as TELEGRAM
from bot.shell import wiring
from bot.shell.settings import Settings
from tests.adapters.telegram.test_ratelimit import FakeTime, send_times


async def process_sends(processes: int, count: int, *, group: bool = False) -> list[float]:
    time = FakeTime()
    limiter = RateLimiter(processes=processes, clock=time.clock, sleep=time.sleep)
    chats = ["-100"] * count if group else [f"chat{n}" for n in range(count)]
    return await send_times(limiter, time, chats, group=group)


def busiest(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window - 1e-9) for start in times)


@pytest.mark.parametrize("processes", [2, 3, 4])
async def test_n_processes_out_of_step_stay_within_thirty_messages_a_second(processes: int) -> None:
    one = await process_sends(processes, 200)
    for phase in (0.0, 0.013, 0.037, 0.05, 0.071):
        together: list[float] = []
        for n in range(processes):
            # every process starts at its own moment; every 7th request of each leaves 20 ms late
            together += [t + n * phase + (0.02 if i % 7 == 0 else 0) for i, t in enumerate(one)]
        assert busiest(together, 1.0) <= 30, (processes, phase)
    rate = len(one) / one[-1] * processes
    assert rate > 30 * 0.75, f"and together they still use {rate:.1f}/s"


async def test_two_processes_keep_half_each_of_telegrams_limits() -> None:
    single, shared = await process_sends(1, 100), await process_sends(2, 100)
    assert len(single) / single[-1] == pytest.approx(28.8, rel=0.02)
    assert len(shared) / shared[-1] == pytest.approx(13, rel=0.02), "floor(28.8 / 2) - 1 a second each"
    group = await process_sends(2, 12, group=True)
    assert group[:2] == [0, 3.0], "a group: half the burst of three"
    assert group[11] - group[1] == pytest.approx(60.0), "then 10 a minute (20 / 2)"
    chat_time = FakeTime()
    chat = RateLimiter(processes=2, clock=chat_time.clock, sleep=chat_time.sleep)
    assert (await send_times(chat, chat_time, ["anna"] * 4))[2] < 0.2, "a private chat keeps its burst of three"


def test_the_setting_reaches_every_sender(tmp_path: Path) -> None:
    values = {"KARTOITUS_DATABASE_URL": f"sqlite:///{tmp_path / 'share.db'}", "KARTOITUS_PROCESSES": "2",
              "TELEGRAM_BOT_TOKEN": "123456789:TEST-token_for-kartoitus", "SLACK_BOT_TOKEN": "xoxb-1-2-test",
              "SLACK_APP_TOKEN": "xapp-1-A0-test"}
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    assert settings.processes == 2 and Settings(_env_file=None).processes == 1  # type: ignore[call-arg]
    assert wiring.platform_app(settings, TELEGRAM).sender.limiter.processes == 2
    assert wiring.platform_app(settings, SLACK).sender.limiter.processes == 2
    assert 1 / SLACK.limiter(settings.processes)._overall_gap == pytest.approx(99), "Slack's 200/s: 99 each"
    with pytest.raises(ValueError):
        RateLimiter(processes=0)


async def test_senders_woken_late_by_a_busy_event_loop_still_leave_one_by_one() -> None:
    """A stall (the loop busy for 0.6 s mid-fan-out) must not release everyone whose slot passed at once."""
    limiter = RateLimiter()  # the real clock and sleep: the stall is real
    left: list[float] = []

    async def send(chat: str) -> None:
        await limiter.wait(chat, group=False)
        left.append(time.monotonic())

    senders = [asyncio.ensure_future(send(f"chat{n}")) for n in range(40)]
    await asyncio.sleep(0.3)
    time.sleep(0.6)  # blocks the event loop, as a busy machine or a long synchronous step would
    await asyncio.gather(*senders)
    gaps = [later - earlier for earlier, later in itertools.pairwise(left)]
    assert min(gaps) >= 0.9 / 28.8, f"{sum(g < 0.9 / 28.8 for g in gaps)} sends left together after the stall"
