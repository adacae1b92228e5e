"""`kartoitus run` and `kartoitus tick` as subprocesses, the way a service manager runs them.

A `BotProcess` starts with a clean environment (no SLACK_, TELEGRAM_ or KARTOITUS_ keys from the
developer's shell) plus the given settings, keeps its output in a file for the failure message,
and is stopped with SIGTERM: `terminate()` says the exit code and how long the process took.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def environment(**settings: str) -> dict[str, str]:
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(("SLACK_", "TELEGRAM_", "KARTOITUS_"))}
    return {**clean, "PYTHONUNBUFFERED": "1", **settings}


async def wait_for(condition: Callable[[], bool] | Callable[[], Awaitable[bool]], what: str,
                   timeout: float = 30.0) -> None:
    """Poll until `condition` holds; the deadline is generous for a loaded 2-core machine."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result if isinstance(result, bool) else await result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


class BotProcess:
    def __init__(self, name: str, log_dir: Path, **settings: str) -> None:
        self.name = name
        self.settings = settings
        self.log = log_dir / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, *args: str) -> BotProcess:
        with self.log.open("ab") as output:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *(args or ("run",)), env=environment(**self.settings), cwd=ROOT,
                stdin=asyncio.subprocess.DEVNULL, stdout=output, stderr=output)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def rss_mb(self) -> float:
        """Resident memory of the process now (Linux /proc)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    async def terminate(self, timeout: float = 30.0) -> tuple[int, float]:
        """SIGTERM; (exit code, seconds until the process was gone). Killed if it outlives `timeout`."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            code = await self.process.wait()
        return code, time.monotonic() - started

    async def wait(self, timeout: float = 60.0) -> int:
        """Until a process that ends by itself (`kartoitus tick`) has ended; its exit code."""
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def kill(self) -> None:
        if self.running():
            assert self.process is not None
            self.process.kill()
            await self.process.wait()
