"""The organisation report against hand-computed figures: participation, means, the organisation's row,
votes, each team's top targets, the trend; the thresholds and the complementary suppression that keeps
a small team's mean from being worked out by subtraction; the heatmap PNG, the PDF, escaping."""

from __future__ import annotations

import csv
import io
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.discussions import TeamEntry
from bot.core.instrument import Instrument, pick
from bot.reports.digest import Answers
from bot.reports.export import write_csv_records
from bot.reports.heatmap import heatmap_png
from bot.reports.organisation import (
    BELOW_THRESHOLD,
    COMPLEMENTARY,
    NOTE_COMPLEMENTARY,
    NOTE_ORGANISATION_HIDDEN,
    NOTE_ORGANISATION_TARGETS_HIDDEN,
    NOTE_TARGETS_HIDDEN,
    OrganisationReport,
    Participation,
    TeamInput,
    _suppress,
    build_organisation_report,
)
from bot.reports.organisation_text import KEYS, ROW_COLUMNS, rows, to_html, to_markdown, to_pdf

REACH, READY = "tavoitettavuus", "valmiudet"

AUTO = TeamInput("Autoala", 6, [
    {f"rate:{REACH}": "4", f"rate:{READY}": "2", "priorities": "ennakkosuunnittelu,naytot", "plan": "Edetään"},
    {f"rate:{REACH}": "3", f"rate:{READY}": "2", "priorities": "ennakkosuunnittelu,palaute"},
    {f"rate:{REACH}": "cant_say", f"rate:{READY}": "5", "priorities": "naytot,ennakkosuunnittelu"},
    {f"rate:{REACH}": "5", "priorities": "ennakkosuunnittelu,naytot"},
], entries={REACH: TeamEntry(REACH, 4, promise="Vastaamme päivässä.", actions=("Yhteinen kalenteri",)),
            "ei_pistetta": TeamEntry("ei_pistetta", 2, actions=("ei näy",))})
BIO = TeamInput("bioala", 5, [  # lower case: sorted by casefolded title, between Autoala and Catering
    {f"rate:{REACH}": "2", f"rate:{READY}": "4", "priorities": "palaute,naytot"},
    {f"rate:{REACH}": "2", f"rate:{READY}": "4", "priorities": "palaute,tavoitettavuus", "plan": "Jatketaan"},
    {f"rate:{REACH}": "3", f"rate:{READY}": "5", "priorities": "palaute,naytot", "plan": "Sovitaan"},
    {f"rate:{REACH}": "cant_say"},  # started, no part 1
])


def text(key: str, **values: object) -> str:
    """English stand-ins for the UI strings the integrator adds (each key once, with its values)."""
    assert key in KEYS, key
    assert set(values) == set(KEYS[key]), (key, values)
    return key.removeprefix("organisation.") + "".join(f" {name}={value}" for name, value in sorted(values.items()))


LABELS = {"legend": "Mean (1–5)", "organisation": "Organisation", "suppressed": "Too few raters, or hidden"}


def report_of(instrument: Instrument, teams: list[TeamInput], **options: object) -> OrganisationReport:
    return build_organisation_report(round_name="Syksy 2026", teams=teams, instrument=instrument,
                                     **options)  # type: ignore[arg-type]


def rated(*values: int | str, point: str = REACH) -> list[Answers]:
    return [{f"rate:{point}": str(value)} for value in values]


def team(title: str, *values: int | str) -> TeamInput:
    return TeamInput(title, len(values), rated(*values))


def test_figures_by_hand(instrument: Instrument) -> None:
    report = report_of(instrument, [BIO, AUTO])
    assert [row.title for row in report.teams] == ["Autoala", "bioala"]
    auto, bio = report.teams
    assert auto.participation == Participation(invited=6, started=4, part1_done=4, finished=1)
    assert bio.participation == Participation(invited=5, started=4, part1_done=3, finished=2)
    assert report.participation == Participation(invited=11, started=8, part1_done=7, finished=3)
    # Autoala: reach 4, 3, 5 (one can't say) → 4.0; ready 2, 2, 5 → 3.0. bioala: reach 2, 2, 3 → 2.33; ready 4, 4, 5
    assert (auto.cell(REACH).mean, auto.cell(REACH).raters, auto.cell(READY).mean) == (4.0, 3, 3.0)
    assert (bio.cell(REACH).mean, bio.cell(REACH).raters, bio.cell(READY).mean) == (2.33, 3, 4.33)
    # The organisation: reach (12 + 7) / 6 = 3.17, ready (9 + 13) / 6 = 3.67
    assert (report.score(REACH).mean, report.score(REACH).raters) == (3.17, 6)
    assert (report.score(READY).mean, report.score(READY).raters) == (3.67, 6)
    assert all(not cell.suppressed for row in report.teams for cell in row.cells[:2])
    for point in report.point_ids[2:]:  # nobody rated: blank everywhere, the organisation's too
        assert report.score(point).mean is None and report.score(point).reason == BELOW_THRESHOLD
        assert (auto.cell(point).reason, auto.cell(point).raters) == (BELOW_THRESHOLD, 0)
    # Votes: näytöt 2 + 2, ennakkosuunnittelu 3 + 0 … by hand: ennakko 4 (Autoala), näytöt 3 + 2 = 5, palaute 1 + 3 = 4
    assert report.targets == (("naytot", 5), ("ennakkosuunnittelu", 4), ("palaute", 4), ("tavoitettavuus", 1))
    assert auto.targets == ("ennakkosuunnittelu", "naytot") and bio.targets == ("palaute", "naytot")
    assert auto.entries == {REACH: AUTO.entries[REACH]}, "only the instrument's points"
    assert not any(kind == NOTE_COMPLEMENTARY for kind, _, _ in report.notes)


def test_trend_against_the_previous_round(instrument: Instrument) -> None:
    before = [team("Autoala", 4, 3, 4, 3),  # reach 3.5 → 3.17 now: down
              TeamInput("bioala", 3, rated(4, 4, 3, point=READY))]  # ready 3.67 → 3.67: no change
    report = report_of(instrument, [AUTO, BIO], previous=before)
    assert (report.score(REACH).previous_mean, report.score(REACH).trend) == (3.5, "↓")
    assert (report.score(READY).previous_mean, report.score(READY).trend) == (3.67, "→")
    assert report.score("palaute").trend == "", "unknown now and before"
    up = report_of(instrument, [AUTO, BIO], previous=[team("X", 2, 3, 3)])  # 2.67 → 3.17
    assert up.score(REACH).trend == "↑"
    small = report_of(instrument, [AUTO, BIO], previous=[team("X", 5, 5)])  # two raters before: unknown
    assert (small.score(REACH).previous_mean, small.score(REACH).trend) == (None, "")
    assert report_of(instrument, [AUTO, BIO]).score(REACH).trend == ""


def test_a_small_teams_targets_are_not_shown(instrument: Instrument) -> None:
    few = TeamInput("Pieni", 4, [{"priorities": "palaute,naytot"}, {"priorities": "palaute,valmiudet"}])
    report = report_of(instrument, [few, AUTO])
    assert report.team("Pieni").targets == () and not report.team("Pieni").targets_shown
    assert (NOTE_TARGETS_HIDDEN, "", "Pieni") in report.notes
    assert report.targets[0] == ("ennakkosuunnittelu", 4), "its votes still count in the organisation's"
    alone = report_of(instrument, [few])
    assert alone.targets == () and not alone.targets_shown
    assert (NOTE_ORGANISATION_TARGETS_HIDDEN, "", "") in alone.notes


@pytest.mark.parametrize(("minimum", "shown"), [(1, True), (2, True), (3, True), (4, False)])
def test_a_cell_needs_enough_raters_and_never_fewer_than_two(instrument: Instrument, minimum: int,
                                                            shown: bool) -> None:
    report = report_of(instrument, [team("A", 4, 4, 5), team("B", 1, 2, 3, 4, 5)], min_scores=minimum)
    cell = report.team("A").cell(REACH)
    assert (cell.mean is not None) is shown and cell.raters == 3
    assert report.min_scores == max(minimum, 2)
    single = report_of(instrument, [team("A", 4), team("B", 3, 3, 3, 3)], min_scores=1)
    assert single.team("A").cell(REACH).reason == BELOW_THRESHOLD, "one rater is never shown"


def test_one_small_team_blanks_the_smallest_shown_cell_too(instrument: Instrument) -> None:
    """A 2 raters (4, 4), B 5, C 4, D 4: with A blank, org 11 raters less B and C and D would give A's sum 8."""
    report = report_of(instrument, [team("D", 2, 2, 2, 2), team("B", 1, 2, 3, 4, 5), team("A", 4, 4),
                                    team("C", 5, 5, 5, 5)])
    reasons = {row.title: row.cell(REACH).reason for row in report.teams}
    assert reasons == {"A": BELOW_THRESHOLD, "B": "", "C": COMPLEMENTARY, "D": ""}, "C and D tie at 4: C first"
    assert report.team("C").cell(REACH).mean is None and report.team("C").cell(REACH).suppressed
    assert report.team("D").cell(REACH).mean == 2.0
    # The organisation keeps every rater: (8 + 15 + 20 + 8) / 15 = 3.4
    assert (report.score(REACH).mean, report.score(REACH).raters) == (3.4, 15)
    assert (NOTE_COMPLEMENTARY, REACH, "C") in report.notes
    assert [note for note in report.notes if note[0] == NOTE_COMPLEMENTARY] == [(NOTE_COMPLEMENTARY, REACH, "C")]


def test_two_small_teams_below_the_threshold_together_need_a_complementary_cell(instrument: Instrument) -> None:
    """A 1 rater, B 1 (2 together, below 3), C 6, D 5: the org less C and D would give A and B's sum of 2."""
    report = report_of(instrument, [team("A", 5), team("B", 1), team("C", *[3] * 6), team("D", *[4] * 5)])
    reasons = [row.cell(REACH).reason for row in report.teams]
    assert reasons == [BELOW_THRESHOLD, BELOW_THRESHOLD, "", COMPLEMENTARY]
    assert report.score(REACH).mean == round((5 + 1 + 18 + 20) / 13, 2) == 3.38


@pytest.mark.parametrize("b_ratings", [(1,), (2, 2)])
def test_two_small_teams_reaching_the_threshold_together_need_nothing_more(instrument: Instrument,
                                                                          b_ratings: tuple[int, ...]) -> None:
    """A 2 raters, B 1 or 2 (3 or 4 together): only their sum can be derived, from at least three people."""
    report = report_of(instrument, [team("A", 4, 5), team("B", *b_ratings), team("C", *[3] * 6)])
    assert [row.cell(REACH).reason for row in report.teams] == [BELOW_THRESHOLD, BELOW_THRESHOLD, ""]
    assert report.team("C").cell(REACH).mean == 3.0
    assert report.score(REACH).mean == round((9 + sum(b_ratings) + 18) / (8 + len(b_ratings)), 2)


def test_a_team_without_ratings_reveals_nothing(instrument: Instrument) -> None:
    report = report_of(instrument, [TeamInput("A", 3, [{"priorities": "palaute,naytot"}]), team("B", 1, 2, 3),
                                    team("C", 4, 4, 4)])
    assert [row.cell(REACH).reason for row in report.teams] == [BELOW_THRESHOLD, "", ""]
    assert report.score(REACH).mean == 3.0


def test_only_small_teams_hide_the_organisation_too(instrument: Instrument) -> None:
    both = report_of(instrument, [team("A", 4), team("B", 2)])  # 2 raters in all
    assert [row.cell(REACH).reason for row in both.teams] == [BELOW_THRESHOLD, BELOW_THRESHOLD]
    assert both.score(REACH).mean is None and both.score(REACH).reason == BELOW_THRESHOLD
    assert (NOTE_ORGANISATION_HIDDEN, REACH, "") in both.notes
    with_empty = report_of(instrument, [team("A", 4, 4), TeamInput("B", 2, [{"priorities": "palaute,naytot"}])])
    assert with_empty.score(REACH).mean is None, "the organisation's figure would be A's"
    # A 2 raters and B 3: B is blanked as well; the organisation's figure of 5 raters is shown
    pair = report_of(instrument, [team("A", 4, 4), team("B", 1, 1, 1)])
    assert [row.cell(REACH).reason for row in pair.teams] == [BELOW_THRESHOLD, COMPLEMENTARY]
    assert pair.score(REACH).mean == 2.2


@pytest.mark.parametrize(("ratings", "mean"), [((4, 4), None), ((4, 4, 5), 4.33)])
def test_one_team_only_the_organisation_is_the_team(instrument: Instrument, ratings: tuple[int, ...],
                                                    mean: float | None) -> None:
    report = report_of(instrument, [team("A", *ratings)])
    assert report.team("A").cell(REACH).mean == mean == report.score(REACH).mean
    assert report.score(REACH).suppressed is (mean is None)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=8), min_size=1, max_size=7), st.integers(min_value=2, max_value=5))
def test_no_blank_cell_can_be_subtracted(raters: list[int], minimum: int) -> None:
    """Whatever the teams: the organisation's figure is shown only from `minimum` raters, and then the blank
    cells holding ratings are none, or at least two holding `minimum` raters together."""
    reasons, hidden = _suppress(raters, minimum)
    assert all(reason == BELOW_THRESHOLD for count, reason in zip(raters, reasons, strict=True) if count < minimum)
    if not hidden:
        assert sum(raters) >= minimum
        blank = [count for count, reason in zip(raters, reasons, strict=True) if reason and count > 0]
        assert not blank or (len(blank) >= 2 and sum(blank) >= minimum)
    assert sum(reason == COMPLEMENTARY for reason in reasons) <= 1


HOSTILE = ("<script>alert(1)</script>", "*x*", "=cmd()")


def hostile_report(instrument: Instrument) -> OrganisationReport:
    teams = [TeamInput(name, 5, [{**{f"rate:{point}": str(1 + (n + len(name)) % 5) for point in instrument.point_ids},
                                  "priorities": "palaute,naytot"} for n in range(4)],
                       entries={REACH: TeamEntry(REACH, 3, promise="<b>lupaus</b>", actions=("=HYPERLINK()",))})
             for name in HOSTILE]
    teams.append(TeamInput("Pieni tiimi, jonka nimi on niin pitkä, että se rivitetään kolmelle riville", 3,
                           rated(4, 5)))
    return report_of(instrument, teams)


def test_the_heatmap_png(instrument: Instrument) -> None:
    report = hostile_report(instrument)
    assert report.teams[-1].cell(REACH).reason == BELOW_THRESHOLD
    assert any(cell.reason == COMPLEMENTARY for row in report.teams for cell in row.cells)
    png = heatmap_png(report, instrument, "fi", labels=LABELS)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == 1080 and 600 < height < 1500, "five rows: grows with the teams"


def test_the_markdown_and_html_escape_team_names(instrument: Instrument) -> None:
    report = hostile_report(instrument)
    markdown = to_markdown(report, instrument, "fi", text)
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown and "\\*x\\*" in markdown
    assert "<b>" not in markdown
    page = to_html(report, instrument, "fi", text, heatmap=b"\x89PNG")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;" in page
    assert 'src="data:image/png;base64,iVBORw=="' in page
    assert "title round=Syksy 2026" in markdown and "note\\_complementary point=Tavoitettavuus ja näkyvyys" in markdown


def test_rows_show_only_shown_figures_and_csv_runs_no_formula(instrument: Instrument) -> None:
    report = hostile_report(instrument)
    result = rows(report)
    small = [row for row in result if row["team"].startswith("Pieni") and row["point"] == REACH]
    assert small == [{"round": "Syksy 2026", "scope": "team", "team": small[0]["team"], "point": REACH,
                      "measure": "mean", "value": "", "reason": BELOW_THRESHOLD}]
    complementary = [row for row in result if row["reason"] == COMPLEMENTARY]
    assert complementary and all(row["value"] == "" for row in complementary)
    assert not any(row["measure"] == "raters" and row["team"] == complementary[0]["team"]
                   and row["point"] == complementary[0]["point"] for row in result)
    organisation = {(row["point"], row["measure"]): row["value"] for row in result if row["scope"] == "organisation"}
    assert organisation[("", "invited")] == "18" and organisation[(REACH, "raters")] == "14"
    output = io.StringIO()
    write_csv_records(result, ROW_COLUMNS, output)
    cells = [cell for line in csv.reader(io.StringIO(output.getvalue())) for cell in line]
    assert "'=cmd()" in cells and "=cmd()" not in cells and "'=HYPERLINK()" in cells


def test_the_pdf_is_a4_with_every_team_and_point(instrument: Instrument) -> None:
    from pypdf import PdfReader

    report = hostile_report(instrument)
    pdf = to_pdf(report, instrument, "fi", text, heatmap=heatmap_png(report, instrument, "fi", labels=LABELS))
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    assert "/XObject" in reader.pages[0]["/Resources"], "the heatmap is on the first page"
    words = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for shown in (*HOSTILE, *(pick(point.title, "fi") for point in instrument.points), "Pieni tiimi"):
        assert shown in words, shown
