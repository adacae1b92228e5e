"""Translate-in for Telegram: a Bot API update → a neutral event (or None for what we ignore)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from telegram import Update

from bot.core.capabilities import parse_choice_payload
from bot.core.commands import parse_command
from bot.core.events import ChoiceSelected, CommandReceived, Event, TextReceived
from bot.core.identity import ChannelRef, UserRef

PLATFORM = "telegram"


def bot_id_from_token(token: str) -> str:
    """The bot's numeric id (the token's prefix): the "workspace" that keeps two bots apart."""
    return token.split(":", 1)[0]


def to_event(update: Update, *, bot_id: str, aliases: Mapping[str, str], now: datetime | None = None) -> Event | None:
    event_id = f"update-{update.update_id}"
    at = now or datetime.now(UTC)
    if update.callback_query is not None:
        query = update.callback_query
        parsed = parse_choice_payload(query.data or "")
        prompt_id, value = parsed if parsed else ("", "")
        return ChoiceSelected(event_id=event_id, user=UserRef(PLATFORM, bot_id, str(query.from_user.id)), at=at,
                              locale=query.from_user.language_code, prompt_id=prompt_id, value=value)
    message = update.message
    if message is None or message.from_user is None or message.text is None:
        return None
    user = UserRef(PLATFORM, bot_id, str(message.from_user.id))
    private = message.chat.type == "private"
    channel = None if private else ChannelRef(PLATFORM, bot_id, str(message.chat.id))
    common = {"event_id": event_id, "user": user, "at": at, "locale": message.from_user.language_code,
              "channel": channel, "channel_title": "" if private else (message.chat.title or "")}
    command = parse_command(message.text, aliases)
    if command is not None:
        return CommandReceived(name=command.name, argument=command.argument, raw=command.raw, **common)  # type: ignore[arg-type]
    if not private:
        return None  # privacy mode: only commands addressed to the bot count in groups
    return TextReceived(text=message.text, **common)  # type: ignore[arg-type]
