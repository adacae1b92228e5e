"""What the platform benchmarks share: the bot processes they start, and how they measure them.

`serve_telegram` and `serve_slack` are the bodies of a benchmark's `--serve` child process (the
real adapters, SQLite file, settings from the environment), optionally with the scheduler's
ticker, so the invitations and reminders of the outbox go out through the same senders (and
the same rate limits) as the replies. The rest reads a process's peak memory and CPU time from
/proc and puts latencies into figures.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EMULATOR_SCRIPT = ROOT / "tests" / "support" / "telegram_emulator.js"
# Settings of the developer's shell that must not leak into a benchmark's bot process.
FOREIGN_PREFIXES = ("SLACK_", "TELEGRAM_", "KARTOITUS_")


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ms(values: list[float], percentile: int) -> str:
    """The `percentile` of `values` (seconds) in milliseconds, e.g. "16 ms"; "–" without enough values."""
    if len(values) < 2:
        return f"{values[0] * 1000:.0f} ms" if values else "–"
    return f"{statistics.quantiles(values, n=100)[percentile - 1] * 1000:.0f} ms"


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without the shell's bot settings, plus `settings`."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith(FOREIGN_PREFIXES)}
    return {**clean, **settings}


def start_emulator(port: int) -> subprocess.Popen[str]:
    """The npm telegram-test-api emulator on 127.0.0.1:`port`, once it says it is ready."""
    emulator = subprocess.Popen(["node", str(EMULATOR_SCRIPT), str(port)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert emulator.stdout is not None and emulator.stdout.readline().startswith("ready")
    return emulator


def serve_telegram(*, unlimited: bool, tick_seconds: float | None = None) -> None:
    """The Telegram bot process: the real adapter polling the proxy, until SIGTERM.

    With `tick_seconds`, the scheduler ticks at that interval and sends the outbox through the bot's sender."""
    from adapters.ratelimit import RateLimiter
    from adapters.telegram.platform import PLATFORM as TELEGRAM
    from bot.shell import wiring
    from bot.shell.settings import load_settings

    settings = load_settings(env_file=None)
    wiring.configure_logging(settings)
    wiring.prepare_database(settings)
    limiter = RateLimiter(overall_per_second=100000, chat_per_second=100000, chat_burst=100000) if unlimited \
        else RateLimiter()

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        bot = wiring.platform_app(settings, TELEGRAM, limiter=limiter)
        await bot.start()
        ticker = wiring.scheduler_for(settings, {"telegram": bot.sender}, interval_seconds=tick_seconds) \
            if tick_seconds else None
        if ticker is not None:
            ticker.start()
        await stop.wait()
        if ticker is not None:
            await ticker.close(timeout=2.0)
        await bot.stop()

    asyncio.run(main())


def serve_slack(*, unpaced: bool, tick_seconds: float | None = None) -> None:
    """The Slack app process: the real bolt adapter in HTTP mode, until SIGTERM.

    With `tick_seconds`, the scheduler ticks at that interval and sends the outbox through the app's sender."""
    from adapters.slack.platform import PLATFORM as SLACK
    from adapters.slack.sender import slack_limiter
    from bot.shell import wiring
    from bot.shell.settings import load_settings

    settings = load_settings(env_file=None)
    wiring.configure_logging(settings)
    wiring.prepare_database(settings)
    limiter = slack_limiter(overall_per_second=100000, chat_per_second=100000, chat_burst=100000) if unpaced \
        else slack_limiter()

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        app = wiring.platform_app(settings, SLACK, limiter=limiter)
        await app.start(host=settings.http_host, port=settings.http_port)
        ticker = wiring.scheduler_for(settings, {"slack": app.sender}, interval_seconds=tick_seconds) \
            if tick_seconds else None
        if ticker is not None:
            ticker.start()
        await stop.wait()
        if ticker is not None:
            await ticker.close(timeout=2.0)
        await app.stop()

    asyncio.run(main())
