"""Running `kartoitus …` as an operator would: a subprocess with only the settings the test gives.

On the test's clock, with the platform and kartoitus settings of the test's own machine left out;
weekly digests off unless a test asks for them, so a tick counts what the test queued, whatever the day.
"""

from __future__ import annotations

import asyncio
import os
import sys

from tests.support.clock import clock_setting
from tests.support.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlackApi


async def run_kartoitus(database: str, *args: str, api: FakeSlackApi | None = None, **settings: str
                        ) -> tuple[int, str]:
    """Exit code and everything printed (stdout and stderr together)."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("SLACK_", "TELEGRAM_", "KARTOITUS_"))}
    environment.update(KARTOITUS_DATABASE_URL=database, KARTOITUS_DIGEST_WEEKDAY="0", **clock_setting())
    if api is not None:
        environment.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=api.url)
    environment.update(settings)
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, env=environment,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()
