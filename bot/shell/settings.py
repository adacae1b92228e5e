"""Settings from the environment or `.env`; a wrong setting stops the program with one message.

This module and bot.shell.wiring are the only places that read the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.platform import Platform
from bot.shell.platforms import PLATFORMS, connected

DEFAULT_DATABASE_URL = "sqlite:///./kartoitus.db"
SUPPORTED_DATABASES = ("sqlite", "postgresql")


class InvalidSettings(Exception):
    """Every bad key with its reason, for one message."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(", ".join(f"{key}: {reason}" for key, reason in problems.items()))
        self.problems = problems


class CoreSettings(BaseSettings):
    """The program's own settings; each platform adds its model (settings_with)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)
    platforms: ClassVar[Sequence[Platform]] = ()

    database_url: str = Field(DEFAULT_DATABASE_URL, alias="KARTOITUS_DATABASE_URL")
    content_dir: Path | None = Field(None, alias="KARTOITUS_CONTENT_DIR")
    timezone: str = Field("Europe/Helsinki", alias="KARTOITUS_TIMEZONE")
    language: Literal["fi", "sv", "en"] = Field("fi", alias="KARTOITUS_LANGUAGE")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("WARNING", alias="KARTOITUS_LOG_LEVEL")
    http_host: str = Field("127.0.0.1", alias="KARTOITUS_HTTP_HOST")
    http_port: int = Field(8080, ge=1, le=65535, alias="KARTOITUS_HTTP_PORT")
    # rehearsals and tests: the process clock starts at this moment and runs on in real time (unset: the real time)
    clock_start: datetime | None = Field(None, alias="KARTOITUS_CLOCK_START")

    coordinators: str = Field("", alias="KARTOITUS_COORDINATORS")  # "slack:U123,telegram:456,terminal:maija"
    reminder_days: str = Field("7,3,1", alias="KARTOITUS_REMINDER_DAYS")  # working days before each deadline
    reminder_max: int = Field(6, ge=0, le=50, alias="KARTOITUS_REMINDER_MAX")  # per person and round
    working_hours: str = Field("9-16", alias="KARTOITUS_WORKING_HOURS")
    digest_weekday: int = Field(1, ge=0, le=5, alias="KARTOITUS_DIGEST_WEEKDAY")  # 1 Monday … 5 Friday; 0: none
    # what an open round's weekly digests show: participation (results at the close, against herding) or results
    digest_during_round: Literal["participation", "results"] = Field("participation",
                                                                      alias="KARTOITUS_DIGEST_DURING_ROUND")
    # a team discussion without replies for this many working days gets one reminder in its channel
    discussion_idle_days: int = Field(3, ge=1, le=30, alias="KARTOITUS_DISCUSSION_IDLE_DAYS")
    min_scores: int = Field(3, ge=2, le=100, alias="KARTOITUS_MIN_SCORES")  # anonymity: scores from at least
    min_texts: int = Field(5, ge=2, le=100, alias="KARTOITUS_MIN_TEXTS")  # anonymity: open answers from at least
    # raw answers and person-to-answer links of rounds closed longer ago are deleted (aggregates kept)
    retention_months: int = Field(24, ge=1, le=240, alias="KARTOITUS_RETENTION_MONTHS")
    # messages on the wire per outbox worker: the most a kill -9 can send twice
    outbox_in_flight: int = Field(8, ge=1, le=64, alias="KARTOITUS_OUTBOX_IN_FLIGHT")
    # how long a claimed message is held before another worker may take it (a crashed worker's messages)
    outbox_lease_seconds: float = Field(120, ge=1, le=3600, alias="KARTOITUS_OUTBOX_LEASE_SECONDS")
    # how often `kartoitus run` does the scheduled work (reminders, digests, the outbox)
    tick_seconds: float = Field(60, ge=1, le=3600, alias="KARTOITUS_TICK_SECONDS")
    # how many processes send for the same bots (each `kartoitus run`, and a cron `kartoitus tick`): each keeps
    # its share of the platforms' overall and per-group send limits (see adapters/ratelimit.py)
    processes: int = Field(1, ge=1, le=64, alias="KARTOITUS_PROCESSES")

    @property
    def platforms_enabled(self) -> bool:
        """Some connected platform is configured (else `kartoitus run` is the terminal chat)."""
        return any(platform.enabled(self) for platform in connected(self.platforms))

    @model_validator(mode="after")
    def _one_listener_per_port(self) -> CoreSettings:
        listeners = [listener for platform in connected(self.platforms)
                     if (listener := platform.http_listener(self)) is not None]
        if len(listeners) > 1:
            *others, last = listeners
            modes = " and ".join([last.mode, *(other.mode for other in others)])
            ways = " or ".join([last.instead, *(other.instead for other in others)])
            raise PydanticCustomError("http_port", f"{last.setting}: {modes} cannot share KARTOITUS_HTTP_PORT; "
                                                   f"use {ways}")
        return self

    @property
    def coordinator_ids(self) -> frozenset[str]:
        return frozenset(item.strip() for item in self.coordinators.split(",") if item.strip())

    @property
    def reminder_offsets(self) -> tuple[int, ...]:
        return tuple(sorted({int(part) for part in self.reminder_days.split(",") if part.strip()}, reverse=True))

    @property
    def working_hour_range(self) -> tuple[int, int]:
        start, end = self.working_hours.split("-")
        return int(start), int(end)

    @field_validator("reminder_days")
    @classmethod
    def _working_day_offsets(cls, value: str) -> str:
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if not all(part.isdigit() and int(part) <= 60 for part in parts):
            raise ValueError(f"expected working days before a deadline, like 7,3,1; got '{value}'")
        return value

    @field_validator("working_hours")
    @classmethod
    def _hour_range(cls, value: str) -> str:
        match = re.fullmatch(r"\s*(\d{1,2})\s*-\s*(\d{1,2})\s*", value)
        if match is None or not 0 <= int(match[1]) < int(match[2]) <= 24:
            raise ValueError(f"expected hours like 9-16, got '{value}'")
        return value

    @field_validator("coordinators")
    @classmethod
    def _platform_user_ids(cls, value: str) -> str:
        names = sorted(platform.name for platform in cls.platforms)
        known = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        for item in filter(None, (part.strip() for part in value.split(","))):
            platform, _, user = item.partition(":")
            if platform not in names or not user:
                raise ValueError(f"expected platform:user_id items ({known}), got '{item}'")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if "://" not in value or scheme not in SUPPORTED_DATABASES:
            raise ValueError(f"expected a sqlite:/// or postgresql:// URL, got '{value}'")
        return value

    @field_validator("content_dir")
    @classmethod
    def _existing_directory(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"no such directory: {value}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone '{value}'") from error
        return value

    @model_validator(mode="after")
    def _clock_start_in_time_zone(self) -> CoreSettings:
        """A moment written without an offset is wall time in KARTOITUS_TIMEZONE."""
        if self.clock_start is not None and self.clock_start.tzinfo is None:
            self.clock_start = self.clock_start.replace(tzinfo=ZoneInfo(self.timezone))
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


def settings_with(platforms: Sequence[Platform]) -> type[CoreSettings]:
    """The settings of a program with these platforms: the core's fields and every platform's own, read and
    checked together (one message names every bad key)."""
    models = tuple(dict.fromkeys(platform.settings for platform in platforms))
    composed = type("Settings", (CoreSettings, *models), {
        "__module__": __name__, "__doc__": CoreSettings.__doc__, "platforms": tuple(platforms),
        "model_config": CoreSettings.model_config})
    return composed


if TYPE_CHECKING:  # what the program reads of its settings is typed on the core's; platforms read their own
    Settings = CoreSettings
else:
    Settings = settings_with(PLATFORMS)


def load_settings(env_file: Path | None = Path(".env")) -> Settings:
    """Read the settings, or raise InvalidSettings naming every bad key."""
    try:
        return Settings(_env_file=env_file)
    except ValidationError as error:
        problems: dict[str, str] = {}
        for item in error.errors():
            message = str(item["msg"]).removeprefix("Value error, ")
            key = str(item["loc"][0]) if item["loc"] else message.split(":", 1)[0]
            problems.setdefault(key, message.split(": ", 1)[-1] if not item["loc"] else message)
        raise InvalidSettings(problems) from None


def operator_language() -> str:
    """The language for messages to whoever runs the program, even when settings are broken."""
    value = os.environ.get("KARTOITUS_LANGUAGE", "fi")
    return value if value in ("fi", "sv", "en") else "fi"
