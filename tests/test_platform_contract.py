"""The platform contract (adapters/platform.py), proven by a platform that exists only in this file.

An in-memory platform declares its own settings, capabilities, app and sender; registered beside the
real ones, it is configured by its own environment variable, started by the same wiring as Telegram
and Slack, and a person takes part 1 through it against a real SQLite file.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.platform import BuildDispatcher, Connected, HttpListener, Surroundings
from bot.core.capabilities import Capabilities
from bot.core.events import ChoiceSelected, CommandReceived, Event
from bot.core.identity import UserRef
from bot.core.messages import ChoicePrompt, FreeTextPrompt, MultiChoicePrompt, Notice, Outbound
from bot.core.ports import Clock, Conversations, Sender
from bot.shell import wiring
from bot.shell.platforms import PLATFORMS
from bot.shell.settings import settings_with
from storage.sql_store import SqlStore
from tests.support.clock import suite_now
from tests.support.conversation import RecordingSender

_ids = itertools.count(1)


class MemorySettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    memory_token: str | None = Field(None, alias="MEMORY_TOKEN")

    @field_validator("memory_token")
    @classmethod
    def _memory_token_shape(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("mem-"):
            raise ValueError("expected a token starting with mem-")
        return value


class MemoryApp:
    """People's events in (as a platform's SDK would hand them over), replies recorded."""

    def __init__(self, build_dispatcher: BuildDispatcher, clock: Clock) -> None:
        self._sender = RecordingSender()
        self.clock = clock
        self.dispatcher: Conversations = build_dispatcher(self._sender, lambda code: f"memory://join/{code}")
        self.started = self.stopped = False

    @property
    def sender(self) -> Sender:
        return self._sender

    @property
    def sent(self) -> list[Outbound]:
        return self._sender.sent

    async def deliver(self, event: Event) -> None:
        await self.dispatcher.handle(event)

    def event_fields(self, user: UserRef) -> dict[str, Any]:
        return {"event_id": f"m{next(_ids)}", "user": user, "at": self.clock.now(), "locale": "fi"}

    async def stop_intake(self) -> None:
        pass

    async def settle(self, timeout: float) -> bool:
        return True

    async def stop(self, *, timeout: float = 5.0) -> None:
        self.stopped = True


class MemoryPlatform:
    name = "memory"
    capabilities = Capabilities(platform="memory", buttons=True, button_label_max=60, callback_data_max_bytes=None,
                                text_max=4000)
    settings = MemorySettings

    def __init__(self) -> None:
        self.apps: list[MemoryApp] = []

    def enabled(self, settings: MemorySettings) -> bool:
        return settings.memory_token is not None

    def http_listener(self, settings: MemorySettings) -> HttpListener | None:
        return None

    def build_app(self, settings: MemorySettings, surroundings: Surroundings, build_dispatcher: BuildDispatcher,
                  **options: Any) -> MemoryApp:
        app = MemoryApp(build_dispatcher, surroundings.clock)
        self.apps.append(app)
        return app

    async def start(self, app: MemoryApp, settings: MemorySettings, surroundings: Surroundings) -> None:
        app.started = True

    async def open_sender(self, settings: MemorySettings, surroundings: Surroundings,
                          stack: AsyncExitStack) -> Sender:
        return RecordingSender()

    def join_link(self, sender: Sender) -> Callable[[str], str] | None:
        return None


class StandingClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def test_the_memory_platform_keeps_the_contract() -> None:
    assert isinstance(MemoryPlatform(), Connected)
    for platform in PLATFORMS:
        assert platform.capabilities.platform == platform.name


def test_platform_settings_validators_do_not_hide_each_other() -> None:
    """The composed settings inherit every platform's validators: two of the same name would hide one."""
    names = [name for platform in PLATFORMS
             for name in platform.settings.__pydantic_decorators__.field_validators
             ] + [name for platform in PLATFORMS for name in platform.settings.__pydantic_decorators__.model_validators]
    assert len(names) == len(set(names)), names


def test_a_registered_platform_has_its_settings_read_and_checked(tmp_path: Path) -> None:
    composed = settings_with((*PLATFORMS, MemoryPlatform()))
    database = {"KARTOITUS_DATABASE_URL": f"sqlite:///{tmp_path / 'memory.db'}"}
    settings = composed(_env_file=None, MEMORY_TOKEN="mem-1", **database)  # type: ignore[call-arg]
    assert settings.platforms_enabled and settings.memory_token == "mem-1"  # type: ignore[attr-defined]
    assert not composed(_env_file=None, **database).platforms_enabled  # type: ignore[call-arg]
    assert composed(_env_file=None, KARTOITUS_COORDINATORS="memory:anna").coordinator_ids == {"memory:anna"}  # type: ignore[call-arg]
    with pytest.raises(Exception, match="expected a token starting with mem-"):
        composed(_env_file=None, MEMORY_TOKEN="wrong")  # type: ignore[call-arg]
    with pytest.raises(Exception, match="memory, slack, telegram or terminal"):
        composed(_env_file=None, KARTOITUS_COORDINATORS="fax:1")  # type: ignore[call-arg]


async def test_part_one_through_a_platform_defined_only_in_this_test(tmp_path: Path) -> None:
    memory = MemoryPlatform()
    composed = settings_with((*PLATFORMS, memory))
    settings = composed(_env_file=None, MEMORY_TOKEN="mem-1",  # type: ignore[call-arg]
                        KARTOITUS_DATABASE_URL=f"sqlite:///{tmp_path / 'memory.db'}")
    wiring.prepare_database(settings)
    clock = StandingClock(suite_now())
    running = await wiring.start_platforms(settings, clock=clock, interval_seconds=3600)
    try:
        assert list(running.apps) == ["memory"] and running.apps["memory"] is memory.apps[0]
        app = memory.apps[0]
        assert app.started
        anna = UserRef("memory", "workspace", "anna")
        await app.deliver(CommandReceived(name="start", raw="/start", **app.event_fields(anna)))
        for _ in range(40):
            prompt = next((m for m in reversed(app.sent) if isinstance(m, ChoicePrompt | MultiChoicePrompt)), None)
            assert prompt is not None
            values = [option.value for option in prompt.options]
            if isinstance(prompt, MultiChoicePrompt):
                for value in values[:prompt.count]:
                    await app.deliver(ChoiceSelected(prompt_id=prompt.prompt_id, value=value,
                                                     **app.event_fields(anna)))
                if prompt.done_value:
                    await app.deliver(ChoiceSelected(prompt_id=prompt.prompt_id, value=prompt.done_value,
                                                     **app.event_fields(anna)))
                break
            choice = "4"  # part 1 runs straight through: ratings only, then the targets
            assert choice in values, values
            await app.deliver(ChoiceSelected(prompt_id=prompt.prompt_id, value=choice, **app.event_fields(anna)))
        texts = " ".join(m.text for m in app.sent if isinstance(m, Notice | ChoicePrompt | MultiChoicePrompt))
        texts += " ".join(line for m in app.sent if isinstance(m, FreeTextPrompt) for line in m.context)
        assert "Osa 1 on valmis" in texts
        assert all(m.to == anna for m in app.sent), "every reply went to the person, through the memory sender"
    finally:
        await running.stop()
    assert memory.apps[0].stopped
    answers = {row.question: row.value for row in SqlStore(wiring.engine_for(settings)).export_rows()}
    assert [answers[q] for q in sorted(answers) if q.startswith("rate:")] == ["4"] * 8
    assert len(answers["priorities"].split(",")) == 2
