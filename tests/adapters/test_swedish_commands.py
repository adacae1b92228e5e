"""Swedish commands typed with å, ä, ö (/ändra, /hjälp, /språk, /fortsätt) on each platform's way in.

The content names the commands in ASCII (Telegram's menu allows only a-z, 0-9, _), so /andra, /hjalp …
work as ever; what people type with the Swedish letters folds to them (bot.core.commands.fold).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Bot, Update

from adapters.slack import inbound as slack_inbound
from adapters.telegram.inbound import to_event as telegram_event
from adapters.terminal.inbound import to_event as terminal_event
from bot.core.commands import command_aliases
from bot.core.events import CommandReceived
from bot.core.identity import UserRef
from bot.shell.content import load_instrument
from tests.adapters.test_terminal_chat import kartoitus

ALIASES = command_aliases(load_instrument())
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TYPED = [("ändra", "edit"), ("andra", "edit"), ("hjälp", "help"), ("hjalp", "help"), ("språk sv", "language"),
         ("sprak sv", "language"), ("fortsätt", "resume"), ("fortsatt", "resume"), ("sammanställning", "digest")]


def telegram_update(text: str, chat: dict[str, object]) -> Update:
    payload = {"update_id": 40, "message": {"message_id": 50, "date": 1763800000, "text": text, "chat": chat,
                                            "from": {"id": 5001, "is_bot": False, "first_name": "Sven",
                                                     "language_code": "sv"}}}
    # No bot_command entity: Telegram makes none for a name with ä, and the adapter reads the text anyway.
    return Update.de_json(payload, Bot("123456789:TEST-token"))


@pytest.mark.parametrize(("typed", "name"), TYPED)
def test_telegram_private_and_group(typed: str, name: str) -> None:
    private = telegram_event(telegram_update("/" + typed, {"id": 5001, "type": "private"}), bot_id="123456789",
                             aliases=ALIASES, now=NOW)
    word, _, argument = typed.partition(" ")
    group = telegram_event(telegram_update(f"/{word}@KartoitusBot {argument}",
                                           {"id": -100777, "type": "supergroup", "title": "Autoala"}),
                           bot_id="123456789", aliases=ALIASES, now=NOW)
    for event in (private, group):
        assert isinstance(event, CommandReceived) and (event.name, event.argument) == (name, argument)


@pytest.mark.parametrize(("typed", "name"), TYPED)
def test_slack_slash_command_and_dm(typed: str, name: str) -> None:
    body = {"team_id": "T1", "user_id": "U1", "channel_id": "D1", "text": typed, "trigger_id": "t1"}
    slash = slack_inbound.slash_command(body, aliases=ALIASES, now=NOW)
    dm = slack_inbound.message_event({"team_id": "T1", "event_id": "E1", "event": {
        "type": "message", "channel_type": "im", "user": "U1", "text": "/" + typed, "ts": "1.0"}},
        aliases=ALIASES, now=NOW)
    for event in (slash, dm):
        assert isinstance(event, CommandReceived) and event.name == name


@pytest.mark.parametrize(("typed", "name"), TYPED)
def test_terminal_line(typed: str, name: str) -> None:
    event = terminal_event("/" + typed, user=UserRef("terminal", "local", "sven"), event_id="1", at=NOW,
                           locale="sv", aliases=ALIASES)
    assert isinstance(event, CommandReceived) and event.name == name


@pytest.mark.slow
def test_a_swedish_terminal_chat_with_the_swedish_letters(tmp_path: Path) -> None:
    lines = "/språk sv\n/hjälp\n/ändra\n/starta\nbra\n/paus\n/fortsätt\n"
    result = kartoitus("chat", "--user", "sven", database=tmp_path / "kartoitus.db", stdin=lines,
                       env={"PYTHONIOENCODING": "utf-8"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Jag känner inte till kommandot" not in out, out
    assert "Språket har bytts till svenska" in out and "Hjälp" in out
    assert "Du har inte svarat på något ännu." in out, "/ändra is the edit command"
    assert "Del 1 · 2/8" in out, "“bra” is the rating 4 Fungerar bra"
    assert "Välkommen tillbaka" in out, out[-800:]
