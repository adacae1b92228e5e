"""The order of the assessment: which step follows which, derived from the answers given.

Steps are strings. Question steps double as answer keys:
  rate:<point>        part 1 rating            priorities     the two development targets
  works:<point>       part 2 "what works"      develop:<point> part 2 "what to develop"
  promise:<point>     the service promise      level:<level>  a partnership level (optional)
  plan                the plan's summary question
Navigation steps: hub (choose a further point), partnership (offer the optional section),
edit, language (side steps that return to `resume_step`), done. There is no break step: finishing a
part, a point or a section is said on the next question's message, and /tauko pauses any time.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.instrument import Instrument

DEEPENING = ("works", "develop", "promise")
SIDE_STEPS = frozenset({"edit", "language"})
Answers = Mapping[str, str | None]


def kind_of(step: str) -> str:
    return step.partition(":")[0]


def subject_of(step: str) -> str:
    return step.partition(":")[2]


def is_question(step: str) -> bool:
    return kind_of(step) in {"rate", "priorities", "level", "plan", *DEEPENING}


def unit_of(step: str) -> str:
    """Steps of one unit are answered in one short session; the next unit's first message says it is done."""
    kind = kind_of(step)
    if kind in ("rate", "priorities"):
        return "part1"
    if kind in DEEPENING:
        return f"point:{subject_of(step)}"
    if kind == "level":
        return "partnership"
    return kind


def edit_unit_of(step: str) -> str:
    """What one change via /muuta covers: a single question, or a whole point of part 2."""
    return unit_of(step) if kind_of(step) in DEEPENING else step


def first_step(instrument: Instrument) -> str:
    return f"rate:{instrument.points[0].id}"


def chosen_points(answers: Answers) -> tuple[str, ...]:
    value = answers.get("priorities")
    return tuple(value.split(",")) if value else ()


def missing_deepening(answers: Answers, point_id: str) -> str | None:
    """The first of the point's part 2 questions not yet answered (or skipped)."""
    for kind in DEEPENING:
        if f"{kind}:{point_id}" not in answers:
            return f"{kind}:{point_id}"
    return None


def deepened_points(answers: Answers, instrument: Instrument) -> tuple[str, ...]:
    return tuple(p for p in instrument.point_ids if missing_deepening(answers, p) is None)


def remaining_points(answers: Answers, instrument: Instrument) -> tuple[str, ...]:
    return tuple(p for p in instrument.point_ids if missing_deepening(answers, p) is not None)


def next_step(step: str, answers: Answers, instrument: Instrument) -> str:
    """Where the person goes after answering `step`."""
    kind, subject = kind_of(step), subject_of(step)
    if kind == "rate":
        ids = instrument.point_ids
        position = ids.index(subject) + 1
        return f"rate:{ids[position]}" if position < len(ids) else "priorities"
    if kind in ("works", "develop"):
        return f"{DEEPENING[DEEPENING.index(kind) + 1]}:{subject}"
    if kind == "level":
        ids = instrument.level_ids
        position = ids.index(subject) + 1
        return f"level:{ids[position]}" if position < len(ids) else "plan"
    if kind == "plan":
        return "done"
    return after_deepening(answers, instrument)


def after_deepening(answers: Answers, instrument: Instrument) -> str:
    """The chosen points first, then the hub offering the others, then onwards."""
    for point_id in chosen_points(answers):
        missing = missing_deepening(answers, point_id)
        if missing is not None:
            return missing
    if remaining_points(answers, instrument):
        return "hub"
    return after_points(answers, instrument)


def after_points(answers: Answers, instrument: Instrument) -> str:
    if any(f"level:{level}" in answers for level in instrument.level_ids):
        return "plan"
    return "partnership"


def edit_targets(answers: Answers, instrument: Instrument) -> tuple[str, ...]:
    """Everything the person has answered, as the steps that re-ask it."""
    targets = [f"rate:{p}" for p in instrument.point_ids if f"rate:{p}" in answers]
    if "priorities" in answers:
        targets.append("priorities")
    targets += [f"works:{p}" for p in instrument.point_ids
                if any(f"{kind}:{p}" in answers for kind in DEEPENING)]
    targets += [f"level:{lvl}" for lvl in instrument.level_ids if f"level:{lvl}" in answers]
    if "plan" in answers:
        targets.append("plan")
    return tuple(targets)
