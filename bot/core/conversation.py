"""One person's progress through one assessment round: plain, serialisable data.

The conversation holds *where* the person is; their answers are separate append-only
rows (see `AnswerRecord`), loaded into `answers` as the latest value per question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from bot.core.identity import UserRef

SKIPPED: None = None  # an answer value of None means "skipped on purpose"


@dataclass(frozen=True, slots=True)
class RoundRef:
    """The assessment round a conversation belongs to."""

    id: int
    instrument_version: str
    is_open: bool = True


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """One answer given in one turn; the store appends it and never rewrites it."""

    question: str
    value: str | None


def _frozen(mapping: Mapping[str, str | None] | None = None) -> Mapping[str, str | None]:
    return MappingProxyType(dict(mapping or {}))


def frozen_agreed(agreed: Mapping[str, Any] | None = None) -> Mapping[str, tuple[str, ...]]:
    """Point id → the actions agreed for it, read-only; non-text and blank actions and points without any dropped
    (a state document is JSON: lists come back as lists)."""
    cleaned = {str(point): tuple(str(item) for item in actions if isinstance(item, str) and item.strip())
               for point, actions in (agreed or {}).items() if isinstance(actions, list | tuple)}
    return MappingProxyType({point: actions for point, actions in cleaned.items() if actions})


@dataclass(frozen=True, slots=True)
class Conversation:
    """Where one person is in one round. `version` is the store's optimistic-lock counter."""

    user: UserRef
    round: RoundRef
    version: int = 0
    started: bool = False
    step: str = ""
    resume_step: str = ""  # where a break offer leads when the person continues
    history: tuple[str, ...] = ()
    paused: bool = False
    prompt_seq: int = 0
    prompts_since_break: int = 0
    selection: tuple[str, ...] = ()  # toggled options of an open multi-choice prompt
    return_to: str = ""  # after changing an earlier answer, go back here
    language: str | None = None  # chosen explicitly with /kieli
    platform_language: str | None = None  # derived from the platform's locale
    answers: Mapping[str, str | None] = field(default_factory=_frozen)
    # (prompt number, step) of the latest prompts shown: a late tap or text is bound to the question it was for
    shown_steps: tuple[tuple[int, str], ...] = ()
    # The actions the person's team(s) agreed per point in an earlier round, carried in when this conversation
    # began: each point's first part 2 question starts with them.
    agreed: Mapping[str, tuple[str, ...]] = field(default_factory=frozen_agreed)

    def evolve(self, **changes: Any) -> Conversation:
        """`dataclasses.replace` without re-running __init__: the engine calls this on every turn."""
        new = object.__new__(Conversation)
        set_field = object.__setattr__
        for name in _FIELD_NAMES:
            set_field(new, name, getattr(self, name))
        for name, value in changes.items():  # slots: an unknown name raises AttributeError
            set_field(new, name, value)
        return new

    @property
    def prompt_id(self) -> str:
        return str(self.prompt_seq)

    def step_of_prompt(self, prompt_id: str) -> str | None:
        """The step an earlier prompt of this conversation asked (None when it is not among the latest)."""
        return next((name for seq, name in self.shown_steps if str(seq) == prompt_id), None)

    def state(self) -> dict[str, Any]:
        """The part of the conversation that is stored as the state document."""
        return {
            "started": self.started,
            "step": self.step,
            "resume_step": self.resume_step,
            "history": list(self.history),
            "paused": self.paused,
            "prompt_seq": self.prompt_seq,
            "prompts_since_break": self.prompts_since_break,
            "selection": list(self.selection),
            "return_to": self.return_to,
            "shown_steps": [list(item) for item in self.shown_steps],
            **({"agreed": {point: list(actions) for point, actions in self.agreed.items()}} if self.agreed else {}),
        }

    @classmethod
    def from_state(
        cls,
        state: Mapping[str, Any],
        *,
        user: UserRef,
        round: RoundRef,
        version: int,
        language: str | None,
        platform_language: str | None,
        answers: Mapping[str, str | None],
    ) -> Conversation:
        return cls(
            user=user,
            round=round,
            version=version,
            started=bool(state.get("started", False)),
            step=str(state.get("step", "")),
            resume_step=str(state.get("resume_step", "")),
            history=tuple(state.get("history", ())),
            paused=bool(state.get("paused", False)),
            prompt_seq=int(state.get("prompt_seq", 0)),
            prompts_since_break=int(state.get("prompts_since_break", 0)),
            selection=tuple(state.get("selection", ())),
            return_to=str(state.get("return_to", "")),
            shown_steps=tuple((int(seq), str(name)) for seq, name in state.get("shown_steps", ())),
            agreed=frozen_agreed(state.get("agreed")),
            language=language,
            platform_language=platform_language,
            answers=_frozen(answers),
        )


_FIELD_NAMES = tuple(item.name for item in fields(Conversation))


def with_answers(answers: Mapping[str, str | None], new: Mapping[str, str | None]) -> Mapping[str, str | None]:
    merged = dict(answers)
    merged.update(new)
    return _frozen(merged)
