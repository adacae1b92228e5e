"""Slack's pacing with a fake clock: about one message per second per channel, after a short burst."""

from __future__ import annotations

from itertools import pairwise

from adapters.slack.sender import slack_limiter
from tests.adapters.telegram.test_ratelimit import FakeTime, send_times


async def test_one_channel_gets_about_one_message_per_second() -> None:
    time = FakeTime()
    limiter = slack_limiter(clock=time.clock, sleep=time.sleep)
    times = await send_times(limiter, time, ["D0ANNA"] * 8)
    assert times[:3] == [0, 0.005, 0.01]  # one turn: the closed prompt, a notice and the next question
    assert [round(b - a, 2) for a, b in pairwise(times[3:])] == [1.0, 1.0, 1.0, 1.0]


async def test_a_team_channel_is_paced_the_same_and_channels_do_not_wait_for_each_other() -> None:
    time = FakeTime()
    limiter = slack_limiter(clock=time.clock, sleep=time.sleep)
    times = await send_times(limiter, time, ["C0TIIMI"] * 5, group=True)
    assert times[3] >= 0.99 and times[4] - times[3] >= 0.99
    others = await send_times(limiter, time, [f"D{n}" for n in range(10)])
    assert others[-1] - others[0] < 0.1
