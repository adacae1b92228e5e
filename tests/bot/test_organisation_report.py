"""The organisation report against hand-computed figures: participation, means, the organisation's row,
votes, each team's top targets, the trend; the thresholds, and small teams' ratings left out of the
organisation's figure where its reader could work them out by subtraction (with the teams' own digests);
the heatmap PNG (pixels of a blank and a shown cell), the PDF, escaping."""

from __future__ import annotations

import csv
import io
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.discussions import TeamEntry
from bot.core.instrument import Instrument, pick
from bot.reports.digest import Answers, build_digest
from bot.reports.export import write_csv_records
from bot.reports.heatmap import CIVIDIS, WIDTH, colour, draw, heatmap_pages, heatmap_png, shown
from bot.reports.organisation import (
    BELOW_THRESHOLD,
    NOTE_LEFT_OUT,
    NOTE_ORGANISATION_HIDDEN,
    NOTE_ORGANISATION_TARGETS_HIDDEN,
    NOTE_TARGETS_HIDDEN,
    OrganisationReport,
    Participation,
    TeamInput,
    _pooled,
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
    assert not any(kind == NOTE_LEFT_OUT for kind, _, _ in report.notes)


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


def test_one_small_teams_ratings_are_left_out_of_the_organisations_figure(instrument: Instrument) -> None:
    """A 2 raters (4, 4), B 5, C 4, D 4: counting A, the organisation's 15 raters less B, C and D (whose figures
    their digests show) would give A's sum 8. So the organisation counts B, C and D only, and says so."""
    report = report_of(instrument, [team("D", 2, 2, 2, 2), team("B", 1, 2, 3, 4, 5), team("A", 4, 4),
                                    team("C", 5, 5, 5, 5)])
    reasons = {row.title: row.cell(REACH).reason for row in report.teams}
    assert reasons == {"A": BELOW_THRESHOLD, "B": "", "C": "", "D": ""}, "no big team is blanked for a small one"
    assert (report.team("C").cell(REACH).mean, report.team("D").cell(REACH).mean) == (5.0, 2.0)
    # (15 + 20 + 8) / 13 = 3.31, the two ratings of A left out
    assert (report.score(REACH).mean, report.score(REACH).raters, report.score(REACH).left_out) == (3.31, 13, 2)
    assert [note for note in report.notes if note[0] == NOTE_LEFT_OUT] == [(NOTE_LEFT_OUT, REACH, "")]


def test_two_small_teams_below_the_threshold_together_are_left_out(instrument: Instrument) -> None:
    """A 1 rater, B 1 (2 together, below 3), C 6, D 5: the org less C and D would give A and B's sum of 2."""
    report = report_of(instrument, [team("A", 5), team("B", 1), team("C", *[3] * 6), team("D", *[4] * 5)])
    reasons = [row.cell(REACH).reason for row in report.teams]
    assert reasons == [BELOW_THRESHOLD, BELOW_THRESHOLD, "", ""]
    assert report.score(REACH).mean == round((18 + 20) / 11, 2) == 3.45
    assert report.score(REACH).left_out == 2


@pytest.mark.parametrize("b_ratings", [(1,), (2, 2)])
def test_two_small_teams_reaching_the_threshold_together_count(instrument: Instrument,
                                                               b_ratings: tuple[int, ...]) -> None:
    """A 2 raters, B 1 or 2 (3 or 4 together): only their sum can be derived, from at least three people,
    as from a team at the threshold."""
    report = report_of(instrument, [team("A", 4, 5), team("B", *b_ratings), team("C", *[3] * 6)])
    assert [row.cell(REACH).reason for row in report.teams] == [BELOW_THRESHOLD, BELOW_THRESHOLD, ""]
    assert report.team("C").cell(REACH).mean == 3.0
    assert report.score(REACH).mean == round((9 + sum(b_ratings) + 18) / (8 + len(b_ratings)), 2)
    assert report.score(REACH).left_out == 0 and not any(note[0] == NOTE_LEFT_OUT for note in report.notes)


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
    # A 2 raters and B 3: B is shown, and the organisation's figure is B's (A's two left out), 1,0 of 3
    pair = report_of(instrument, [team("A", 4, 4), team("B", 1, 1, 1)])
    assert [row.cell(REACH).reason for row in pair.teams] == [BELOW_THRESHOLD, ""]
    assert (pair.score(REACH).mean, pair.score(REACH).raters, pair.score(REACH).left_out) == (1.0, 3, 2)
    pooled = report_of(instrument, [team("A", 4, 4), team("B", 1, 2)])  # two small teams, 4 raters together
    assert (pooled.score(REACH).mean, pooled.score(REACH).raters) == (2.75, 4)


@pytest.mark.parametrize(("ratings", "mean"), [((4, 4), None), ((4, 4, 5), 4.33)])
def test_one_team_only_the_organisation_is_the_team(instrument: Instrument, ratings: tuple[int, ...],
                                                    mean: float | None) -> None:
    report = report_of(instrument, [team("A", *ratings)])
    assert report.team("A").cell(REACH).mean == mean == report.score(REACH).mean
    assert report.score(REACH).suppressed is (mean is None)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=8), min_size=1, max_size=7), st.integers(min_value=2, max_value=5))
def test_no_blank_cell_can_be_subtracted(raters: list[int], minimum: int) -> None:
    """Whatever the teams: what the organisation counts beyond the shown cells is nothing, or the ratings of
    at least `minimum` people; a cell is blank exactly when it holds fewer than `minimum` raters."""
    reasons, left_out = _pooled(raters, minimum)
    assert [bool(reason) for reason in reasons] == [count < minimum for count in raters]
    counted = sum(raters) - left_out
    beyond_shown = counted - sum(count for count, reason in zip(raters, reasons, strict=True) if not reason)
    assert beyond_shown == 0 or beyond_shown >= minimum
    assert left_out == 0 or left_out < minimum


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["1", "2", "3", "4", "5", "cant_say"]), max_size=6), min_size=1,
                max_size=5))
def test_the_teams_digests_and_the_organisations_figure_reveal_no_small_team(instrument: Instrument,
                                                                           ratings: list[list[str]]) -> None:
    """The coordinator's subtraction, with what the coordinator can read: each team's digest (the same threshold)
    and the organisation's report. What the organisation's sum holds beyond the digests' is no one, or the sum
    of at least `min_scores` people."""
    teams = [TeamInput(f"T{number}", len(values), [{f"rate:{REACH}": value} for value in values])
             for number, values in enumerate(ratings)]
    report = report_of(instrument, teams)
    score = report.score(REACH)
    if score.mean is None:
        return
    seen = [build_digest(team=team.title, round_name="r", invited=team.invited, answers=team.answers,
                         instrument=instrument).scores[0] for team in teams]
    assert instrument.point_ids[0] == REACH
    shown_raters = sum(point.raters for point in seen if point.mean is not None)
    beyond = score.raters - shown_raters
    assert beyond == 0 or beyond >= report.min_scores
    for team_row, point in zip(sorted(teams, key=lambda t: t.title), seen, strict=True):
        assert (report.team(team_row.title).cell(REACH).mean is None) is (point.mean is None), "the same cells blank"


HOSTILE = ("<script>alert(1)</script>", "*x*", "=cmd()")


def hostile_report(instrument: Instrument) -> OrganisationReport:
    teams = [TeamInput(name, 5, [{**{f"rate:{point}": str(1 + (n + len(name)) % 5) for point in instrument.point_ids},
                                  "priorities": "palaute,naytot"} for n in range(4)],
                       entries={REACH: TeamEntry(REACH, 3, promise="<b>lupaus</b>", actions=("=HYPERLINK()",))})
             for name in HOSTILE]
    teams.append(TeamInput("Pieni tiimi, jonka nimi on niin pitkä, että se rivitetään kolmelle riville", 3,
                           rated(4, 5)))
    return report_of(instrument, teams)


def test_the_cividis_samples_are_matplotlibs(instrument: Instrument) -> None:
    from matplotlib import colormaps

    palette = colormaps["cividis"]
    for index, sample in enumerate(CIVIDIS):
        expected = tuple(round(value * 255) for value in palette(index / (len(CIVIDIS) - 1))[:3])
        assert sample == expected
    assert colour(1) == CIVIDIS[0] and colour(5) == CIVIDIS[-1] and colour(9) == CIVIDIS[-1]


def test_the_heatmap_png(instrument: Instrument) -> None:
    from PIL import Image

    report = hostile_report(instrument)
    small = report.teams[-1]
    assert small.title.startswith("Pieni") and small.cell(REACH).reason == BELOW_THRESHOLD
    png, boxes = draw(report, instrument, "fi", labels=LABELS, teams=range(len(report.teams)), title="Syksy 2026")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == WIDTH == 1080 and 700 < height < 1400, "four rows: grows with the teams"
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    assert len(boxes) == (len(report.teams) + 1) * len(report.point_ids), "every team, and the organisation's row"
    palette = {colour(value / 10) for value in range(10, 51)}

    def pixels(box: tuple[int, int, int, int]) -> set[tuple[int, int, int]]:
        left, top, right, bottom = box
        return {picture.getpixel((x, y)) for x in range(left + 3, right - 3, 3) for y in range(top + 3, bottom - 3, 3)}

    blank = next(cell for cell in boxes if cell.row == small.title and cell.point_id == REACH)
    assert blank.blank
    assert not pixels(blank.box) & palette, "a blank cell holds no colour of the scale"
    figure = next(cell for cell in boxes if cell.row == HOSTILE[0] and cell.point_id == REACH)
    mean = report.team(HOSTILE[0]).cell(REACH).mean
    assert mean is not None and not figure.blank
    left, top, _, _ = figure.box
    assert picture.getpixel((left + 2, top + 2)) == colour(shown(mean)), "coloured by its mean"
    organisation = [cell for cell in boxes if cell.row == ""]
    assert [cell.blank for cell in organisation] == [report.score(p).mean is None for p in report.point_ids]
    # the labels: ink left of every row (the team's name) and above every column (the point's title)
    for cell in boxes:
        if cell.point_id == REACH:
            row = {picture.getpixel((x, y)) for x in range(16, 300, 2) for y in range(cell.box[1], cell.box[3], 2)}
            assert min(sum(rgb) for rgb in row) < 200, cell.row
    for cell in organisation:
        header = {picture.getpixel((x, y)) for x in range(cell.box[0], cell.box[2], 2) for y in range(70, 300, 2)}
        assert min(sum(rgb) for rgb in header) < 200, cell.point_id


def test_a_hundred_teams_come_in_pictures_of_twenty(instrument: Instrument) -> None:
    teams = [team(f"Tiimi {number:03d}", 3, 4, 5) for number in range(41)]
    report = report_of(instrument, teams)
    pages = heatmap_pages(report, instrument, "fi", labels={**LABELS, "title": "Syksy"})
    sizes = [struct.unpack(">II", page[16:24]) for page in pages]
    assert len(pages) == 3 and all(width == 1080 for width, _ in sizes)
    assert sizes[0][1] == sizes[1][1] > sizes[2][1], "14, 14 and 13 teams"
    single = heatmap_png(report, instrument, "fi", labels=LABELS)
    assert struct.unpack(">II", single[16:24])[1] > 2 * sizes[0][1], "the CLI's one picture holds them all"


def test_the_markdown_and_html_escape_team_names(instrument: Instrument) -> None:
    report = hostile_report(instrument)
    markdown = to_markdown(report, instrument, "fi", text)
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown and "\\*x\\*" in markdown
    assert "<b>" not in markdown
    page = to_html(report, instrument, "fi", text)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;" in page
    assert '<table class="heatmap">' in page and '<td class="blank">–</td>' in page
    mean = report.team(HOSTILE[0]).cell(REACH).mean
    assert mean is not None
    background = "#{:02x}{:02x}{:02x}".format(*colour(shown(mean)))
    assert f"background: {background};" in page, "the table's cells coloured as the picture's"
    assert "title round=Syksy 2026" in markdown
    assert "note\\_left\\_out count=2 point=Tavoitettavuus ja näkyvyys" in markdown


def test_rows_show_only_shown_figures_and_csv_runs_no_formula(instrument: Instrument) -> None:
    report = hostile_report(instrument)
    result = rows(report)
    small = [row for row in result if row["team"].startswith("Pieni") and row["point"] == REACH]
    assert small == [{"round": "Syksy 2026", "scope": "team", "team": small[0]["team"], "point": REACH,
                      "measure": "mean", "value": "", "reason": BELOW_THRESHOLD}]
    organisation = {(row["point"], row["measure"]): row["value"] for row in result if row["scope"] == "organisation"}
    assert organisation[("", "invited")] == "18" and organisation[(REACH, "raters")] == "12"
    assert organisation[(REACH, "left_out")] == "2", "the small team's two ratings, said"
    output = io.StringIO()
    write_csv_records(result, ROW_COLUMNS, output)
    cells = [cell for line in csv.reader(io.StringIO(output.getvalue())) for cell in line]
    assert "'=cmd()" in cells and "=cmd()" not in cells and "'=HYPERLINK()" in cells


def test_the_pdf_is_a4_with_every_team_and_point(instrument: Instrument) -> None:
    from pypdf import PdfReader

    report = hostile_report(instrument)
    pdf = to_pdf(report, instrument, "fi", text)
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    first = " ".join(reader.pages[0].extract_text().split())
    assert "scores" in first and all(name in first for name in HOSTILE), "the heatmap is on the first page"
    mean = report.team(HOSTILE[0]).cell(REACH).mean
    assert mean is not None
    fill = " ".join(f"{value / 255:.6f}".rstrip("0").rstrip(".") for value in colour(shown(mean))) + " rg"
    content = reader.pages[0].get_contents()
    assert content is not None and fill.encode() in content.get_data(), "its cells are filled with the palette"
    words = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for expected in (*HOSTILE, *(pick(point.title, "fi") for point in instrument.points), "Pieni tiimi"):
        assert expected in words, expected
