"""Settings: defaults, and one message naming every bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULT_DATABASE_URL, InvalidSettings, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("KARTOITUS_DATABASE_URL", "KARTOITUS_CONTENT_DIR", "KARTOITUS_TIMEZONE", "KARTOITUS_LANGUAGE",
                "KARTOITUS_LOG_LEVEL"):
        monkeypatch.delenv(key, raising=False)


def test_defaults_are_the_embedded_sqlite_file_in_finnish() -> None:
    settings = load_settings(env_file=None)
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///./kartoitus.db"
    assert settings.timezone == "Europe/Helsinki"
    assert settings.language == "fi"


def test_every_bad_key_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KARTOITUS_DATABASE_URL", "mysql://nope")
    monkeypatch.setenv("KARTOITUS_TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("KARTOITUS_LANGUAGE", "de")
    monkeypatch.setenv("KARTOITUS_CONTENT_DIR", "/no/such/folder")
    with pytest.raises(InvalidSettings) as raised:
        load_settings(env_file=None)
    assert set(raised.value.problems) == {"KARTOITUS_DATABASE_URL", "KARTOITUS_TIMEZONE", "KARTOITUS_LANGUAGE",
                                          "KARTOITUS_CONTENT_DIR"}
    assert "Mars/Olympus" in raised.value.problems["KARTOITUS_TIMEZONE"]


def test_dot_env_file_is_read(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("KARTOITUS_LANGUAGE=sv\nKARTOITUS_DATABASE_URL=postgresql://u@127.0.0.1/k\n", encoding="utf-8")
    settings = load_settings(env_file=env)
    assert settings.language == "sv"
    assert settings.database_url.startswith("postgresql://")
