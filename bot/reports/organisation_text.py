"""The organisation report written out: Markdown, HTML, an A4 PDF (the heatmap on its first page), rows for CSV/JSON.

Only figures the report shows are written: a blank cell is "–" (and the notes say why), a row for CSV
or JSON carries an empty value and its reason. Every word comes from `t(key, **values)` (the UI content:
`lambda key, **values: instrument.text(language, key, **values)`), point titles from the instrument, and
everything written out is escaped for its format as in the workbook (`markdown_inline`, `html_text`;
the CSV writer's `spreadsheet_cell` for rows), team names and round names included.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.formatting import decimal_text
from bot.core.instrument import Instrument, pick
from bot.core.text_input import clean_text
from bot.reports.organisation import (
    NOTE_COMPLEMENTARY,
    NOTE_ORGANISATION_HIDDEN,
    NOTE_ORGANISATION_TARGETS_HIDDEN,
    NOTE_TARGETS_HIDDEN,
    Note,
    OrganisationReport,
    Participation,
)
from bot.reports.workbook import html_text, markdown_inline, markdown_text

Text = Callable[..., str]  # t(key, **values) -> the UI string
BLANK = "–"

# The UI keys the renderers use (content/ui/*.yaml, under "organisation."), with the values each is given.
KEYS = {
    "organisation.title": ("round",),
    "organisation.heatmap_alt": (),
    "organisation.participation": (),
    "organisation.team": (),
    "organisation.invited": (),
    "organisation.started": (),
    "organisation.part1_done": (),
    "organisation.finished": (),
    "organisation.all_teams": (),
    "organisation.scores": (),
    "organisation.points": (),
    "organisation.organisation": (),
    "organisation.blank": ("minimum",),
    "organisation.trend": (),
    "organisation.point": (),
    "organisation.mean": (),
    "organisation.previous": (),
    "organisation.targets": (),
    "organisation.target": ("title", "votes"),
    "organisation.targets_hidden": ("minimum",),
    "organisation.team_targets": (),
    "organisation.entries": (),
    "organisation.participants": ("members",),
    "organisation.promise": (),
    "organisation.actions": (),
    "organisation.notes": (),
    "organisation.note_complementary": ("team", "point"),
    "organisation.note_organisation_hidden": ("point", "minimum"),
    "organisation.note_targets_hidden": ("team", "minimum"),
    "organisation.note_organisation_targets_hidden": ("minimum",),
}


@dataclass(frozen=True, slots=True)
class _Block:
    """A heading and what follows it: paragraphs, then a table (header row and rows), then bullets."""

    heading: str
    level: int = 2
    paragraphs: tuple[str, ...] = ()
    table: tuple[tuple[str, ...], ...] = ()  # the first row is the header
    bullets: tuple[str, ...] = ()
    totals: bool = True  # the table's last row sums up the others (set apart)


def _counts(participation: Participation) -> tuple[str, ...]:
    return tuple(str(value) for value in (participation.invited, participation.started, participation.part1_done,
                                          participation.finished))


def _figure(mean: float | None, raters: int, suppressed: bool, language: str) -> str:
    return BLANK if mean is None or suppressed else f"{decimal_text(mean, language)} (n={raters})"


def note_text(note: Note, report: OrganisationReport, instrument: Instrument, language: str, t: Text) -> str:
    kind, point, team = note
    title = pick(instrument.point(point).title, language) if point else ""
    if kind == NOTE_COMPLEMENTARY:
        return t("organisation.note_complementary", team=team, point=title)
    if kind == NOTE_ORGANISATION_HIDDEN:
        return t("organisation.note_organisation_hidden", point=title, minimum=report.min_scores)
    if kind == NOTE_TARGETS_HIDDEN:
        return t("organisation.note_targets_hidden", team=team, minimum=report.min_scores)
    if kind == NOTE_ORGANISATION_TARGETS_HIDDEN:
        return t("organisation.note_organisation_targets_hidden", minimum=report.min_scores)
    return kind


def _blocks(report: OrganisationReport, instrument: Instrument, language: str, t: Text) -> list[_Block]:
    points = [instrument.point(point) for point in report.point_ids]

    def title(point_id: str) -> str:
        return pick(instrument.point(point_id).title, language)

    header = (t("organisation.team"), t("organisation.invited"), t("organisation.started"),
              t("organisation.part1_done"), t("organisation.finished"))
    participation = (header, *((team.title, *_counts(team.participation)) for team in report.teams),
                     (t("organisation.all_teams"), *_counts(report.participation)))
    scores = ((t("organisation.team"), *(str(point.number) for point in points)),
              *((team.title, *(_figure(c.mean, c.raters, c.suppressed, language) for c in team.cells))
                for team in report.teams),
              (t("organisation.organisation"),
               *(_figure(s.mean, s.raters, s.suppressed, language) for s in report.organisation)))
    trend = ((t("organisation.point"), t("organisation.mean"), t("organisation.previous"), t("organisation.trend")),
             *((f"{point.number}. {title(point.id)}", _figure(score.mean, score.raters, score.suppressed, language),
                decimal_text(score.previous_mean, language) if score.previous_mean is not None else BLANK,
                score.trend or BLANK) for point, score in zip(points, report.organisation, strict=True)))
    hidden = t("organisation.targets_hidden", minimum=report.min_scores)
    blocks = [
        _Block(t("organisation.title", round=report.round_name), level=1),
        _Block(t("organisation.participation"), table=participation),
        _Block(t("organisation.scores"), paragraphs=(t("organisation.blank", minimum=report.min_scores),),
               table=scores),
        _Block(t("organisation.points"), level=3,
               bullets=tuple(f"{point.number}. {title(point.id)}" for point in points)),
        _Block(t("organisation.trend"), table=trend, totals=False),
        _Block(t("organisation.targets"),
               bullets=tuple(t("organisation.target", title=title(point), votes=votes)
                             for point, votes in report.targets) or (hidden,)),
        _Block(t("organisation.team_targets"),
               bullets=tuple(f"{team.title}: "
                             + (", ".join(title(point) for point in team.targets) if team.targets_shown else hidden)
                             for team in report.teams)),
    ]
    entries: list[_Block] = []
    for team in report.teams:
        for point in points:
            entry = team.entries.get(point.id)
            if entry is None or not (entry.actions or (entry.promise and entry.promise.strip())):
                continue
            paragraphs = [t("organisation.participants", members=entry.participants)]
            if entry.promise and entry.promise.strip():
                paragraphs += [f"{t('organisation.promise')}: {entry.promise}"]
            if entry.actions:
                paragraphs.append(t("organisation.actions"))
            entries.append(_Block(f"{team.title} · {point.number}. {title(point.id)}", level=3,
                                  paragraphs=tuple(paragraphs), bullets=entry.actions))
    if entries:
        blocks += [_Block(t("organisation.entries")), *entries]
    if report.notes:
        blocks.append(_Block(t("organisation.notes"),
                             bullets=tuple(note_text(note, report, instrument, language, t) for note in report.notes)))
    return blocks


def _markdown_cell(text: str) -> str:
    return markdown_inline(" ".join(clean_text(text).split())) or " "


def to_markdown(report: OrganisationReport, instrument: Instrument, language: str, t: Text) -> str:
    lines: list[str] = []
    for block in _blocks(report, instrument, language, t):
        lines += ["#" * block.level + " " + markdown_inline(" ".join(clean_text(block.heading).split())), ""]
        lines += [markdown_text(paragraph) + "\n" for paragraph in block.paragraphs if paragraph]
        if block.table:
            head, *body = block.table
            lines.append("| " + " | ".join(_markdown_cell(cell) for cell in head) + " |")
            lines.append("|" + "|".join(" --- " for _ in head) + "|")
            lines += ["| " + " | ".join(_markdown_cell(cell) for cell in row) + " |" for row in body]
            lines.append("")
        lines += [f"- {markdown_text(bullet, indent='  ')}" for bullet in block.bullets]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


STYLE = """@page { size: A4; margin: 16mm 14mm; }
body { font-family: 'DejaVu Sans', sans-serif; font-size: 9.5pt; line-height: 1.35; color: #1b2a33; }
h1 { color: #1d4f6e; font-size: 18pt; margin-top: 0; }
h2 { color: #1d4f6e; border-bottom: 1px solid #9bbad0; margin-top: 16pt; break-after: avoid; }
h3 { font-size: 10.5pt; margin: 8pt 0 2pt; break-after: avoid; }
.heatmap { display: block; max-width: 100%; max-height: 235mm; margin: 0 auto; break-after: page; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0; table-layout: fixed; }
th, td { border: 1px solid #c9d5dc; padding: 2pt 4pt; text-align: right; }
th:first-child, td:first-child { text-align: left; width: 34%; }
tr:last-child td { font-weight: bold; border-top: 2px solid #1b2a33; }
table.plain tr:last-child td { font-weight: normal; border-top: 1px solid #c9d5dc; }
li { margin-bottom: 1pt; }"""


def to_html(report: OrganisationReport, instrument: Instrument, language: str, t: Text, *,
            heatmap: bytes | None = None) -> str:
    """The report as one HTML page; with `heatmap` (the PNG), embedded as a data: URI after the title."""
    blocks = _blocks(report, instrument, language, t)
    parts = [f"<!DOCTYPE html><html lang=\"{html_text(language)}\"><head><meta charset=\"utf-8\">"
             f"<title>{html_text(blocks[0].heading)}</title><style>{STYLE}</style></head><body>"]
    for number, block in enumerate(blocks):
        parts.append(f"<h{block.level}>{html_text(block.heading)}</h{block.level}>")
        if number == 0 and heatmap is not None:
            data = base64.b64encode(heatmap).decode("ascii")
            parts.append(f"<img class=\"heatmap\" alt=\"{html_text(t('organisation.heatmap_alt'))}\" "
                         f"src=\"data:image/png;base64,{data}\">")
        parts += [f"<p>{html_text(paragraph)}</p>" for paragraph in block.paragraphs if paragraph]
        if block.table:
            head, *body = block.table
            plain = "" if block.totals else " class=\"plain\""
            parts.append(f"<table{plain}><thead><tr>" + "".join(f"<th>{html_text(cell)}</th>" for cell in head)
                         + "</tr></thead><tbody>"
                         + "".join("<tr>" + "".join(f"<td>{html_text(cell)}</td>" for cell in row) + "</tr>"
                                   for row in body) + "</tbody></table>")
        if block.bullets:
            parts.append("<ul>" + "".join(f"<li>{html_text(bullet)}</li>" for bullet in block.bullets) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def to_pdf(report: OrganisationReport, instrument: Instrument, language: str, t: Text, *, heatmap: bytes) -> bytes:
    """An A4 PDF: the title and the heatmap (`heatmap_png`'s PNG) on the first page, then the tables."""
    from weasyprint import HTML  # imported here: the rest of the bot never needs it

    pdf: bytes = HTML(string=to_html(report, instrument, language, t, heatmap=heatmap)).write_pdf()
    return pdf


ROW_COLUMNS = ("round", "scope", "team", "point", "measure", "value", "reason")


def rows(report: OrganisationReport) -> list[dict[str, str]]:
    """The report as rows for CSV/JSON (`write_csv_records(rows, ROW_COLUMNS, …)`): scope "team" (with its
    title) or "organisation"; only shown figures: a blank mean is an empty value with its reason."""

    def row(scope: str, team: str, point: str, measure: str, value: object, reason: str = "") -> dict[str, str]:
        return {"round": report.round_name, "scope": scope, "team": team, "point": point, "measure": measure,
                "value": str(value), "reason": reason}

    def counts(scope: str, team: str, participation: Participation) -> list[dict[str, str]]:
        return [row(scope, team, "", name, getattr(participation, name))
                for name in ("invited", "started", "part1_done", "finished")]

    result: list[dict[str, str]] = []
    for team in report.teams:
        result += counts("team", team.title, team.participation)
        for cell in team.cells:
            if cell.suppressed or cell.mean is None:
                result.append(row("team", team.title, cell.point_id, "mean", "", cell.reason))
            else:
                result += [row("team", team.title, cell.point_id, "mean", cell.mean),
                           row("team", team.title, cell.point_id, "raters", cell.raters)]
        if team.targets_shown:
            result += [row("team", team.title, point, "target", rank) for rank, point in enumerate(team.targets, 1)]
        else:
            result.append(row("team", team.title, "", "target", "", "below_threshold"))
        for point in report.point_ids:
            entry = team.entries.get(point)
            if entry is None:
                continue
            if entry.promise and entry.promise.strip():
                result.append(row("team", team.title, point, "team_promise", entry.promise))
            result += [row("team", team.title, point, "team_action", action) for action in entry.actions]
    result += counts("organisation", "", report.participation)
    for score in report.organisation:
        if score.suppressed or score.mean is None:
            result.append(row("organisation", "", score.point_id, "mean", "", score.reason))
        else:
            result += [row("organisation", "", score.point_id, "mean", score.mean),
                       row("organisation", "", score.point_id, "raters", score.raters)]
        if score.previous_mean is not None:
            result.append(row("organisation", "", score.point_id, "previous_mean", score.previous_mean))
        if score.trend:
            result.append(row("organisation", "", score.point_id, "trend", score.trend))
    if report.targets_shown:
        result += [row("organisation", "", point, "votes", votes) for point, votes in report.targets]
    else:
        result.append(row("organisation", "", "", "votes", "", "below_threshold"))
    return result
