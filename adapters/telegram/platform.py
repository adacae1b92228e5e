"""Telegram as a platform: its settings, its capabilities, and how to build its app and its sender.

Imports nothing of python-telegram-bot until an app or a sender is built (a CLI command does not pay).
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
from adapters.telegram.capabilities import CAPABILITIES
from bot.core.ports import Sender

if TYPE_CHECKING:  # the limiter (asyncio) and the SDK come when an app or a sender is built
    from adapters.ratelimit import RateLimiter
    from adapters.telegram.app import TelegramBot


class TelegramSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)

    telegram_bot_token: SecretStr | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field("https://api.telegram.org", alias="TELEGRAM_API_URL")
    telegram_webhook_url: str | None = Field(None, alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: SecretStr | None = Field(None, alias="TELEGRAM_WEBHOOK_SECRET")

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    @field_validator("telegram_bot_token")
    @classmethod
    def _telegram_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"\d+:[\w-]+", value.get_secret_value()):
            raise ValueError("expected a token from BotFather, like 123456:ABC-def")
        return value

    @field_validator("telegram_api_url", "telegram_webhook_url")
    @classmethod
    def _telegram_urls(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError(f"expected an http(s) URL, got '{value}'")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("1-256 characters: letters A-Z a-z, digits, _ and -")
        return value

    @model_validator(mode="after")
    def _telegram_webhook_needs_secret(self) -> TelegramSettings:
        if self.telegram_webhook_url and self.telegram_webhook_secret is None:
            raise PydanticCustomError("webhook_secret", "TELEGRAM_WEBHOOK_SECRET: a webhook needs a secret token")
        return self


class TelegramPlatform:
    name = "telegram"
    capabilities = CAPABILITIES
    settings = TelegramSettings

    def enabled(self, settings: TelegramSettings) -> bool:
        return settings.telegram_enabled

    def http_listener(self, settings: TelegramSettings) -> HttpListener | None:
        if not settings.telegram_webhook_url:
            return None
        return HttpListener(setting="TELEGRAM_WEBHOOK_URL", mode="a Telegram webhook", instead="polling for Telegram")

    def limiter(self, processes: int) -> RateLimiter:
        """Telegram's limits, this process's share of them (KARTOITUS_PROCESSES)."""
        from adapters.ratelimit import RateLimiter

        return RateLimiter(processes=processes)

    def build_app(self, settings: TelegramSettings, surroundings: Surroundings, build_dispatcher: BuildDispatcher,
                  *, limiter: RateLimiter | None = None, poll_interval: float = 0.0, **options: Any) -> TelegramBot:
        from adapters.telegram.app import TelegramBot

        assert settings.telegram_bot_token is not None
        return TelegramBot(token=settings.telegram_bot_token.get_secret_value(), api_url=settings.telegram_api_url,
                           instrument=surroundings.instrument, build_dispatcher=build_dispatcher,
                           refs=surroundings.refs, reachability=surroundings.reachability, clock=surroundings.clock,
                           limiter=limiter or self.limiter(surroundings.processes), poll_interval=poll_interval)

    async def start(self, app: TelegramBot, settings: TelegramSettings, surroundings: Surroundings) -> None:
        secret = settings.telegram_webhook_secret
        await app.start(webhook_url=settings.telegram_webhook_url,
                        webhook_secret=secret.get_secret_value() if secret is not None else None,
                        listen=surroundings.http_host, port=surroundings.http_port)

    async def open_sender(self, settings: TelegramSettings, surroundings: Surroundings,
                          stack: AsyncExitStack) -> Sender:
        from telegram import Bot

        from adapters.telegram.sender import TelegramSender

        assert settings.telegram_bot_token is not None
        bot = Bot(settings.telegram_bot_token.get_secret_value(),
                  base_url=f"{settings.telegram_api_url.rstrip('/')}/bot")
        await stack.enter_async_context(bot)
        return TelegramSender(bot, refs=surroundings.refs, reachability=surroundings.reachability,
                              clock=surroundings.clock, limiter=self.limiter(surroundings.processes))

    def join_link(self, sender: Sender) -> Callable[[str], str] | None:
        """The deep link t.me/<bot>?start=<code>: opens the private chat and joins the team."""
        from adapters.telegram.outbound import deep_link
        from adapters.telegram.sender import TelegramSender

        if not isinstance(sender, TelegramSender):
            return None
        bot = sender.bot
        return lambda code: deep_link(bot.username, code)


PLATFORM = TelegramPlatform()
