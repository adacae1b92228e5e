"""A team's digest of one round: pure aggregation of answers, with the anonymity thresholds applied.

Nothing here names anyone or keeps per-person rows: scores appear only from at least
`min_scores` respondents, verbatim open answers only from at least `min_texts` (never below 2),
counted for each list that is shown (each question of each point), never for the point as a
whole, so that one person's answer is never quoted alone; open answers come in a shuffled order.
Below a threshold the digest says how many more answers are needed, or how many wrote, instead.

A list that is shown groups the same answer written by several people (`group_answers`: equal once
case, runs of whitespace and punctuation at either end are set aside) into one line with its count,
the most frequent first; answers as frequent as each other stay in the shuffled order. Grouping only
joins what is shown: the thresholds count writers exactly as without it.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.flow import DEEPENING, chosen_points
from bot.core.instrument import Instrument

Answers = Mapping[str, str | None]
ANONYMITY_FLOOR = 2
TREND_STEP = 0.05  # a change of the mean smaller than this is shown as no change


def trend_of(mean: float | None, previous_mean: float | None) -> str:
    """"↑", "↓" or "→" (a change smaller than TREND_STEP), "" when either mean is unknown."""
    if mean is None or previous_mean is None:
        return ""
    change = mean - previous_mean
    return "→" if abs(change) < TREND_STEP else ("↑" if change > 0 else "↓")


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
        return trend_of(self.mean, self.previous_mean)


@dataclass(frozen=True, slots=True)
class AnswerGroup:
    """One answer as shown, and how many wrote it (the same words, see `answer_key`)."""

    text: str
    count: int


Groups = tuple[AnswerGroup, ...]


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
    # The same lists grouped (`group_answers`), at most `shown_at_most` groups each, and how many answers
    # the groups left out hold: what the digest and the workbook print.
    groups: tuple[Groups, Groups, Groups] = ((), (), ())
    groups_more: tuple[int, int, int] = (0, 0, 0)

    def lists(self) -> tuple[tuple[str, tuple[str, ...], int, int], ...]:
        """(kind, answers shown, who answered, answers left out) for each question, in DEEPENING order."""
        return tuple(zip(DEEPENING, (self.works, self.develop, self.promise), self.counts, self.more, strict=True))

    def grouped(self) -> tuple[tuple[str, Groups, int, int], ...]:
        """(kind, answer groups shown, who answered, answers left out) for each question, in DEEPENING order."""
        return tuple(zip(DEEPENING, self.groups, self.counts, self.groups_more, strict=True))


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
    # Point id → the actions the team agreed for it in its previous round (its discussions' entries): the
    # digest shows them beside the point's score, so that the trend is read against what was agreed.
    agreed_before: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

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


# Set aside at the ends of an answer: punctuation, except a question mark (a question is not the statement);
# letters, digits and symbols (emoji, %, €, +) are content and always kept.
_KEPT_AT_ENDS = frozenset("?？¿")


def _trimmable(character: str) -> bool:
    return unicodedata.category(character)[0] == "P" and character not in _KEPT_AT_ENDS


def answer_key(text: str) -> str:
    """What two answers must share to be shown as one: the words, not case, spacing or end punctuation.

    Unicode-normalised (NFKC), casefolded, whitespace runs collapsed to one space, and punctuation
    stripped at either end only ("Yhteinen kalenteri toimii." = "yhteinen  kalenteri toimii");
    everything inside is kept, so "ei toimi" and "toimii", or "2 viikkoa" and "3 viikkoa", stay apart.
    """
    words = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    start, end = 0, len(words)
    while start < end and (_trimmable(words[start]) or words[start].isspace()):
        start += 1
    while end > start and (_trimmable(words[end - 1]) or words[end - 1].isspace()):
        end -= 1
    return words[start:end] or words


def group_answers(values: Sequence[str]) -> Groups:
    """`values` (already shuffled) as groups of the same answer, the most frequent first.

    Groups as frequent as each other keep the order of `values` (the first of each in it), so ties
    are as shuffled as the answers; a group is shown in its most common spelling (ties: the first).
    """
    spellings: dict[str, Counter[str]] = {}
    for value in values:
        spellings.setdefault(answer_key(value), Counter())[value] += 1
    groups = [AnswerGroup(forms.most_common(1)[0][0], sum(forms.values())) for forms in spellings.values()]
    return tuple(sorted(groups, key=lambda group: -group.count))  # sorted() is stable: ties stay shuffled


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
    grouped = [group_answers(texts[kind]) for kind in DEEPENING]
    groups = [values[:shown_at_most] for values in grouped]
    left = [sum(group.count for group in values[shown_at_most:]) for values in grouped]
    return OpenAnswers(point_id, writers, True, lists[0], lists[1], lists[2], (more[0], more[1], more[2]), counts,
                       groups=(groups[0], groups[1], groups[2]), groups_more=(left[0], left[1], left[2]))


def build_digest(*, team: str, round_name: str, invited: int, answers: Sequence[Answers], instrument: Instrument,
                 previous: Sequence[Answers] | None = None, min_scores: int = 3, min_texts: int = 5,
                 seed: int = 0, shown_at_most: int = 15,
                 agreed_before: Mapping[str, tuple[str, ...]] | None = None) -> TeamDigest:
    """The digest of one team's answers (one mapping per respondent: question → latest value).

    `agreed_before`: point id → the actions the team agreed in its previous round (no names: the team's)."""
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
        agreed_before={point: tuple(actions) for point, actions in (agreed_before or {}).items()
                       if point in order and actions},
    )
