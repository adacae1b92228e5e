"""One turn end to end: dedupe → lock → load → step → save → commit → send.

Answers are committed before any reply is sent: a crash after the commit loses at most a
reply, never an answer. Turns of one person run one at a time within a process; across
processes the store's version column detects conflicts and the turn is run again.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import TypeVar

from bot.core.commands import UNKNOWN
from bot.core.conversation import Conversation
from bot.core.engine import step
from bot.core.events import CommandReceived, Event, TextReceived
from bot.core.identity import UserRef
from bot.core.instrument import Instrument
from bot.core.language import language_or
from bot.core.messages import Notice, Outbound
from bot.core.ports import LATEST_PROMPT, Clock, DuplicateEvent, MessageRefs, Sender, StaleWrite, TurnStore
from bot.core.progress import Progress, progress_of

log = logging.getLogger(__name__)
NOTHING_NOTED = ""  # a seen prompt that names no question: read at arrival, none was delivered (not read again)

MAX_ATTEMPTS = 5
T = TypeVar("T")


class TurnConflict(Exception):
    """The conversation kept changing under this turn (more than MAX_ATTEMPTS conflicts)."""


class TurnService:
    def __init__(self, store: TurnStore, instrument: Instrument, sender: Sender, clock: Clock, *,
                 language: str = "fi", role_commands: Callable[[UserRef], Collection[str]] | None = None,
                 shown: MessageRefs | None = None,
                 side_questions: Callable[[Event], Sequence[Outbound] | None] | None = None) -> None:
        self.store = store
        # Questions asked in the person's chat outside the conversation (a team's agreed entry): their answers are
        # taken in the person's turn, in order with the rest (None from it: the event is the conversation's).
        self.side_questions = side_questions
        self.shown = shown  # where the platform senders note the latest question delivered to each person
        self.role_commands = role_commands  # the role holders' commands a person may use, for /ohje
        self.instrument = instrument
        self.sender = sender
        self.clock = clock
        self.language = language  # for a person who chose none and whose platform names none of ours
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def _lock(self, user: UserRef) -> asyncio.Lock:
        lock = self._locks.get(user.key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[user.key] = lock
        return lock

    async def handle(self, event: Event) -> Sequence[Outbound]:
        """Process one inbound event and deliver the replies; returns what was sent."""
        event = self.screen_at_arrival(event)
        async with self._lock(event.user):
            outbox = await asyncio.to_thread(self.process_safely, event)
        if outbox:
            await self.sender.send(outbox)
        return outbox

    async def run_locked(self, user: UserRef, work: Callable[[], T]) -> T:
        """Run `work` (synchronous, off the event loop) while no turn of `user` runs in this process:
        an erasure must not race a turn that would write the person back."""
        async with self._lock(user):
            return await asyncio.to_thread(work)

    def process_safely(self, event: Event) -> Sequence[Outbound]:
        """`process`, but an unexpected failure becomes a polite apology, never a crash."""
        try:
            return self.process(event)
        except Exception:
            log.exception("turn failed: %s from %s", type(event).__name__, event.user.platform)
            language = language_or(event.locale, self.language)
            return (Notice(to=event.user, text=self.instrument.text(language, "errors.internal"), language=language),)

    def process(self, event: Event) -> Sequence[Outbound]:
        """The synchronous core of a turn; raises only on storage failures."""
        event_key = event.key
        event = self.with_screen(event)
        if self.side_questions is not None:
            answered = self.side_questions(event)
            if answered is not None:
                return answered
        role_commands = self.role_commands_for(event)
        for _ in range(MAX_ATTEMPTS):
            now = self.clock.now()
            loaded = self.store.load_turn(event.user, event_key=event_key,
                                          instrument_version=self.instrument.version, now=now)
            if loaded is None:
                log.info("duplicate event skipped: %s", event_key)
                return ()
            # A new conversation (a new round) starts in the languages known of the person: a /kieli choice of
            # an earlier round still holds, and the engine's locale only updates the platform's.
            conversation = loaded.conversation or Conversation(
                user=event.user, round=loaded.round, prompt_seq=loaded.first_prompt_seq,
                language=loaded.language, platform_language=loaded.platform_language, agreed=loaded.agreed)
            result = step(conversation, event, instrument=self.instrument, now=now, default_language=self.language,
                          role_commands=role_commands)
            try:
                self.store.save(result.conversation, result.answers, event_key=event_key, now=now)
            except StaleWrite:
                log.info("version conflict, running the turn again: %s", event_key)
                continue
            except DuplicateEvent:
                log.info("duplicate event skipped at commit: %s", event_key)
                return ()
            log.info("turn %s: %s → %s, %d answers", event_key, conversation.step or "-",
                     result.conversation.step, len(result.answers))
            return result.outbox
        raise TurnConflict(event_key)

    def screen_at_arrival(self, event: Event) -> Event:
        """Typed text, bound to the question on the person's screen when it arrived: read here, on the event loop
        before the text waits for the person's earlier turns, since a question delivered while it waited (the
        reply to the tap before it) was not on their screen when they wrote it."""
        try:
            return self.with_screen(event, nothing_noted=NOTHING_NOTED)
        except Exception as error:  # the database is away: the turn binds it, or apologises, in its own time
            log.warning("could not read the question on screen at arrival: %s", type(error).__name__)
            return event

    def with_screen(self, event: Event, *, nothing_noted: str | None = None) -> Event:
        """Typed text, bound to the question on the person's screen: the latest one delivered to them, as noted by
        the platform senders when the platform confirmed it (`nothing_noted` when none is noted)."""
        if self.shown is None or not isinstance(event, TextReceived) or event.prompt_id is not None \
                or event.seen_prompt is not None or event.channel is not None:
            return event
        seen = self.shown.recall(event.user.key, LATEST_PROMPT)
        return replace(event, seen_prompt=seen if seen is not None else nothing_noted)

    def role_commands_for(self, event: Event) -> Collection[str]:
        """Asked only when the turn may show the help (/ohje, or a command the bot does not know)."""
        if self.role_commands is None or not isinstance(event, CommandReceived) or event.name not in ("help", UNKNOWN):
            return ()
        return self.role_commands(event.user)

    async def progress(self, user: UserRef, *, locale: str | None = None) -> Progress:
        """Where `user` stands in the open round (read only; no turn is taken)."""
        def read() -> Progress:
            round_ref = self.store.current_round(instrument_version=self.instrument.version, now=self.clock.now())
            return progress_of(self.store.load(user, round_ref), self.instrument, locale=locale,
                               default_language=self.language)
        return await asyncio.to_thread(read)
