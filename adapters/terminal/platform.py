"""The terminal as a platform: the embedded default, run in the foreground by `kartoitus chat` or `run`.

It connects to nothing, so it has no settings of its own and no app to start in the background.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.terminal.capabilities import CAPABILITIES


class TerminalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)


class TerminalPlatform:
    name = "terminal"
    capabilities = CAPABILITIES
    settings = TerminalSettings


PLATFORM = TerminalPlatform()
