"""Planning assessment rounds: the start window, default deadlines, and what a round's status shows. Pure.

A round records the strategy-funding decision date; the review must start within two months of
it. Part 1 (the quick overview) is due early, part 2 by the end of the window; both deadlines
fall on working days.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.core.formatting import date_text as date_text  # the inverse of `parse_date`, kept importable from here
from bot.core.identity import UserRef
from bot.core.workdays import is_working_day, next_working_day, start_window_end, working_days_before

PART1_DEFAULT_DAYS = 21  # three weeks for the two-minute overview, inside the window
DATE = re.compile(r"^(?:(\d{1,2})\.(\d{1,2})\.(\d{4})|(\d{4})-(\d{1,2})-(\d{1,2}))$")


def parse_date(text: str) -> date | None:
    """16.11.2026 (as people write it here) or 2026-11-16; None for anything else."""
    match = DATE.match(text.strip())
    if match is None:
        return None
    day, month, year = (match[1], match[2], match[3]) if match[1] else (match[6], match[5], match[4])
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


class PlanError(ValueError):
    """A round that cannot be opened as asked; `key` names the UI string that explains why."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True, slots=True)
class RoundPlan:
    name: str
    decision_date: date
    window_end: date
    part1_deadline: date
    part2_deadline: date
    responsible: str
    team_ids: tuple[int, ...]
    reminder_days: tuple[int, ...] | None = None  # this round's own escalation, else the settings'
    reminder_max: int | None = None


@dataclass(frozen=True, slots=True)
class RoundInfo:
    id: int
    name: str
    status: str
    instrument_version: str
    opened_at: datetime
    closed_at: datetime | None
    decision_date: date | None
    window_end: date | None
    part1_deadline: date | None
    part2_deadline: date | None
    responsible: str | None
    teams: tuple[str, ...]
    reminder_days: tuple[int, ...] | None = None
    reminder_max: int | None = None


class RoundConflict(Exception):
    """Another planned round is open; it must be closed before a new one opens."""

    def __init__(self, open_round: RoundInfo) -> None:
        super().__init__(open_round.name)
        self.open_round = open_round


@dataclass(frozen=True, slots=True)
class TeamProgress:
    """Counts only: who has not answered is never shown to anyone."""

    team: str
    members: int
    started: int
    part1_done: int
    finished: int


def _working_day_near(day: date, today: date) -> date:
    """The working day to suggest for a deadline on a day off: the nearest earlier one, or the next if that passed."""
    earlier = working_days_before(day, 0)
    return earlier if earlier >= today else next_working_day(day)


def plan_round(*, today: date, decision_date: date, team_ids: Sequence[int], responsible: str, name: str = "",
               part1_deadline: date | None = None, part2_deadline: date | None = None,
               reminder_days: Sequence[int] | None = None, reminder_max: int | None = None) -> RoundPlan:
    """Check a coordinator's request and fill in the defaults; raises PlanError with the reason.

    `today` is the local date (in the organisation's time zone), never the UTC date. Both deadlines
    fall on working days inside the start window: given ones on a day off are refused with a working
    day to use instead, and a window with no working day left from today cannot get a round.
    """
    window_end = start_window_end(decision_date)
    if decision_date > today:
        raise PlanError("rounds.decision_in_future", decision=decision_date)
    if today > window_end:
        raise PlanError("rounds.window_passed", decision=decision_date, window_end=window_end)
    if not team_ids:
        raise PlanError("rounds.no_teams")
    last_working_day = working_days_before(window_end, 0)
    if last_working_day < today:
        raise PlanError("rounds.no_working_day_left", decision=decision_date, window_end=window_end,
                        last_working_day=last_working_day)
    part2 = part2_deadline or last_working_day
    part1 = part1_deadline or min(working_days_before(today + timedelta(days=PART1_DEFAULT_DAYS), 0), part2)
    if part1 < today or part2 < today:  # only a given deadline can be in the past
        raise PlanError("rounds.deadline_past")
    for given in (part1_deadline, part2_deadline):
        if given is not None and not is_working_day(given):
            raise PlanError("rounds.deadline_not_working_day", deadline=given,
                            suggestion=_working_day_near(given, today))
    if part1 > part2:
        raise PlanError("rounds.deadlines_order", part1=part1, part2=part2)
    if part2 > window_end:
        raise PlanError("rounds.deadline_after_window", part2=part2, window_end=window_end)
    return RoundPlan(name=name.strip() or f"Kartoitus {today:%m/%Y}", decision_date=decision_date,
                     window_end=window_end, part1_deadline=part1, part2_deadline=part2,
                     responsible=responsible.strip(), team_ids=tuple(dict.fromkeys(team_ids)),
                     reminder_days=tuple(sorted(set(reminder_days), reverse=True)) if reminder_days else None,
                     reminder_max=reminder_max)


@dataclass(frozen=True, slots=True)
class MemberStanding:
    """One member of a round's teams: what they have answered (question keys only) and their reminders."""

    user: UserRef
    language: str | None
    answered: frozenset[str]
    timezone: str | None = None
    phase: str = ""
    sent: int = 0  # in `phase`
    total: int = 0
    last_sent: datetime | None = None
    snoozed_until: datetime | None = None
    opted_out: bool = False
    chosen: tuple[str, ...] = ()  # the development targets chosen in part 1 (point ids)

    def sent_in(self, phase: str) -> int:
        return self.sent if phase == self.phase else 0

    @property
    def part1_done(self) -> bool:
        return "priorities" in self.answered

    @property
    def finished(self) -> bool:
        return "plan" in self.answered

    def rated(self) -> int:
        return sum(1 for question in self.answered if question.startswith("rate:"))

    def deepened(self, point_ids: Sequence[str]) -> int:
        return sum(1 for point in point_ids
                   if all(f"{kind}:{point}" in self.answered for kind in ("works", "develop", "promise")))

    def deepened_targets(self) -> int:
        """How many of the chosen development targets part 2 has gone through."""
        return self.deepened(self.chosen)
