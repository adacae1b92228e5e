"""The platform contract: the one object each `adapters/<platform>/platform.py` exports as `PLATFORM`.

A platform declares its name, its capabilities (what it can show) and its settings (its own
pydantic-settings model; bot.shell.settings composes the models of the registered platforms, so
the core settings hold no platform field). A platform that connects to a service (`Connected`) also
says when it is configured, whether it listens on KARTOITUS_HTTP_PORT, and builds two things from
what the shell hands it (`Surroundings`): its app (people's events in, replies out, start and stop)
and, for the scheduler outside any conversation, a sender. The shell loops over the registry
(bot.shell.platforms); nothing else in the program names a platform.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from bot.core.capabilities import Capabilities
from bot.core.instrument import Instrument
from bot.core.ports import Clock, Conversations, MessageRefs, PeopleDirectory, Reachability, Sender

# What a platform app calls once, with its sender and its join links: the core around a person's turn.
BuildDispatcher = Callable[[Sender, Callable[[str], str]], Conversations]


@dataclass(frozen=True, slots=True)
class Surroundings:
    """What the shell hands a platform to build its app or its sender."""

    instrument: Instrument
    clock: Clock
    refs: MessageRefs  # which platform message shows which prompt (edits, stale buttons)
    reachability: Reachability  # people the platform will not let the bot message first
    directory: PeopleDirectory  # what a platform tells about a person (time zone)
    processes: int  # how many processes send for the same bot (each keeps its share of the limits)
    http_host: str
    http_port: int


@dataclass(frozen=True, slots=True)
class HttpListener:
    """A platform configured to receive on KARTOITUS_HTTP_PORT; two of them cannot share it."""

    setting: str  # the setting to change, named in the error ("SLACK_APP_TOKEN")
    mode: str  # "Slack in HTTP mode"
    instead: str  # "Socket Mode for Slack"


class PlatformApp(Protocol):
    """A running platform: its sender, and a graceful stop in three steps (see bot.shell.wiring.shut_down)."""

    @property
    def sender(self) -> Sender: ...

    async def stop_intake(self) -> None: ...

    async def settle(self, timeout: float) -> bool: ...

    async def stop(self, *, timeout: float = ...) -> None: ...


class Platform(Protocol):
    """Every platform: its name (as in KARTOITUS_COORDINATORS, "telegram:123"), capabilities and settings."""

    name: str
    capabilities: Capabilities
    # A pydantic-settings model, composed with the others into the program's settings: its fields and its
    # validators' names start with the platform's name (one class inherits them all; a same name would hide).
    settings: type[Any]


@runtime_checkable
class Connected(Platform, Protocol):
    """A platform that talks to a service; `settings` below is the composed settings object."""

    def enabled(self, settings: Any) -> bool:
        """Configured in this process (its token is set)."""
        ...

    def http_listener(self, settings: Any) -> HttpListener | None: ...

    def build_app(self, settings: Any, surroundings: Surroundings, build_dispatcher: BuildDispatcher,
                  **options: Any) -> PlatformApp:
        """The app around the dispatcher; options are the platform's own (a limiter, a poll interval...)."""
        ...

    async def start(self, app: Any, settings: Any, surroundings: Surroundings) -> None:
        """Start receiving (polling, a webhook, a socket or an HTTP server)."""
        ...

    async def open_sender(self, settings: Any, surroundings: Surroundings, stack: AsyncExitStack) -> Sender:
        """A sender without an app (a scheduler tick); what it opens is closed with `stack`."""
        ...

    def join_link(self, sender: Sender) -> Callable[[str], str] | None:
        """The link that opens a private chat and joins a team by code, if the platform has one."""
        ...
