"""A running Slack app (the real bolt adapter in HTTP mode) against a fake Web API, on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest_asyncio

from adapters.ratelimit import RateLimiter
from adapters.slack.app import EVENTS_PATH, SlackBot
from adapters.slack.platform import PLATFORM as SLACK
from bot.core.clock import StartedClock
from bot.shell import wiring
from bot.shell.settings import Settings
from storage.database import create_database_engine
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams
from tests.support.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlackApi, SlackPerson, free_port

# Generous limits keep the tests quick; the pacing itself is tested with a fake clock.
FAST = {"overall_per_second": 1000, "chat_per_second": 1000, "chat_burst": 100, "group_per_minute": 60000}


@pytest_asyncio.fixture
async def settings(slack_api: FakeSlackApi, tmp_path: Path) -> Settings:
    values = {"KARTOITUS_DATABASE_URL": f"sqlite:///{tmp_path / 'slack.db'}", "SLACK_BOT_TOKEN": BOT_TOKEN,
              "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack_api.url}
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    wiring.prepare_database(settings)
    return settings


@pytest_asyncio.fixture
async def start_app(settings: Settings, suite_clock: StartedClock) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Starts the app (on the suite's clock) on a free port; returns the URL Slack would post to."""
    running: list[SlackBot] = []

    async def start() -> str:
        bot = wiring.platform_app(settings, SLACK, limiter=RateLimiter(**FAST), clock=suite_clock)  # type: ignore[arg-type]
        port = free_port()
        await bot.start(host="127.0.0.1", port=port)
        running.append(bot)
        return f"http://127.0.0.1:{port}{EVENTS_PATH}"

    yield start
    for bot in running:
        await bot.stop()


@pytest_asyncio.fixture
async def app_url(start_app: Callable[[], Awaitable[str]]) -> str:
    return await start_app()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as client:  # a loaded 2-core machine can be slow
        yield client


@pytest_asyncio.fixture
async def anna(app_url: str, slack_api: FakeSlackApi, http: httpx.AsyncClient) -> SlackPerson:
    return SlackPerson(app_url, slack_api, http, "U0ANNA")


@pytest_asyncio.fixture
async def stores(settings: Settings) -> AsyncIterator[tuple[SqlStore, SqlTeams]]:
    engine = create_database_engine(settings.database_url)
    yield SqlStore(engine), SqlTeams(engine)
    engine.dispose()
