"""A team's digest of one round: pure aggregation of answers, with the anonymity thresholds applied.

Nothing here names anyone or keeps per-person rows: scores appear only from at least
`min_scores` respondents, verbatim open answers only from at least `min_texts` (never below 2),
counted for each list that is shown (each question of each point), never for the point as a
whole, so that one person's answer is never quoted alone; open answers come in a shuffled order.
Below a threshold the digest says how many more answers are needed, or how many wrote, instead.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core.flow import DEEPENING, chosen_points
from bot.core.instrument import Instrument

Answers = Mapping[str, str | None]
ANONYMITY_FLOOR = 2
TREND_STEP = 0.05  # a change of the mean smaller than this is shown as no change


@dataclass(frozen=True, slots=True)
class PointScore:
    point_id: str
    raters: int  # who gave this point a number (1–5)
    cant_say: int
    distribution: tuple[int, ...]  # count of 1, 2, 3, 4, 5; empty below the threshold
    mean: float | None  # None below the threshold
    previous_mean: float | None = None

    @property
    def trend(self) -> str:
        if self.mean is None or self.previous_mean is None:
            return ""
        change = self.mean - self.previous_mean
        return "→" if abs(change) < TREND_STEP else ("↑" if change > 0 else "↓")


@dataclass(frozen=True, slots=True)
class OpenAnswers:
    point_id: str
    writers: int  # who wrote anything for this point's part 2 questions
    shown: bool  # enough writers on the point; each list below has its own threshold as well
    works: tuple[str, ...] = ()  # empty when fewer than the minimum answered this question
    develop: tuple[str, ...] = ()
    promise: tuple[str, ...] = ()
    more: tuple[int, int, int] = (0, 0, 0)  # answers left out of each list (a chat message is no report)
    counts: tuple[int, int, int] = (0, 0, 0)  # who answered each question (works, develop, promise)

    def lists(self) -> tuple[tuple[str, tuple[str, ...], int, int], ...]:
        """(kind, answers shown, who answered, answers left out) for each question, in DEEPENING order."""
        return tuple(zip(DEEPENING, (self.works, self.develop, self.promise), self.counts, self.more, strict=True))


@dataclass(frozen=True, slots=True)
class TeamDigest:
    team: str
    round_name: str
    invited: int
    answered: int  # gave at least one answer
    part1_done: int
    part2_started: int  # answered at least one part 2 question (or skipped it on purpose)
    finished: int
    min_scores: int
    min_texts: int
    scores: tuple[PointScore, ...]
    priorities: tuple[tuple[str, int], ...]  # (point id, votes), most votes first
    open_answers: tuple[OpenAnswers, ...]  # for the two most chosen points

    @property
    def scores_needed(self) -> int:
        """How many more ratings the least-rated point needs before scores can be shown (0: shown)."""
        return max((self.min_scores - s.raters for s in self.scores if s.mean is None), default=0)


def _mean(values: Sequence[int]) -> float:
    return sum(values) / len(values)


def _ratings(answers: Sequence[Answers], point_id: str) -> tuple[list[int], int]:
    numbers: list[int] = []
    cant_say = 0
    for person in answers:
        value = person.get(f"rate:{point_id}")
        if value is not None and value.isdigit():
            numbers.append(int(value))
        elif value is not None:
            cant_say += 1
    return numbers, cant_say


def _score(answers: Sequence[Answers], previous: Sequence[Answers] | None, point_id: str, minimum: int
           ) -> PointScore:
    numbers, cant_say = _ratings(answers, point_id)
    before = _ratings(previous, point_id)[0] if previous is not None else []
    shown = len(numbers) >= minimum
    return PointScore(point_id=point_id, raters=len(numbers), cant_say=cant_say if shown else 0,
                      distribution=tuple(numbers.count(n) for n in range(1, 6)) if shown else (),
                      mean=round(_mean(numbers), 2) if shown else None,
                      previous_mean=round(_mean(before), 2) if len(before) >= minimum else None)


def open_answers_for(answers: Sequence[Answers], point_id: str, minimum: int, shuffle: random.Random,
                  shown_at_most: int) -> OpenAnswers:
    texts: dict[str, list[str]] = {kind: [] for kind in DEEPENING}
    writers = 0
    for person in answers:
        wrote = False
        for kind in DEEPENING:
            value = person.get(f"{kind}:{point_id}")
            if value:
                texts[kind].append(value)
                wrote = True
        writers += wrote
    counts = (len(texts[DEEPENING[0]]), len(texts[DEEPENING[1]]), len(texts[DEEPENING[2]]))
    if writers < minimum:
        return OpenAnswers(point_id, writers, shown=False, counts=counts)
    for values in texts.values():
        shuffle.shuffle(values)  # the order must not follow who answered first
    for values in texts.values():
        if len(values) < minimum:  # a list of fewer writers would quote them nearly alone: not shown at all
            values.clear()
    lists = [tuple(texts[kind][:shown_at_most]) for kind in DEEPENING]
    more = tuple(max(len(texts[kind]) - shown_at_most, 0) for kind in DEEPENING)
    return OpenAnswers(point_id, writers, True, lists[0], lists[1], lists[2], (more[0], more[1], more[2]), counts)


def build_digest(*, team: str, round_name: str, invited: int, answers: Sequence[Answers], instrument: Instrument,
                 previous: Sequence[Answers] | None = None, min_scores: int = 3, min_texts: int = 5,
                 seed: int = 0, shown_at_most: int = 15) -> TeamDigest:
    """The digest of one team's answers (one mapping per respondent: question → latest value)."""
    min_scores, min_texts = max(min_scores, ANONYMITY_FLOOR), max(min_texts, ANONYMITY_FLOOR)
    votes = Counter(point for person in answers for point in chosen_points(person))
    order = {point: index for index, point in enumerate(instrument.point_ids)}
    ranking = tuple(sorted(votes.items(), key=lambda item: (-item[1], order.get(item[0], 99))))
    part1_done = sum(1 for person in answers if "priorities" in person)
    if part1_done < min_scores:  # with fewer, the ranking would show a person's own choice
        ranking = ()
    # Open answers are shown for the two points the team most wants to develop.
    top = [point for point, _ in ranking[:instrument.settings.priorities_count]]
    shuffle = random.Random(seed)
    return TeamDigest(
        team=team, round_name=round_name, invited=invited,
        answered=sum(1 for person in answers if person),
        part1_done=part1_done,
        part2_started=sum(1 for person in answers if any(q.split(":", 1)[0] in DEEPENING for q in person)),
        finished=sum(1 for person in answers if "plan" in person),
        min_scores=min_scores, min_texts=min_texts,
        scores=tuple(_score(answers, previous, point, min_scores) for point in instrument.point_ids),
        priorities=ranking,
        open_answers=tuple(open_answers_for(answers, point, min_texts, shuffle, shown_at_most) for point in top),
    )
