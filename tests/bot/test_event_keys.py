"""An event's key is stored to process it only once: its form must never change."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.events import ChoiceSelected, CommandReceived, TextReceived
from bot.core.identity import UserRef

USER = UserRef("telegram", "8123", "70000001")
AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_the_key_is_platform_workspace_and_the_platforms_event_id() -> None:
    events = [TextReceived(event_id="991", user=USER, at=AT, text="4"),
              ChoiceSelected(event_id="991", user=USER, at=AT, prompt_id="3", value="4"),
              CommandReceived(event_id="991", user=USER, at=AT, name="pause")]
    assert {event.key for event in events} == {"telegram:8123:991"}
