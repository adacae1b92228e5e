"""Translate-in for Slack: request payloads (Events API, block_actions, slash commands,
view_submission) → neutral events, or None for what the app ignores. Pure.

Each event gets an id that stays the same when Slack delivers the same request again:
the Events API's `event_id`, the click's `action_ts`, the command's or view's own id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.slack.outbound import unescape
from bot.core.capabilities import parse_choice_payload
from bot.core.commands import parse_command
from bot.core.events import ChoiceSelected, CommandReceived, Event, ReplyRemoved, TextReceived, ThreadReply
from bot.core.identity import ChannelRef, UserRef

PLATFORM = "slack"
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
Payload = Mapping[str, Any]


def _team(body: Payload) -> str:
    team = body.get("team")
    if isinstance(team, Mapping):
        return str(team.get("id", ""))
    return str(body.get("team_id") or team or "")


def person(body: Payload, user_id: str) -> UserRef:
    return UserRef(PLATFORM, _team(body), user_id)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def message_event(body: Payload, *, aliases: Mapping[str, str], locale: str | None = None,
                  now: datetime | None = None) -> Event | None:
    """A person's message in their DM with the app; other messages (bots, edits, channels) → None."""
    event = body.get("event", {})
    if (event.get("type") != "message" or event.get("channel_type") != "im" or event.get("subtype")
            or event.get("bot_id") or not event.get("user") or not isinstance(event.get("text"), str)):
        return None
    text = unescape(event["text"])
    common: dict[str, Any] = {"event_id": str(body.get("event_id") or event.get("client_msg_id") or event.get("ts")),
                              "user": person(body, event["user"]), "at": _now(now), "locale": locale}
    command = parse_command(text, aliases)  # " /tauko" typed with a leading space reaches us as text
    if command is not None:
        return CommandReceived(name=command.name, argument=command.argument, raw=command.raw, **common)
    return TextReceived(text=text, **common)


def channel_event(body: Payload, *, now: datetime | None = None) -> ThreadReply | ReplyRemoved | None:
    """A reply in a thread of a channel (new, edited, or deleted); other channel messages → None. Whether the
    thread is a team discussion's is for the dispatcher to know."""
    event = body.get("event", {})
    if event.get("type") != "message" or event.get("channel_type") not in ("channel", "group"):
        return None
    channel = ChannelRef(PLATFORM, _team(body), str(event.get("channel", "")))
    event_id = str(body.get("event_id") or event.get("event_ts") or event.get("ts"))
    subtype = event.get("subtype")
    if subtype == "message_deleted":
        previous = event.get("previous_message") or {}
        return ReplyRemoved(event_id=event_id, user=person(body, str(previous.get("user", ""))), at=_now(now),
                            channel=channel, message_ref=str(event.get("deleted_ts", "")))
    edited = subtype == "message_changed"
    message = event.get("message", {}) if edited else event
    if (subtype not in (None, "message_changed", "thread_broadcast") or message.get("bot_id")
            or not message.get("user") or not isinstance(message.get("text"), str)):
        return None
    thread, ts = message.get("thread_ts"), message.get("ts")
    if not thread or not ts or thread == ts:  # not in a thread, or the thread's first message
        return None
    return ThreadReply(event_id=event_id, user=person(body, str(message["user"])), at=_now(now), channel=channel,
                       text=unescape(message["text"]), reply_to=str(thread), message_ref=str(ts), edited=edited)


def action_event(body: Payload, action: Payload, *, locale: str | None = None,
                 now: datetime | None = None) -> ChoiceSelected | None:
    """An answer button pressed in the DM."""
    parsed = parse_choice_payload(str(action.get("value", "")))
    user_id = str(body.get("user", {}).get("id", ""))
    if parsed is None or not user_id:
        return None
    prompt_id, value = parsed
    return ChoiceSelected(event_id=f"action-{action.get('action_ts', '')}-{user_id}", user=person(body, user_id),
                          at=_now(now), locale=locale, prompt_id=prompt_id, value=value)


def home_command(body: Payload, action: Payload, name: str, argument: str = "", *, locale: str | None = None,
                 now: datetime | None = None) -> CommandReceived:
    """A control on the App Home (continue, language) acts as the matching command."""
    user_id = str(body.get("user", {}).get("id", ""))
    return CommandReceived(event_id=f"home-{action.get('action_ts', '')}-{user_id}", user=person(body, user_id),
                           at=_now(now), locale=locale, name=name, argument=argument, raw=name)


def slash_command(body: Payload, *, aliases: Mapping[str, str], locale: str | None = None,
                  now: datetime | None = None) -> CommandReceived:
    """`/kartoitus tauko` → the pause command; no subcommand means help. In a channel it is a team command."""
    # The command is escaped (manifest: should_escape), so a mention arrives as <@U123|name>: the person it is
    # about. The rest is unescaped back to what was typed.
    escaped = str(body.get("text", ""))
    mention = MENTION.search(escaped)
    target = person(body, mention.group(1)) if mention else None
    text = unescape(MENTION.sub(" ", escaped, count=1) if mention else escaped).strip().lstrip("/")
    parsed = parse_command("/" + text, aliases) if text else None
    name, argument, raw = (parsed.name, parsed.argument, parsed.raw) if parsed else ("help", "", "")
    channel_id = str(body.get("channel_id", ""))
    private = channel_id.startswith("D") or not channel_id
    return CommandReceived(event_id=f"command-{body.get('trigger_id', '')}", user=person(body, str(body["user_id"])),
                           at=_now(now), locale=locale, name=name, argument=argument, raw=raw, target=target,
                           target_name=(mention.group(2) or "").lstrip("@") if mention else "",
                           channel=None if private else ChannelRef(PLATFORM, _team(body), channel_id),
                           channel_title="" if private else str(body.get("channel_name", "")))


def submission_event(body: Payload, text: str, prompt_id: str, *, locale: str | None = None,
                     now: datetime | None = None) -> TextReceived:
    """An answer written in the modal, for the question the modal was opened for."""
    view = body.get("view", {})
    user_id = str(body.get("user", {}).get("id", ""))
    return TextReceived(event_id=f"view-{view.get('id', '')}-{view.get('hash', '')}", user=person(body, user_id),
                        at=_now(now), locale=locale, text=text, prompt_id=prompt_id)
