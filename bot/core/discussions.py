"""Team discussions of a critical point (part 2 done together): what they are, and how a reply is read.

A lead or coordinator opens a discussion of one point in the team's channel or group; the bot posts
one message there, and members reply to it (a Slack thread, a Telegram reply). Each reply is the
team's, never shown or exported with a name: the author is kept only to count who took part and to
let a person's erasure remove what they wrote. The lead closes it with a recap and records the
team's agreed answer to the service promise and the agreed actions: the team's entry of the
workbook, beside (never mixed with) the individual answers. The actions come back in the team's
next round.

A reply says which of the two deepening questions it answers by its first character: "+" for what
already works, "-" (or "–", "−") for what to develop; anything else is "other". A reply edited to
"-" alone (or to nothing) is taken back: Telegram never tells a bot that a message was deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.identity import ChannelRef

WORKS = "works"
DEVELOP = "develop"
OTHER = "other"
KINDS = (WORKS, DEVELOP, OTHER)
_MARKS = {"+": WORKS, "-": DEVELOP, "–": DEVELOP, "−": DEVELOP, "—": DEVELOP}
MAX_REPLY_LENGTH = 2000  # a reply longer than this is kept shortened (a chat thread is no essay)
MAX_ACTIONS = 20


@dataclass(frozen=True, slots=True)
class Discussion:
    id: int
    team_id: int
    round_id: int
    point_id: str
    channel: ChannelRef
    message_ref: str | None  # the platform's id of the bot's opening message (Slack ts, Telegram message_id)
    opened_by: str  # "platform:user_id"
    opened_at: datetime
    closed_at: datetime | None = None
    last_activity_at: datetime | None = None  # the latest reply (or the opening when none)
    reminded_at: datetime | None = None
    promise: str | None = None  # the team's agreed answer to "Miten lunastatte palvelulupauksen?"
    actions: tuple[str, ...] = ()  # the agreed actions, one per line: who, what, by when
    recorded_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True, slots=True)
class DiscussionReply:
    message_ref: str
    kind: str  # WORKS, DEVELOP or OTHER
    text: str  # without its mark


@dataclass(frozen=True, slots=True)
class TeamEntry:
    """A team's entry of one point in one round, as the workbook and the digest show it (no names)."""

    point_id: str
    participants: int
    works: tuple[str, ...] = ()
    develop: tuple[str, ...] = ()
    other: tuple[str, ...] = ()
    promise: str | None = None
    actions: tuple[str, ...] = ()


def read_reply(text: str) -> tuple[str, str] | None:
    """(kind, text without its mark) of a reply; None when it takes a reply back (empty, or "-" alone)."""
    stripped = text.strip()
    mark = stripped[:1]
    kind = _MARKS.get(mark, OTHER)
    body = stripped[1:].strip() if mark in _MARKS else stripped
    if not body:
        return None
    return kind, body[:MAX_REPLY_LENGTH]


def read_actions(text: str) -> tuple[str, ...]:
    """The agreed actions as typed: one per line, list marks and empty lines dropped; "-" alone is none."""
    actions = []
    for line in text.splitlines():
        item = line.strip().lstrip("•*·-–—").strip()
        if item:
            actions.append(item[:MAX_REPLY_LENGTH])
    return tuple(actions[:MAX_ACTIONS])
