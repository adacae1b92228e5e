"""The fuzz suite's turn harness: the real dispatcher and turn service on a real SQLite file.

One harness per test module (built once, not per example). Every example gets a person of its
own, seeded with a conversation state recorded from a real walk through the assessment, so
examples never see each other's state and need no reset.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

from bot.app.dispatcher import Dispatcher
from bot.app.service import TurnService
from bot.core.conversation import AnswerRecord, Conversation, RoundRef
from bot.core.engine import FREE_TEXT_STEPS
from bot.core.events import ChoiceSelected, CommandReceived, Event, TextReceived
from bot.core.flow import kind_of
from bot.core.identity import UserRef
from bot.core.instrument import LANGUAGES, Instrument
from bot.core.language import language_code
from bot.core.messages import ChoicePrompt, FreeTextPrompt, MultiChoicePrompt, Notice, Outbound, PromptClosed
from bot.core.prompts import DONE, FORWARD, SKIP, YES, Prompter
from storage.database import create_database_engine
from storage.memory_store import MemoryStore
from storage.migrate import upgrade
from storage.sql_store import SqlStore
from tests.fuzz.strategies import INSTRUMENT
from tests.support.clock import FakeClock
from tests.support.conversation import RecordingSender

BASE_EXAMPLES = 100  # the default profile's max_examples (tests/fuzz/conftest.py)
POINT_IDS = frozenset(INSTRUMENT.point_ids)
CHOICE_STEPS = frozenset({"rate", "hub", "partnership", "edit", "language"})  # kinds of steps with buttons
SQLITE_ONE_IN = 5  # examples on SQLite: one in five
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
FRAGMENT_MIN = 10  # characters: shorter pieces of a Finnish string may well occur in Swedish or English too


def examples(count: int) -> int:
    """`count` examples under the default profile, as many times more as the loaded profile asks for."""
    return max(1, count * settings().max_examples // BASE_EXAMPLES)


@dataclass(frozen=True)
class Stored:
    """What the store holds about one person: the conversation's state, answers and languages."""

    state: dict[str, Any] | None
    answers: dict[str, str | None]
    language: str | None
    platform_language: str | None

    @classmethod
    def of(cls, conversation: Conversation | None) -> Stored:
        if conversation is None:
            return cls(None, {}, None, None)
        return cls(conversation.state(), dict(conversation.answers), conversation.language,
                   conversation.platform_language)


class Harness:
    """Turns through the real dispatcher on `store` (a SqlStore on a SQLite file, or the in-memory twin)."""

    def __init__(self, store: SqlStore | MemoryStore, instrument: Instrument) -> None:
        self.instrument = instrument
        self.store = store
        self.clock = FakeClock()
        self.sender = RecordingSender()
        self.service = TurnService(self.store, instrument, self.sender, self.clock)
        self.dispatcher = Dispatcher(self.service)
        self.runner = asyncio.Runner()
        self.round: RoundRef = self.store.current_round(instrument_version=instrument.version, now=self.clock.now())
        self._ids = itertools.count(1)
        self._pool: dict[tuple[str, str, str, str | None, str | None], list[UserRef]] = {}
        self.snapshots: dict[str, Conversation] = walk(self)
        self.internal_error = {self.instrument.text(code, "errors.internal") for code in LANGUAGES}

    @classmethod
    def on_sqlite(cls, path: Path, instrument: Instrument) -> Harness:
        url = f"sqlite:///{path}"
        upgrade(url)
        return cls(SqlStore(create_database_engine(url)), instrument)

    def close(self) -> None:
        self.runner.close()
        if isinstance(self.store, SqlStore):
            self.store.engine.dispose()

    # --- people and events ----------------------------------------------------------------

    def new_user(self, platform: str = "terminal", workspace: str = "local") -> UserRef:
        return UserRef(platform, workspace, str(100_000 + next(self._ids)))  # numeric, as Telegram's are

    def serial(self) -> int:
        """A number no other example has used (for user and event ids)."""
        return next(self._ids)

    def event_id(self) -> str:
        return f"fuzz-{self.serial()}"

    def seed(self, user: UserRef, snapshot: str, *, language: str | None = None,
             platform_language: str | None = None) -> Conversation | None:
        """Give `user` the conversation state `snapshot` (or none at all: "fresh") in the open round."""
        if snapshot == "fresh":
            return None
        return self.seed_with(user, self.snapshots[snapshot], language=language, platform_language=platform_language)

    def seed_with(self, user: UserRef, recorded: Conversation, *, language: str | None = None,
                  platform_language: str | None = None) -> Conversation:
        conversation = recorded.evolve(user=user, version=0, language=language, platform_language=platform_language)
        records = [AnswerRecord(question, value) for question, value in recorded.answers.items()]
        return self.store.save(conversation, records, event_key=f"seed-{user.key}", now=self.clock.now())

    def person(self, snapshot: str, *, language: str | None = None, platform_language: str | None = None,
               platform: str = "terminal", workspace: str = "local") -> tuple[UserRef, Stored, Conversation | None]:
        """A person at `snapshot` (with these languages) and what the store holds about them.

        People are reused between examples while their stored position is still the snapshot's
        (see `release`): seeding a conversation costs more than the turn itself.
        """
        pool = self._pool.setdefault((platform, workspace, snapshot, language, platform_language), [])
        if pool:
            user = pool.pop()
        else:
            user = self.new_user(platform, workspace)
            self.seed(user, snapshot, language=language, platform_language=platform_language)
        conversation = self.store.load(user, self.round)
        return user, Stored.of(conversation), conversation

    def release(self, user: UserRef, snapshot: str, after: Stored, *, language: str | None = None,
                platform_language: str | None = None) -> None:
        """Hand `user` back for another example if they are still where `snapshot` left them."""
        if snapshot == "fresh" or after.state is None:
            return
        recorded = Stored.of(self.snapshots[snapshot])
        if position(after) == position(recorded) and after.answers == recorded.answers and (
                after.language, after.platform_language) == (language, platform_language):
            self._pool.setdefault((user.platform, user.workspace, snapshot, language, platform_language),
                                  []).append(user)

    def stored(self, user: UserRef) -> Stored:
        return Stored.of(self.store.load(user, self.round))

    def turn(self, event: Event) -> list[Outbound]:
        """One turn through the real entry point; returns what was sent."""
        before = len(self.sender.sent)
        replies = list(self.runner.run(self.dispatcher.handle(event)))
        assert self.sender.sent[before:] == replies
        del self.sender.sent[:]
        return replies

    def text(self, user: UserRef, text: str, *, locale: str | None = None, prompt_id: str | None = None,
             event_id: str | None = None) -> list[Outbound]:
        return self.turn(TextReceived(event_id=event_id or self.event_id(), user=user, at=self.clock.now(),
                                      locale=locale, text=text, prompt_id=prompt_id))

    def press(self, user: UserRef, prompt_id: str, value: str, *, locale: str | None = None,
              event_id: str | None = None) -> list[Outbound]:
        return self.turn(ChoiceSelected(event_id=event_id or self.event_id(), user=user, at=self.clock.now(),
                                        locale=locale, prompt_id=prompt_id, value=value))

    def command(self, user: UserRef, name: str, argument: str = "", *, locale: str | None = None) -> list[Outbound]:
        return self.turn(CommandReceived(event_id=self.event_id(), user=user, at=self.clock.now(), locale=locale,
                                         name=name, argument=argument, raw=name))

    # --- checking replies -------------------------------------------------------------------

    def assert_polite_reply(self, replies: Sequence[Outbound]) -> None:
        """Something was answered, and it was not the apology for a turn that failed."""
        assert replies, "the person got no reply at all"
        failed = [m for m in replies if isinstance(m, Notice) and m.text in self.internal_error]
        assert not failed, "the turn failed inside (the person got the apology for an internal error)"

    def assert_in_language(self, replies: Sequence[Outbound], language: str, *, typed: str = "") -> None:
        """Every reply is in `language`: marked so, and without a Finnish UI string when it is not Finnish."""
        for message in replies:
            assert message.language == language, f"a reply in {message.language!r}, expected {language!r}: {message}"
        if language == "fi":
            return
        fragments = finnish_only_fragments(self.instrument, language)
        for message in replies:
            shown = "\n".join(texts_of(message))
            found = [fragment for fragment in fragments if fragment in shown and fragment not in typed]  # echoes
            assert not found, f"Finnish text {found[0]!r} in a reply to a {language} speaker:\n{shown}"


@dataclass(frozen=True)
class Harnesses:
    """Both stores. Each example draws one: a fifth of them run on SQLite (the real thing), the
    rest on the in-memory twin, which is five times faster and keeps the suite within its time."""

    sqlite: Harness
    memory: Harness

    def draw(self, data: st.DataObject) -> Harness:
        return self.sqlite if data.draw(st.integers(0, SQLITE_ONE_IN - 1), label="on sqlite") == 0 else self.memory


def position(stored: Stored) -> dict[str, Any]:
    """Where the person is, without the counters that move on every prompt shown again."""
    state = dict(stored.state or {})
    for counter in ("prompt_seq", "prompts_since_break", "history", "shown_steps"):
        state.pop(counter, None)
    return state


def valid_values(conversation: Conversation | None) -> set[str]:
    """The button values the current prompt really has."""
    if conversation is None or (not conversation.started and conversation.step != "language"):
        return set()
    kind = kind_of(conversation.step)
    if kind in CHOICE_STEPS:
        return {option.value for option in Prompter(conversation, INSTRUMENT).options(conversation.step)}
    if kind == "priorities":
        return {*POINT_IDS, DONE}
    if kind in FREE_TEXT_STEPS:
        prompt = Prompter(conversation, INSTRUMENT).prompt(conversation.step)
        assert isinstance(prompt, FreeTextPrompt)
        return {SKIP, *(option.value for option in prompt.more)}
    return set()


_BUTTONS: dict[int, dict[str, tuple[Conversation, tuple[str, ...]]]] = {}


def live_buttons(harness: Harness) -> dict[str, tuple[Conversation, tuple[str, ...]]]:
    """Snapshot name → (its conversation, the values of its prompt's buttons), for snapshots showing buttons."""
    if id(harness) not in _BUTTONS:
        _BUTTONS[id(harness)] = {name: (c, tuple(sorted(valid_values(c)))) for name, c in harness.snapshots.items()
                                 if valid_values(c)}
    return _BUTTONS[id(harness)]


def notice_texts(replies: list[Outbound]) -> list[str]:
    return [message.text for message in replies if isinstance(message, Notice)]


def languages_of(snapshot: str, chosen: str | None, platform: str | None, locale: str | None
                 ) -> tuple[str | None, str | None]:
    """The languages to seed: what the turn will leave stored (so a person can be reused), none before a start."""
    if snapshot == "fresh":
        return None, language_code(locale)
    return chosen, language_code(locale) or platform


def assert_nothing_changed_but_a_restart(before: Stored, after: Stored) -> None:
    """No answer, and no position, changed; a person not started yet is started, a paused one resumed."""
    assert after.answers == before.answers, "an answer changed"
    if before.state is None:
        return
    assert after.language == before.language, "the chosen language changed"
    if not before.state["started"]:
        return
    was, now = position(before), position(after)
    if before.state["paused"]:
        assert now in (was, {**was, "paused": False}), "a paused conversation moved"
    else:
        assert now == was, "the conversation moved"


def late_tap_counted(before: Stored, after: Stored, current: Conversation | None, prompt_id: str, value: str) -> bool:
    """A tap on a button of one of the conversation's own earlier prompts counts for the question that prompt
    showed, never another: a rating card's tap corrects that rating and nothing else, without moving the
    conversation; the same question asked again since takes it as its answer. False when the prompt is none of
    those remembered (then nothing may change: `assert_nothing_changed_but_a_restart`)."""
    if current is None or not current.started or current.paused or current.step == "done":
        return False
    step = current.step_of_prompt(prompt_id)
    if step is None:
        return False
    assert set(before.answers) <= set(after.answers), "an answer was lost"
    changed = {question: v for question, v in after.answers.items()
               if question not in before.answers or before.answers[question] != v}
    if step == current.step:  # an answer to the open question (a language chosen, too)
        assert set(changed) <= {step}, f"a tap for {step} changed {changed}"
        return True
    assert after.language == before.language, "the chosen language changed"
    assert position(after) == position(before), "a tap on an earlier card moved the conversation"
    assert not changed or (kind_of(step) == "rate" and changed == {step: value}), \
        f"a tap on the card of {step} changed {changed}"
    return True


def expected_language(*, chosen: str | None, locale: str | None, platform: str | None) -> str:
    """The language a person's replies must be in: chosen, else the event's locale, else the stored one."""
    return chosen or language_code(locale) or platform or "fi"


def texts_of(message: Outbound) -> Iterator[str]:
    if isinstance(message, Notice):
        yield message.text
        yield message.heading or ""
    elif isinstance(message, ChoicePrompt | MultiChoicePrompt | FreeTextPrompt):
        yield message.text
        yield message.heading or ""
        yield message.hint or ""
        if isinstance(message, ChoicePrompt | FreeTextPrompt):
            yield from message.context
        if isinstance(message, ChoicePrompt | MultiChoicePrompt):
            yield from (option.label for option in message.options)
        if isinstance(message, MultiChoicePrompt):
            yield message.done_label
    elif isinstance(message, PromptClosed):
        yield message.answer or ""


_FRAGMENTS: dict[tuple[int, str], tuple[str, ...]] = {}


def finnish_only_fragments(instrument: Instrument, language: str) -> tuple[str, ...]:
    """Pieces of the Finnish UI strings and content that appear nowhere in `language`'s."""
    key = (id(instrument), language)
    if key not in _FRAGMENTS:
        theirs = "\n".join([*instrument.ui[language].values(), *localized_texts(instrument, language)])
        mine = [*instrument.ui["fi"].values(), *localized_texts(instrument, "fi")]
        pieces = {piece.strip() for template in mine for line in PLACEHOLDER.split(template)
                  for piece in line.splitlines()}
        _FRAGMENTS[key] = tuple(sorted(p for p in pieces if len(p) >= FRAGMENT_MIN and p not in theirs))
    return _FRAGMENTS[key]


def localized_texts(instrument: Instrument, language: str) -> Iterator[str]:
    """Point titles, questions and scale labels in `language`."""
    for point in instrument.points:
        yield point.title.get(language, "")
    for option in instrument.scale:
        yield option.label.get(language, "")
    yield instrument.scale_question.get(language, "")
    for text in instrument.deepening.values():
        yield text.get(language, "")
    yield instrument.plan_question.get(language, "")


# --- the walk that records the snapshots ------------------------------------------------------

def walk(harness: Harness) -> dict[str, Conversation]:
    """Answer the whole assessment once, recording the conversation at every kind of step."""
    user = harness.new_user()
    seen: dict[str, Conversation] = {}

    def load() -> Conversation:
        conversation = harness.store.load(user, harness.round)
        assert conversation is not None
        return conversation

    def record(name: str) -> Conversation:
        conversation = load()
        seen.setdefault(name, conversation)
        return conversation

    harness.command(user, "start")
    for _ in range(200):
        conversation = load()
        step = conversation.step
        prompt = conversation.prompt_id
        kind = step.partition(":")[0]
        record(step if step not in seen else f"{step}#{sum(n.startswith(step) for n in seen)}")
        if step == "done":
            break
        if kind == "rate":
            harness.press(user, prompt, "4")
        elif kind == "priorities":
            harness.press(user, prompt, "ennakkosuunnittelu")
            record("priorities-one-selected")
            harness.press(user, prompt, "naytot")
            record("priorities-two-selected")
            harness.press(user, prompt, DONE)
        elif kind == "hub":
            harness.press(user, prompt, FORWARD)
        elif kind == "partnership":
            harness.press(user, prompt, YES)
        else:
            harness.text(user, f"Vastaus kohtaan {step}.")
    else:
        raise AssertionError("the walk never reached the end")
    side_steps(harness, seen)
    return seen


def side_steps(harness: Harness, seen: dict[str, Conversation]) -> None:
    """Paused, editing, choosing a language, and the language picker before the start."""
    for name, command in (("paused", "pause"), ("edit", "edit"), ("language", "language")):
        user = harness.new_user()
        harness.seed_with(user, next(c for n, c in seen.items() if n.startswith("works:")))
        harness.command(user, command)
        conversation = harness.store.load(user, harness.round)
        assert conversation is not None
        seen[name] = conversation
    user = harness.new_user()  # changing an earlier answer: back to the question after it
    harness.seed_with(user, seen["promise:naytot"])
    harness.command(user, "edit")
    editing = harness.store.load(user, harness.round)
    assert editing is not None
    harness.press(user, editing.prompt_id, f"rate:{harness.instrument.point_ids[0]}")
    seen["editing"] = harness.store.load(user, harness.round)  # type: ignore[assignment]
    assert seen["editing"].return_to
    user = harness.new_user()
    harness.command(user, "language")
    conversation = harness.store.load(user, harness.round)
    assert conversation is not None and not conversation.started
    seen["language-before-start"] = conversation
