"""The organisation's report of one round: every team's participation and scores, the organisation's row,
its development targets, the trend against the previous round and the teams' agreed entries. Pure.

Anonymity, as in the team digest: a team's score of a point is shown only from at least `min_scores`
raters (never below 2); below that its cell is blank ("below_threshold"). The organisation's figure must
not let a blank cell be worked out by subtraction: its reader, a coordinator, also gets every shown team's
figure from that team's digest, so the organisation's sum less the shown teams' sums is what the blank
cells hold. For each point the ratings in blank cells are therefore pooled: from `min_scores` raters
together they count in the organisation's figure (a subtraction then gives only the pool's mean, of as
many people as a team at the threshold); below that they are left out of it, and the report says so in
`notes` with how many were left out. Blanking a complementary shown cell instead would not hold: the same
reader has that team's figure from its digest. The organisation's figure is blank when fewer than
`min_scores` raters count in it. `notes` are machine-readable: (kind, point id, team title), for the
renderers to word.

Development targets: the organisation's votes across every respondent of every team (blank below
`min_scores` respondents who did part 1 in all); each team's top targets (the instrument's
`priorities_count`, two) only from a team with at least `min_scores` part 1 answers, and as points
without their votes, so that no team's count can be subtracted from the organisation's either.
The teams' entries of their discussions (agreed promise and actions) are the team's, written openly:
shown whatever the thresholds, as in the workbook.

Teams are sorted by title (casefolded). The renderers (Markdown, HTML, PDF, rows for CSV/JSON) are in
`bot.reports.organisation_text`, the heatmap in `bot.reports.heatmap`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.discussions import TeamEntry
from bot.core.flow import chosen_points
from bot.core.instrument import Instrument
from bot.reports.digest import ANONYMITY_FLOOR, Answers, trend_of

BELOW_THRESHOLD = "below_threshold"
# Kinds of the report's notes: (kind, point id or "", team title or "").
NOTE_LEFT_OUT = "left_out"  # (kind, point, ""): small teams' ratings not counted in the organisation's figure
NOTE_ORGANISATION_HIDDEN = "organisation_below_threshold"  # (kind, point, ""): too few raters in all
NOTE_TARGETS_HIDDEN = "targets_below_threshold"  # (kind, "", team): too few part 1 answers for its targets
NOTE_ORGANISATION_TARGETS_HIDDEN = "organisation_targets_below_threshold"  # (kind, "", "")


@dataclass(frozen=True, slots=True)
class TeamInput:
    title: str
    invited: int
    answers: Sequence[Answers]  # one mapping per respondent: question → latest value
    entries: Mapping[str, TeamEntry] = field(default_factory=dict)  # point id → the team's discussed entry


@dataclass(frozen=True, slots=True)
class Participation:
    invited: int
    started: int  # answered anything
    part1_done: int  # chose the development targets
    finished: int  # wrote the plan


@dataclass(frozen=True, slots=True)
class Cell:
    """A team's score of one point: `mean` is None whenever `suppressed` (`reason` says why)."""

    point_id: str
    mean: float | None
    raters: int
    suppressed: bool = False
    reason: str = ""  # BELOW_THRESHOLD or ""


@dataclass(frozen=True, slots=True)
class OrganisationScore:
    """The organisation's figure of one point, over the raters it counts (None when fewer than the threshold)."""

    point_id: str
    mean: float | None
    raters: int  # counted in the figure
    suppressed: bool = False
    reason: str = ""  # BELOW_THRESHOLD or ""
    previous_mean: float | None = None
    left_out: int = 0  # ratings of teams below the threshold, too few together to count without revealing them

    @property
    def trend(self) -> str:
        """"↑", "↓" or "→" (as the digest's), "" when either mean is unknown."""
        return trend_of(self.mean, self.previous_mean)


@dataclass(frozen=True, slots=True)
class TeamRow:
    title: str
    participation: Participation
    cells: tuple[Cell, ...]  # in the instrument's point order
    targets: tuple[str, ...]  # the team's top targets (point ids, most votes first); () when not shown
    targets_shown: bool
    entries: Mapping[str, TeamEntry] = field(default_factory=dict)  # point id → entry, instrument's points only

    def cell(self, point_id: str) -> Cell:
        return next(cell for cell in self.cells if cell.point_id == point_id)


Note = tuple[str, str, str]  # (kind, point id or "", team title or "")


@dataclass(frozen=True, slots=True)
class OrganisationReport:
    round_name: str
    min_scores: int
    point_ids: tuple[str, ...]
    teams: tuple[TeamRow, ...]  # sorted by title (casefolded)
    participation: Participation  # all teams together
    organisation: tuple[OrganisationScore, ...]  # in the instrument's point order
    targets: tuple[tuple[str, int], ...]  # (point id, votes) across all teams, most first; () when not shown
    targets_shown: bool
    notes: tuple[Note, ...]

    def score(self, point_id: str) -> OrganisationScore:
        return next(score for score in self.organisation if score.point_id == point_id)

    def team(self, title: str) -> TeamRow:
        return next(team for team in self.teams if team.title == title)


def _participation(invited: int, answers: Sequence[Answers]) -> Participation:
    return Participation(invited=invited, started=sum(1 for person in answers if person),
                         part1_done=sum(1 for person in answers if "priorities" in person),
                         finished=sum(1 for person in answers if "plan" in person))


def _sums(answers: Sequence[Answers], point_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Point id → (raters, sum of their ratings 1–5); "cant_say" and anything else is no rating."""
    raters = dict.fromkeys(point_ids, 0)
    sums = dict.fromkeys(point_ids, 0)
    for person in answers:
        for point in point_ids:
            value = person.get(f"rate:{point}")
            if value is not None and len(value) == 1 and value in "12345":
                raters[point] += 1
                sums[point] += int(value)
    return {point: (raters[point], sums[point]) for point in point_ids}


def _pooled(raters: Sequence[int], minimum: int) -> tuple[list[str], int]:
    """Each team's cell's reason to be blank ("" when shown) for one point, and how many of the blank cells'
    ratings the organisation's figure must leave out (all of them when they are fewer than `minimum`, else
    none). `raters` in the teams' (sorted) order."""
    reasons = [BELOW_THRESHOLD if count < minimum else "" for count in raters]
    pool = sum(count for count, reason in zip(raters, reasons, strict=True) if reason)
    return reasons, pool if pool < minimum else 0


@dataclass(frozen=True, slots=True)
class _Figure:
    mean: float | None
    raters: int
    left_out: int


def _organisation_means(teams: Sequence[TeamInput], point_ids: Sequence[str], minimum: int
                        ) -> tuple[list[dict[str, tuple[int, int]]], dict[str, _Figure], dict[str, list[str]]]:
    sums = [_sums(team.answers, point_ids) for team in teams]
    organisation: dict[str, _Figure] = {}
    reasons: dict[str, list[str]] = {}
    for point in point_ids:
        raters = [team[point][0] for team in sums]
        reasons[point], left_out = _pooled(raters, minimum)
        counted = [team[point] for team, reason in zip(sums, reasons[point], strict=True)
                   if left_out == 0 or not reason]
        total = sum(count for count, _ in counted)
        mean = round(sum(value for _, value in counted) / total, 2) if total >= minimum else None
        organisation[point] = _Figure(mean, total, left_out)
    return sums, organisation, reasons


def _sorted(teams: Sequence[TeamInput]) -> list[TeamInput]:
    return sorted(teams, key=lambda team: (team.title.casefold(), team.title))


def _ranking(votes: Counter[str], order: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(((point, count) for point, count in votes.items() if point in order),
                        key=lambda item: (-item[1], order[item[0]])))


def build_organisation_report(*, round_name: str, teams: Sequence[TeamInput], instrument: Instrument,
                              previous: Sequence[TeamInput] | None = None, min_scores: int = 3
                              ) -> OrganisationReport:
    """The report of one round over `teams` (any order; shown sorted by title); `previous`: the organisation's
    teams of its previous round, for the trend of the organisation's figure of each point."""
    minimum = max(min_scores, ANONYMITY_FLOOR)
    point_ids = instrument.point_ids
    order = {point: index for index, point in enumerate(point_ids)}
    ordered = _sorted(teams)
    sums, organisation, reasons = _organisation_means(ordered, point_ids, minimum)
    before = _organisation_means(_sorted(previous), point_ids, minimum)[1] if previous else {}
    notes: list[Note] = []
    rows: list[TeamRow] = []
    votes_in_all: Counter[str] = Counter()
    for index, team in enumerate(ordered):
        cells = []
        for point in point_ids:
            raters, total = sums[index][point]
            reason = reasons[point][index]
            cells.append(Cell(point, None if reason else round(total / raters, 2), raters, bool(reason), reason))
        participation = _participation(team.invited, team.answers)
        votes = Counter(point for person in team.answers for point in chosen_points(person))
        votes_in_all.update(votes)
        shown = participation.part1_done >= minimum
        ranking = _ranking(votes, order)[:instrument.settings.priorities_count] if shown else ()
        top = tuple(point for point, _ in ranking)
        if not shown:
            notes.append((NOTE_TARGETS_HIDDEN, "", team.title))
        rows.append(TeamRow(title=team.title, participation=participation, cells=tuple(cells), targets=top,
                            targets_shown=shown,
                            entries={point: entry for point, entry in team.entries.items() if point in order}))
    scores = []
    for point in point_ids:
        figure = organisation[point]
        hidden = figure.mean is None
        scores.append(OrganisationScore(point, figure.mean, figure.raters, hidden, BELOW_THRESHOLD if hidden else "",
                                        before[point].mean if point in before else None, figure.left_out))
        if hidden:
            notes.append((NOTE_ORGANISATION_HIDDEN, point, ""))
        if figure.left_out:
            notes.append((NOTE_LEFT_OUT, point, ""))
    in_all = Participation(*(sum(getattr(row.participation, name) for row in rows)
                             for name in ("invited", "started", "part1_done", "finished")))
    targets_shown = in_all.part1_done >= minimum
    if not targets_shown:
        notes.append((NOTE_ORGANISATION_TARGETS_HIDDEN, "", ""))
    return OrganisationReport(round_name=round_name, min_scores=minimum, point_ids=point_ids, teams=tuple(rows),
                              participation=in_all, organisation=tuple(scores),
                              targets=_ranking(votes_in_all, order) if targets_shown else (),
                              targets_shown=targets_shown, notes=tuple(notes))
