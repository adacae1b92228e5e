"""Translate-in for Telegram: a Bot API update → a neutral event (or None for what we ignore)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from telegram import Update

from bot.core.capabilities import parse_choice_payload
from bot.core.commands import parse_command
from bot.core.events import AnyEvent, ChoiceSelected, CommandReceived, TextReceived, ThreadReply
from bot.core.identity import ChannelRef, UserRef

PLATFORM = "telegram"


def bot_id_from_token(token: str) -> str:
    """The bot's numeric id (the token's prefix): the "workspace" that keeps two bots apart."""
    return token.split(":", 1)[0]


def to_event(update: Update, *, bot_id: str, aliases: Mapping[str, str], now: datetime | None = None
             ) -> AnyEvent | None:
    event_id = f"update-{update.update_id}"
    at = now or datetime.now(UTC)
    if update.callback_query is not None:
        query = update.callback_query
        parsed = parse_choice_payload(query.data or "")
        prompt_id, value = parsed if parsed else ("", "")
        return ChoiceSelected(event_id=event_id, user=UserRef(PLATFORM, bot_id, str(query.from_user.id)), at=at,
                              locale=query.from_user.language_code, prompt_id=prompt_id, value=value)
    edited = update.message is None and update.edited_message is not None
    message = update.message or update.edited_message
    if message is None or message.from_user is None or message.text is None:
        return None
    user = UserRef(PLATFORM, bot_id, str(message.from_user.id))
    private = message.chat.type == "private"
    channel = None if private else ChannelRef(PLATFORM, bot_id, str(message.chat.id))
    common = {"event_id": event_id, "user": user, "at": at, "locale": message.from_user.language_code,
              "channel": channel, "channel_title": "" if private else (message.chat.title or "")}
    replied = message.reply_to_message
    if channel is not None and replied is not None and replied.from_user is not None \
            and str(replied.from_user.id) == bot_id and (edited or parse_command(message.text, aliases) is None):
        # A reply to one of the bot's messages in a group: with privacy mode on, the only messages a bot sees
        # there besides commands (a team discussion's replies).
        return ThreadReply(text=message.text, reply_to=str(replied.message_id), message_ref=str(message.message_id),
                           edited=edited, **common)  # type: ignore[arg-type]
    if edited:
        return None  # an edit of anything else (a command, a private answer already taken) changes nothing
    command = parse_command(message.text, aliases)
    if command is not None:
        target = replied.from_user if replied is not None and channel is not None else None
        if target is not None and not target.is_bot:  # `/vetaja` as a reply names the author of that message
            common.update(target=UserRef(PLATFORM, bot_id, str(target.id)), target_name=target.full_name)
        return CommandReceived(name=command.name, argument=command.argument, raw=command.raw, **common)  # type: ignore[arg-type]
    if not private:
        return None  # privacy mode: only commands addressed to the bot count in groups
    return TextReceived(text=message.text, **common)  # type: ignore[arg-type]
