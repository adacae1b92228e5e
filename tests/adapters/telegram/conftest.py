"""A running Telegram bot (the real adapter) against the emulator, on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest_asyncio

from adapters.ratelimit import RateLimiter
from adapters.telegram.app import TelegramBot
from adapters.telegram.platform import PLATFORM as TELEGRAM
from bot.core.clock import StartedClock
from bot.shell import wiring
from bot.shell.settings import Settings
from storage.database import create_database_engine
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams
from tests.support.telegram import TOKEN, TelegramPerson
from tests.support.telegram_proxy import RepairingProxy

# Generous limits keep the tests quick; the real limits are tested with a fake clock.
FAST = {"overall_per_second": 1000, "chat_per_second": 1000, "chat_burst": 100, "group_per_minute": 60000}


@pytest_asyncio.fixture
async def settings(telegram_proxy: RepairingProxy, tmp_path: Path) -> Settings:
    values = {"KARTOITUS_DATABASE_URL": f"sqlite:///{tmp_path / 'telegram.db'}", "TELEGRAM_BOT_TOKEN": TOKEN,
              "TELEGRAM_API_URL": telegram_proxy.url}
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    wiring.prepare_database(settings)
    return settings


@pytest_asyncio.fixture
async def start_bot(settings: Settings, suite_clock: StartedClock
                    ) -> AsyncIterator[Callable[..., Awaitable[TelegramBot]]]:
    """Starts the real bot (on the suite's clock) against the emulator."""
    running: list[TelegramBot] = []

    async def start(**options: object) -> TelegramBot:
        bot = wiring.platform_app(settings, TELEGRAM, limiter=RateLimiter(**FAST), clock=suite_clock)  # type: ignore[arg-type]
        await bot.start(**options)  # type: ignore[arg-type]
        running.append(bot)
        return bot

    yield start
    for bot in running:
        await bot.stop()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as client:  # a loaded 2-core machine can be slow
        yield client


@pytest_asyncio.fixture
async def anna(http: httpx.AsyncClient, telegram_emulator: str) -> TelegramPerson:
    return TelegramPerson(http, telegram_emulator, name="Anna", language="fi")


@pytest_asyncio.fixture
async def stores(settings: Settings) -> AsyncIterator[tuple[SqlStore, SqlTeams]]:
    engine = create_database_engine(settings.database_url)
    yield SqlStore(engine), SqlTeams(engine)
    engine.dispose()
