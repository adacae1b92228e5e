"""Translate-in for the terminal: a typed line → a neutral event."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.core.commands import parse_command
from bot.core.events import CommandReceived, Event, TextReceived
from bot.core.identity import ChannelRef, UserRef


def to_event(line: str, *, user: UserRef, event_id: str, at: datetime, locale: str | None,
             aliases: Mapping[str, str]) -> Event:
    command = parse_command(line, aliases)
    if command is not None and command.name == "join" and command.argument:
        # The terminal has no groups: "/liity autoala" joins the team named autoala, as if said in its group.
        title = command.argument.strip()
        return CommandReceived(event_id=event_id, user=user, at=at, locale=locale, name="join", raw=command.raw,
                               channel=ChannelRef(user.platform, user.workspace, title.casefold()), channel_title=title)
    if command is not None:
        return CommandReceived(event_id=event_id, user=user, at=at, locale=locale,
                               name=command.name, argument=command.argument, raw=command.raw)
    return TextReceived(event_id=event_id, user=user, at=at, locale=locale, text=line)
