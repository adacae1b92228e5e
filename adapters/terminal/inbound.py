"""Translate-in for the terminal: a typed line → a neutral event."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.commands import parse_command
from bot.events import CommandReceived, Event, TextReceived
from bot.identity import UserRef


def to_event(line: str, *, user: UserRef, event_id: str, at: datetime, locale: str | None,
             aliases: Mapping[str, str]) -> Event:
    command = parse_command(line, aliases)
    if command is not None:
        return CommandReceived(event_id=event_id, user=user, at=at, locale=locale,
                               name=command.name, argument=command.argument, raw=command.raw)
    return TextReceived(event_id=event_id, user=user, at=at, locale=locale, text=line)
