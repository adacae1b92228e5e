"""Telegram's send limits with a fake clock: 30/s overall, 1/s per chat (burst 3), 20/min per group."""

from __future__ import annotations

from adapters.ratelimit import RateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def send_times(limiter: RateLimiter, time: FakeTime, chats: list[str], *, group: bool = False) -> list[float]:
    times = []
    for chat in chats:
        await limiter.wait(chat, group=group)
        times.append(round(time.now, 3))
    return times


async def test_one_chat_gets_a_burst_of_three_then_one_per_second() -> None:
    time = FakeTime()
    limiter = RateLimiter(overall_per_second=30, clock=time.clock, sleep=time.sleep)
    assert await send_times(limiter, time, ["a"] * 6) == [0, 0.033, 0.067, 1, 2, 3]


async def test_many_chats_share_thirty_per_second_evenly() -> None:
    time = FakeTime()
    limiter = RateLimiter(overall_per_second=30, clock=time.clock, sleep=time.sleep)
    times = await send_times(limiter, time, [f"chat{n}" for n in range(90)])
    assert times[0] == 0 and abs(times[30] - 1.0) < 1e-6 and abs(times[-1] - 89 / 30) < 1e-3
    for start in range(len(times)):
        window = [t for t in times if times[start] <= t < times[start] + 1 - 1e-9]
        assert len(window) <= 30


async def test_a_group_gets_twenty_a_minute() -> None:
    time = FakeTime()
    limiter = RateLimiter(overall_per_second=30, clock=time.clock, sleep=time.sleep)
    times = await send_times(limiter, time, ["-100"] * 23, group=True)
    assert times[:3] == [0, 0.033, 0.067] and times[3] == 3.0
    assert times[22] == 60.0


async def test_the_default_leaves_a_margin_for_requests_that_leave_late() -> None:
    """A send that leaves 20 ms after its slot, followed by one on time, still keeps 30 in every second."""
    time = FakeTime()
    limiter = RateLimiter(clock=time.clock, sleep=time.sleep)
    times = await send_times(limiter, time, [f"chat{n}" for n in range(120)])
    jittered = [t + (0.02 if n % 7 == 0 else 0) for n, t in enumerate(times)]
    for start in jittered:
        assert sum(1 for t in jittered if start <= t < start + 1) <= 30
    assert len(times) / times[-1] > 0.95 * 30, "and still uses over 95% of the limit"
