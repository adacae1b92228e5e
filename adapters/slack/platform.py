"""Slack as a platform: its settings, its capabilities, and how to build its app and its sender.

Imports nothing of slack-bolt, slack-sdk or aiohttp until an app or a sender is built.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.platform import BuildDispatcher, HttpListener, Surroundings
from adapters.slack.capabilities import CAPABILITIES
from bot.core.commands import command_aliases
from bot.core.ports import Sender

if TYPE_CHECKING:  # the limiter (asyncio) and the SDK come when an app or a sender is built
    from adapters.ratelimit import RateLimiter
    from adapters.slack.app import SlackBot


class SlackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)

    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None

    @field_validator("slack_bot_token")
    @classmethod
    def _slack_bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("expected the app's Bot User OAuth Token, starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _slack_app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("expected an app-level token with the connections:write scope, starting with xapp-")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_api_url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError(f"expected an http(s) URL, got '{value}'")
        return value

    @model_validator(mode="after")
    def _slack_complete(self) -> SlackSettings:
        if self.slack_app_token is not None and self.slack_bot_token is None:
            raise PydanticCustomError("slack_bot_token", "SLACK_BOT_TOKEN: Socket Mode needs the bot token too")
        if self.slack_bot_token is not None and self.slack_app_token is None and self.slack_signing_secret is None:
            raise PydanticCustomError("slack_signing_secret",
                                      "SLACK_SIGNING_SECRET: HTTP mode needs the signing secret "
                                      "(or set SLACK_APP_TOKEN for Socket Mode)")
        return self


class SlackPlatform:
    name = "slack"
    capabilities = CAPABILITIES
    settings = SlackSettings

    def enabled(self, settings: SlackSettings) -> bool:
        return settings.slack_enabled

    def http_listener(self, settings: SlackSettings) -> HttpListener | None:
        if settings.slack_bot_token is None or settings.slack_app_token is not None:
            return None  # not configured, or Socket Mode: Slack is reached over a socket
        return HttpListener(setting="SLACK_APP_TOKEN", mode="Slack in HTTP mode", instead="Socket Mode for Slack")

    def limiter(self, processes: int) -> RateLimiter:
        """Slack's pacing, this process's share of it (KARTOITUS_PROCESSES)."""
        from adapters.slack.sender import slack_limiter

        return slack_limiter(processes=processes)

    def build_app(self, settings: SlackSettings, surroundings: Surroundings, build_dispatcher: BuildDispatcher,
                  *, limiter: RateLimiter | None = None, **options: Any) -> SlackBot:
        from adapters.slack.app import SlackBot

        assert settings.slack_bot_token is not None

        def secret(value: SecretStr | None) -> str | None:
            return value.get_secret_value() if value is not None else None

        return SlackBot(bot_token=settings.slack_bot_token.get_secret_value(),
                        signing_secret=secret(settings.slack_signing_secret),
                        app_token=secret(settings.slack_app_token), api_url=settings.slack_api_url,
                        instrument=surroundings.instrument, build_dispatcher=build_dispatcher, refs=surroundings.refs,
                        reachability=surroundings.reachability, clock=surroundings.clock,
                        limiter=limiter or self.limiter(surroundings.processes), directory=surroundings.directory)

    async def start(self, app: SlackBot, settings: SlackSettings, surroundings: Surroundings) -> None:
        await app.start(host=surroundings.http_host, port=surroundings.http_port)

    async def open_sender(self, settings: SlackSettings, surroundings: Surroundings, stack: AsyncExitStack) -> Sender:
        from adapters.slack.outbound import CommandStyle
        from adapters.slack.sender import SlackSender, web_client

        assert settings.slack_bot_token is not None
        client = web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
        instrument = surroundings.instrument
        return SlackSender(client, texts=instrument.text, style=CommandStyle(command_aliases(instrument)),
                           refs=surroundings.refs, reachability=surroundings.reachability, clock=surroundings.clock,
                           limiter=self.limiter(surroundings.processes))

    def join_link(self, sender: Sender) -> Callable[[str], str] | None:
        return None  # Slack joins a team by `/kartoitus liity` in its channel, not by a code


PLATFORM = SlackPlatform()
