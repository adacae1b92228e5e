"""manifest.yaml asks for exactly what the app uses, so an admin can create the app by pasting it."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[3] / "manifest.yaml").read_text(encoding="utf-8"))


def test_the_manifest_matches_what_the_app_listens_to() -> None:
    """The app handles message.im and app_home_opened events, thread replies in team channels (message.channels,
    message.groups), /kartoitus (escaped: mentions arrive as ids), buttons and the modal (see
    adapters/slack/app.py); it posts, updates, reads locales, opens views."""
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == {
        "message.im", "app_home_opened", "message.channels", "message.groups"}
    assert MANIFEST["features"]["slash_commands"][0]["should_escape"] is True
    assert [command["command"] for command in MANIFEST["features"]["slash_commands"]] == ["/kartoitus"]
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["features"]["app_home"]["messages_tab_read_only_enabled"] is False
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == {"chat:write", "chat:write.public", "commands",
                                                               "files:write", "im:history", "im:write", "users:read",
                                                               "channels:history", "groups:history"}
    assert "user" not in MANIFEST["oauth_config"]["scopes"], "the app acts as its bot only"
    assert len(MANIFEST["display_information"]["description"]) <= 140
    assert len(MANIFEST["features"]["slash_commands"][0]["description"]) <= 100
