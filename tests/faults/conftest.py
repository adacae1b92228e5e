"""The fault suite's fixtures: the fake Bot API in its own process, and a PostgreSQL of the test's own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from tests.support.fake_bot_api import FakeBotApi
from tests.support.faults import restartable_postgres

__all__ = ["fake_api", "restartable_postgres"]


@pytest_asyncio.fixture
async def fake_api(tmp_path: Path) -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi(tmp_path)
    await api.start()
    yield api
    await api.stop()
