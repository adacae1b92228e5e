"""A person's progress in the current round, for overview screens such as Slack's App Home.

Pure: derived from the conversation and its answers; says where the person stands, never
what they answered.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.conversation import Conversation
from bot.core.flow import chosen_points, deepened_points
from bot.core.instrument import Instrument
from bot.core.language import language_or
from bot.core.prompts import language_of


@dataclass(frozen=True, slots=True)
class Progress:
    language: str
    started: bool
    rated: int  # part 1 ratings given
    points: int  # critical points in the instrument
    part1_done: bool  # ratings given and the development targets chosen
    priorities: tuple[str, ...]  # point ids of the chosen targets, in order
    deepened: tuple[str, ...]  # point ids whose part 2 questions are all answered or skipped
    finished: bool
    paused: bool
    priorities_count: int  # how many development targets are chosen (the instrument's setting)

    @property
    def targets(self) -> int:
        """What part 2 counts against: the targets chosen, or before the choice how many there will be."""
        return len(self.priorities) or self.priorities_count

    @property
    def deepened_targets(self) -> int:
        return sum(1 for point in self.priorities if point in self.deepened)

    @property
    def part2_remaining(self) -> int:
        """Chosen targets not yet deepened (further points are optional)."""
        return self.targets - self.deepened_targets


def progress_of(conversation: Conversation | None, instrument: Instrument, *, locale: str | None = None,
                default_language: str = "fi") -> Progress:
    """Where the person stands; a person who has not started yet gets an empty Progress."""
    if conversation is None:
        return Progress(language=language_or(locale, default_language), started=False, rated=0,
                        points=len(instrument.point_ids), part1_done=False, priorities=(), deepened=(),
                        finished=False, paused=False, priorities_count=instrument.settings.priorities_count)
    answers = conversation.answers
    return Progress(
        language=language_of(conversation, default_language),
        started=conversation.started,
        rated=sum(1 for point in instrument.point_ids if f"rate:{point}" in answers),
        points=len(instrument.point_ids),
        part1_done="priorities" in answers,
        priorities=chosen_points(answers),
        deepened=deepened_points(answers, instrument),
        finished=conversation.step == "done",
        paused=conversation.paused,
        priorities_count=instrument.settings.priorities_count,
    )
