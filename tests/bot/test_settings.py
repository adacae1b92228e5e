"""Settings: defaults, and one message naming every bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.shell.settings import DEFAULT_DATABASE_URL, InvalidSettings, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("KARTOITUS_DATABASE_URL", "KARTOITUS_CONTENT_DIR", "KARTOITUS_TIMEZONE", "KARTOITUS_LANGUAGE",
                "KARTOITUS_LOG_LEVEL", "KARTOITUS_HTTP_PORT", "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL",
                "TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET",
                "SLACK_APP_TOKEN", "SLACK_API_URL", "KARTOITUS_COORDINATORS", "KARTOITUS_REMINDER_DAYS",
                "KARTOITUS_REMINDER_MAX", "KARTOITUS_WORKING_HOURS", "KARTOITUS_CLOCK_START"):
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


def test_telegram_settings_are_checked_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not a token")
    monkeypatch.setenv("TELEGRAM_API_URL", "ftp://example")
    monkeypatch.setenv("KARTOITUS_HTTP_PORT", "99999")
    with pytest.raises(InvalidSettings) as raised:
        load_settings(env_file=None)
    assert set(raised.value.problems) == {"TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "KARTOITUS_HTTP_PORT"}
    assert "not a token" not in str(raised.value), "a token is a secret, even a wrong one"


def test_a_webhook_needs_its_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:ABC-def_ghi")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.example.fi/telegram")
    with pytest.raises(InvalidSettings) as raised:
        load_settings(env_file=None)
    assert set(raised.value.problems) == {"TELEGRAM_WEBHOOK_SECRET"}
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "s3cret_token-1")
    settings = load_settings(env_file=None)
    assert settings.telegram_enabled and settings.telegram_api_url == "https://api.telegram.org"


def test_slack_tokens_are_checked_without_showing_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-user-token")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xoxb-wrong-kind")
    monkeypatch.setenv("SLACK_API_URL", "slack.example")
    with pytest.raises(InvalidSettings) as raised:
        load_settings(env_file=None)
    assert set(raised.value.problems) == {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_API_URL"}
    assert "xoxp-user-token" not in str(raised.value)


def test_slack_http_mode_needs_the_signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-abc")
    with pytest.raises(InvalidSettings) as raised:
        load_settings(env_file=None)
    assert set(raised.value.problems) == {"SLACK_SIGNING_SECRET"}
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A1-abc")
    settings = load_settings(env_file=None)  # Socket Mode: Slack signs nothing over the socket
    assert settings.slack_enabled and settings.slack_api_url == "https://slack.com/api/"


def test_slack_http_and_a_telegram_webhook_cannot_share_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-abc")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "abc123")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:ABC-def_ghi")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.example.fi/telegram")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "s3cret_token-1")
    with pytest.raises(InvalidSettings) as raised:
        load_settings(env_file=None)
    assert set(raised.value.problems) == {"SLACK_APP_TOKEN"}
    monkeypatch.delenv("TELEGRAM_WEBHOOK_URL")
    settings = load_settings(env_file=None)
    assert settings.slack_enabled and settings.telegram_enabled


def test_rounds_and_reminder_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(env_file=None)
    assert settings.reminder_offsets == (7, 3, 1) and settings.reminder_max == 6
    assert settings.working_hour_range == (9, 16) and settings.coordinator_ids == frozenset()
    monkeypatch.setenv("KARTOITUS_COORDINATORS", "slack:U0MAIJA, telegram:12345")
    monkeypatch.setenv("KARTOITUS_REMINDER_DAYS", "1,5")
    monkeypatch.setenv("KARTOITUS_WORKING_HOURS", "8-15")
    settings = load_settings(env_file=None)
    assert settings.coordinator_ids == {"slack:U0MAIJA", "telegram:12345"}
    assert settings.reminder_offsets == (5, 1) and settings.working_hour_range == (8, 15)
    monkeypatch.setenv("KARTOITUS_COORDINATORS", "maija")
    monkeypatch.setenv("KARTOITUS_REMINDER_DAYS", "seven")
    monkeypatch.setenv("KARTOITUS_WORKING_HOURS", "16-9")
    with pytest.raises(InvalidSettings) as raised:
        load_settings(env_file=None)
    assert set(raised.value.problems) == {"KARTOITUS_COORDINATORS", "KARTOITUS_REMINDER_DAYS",
                                          "KARTOITUS_WORKING_HOURS"}


def test_the_process_clock_can_start_at_a_chosen_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.core.clock import StartedClock, SystemClock
    from bot.shell import wiring

    assert load_settings(env_file=None).clock_start is None
    assert isinstance(wiring.clock_for(load_settings(env_file=None)), SystemClock)
    monkeypatch.setenv("KARTOITUS_CLOCK_START", "2026-12-06T10:00")  # no offset: wall time in KARTOITUS_TIMEZONE
    settings = load_settings(env_file=None)
    assert settings.clock_start is not None and settings.clock_start.astimezone(UTC) == datetime(2026, 12, 6, 8,
                                                                                                   tzinfo=UTC)
    clock = wiring.clock_for(settings)
    assert isinstance(clock, StartedClock) and clock is wiring.clock_for(settings), "one clock for the process"
    assert timedelta(0) <= clock.now() - settings.clock_start < timedelta(minutes=1), "it runs on from there"
    monkeypatch.setenv("KARTOITUS_TIMEZONE", "America/New_York")
    assert load_settings(env_file=None).clock_start == datetime(2026, 12, 6, 15, tzinfo=UTC)
    monkeypatch.setenv("KARTOITUS_CLOCK_START", "next monday")
    with pytest.raises(InvalidSettings) as raised:
        load_settings(env_file=None)
    assert set(raised.value.problems) == {"KARTOITUS_CLOCK_START"}
