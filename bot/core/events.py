"""Inbound events: what a person (or the scheduler) did, in platform-neutral terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.identity import ChannelRef, UserRef


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundEvent:
    """Base of every event. `event_id` is the platform's id, used to process it only once."""

    event_id: str
    user: UserRef
    at: datetime
    locale: str | None = None  # the platform's idea of the person's language, e.g. "fi-FI"
    channel: ChannelRef | None = None  # where it happened when not in a private chat (a team's group)
    channel_title: str = ""

    @property
    def key(self) -> str:
        """The event's id across platforms and workspaces ("telegram:bot:123"): stored to process it once."""
        return f"{self.user.platform}:{self.user.workspace}:{self.event_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class TextReceived(InboundEvent):
    """Typed text. `prompt_id` is set when the text was written for one question (a Slack modal);
    `seen_prompt` is the latest question delivered to the chat when the text arrived: the one the
    person had in view while writing (a question still on its way had not reached them)."""

    text: str
    prompt_id: str | None = None
    seen_prompt: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceSelected(InboundEvent):
    """A button press: `prompt_id` says which question the button belonged to."""

    prompt_id: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandReceived(InboundEvent):
    """A command such as /tauko. `name` is canonical (see bot.core.commands), `raw` as typed."""

    name: str
    argument: str = ""
    raw: str = ""
    # The person the command is about: a Slack mention in it (`/kartoitus vetaja @anna`), or in a Telegram
    # group the author of the message it replies to (`/vetaja` as a reply). `target_name` as the platform shows it.
    target: UserRef | None = None
    target_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadReply(InboundEvent):
    """A message in a team's channel or group written as a reply to one of the bot's messages (in its Slack
    thread, or a Telegram reply to it), new or edited. `reply_to` is the platform's id of the message it
    replies to, `message_ref` its own id (an edit carries the id of the message it changes)."""

    text: str
    reply_to: str
    message_ref: str
    edited: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyRemoved(InboundEvent):
    """A message in a team's channel was deleted (Slack tells; Telegram never tells a bot)."""

    message_ref: str


Event = TextReceived | ChoiceSelected | CommandReceived
TeamEvent = ThreadReply | ReplyRemoved  # a team's channel only: never a conversation's turn
AnyEvent = Event | TeamEvent
