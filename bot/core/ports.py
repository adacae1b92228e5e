"""The Protocols the core needs from the outside world: stores, sender, clock."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.core.conversation import AnswerRecord, Conversation, RoundRef
from bot.core.delivery import Delivery
from bot.core.discussions import Discussion, DiscussionReply, TeamEntry
from bot.core.events import AnyEvent, Event
from bot.core.identity import ChannelRef, UserRef
from bot.core.messages import Outbound
from bot.core.progress import Progress
from bot.core.rounds import MemberStanding, RoundInfo, RoundPlan, TeamProgress


class StaleWrite(Exception):
    """Someone else saved this conversation since it was loaded (version mismatch)."""


class DuplicateEvent(Exception):
    """This event was already processed (the platform delivered it twice)."""


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One current answer, without personal identifiers."""

    round_id: int
    round_name: str
    respondent: int  # pseudonymous number, stable within one round only
    question: str
    value: str | None
    instrument_version: str
    answered_on: str  # ISO date only: a precise time could re-identify a person


@dataclass(frozen=True, slots=True)
class LoadedTurn:
    """What a turn starts from: the open round and the person's conversation in it (None if new)."""

    round: RoundRef
    conversation: Conversation | None
    # A new conversation numbers its prompts on from the person's earlier rounds: a button left in the
    # chat from a closed round then carries an id the new round never shows, and changes nothing.
    first_prompt_seq: int = 0
    # A new conversation starts in the person's languages as known from earlier rounds or a team's /liity
    # (None: not known); a loaded conversation carries its own.
    language: str | None = None  # chosen with /kieli
    platform_language: str | None = None
    # A new conversation carries the actions the person's teams agreed per point in their newest earlier round
    # (point id → actions); a loaded conversation carries its own.
    agreed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


class TurnStore(Protocol):
    """Storage of conversations and answers, with optimistic concurrency.

    Every implementation (memory, SQLite, PostgreSQL) passes the same contract tests.
    """

    def current_round(self, *, instrument_version: str, now: datetime) -> RoundRef:
        """The open round new answers go to; opens a default round when there is none."""
        ...

    def is_processed(self, event_key: str) -> bool: ...

    def load_turn(self, user: UserRef, *, event_key: str, instrument_version: str, now: datetime
                  ) -> LoadedTurn | None:
        """`is_processed`, `current_round` and `load` in one go; None if the event was processed."""
        ...

    def load(self, user: UserRef, round: RoundRef) -> Conversation | None:
        """The conversation with its latest answers, or None if the person is new."""
        ...

    def save(
        self,
        conversation: Conversation,
        answers: Sequence[AnswerRecord],
        *,
        event_key: str,
        now: datetime,
    ) -> Conversation:
        """Atomically: mark the event processed, write the conversation, append answers.

        `conversation.version` must be the version that was loaded (0 for a new one);
        raises StaleWrite if the stored version differs, DuplicateEvent if `event_key`
        was already processed. Returns the conversation with its new version.
        Nothing is written when it raises.
        """
        ...

    def export_rows(self, *, zone: str = "UTC") -> Iterator[ExportRow]:
        """The latest answer to every question, pseudonymised per round; dated in `zone` (KARTOITUS_TIMEZONE)."""
        ...


@dataclass(frozen=True, slots=True)
class Team:
    id: int
    channel: ChannelRef
    title: str
    join_code: str


class TeamStore(Protocol):
    """Teams (a channel or group with its members) and how people join them."""

    def register_team(self, channel: ChannelRef, title: str, *, now: datetime) -> Team:
        """The team of `channel`, created (with a fresh join code) on first use; keeps the title current."""
        ...

    def team_by_code(self, join_code: str) -> Team | None: ...

    def team_of(self, channel: ChannelRef) -> Team | None:
        """The team of `channel` if it is registered (read only: nothing is created)."""
        ...

    def join(self, team_id: int, user: UserRef, *, now: datetime, locale: str | None = None) -> bool:
        """Make `user` a member; False if they already were. The language `locale` names (if one of ours)
        becomes the person's platform language, which scheduled messages use until they choose one."""
        ...

    def chosen_language(self, user: UserRef) -> str | None:
        """The language `user` chose with /kieli, None if none (or the person is unknown)."""
        ...

    def members(self, team_id: int) -> list[UserRef]: ...

    def mark_processed(self, event_key: str, *, now: datetime) -> bool:
        """Record an event handled outside a conversation turn; False if it was already processed."""
        ...


class DiscussionStore(Protocol):
    """Team discussions of critical points (bot.core.discussions): one per team, round and point; their replies
    (kept with the author only to count who took part and for the author's erasure); the team's agreed entry."""

    def open_discussion(self, *, team_id: int, round_id: int, point_id: str, channel: ChannelRef, opened_by: str,
                        now: datetime) -> tuple[Discussion, bool]:
        """The discussion of (team, round, point), created or (if closed) opened again; True when it was not
        open before. Its replies and agreed entry are kept when it is opened again."""
        ...

    def set_message(self, discussion_id: int, message_ref: str | None) -> None:
        """The bot's opening message, whose replies belong to the discussion (None: posting it failed)."""
        ...

    def discussion(self, discussion_id: int) -> Discussion | None: ...

    def find(self, team_id: int, round_id: int, point_id: str) -> Discussion | None: ...

    def by_message(self, channel: ChannelRef, message_ref: str) -> Discussion | None:
        """The discussion whose opening message in `channel` is `message_ref` (open or closed)."""
        ...

    def of_team(self, team_id: int, round_id: int) -> list[Discussion]:
        """The team's discussions of a round, in the order of the points' ids."""
        ...

    def save_reply(self, discussion_id: int, *, message_ref: str, author: UserRef, kind: str, text: str,
                   now: datetime) -> bool:
        """Add a reply, or update the one with this `message_ref` (an edit); True if it was new.
        Moves the discussion's last activity to `now`."""
        ...

    def remove_reply(self, channel: ChannelRef, message_ref: str) -> bool:
        """Remove the reply `message_ref` of any discussion in `channel`; False if there was none."""
        ...

    def reply_discussion(self, channel: ChannelRef, message_ref: str) -> Discussion | None:
        """The discussion a stored reply `message_ref` in `channel` belongs to (an edit names only its message)."""
        ...

    def replies(self, discussion_id: int) -> list[DiscussionReply]:
        """The replies in the order they were first written."""
        ...

    def participants(self, discussion_id: int) -> int:
        """How many different people replied."""
        ...

    def close(self, discussion_id: int, *, now: datetime) -> bool:
        """False if it was closed already."""
        ...

    def record(self, discussion_id: int, *, promise: str | None = None, actions: tuple[str, ...] | None = None,
               recorded_by: str, now: datetime) -> None:
        """Set the team's agreed answer and/or actions (None leaves that one as it is; "" / () clears it)."""
        ...

    def idle(self, *, before: datetime) -> list[Discussion]:
        """Open discussions with a posted message, never reminded, whose last activity is before `before`."""
        ...

    def mark_reminded(self, discussion_id: int, *, now: datetime) -> None: ...

    def team_entries(self, team_id: int, round_id: int) -> dict[str, TeamEntry]:
        """Point id → the team's entry of the round: every discussion with replies or an agreed entry."""
        ...

    def agreed_before(self, team_ids: Collection[int], round_id: int) -> dict[str, tuple[str, ...]]:
        """Point id → the actions agreed for it in the newest earlier round (id below `round_id`) of any of
        `team_ids` that has actions for that point: what a member of those teams is shown in part 2."""
        ...


# The MessageRefs entry, per person, naming the latest conversation prompt delivered to them: the question on
# their screen. Text they type is bound to it (bot.core.events.TextReceived.seen_prompt).
LATEST_PROMPT = "latest"


class MessageRefs(Protocol):
    """Where each prompt was shown, so an adapter can edit it later (also after a restart)."""

    def remember(self, recipient: str, prompt_id: str, ref: str, *, now: datetime) -> None: ...

    def recall(self, recipient: str, prompt_id: str) -> str | None: ...


class Reachability(Protocol):
    def mark_unreachable(self, user: UserRef, *, now: datetime) -> None:
        """The platform says this person cannot be messaged (blocked the bot, left, deactivated)."""
        ...

    def mark_reachable(self, user: UserRef) -> None:
        """The person wrote to us again: they can be messaged."""
        ...

    def is_unreachable(self, user: UserRef) -> bool: ...


class PeopleDirectory(Protocol):
    def set_timezone(self, user: UserRef, zone: str, *, now: datetime) -> None:
        """The person's time zone as the platform tells it (reminders keep to their working hours)."""
        ...


class Sender(Protocol):
    """Delivers outbound messages to a platform (after the turn was committed)."""

    async def send(self, messages: Sequence[Outbound]) -> Sequence[Delivery]:
        """One outcome per message, in order; never raises for what the platform answered."""
        ...


class EventHandler(Protocol):
    """Whatever handles one inbound event end to end (the turn service, or the dispatcher around it)."""

    async def handle(self, event: Event) -> Sequence[Outbound]: ...


class Conversations(EventHandler, Protocol):
    """What a platform app gives its people's events to (the dispatcher), and asks where a person stands."""

    async def handle(self, event: AnyEvent) -> Sequence[Outbound]:
        """Also the team channels' events (replies to the bot's messages), which are no conversation's."""
        ...

    async def progress(self, user: UserRef, *, locale: str | None = None) -> Progress: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A message to send at `due_at`, at most once per `key` (e.g. "remind:<round>:<person>:2")."""

    key: str
    to: UserRef | ChannelRef
    payload: str  # JSON, see bot.app.outbox.message_of
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    key: str
    to: UserRef
    payload: str
    attempts: int  # real send attempts so far (before this one)
    language: str | None = None  # the recipient's language as known when claimed (None: not known, or a channel)


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    """What the outbox holds, for operators: counts only, never message text."""

    waiting: int  # due later or now, never tried
    retrying: int  # tried, not delivered, will be tried again
    sent: int
    failed: dict[str, int]  # "outcome: reason" -> count


@dataclass(frozen=True, slots=True)
class FailedMessage:
    id: int
    key: str
    platform: str
    recipient: str
    attempts: int
    outcome: str
    reason: str
    failed_at: datetime


class Outbox(Protocol):
    """Durable scheduled messages, each sent until delivered (at least once), failed with a reason, or parked.

    A claim is a lease: what a crashed worker claimed is claimed again after the lease. A worker
    records each attempt *before* the request goes out (`begin_attempt`) and its outcome right
    after, so `attempts` counts real sends, and a message can go out twice only if a worker died
    between those two writes.
    """

    def enqueue(self, items: Sequence[Scheduled], *, now: datetime) -> int:
        """Add the items whose key is new; returns how many were added."""
        ...

    def known(self, key: str) -> bool:
        """A message with this key was ever enqueued, whatever became of it (sent, failed, superseded or waiting)."""
        ...

    def claim(self, *, worker: str, platforms: Sequence[str], now: datetime, lease_seconds: float,
              limit: int) -> list[Claimed]:
        """Due, unsent, unfailed messages for `platforms` that nobody holds; no two workers get the same one."""
        ...

    def take_for(self, user: UserRef, *, worker: str, now: datetime, lease_seconds: float) -> list[Claimed]:
        """Claim every due, unsent, unfailed message for `user` that nobody holds, oldest first: for a platform
        that cannot push (the terminal), whose person collects them on coming back. The same lease as `claim`,
        so two collectors (or a collector and a worker) never get the same message."""
        ...

    def supersede(self, ids: Sequence[int], *, worker: str, now: datetime, reason: str) -> None:
        """Claimed messages made pointless by a later one (an older reminder): done without being sent,
        kept with the outcome "superseded" (neither waiting, sent nor failed)."""
        ...

    def begin_attempt(self, message_id: int, *, worker: str, now: datetime) -> bool:
        """Count a send attempt before it goes out; False if the claim is no longer this worker's."""
        ...

    def mark_sent(self, message_id: int, *, worker: str, now: datetime, platform_id: str | None = None) -> None: ...

    def reschedule(self, message_id: int, *, worker: str, retry_at: datetime, outcome: str, reason: str) -> None:
        """Not delivered, worth trying again at `retry_at`."""
        ...

    def fail(self, message_id: int, *, worker: str, now: datetime, outcome: str, reason: str) -> None:
        """Not delivered and not to be retried (kept, with the reason, until an operator retries it)."""
        ...

    def release(self, ids: Sequence[int], *, worker: str, now: datetime) -> None:
        """Give back claims at once (a stopping worker), so another worker need not wait for the lease."""
        ...

    def pending(self) -> int:
        """Messages still to be delivered (due or not; failed and parked ones not counted)."""
        ...

    def counts(self) -> OutboxCounts: ...

    def failed(self, *, limit: int = 200) -> list[FailedMessage]: ...

    def retry_failed(self, *, now: datetime, outcome: str | None = None, recipient: UserRef | None = None) -> int:
        """Put failed messages back (all, or those with `outcome`, or one person's); returns how many."""
        ...

    def retry_now(self, *, now: datetime) -> int:
        """Make every message that waits for a retry due now; returns how many."""
        ...

    def undelivered(self, key_prefix: str) -> int:
        """Failed messages whose key starts with `key_prefix` (e.g. a round's invitations)."""
        ...

    def failed_keys(self, key_prefix: str, *, outcome: str) -> list[str]:
        """Keys of the failed messages with `outcome` whose key starts with `key_prefix` (e.g. "not_started")."""
        ...


class RoundStore(Protocol):
    """Planned rounds. Opening one closes the automatic default round; a second planned round
    cannot open while one is open (RoundConflict)."""

    def open_round(self, plan: RoundPlan, *, instrument_version: str, opened_by: str, now: datetime) -> RoundInfo: ...

    def rounds(self) -> list[RoundInfo]: ...

    def round(self, round_id: int) -> RoundInfo | None: ...

    def set_status(self, round_id: int, status: str, *, now: datetime) -> bool: ...

    def progress(self, round_id: int) -> list[TeamProgress]: ...

    def team_titles(self) -> dict[str, int]: ...

    def standings(self, round_id: int) -> list[MemberStanding]: ...

    def team_answers(self, round_id: int, team_id: int) -> list[dict[str, str | None]]: ...

    def round_teams(self, round_id: int) -> list[Team]: ...

    def team_size(self, team_id: int) -> int: ...

    def previous_round(self, round_id: int, team_id: int) -> int | None: ...

    def people(self, platform_user_ids: Collection[str]) -> list[UserRef]:
        """Known people among "platform:user_id" names (those who have used the bot)."""
        ...

    def record_reminder(self, round_id: int, user: UserRef, *, phase: str, now: datetime) -> None: ...

    def snooze(self, round_id: int, user: UserRef, *, until: datetime, now: datetime) -> None: ...

    def opt_out(self, round_id: int, user: UserRef, *, now: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class KeptRound:
    """A closed round's answers that stay after an erasure: unlinked from the person, counted in the teams'
    results (the digests already posted), until retention deletes them."""

    round_id: int
    round_name: str
    closed_at: datetime | None
    teams: tuple[str, ...]
    questions: tuple[str, ...]  # the questions answered (latest answers), for saying what stays


@dataclass(frozen=True, slots=True)
class Erasure:
    """What an erasure removed, and what stays (counts and rounds; never the answers themselves)."""

    found: bool
    answers_removed: int  # answer rows of open rounds
    conversations_removed: int
    memberships_removed: int
    kept: tuple[KeptRound, ...] = ()


class PrivacyStore(Protocol):
    """A data subject's requests and retention: what is stored about a person, erasure, expiry."""

    def personal_data(self, user: UserRef) -> dict[str, Any] | None:
        """Everything stored about `user` (JSON-ready), or None if nothing is."""
        ...

    def erase(self, user: UserRef, *, now: datetime) -> Erasure:
        """Remove identity, conversations, memberships, links, reminders, roles, messages and open rounds'
        answers; closed rounds' answers stay unlinked (their team kept in `key_team`)."""
        ...

    def expire(self, closed_before: datetime) -> int:
        """Delete raw answers and links of rounds closed before `closed_before`, keeping each team's rating
        counts for trends; returns how many rounds were expired."""
        ...

    def teams_of(self, user: UserRef) -> list[Team]: ...
