"""The organisation's report of one round: every team's participation and scores, the organisation's row,
its development targets, the trend against the previous round and the teams' agreed entries. Pure.

Anonymity, as in the team digest: a team's score of a point is shown only from at least `min_scores`
raters (never below 2); below that its cell is blank ("below_threshold"). The organisation's row counts
every rater of every team, so it must not let a blank cell be worked out by subtraction (the
organisation's sum less the sums of the cells shown). For each point the blank cells that hold ratings
are the *exposed* cells: when there is exactly one, or when together they hold fewer than `min_scores`
raters, the shown cell of the point with the fewest raters (ties: the first team by title) is blanked
as well ("complementary"), and again until at least two exposed cells hold `min_scores` raters
together. When that cannot be reached (every rating is in blank cells, and fewer than `min_scores` in
all, as with a single small team) the organisation's figure of the point is blank too. The report says
so in `notes`, machine-readable: (kind, point id, team title), for the renderers to word.

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
COMPLEMENTARY = "complementary"
# Kinds of the report's notes: (kind, point id or "", team title or "").
NOTE_COMPLEMENTARY = "complementary"  # (kind, point, team): blanked so that a small team's can't be derived
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
    reason: str = ""  # BELOW_THRESHOLD, COMPLEMENTARY or ""


@dataclass(frozen=True, slots=True)
class OrganisationScore:
    """The organisation's figure of one point, over every rater of every team (None when it would reveal)."""

    point_id: str
    mean: float | None
    raters: int
    suppressed: bool = False
    reason: str = ""  # BELOW_THRESHOLD or ""
    previous_mean: float | None = None

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


def _suppress(raters: Sequence[int], minimum: int) -> tuple[list[str], bool]:
    """Each team's cell's reason to be blank ("" when shown) for one point, and whether the organisation's
    figure must be blank as well. `raters` in the teams' (sorted) order."""
    reasons = [BELOW_THRESHOLD if count < minimum else "" for count in raters]
    exposed = [index for index, count in enumerate(raters) if reasons[index] and count > 0]
    while exposed and (len(exposed) < 2 or sum(raters[index] for index in exposed) < minimum):
        shown = [index for index, reason in enumerate(reasons) if not reason]
        if not shown:
            break
        smallest = min(shown, key=lambda index: (raters[index], index))
        reasons[smallest] = COMPLEMENTARY
        exposed.append(smallest)
    return reasons, sum(raters) < minimum


def _organisation_means(teams: Sequence[TeamInput], point_ids: Sequence[str], minimum: int
                        ) -> tuple[list[dict[str, tuple[int, int]]], dict[str, tuple[float | None, int, bool]],
                                   dict[str, list[str]]]:
    sums = [_sums(team.answers, point_ids) for team in teams]
    organisation: dict[str, tuple[float | None, int, bool]] = {}
    reasons: dict[str, list[str]] = {}
    for point in point_ids:
        raters = [team[point][0] for team in sums]
        reasons[point], hidden = _suppress(raters, minimum)
        total = sum(raters)
        mean = None if hidden else round(sum(team[point][1] for team in sums) / total, 2)
        organisation[point] = (mean, total, hidden)
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
        mean, raters, hidden = organisation[point]
        previous_mean = before[point][0] if point in before else None
        scores.append(OrganisationScore(point, mean, raters, hidden, BELOW_THRESHOLD if hidden else "",
                                        previous_mean))
        if hidden:
            notes.append((NOTE_ORGANISATION_HIDDEN, point, ""))
        notes += [(NOTE_COMPLEMENTARY, point, row.title) for row, reason in zip(rows, reasons[point], strict=True)
                  if reason == COMPLEMENTARY]
    in_all = Participation(*(sum(getattr(row.participation, name) for row in rows)
                             for name in ("invited", "started", "part1_done", "finished")))
    targets_shown = in_all.part1_done >= minimum
    if not targets_shown:
        notes.append((NOTE_ORGANISATION_TARGETS_HIDDEN, "", ""))
    return OrganisationReport(round_name=round_name, min_scores=minimum, point_ids=point_ids, teams=tuple(rows),
                              participation=in_all, organisation=tuple(scores),
                              targets=_ranking(votes_in_all, order) if targets_shown else (),
                              targets_shown=targets_shown, notes=tuple(notes))
