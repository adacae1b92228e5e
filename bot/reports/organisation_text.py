"""The organisation report written out: Markdown, HTML, an A4 PDF (the heatmap on its first page), rows for CSV/JSON.

In HTML and the PDF the heatmap is the scores table itself, each cell coloured as in the PNG
(`bot.reports.heatmap.css_colours`): it prints sharp at any size, its header repeats on each page it
runs over, and its figures stay text (searchable, copyable, read out by a screen reader). An embedded
picture of a hundred teams would have to shrink to one page, and cost weasyprint seconds to re-encode.

Only figures the report shows are written: a blank cell is "–" (and the notes say why), a row for CSV
or JSON carries an empty value and its reason. Every word comes from `t(key, **values)` (the UI content:
`lambda key, **values: instrument.text(language, key, **values)`), point titles from the instrument, and
everything written out is escaped for its format as in the workbook (`markdown_inline`, `html_text`;
the CSV writer's `spreadsheet_cell` for rows), team names and round names included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.core.formatting import decimal_text
from bot.core.instrument import Instrument, pick
from bot.core.text_input import clean_text
from bot.reports.heatmap import css_colours, shown
from bot.reports.organisation import (
    NOTE_LEFT_OUT,
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
    "organisation.legend": (),
    "organisation.suppressed": (),
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
    "organisation.note_left_out": ("point", "count"),
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
    shades: tuple[tuple[str, ...], ...] = ()  # the heatmap: a CSS class for each body cell ("" for none)
    css: str = ""  # the table's class
    legend: bool = False  # the heatmap's colour key after the table


def _counts(participation: Participation) -> tuple[str, ...]:
    return tuple(str(value) for value in (participation.invited, participation.started, participation.part1_done,
                                          participation.finished))


def _shade(mean: float | None, suppressed: bool) -> str:
    """The heatmap cell's CSS class: "blank", or "m34" for a mean shown as 3,4 (coloured as that value)."""
    return "blank" if mean is None or suppressed else f"m{round(shown(mean) * 10)}"


def _figure(mean: float | None, raters: int, suppressed: bool, language: str) -> str:
    return BLANK if mean is None or suppressed else f"{decimal_text(mean, language)} (n={raters})"


def note_text(note: Note, report: OrganisationReport, instrument: Instrument, language: str, t: Text) -> str:
    kind, point, team = note
    title = pick(instrument.point(point).title, language) if point else ""
    if kind == NOTE_LEFT_OUT:
        return t("organisation.note_left_out", point=title, count=report.score(point).left_out)
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
              t("organisation.part1_done"), t("organisation.finished"), t("organisation.team_targets"))
    numbers = {point.id: str(point.number) for point in points}
    participation = (header, *((team.title, *_counts(team.participation),
                                ", ".join(numbers[point] for point in team.targets) if team.targets_shown else BLANK)
                               for team in report.teams),
                     (t("organisation.all_teams"), *_counts(report.participation),
                      ", ".join(numbers[point] for point, _ in report.targets[:instrument.settings.priorities_count])
                      or BLANK))
    scores = ((t("organisation.team"), *(str(point.number) for point in points)),
              *((team.title, *(_figure(c.mean, c.raters, c.suppressed, language) for c in team.cells))
                for team in report.teams),
              (t("organisation.organisation"),
               *(_figure(s.mean, s.raters, s.suppressed, language) for s in report.organisation)))
    shades = (*(("", *(_shade(c.mean, c.suppressed) for c in team.cells)) for team in report.teams),
              ("", *(_shade(s.mean, s.suppressed) for s in report.organisation)))
    trend = ((t("organisation.point"), t("organisation.mean"), t("organisation.previous"), t("organisation.trend")),
             *((f"{point.number}. {title(point.id)}", _figure(score.mean, score.raters, score.suppressed, language),
                decimal_text(score.previous_mean, language) if score.previous_mean is not None else BLANK,
                score.trend or BLANK) for point, score in zip(points, report.organisation, strict=True)))
    hidden = t("organisation.targets_hidden", minimum=report.min_scores)
    blocks = [
        _Block(t("organisation.title", round=report.round_name), level=1),
        _Block(t("organisation.scores"), paragraphs=(t("organisation.blank", minimum=report.min_scores),),
               table=scores, shades=shades, legend=True),
        _Block(t("organisation.points"), level=3,
               bullets=tuple(f"{point.number}. {title(point.id)}" for point in points)),
        _Block(t("organisation.participation"), table=participation),
        _Block(t("organisation.trend"), table=trend, totals=False),
        _Block(t("organisation.targets"),
               bullets=tuple(t("organisation.target", title=title(point), votes=votes)
                             for point, votes in report.targets) or (hidden,)),
    ]
    entries = [(team.title, f"{point.number}. {title(point.id)} "
                            f"({t('organisation.participants', members=entry.participants)})",
                entry.promise.strip() if entry.promise and entry.promise.strip() else BLANK,
                "\n".join(f"• {action}" for action in entry.actions) or BLANK)
               for team in report.teams for point in points
               if (entry := team.entries.get(point.id)) is not None
               and (entry.actions or (entry.promise and entry.promise.strip()))]
    if entries:
        blocks.append(_Block(t("organisation.entries"), totals=False, css="entries", table=(
            (t("organisation.team"), t("organisation.point"), t("organisation.promise"), t("organisation.actions")),
            *entries)))
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
table { border-collapse: collapse; width: 100%; margin: 4pt 0; table-layout: fixed; }
th, td { border: 1px solid #c9d5dc; padding: 2pt 4pt; text-align: right; }
th:first-child, td:first-child { text-align: left; width: 34%; }
tr:last-child td { font-weight: bold; border-top: 2px solid #1b2a33; }
table.plain tr:last-child td { font-weight: normal; border-top: 1px solid #c9d5dc; }
table.heatmap td, table.heatmap th { text-align: center; border: 1px solid #ffffff; }
table.heatmap td:first-child, table.heatmap th:first-child { text-align: left; border-color: #c9d5dc; }
table.heatmap tr { break-inside: avoid; }
td.blank { color: #4a5860; border: 1px solid #b8c2c8;
           background: repeating-linear-gradient(135deg, #ffffff 0, #ffffff 3pt, #d6dde1 3pt, #d6dde1 4pt); }
.key { margin: 4pt 0 0; }
.bar { display: inline-block; width: 60mm; height: 8pt; vertical-align: middle; margin: 0 4pt;
       background: linear-gradient(to right, BAR); }
.mark { display: inline-block; width: 14mm; text-align: center; vertical-align: middle; margin-left: 10mm;
        border: 1px solid #b8c2c8;
        background: repeating-linear-gradient(135deg, #ffffff 0, #ffffff 3pt, #d6dde1 3pt, #d6dde1 4pt); }
table.entries td, table.entries th { text-align: left; vertical-align: top; white-space: pre-line; }
table.entries td:first-child, table.entries th:first-child { width: 20%; }
li { margin-bottom: 1pt; }"""


def _palette(shades: tuple[tuple[str, ...], ...]) -> str:
    """The CSS of the heatmap classes in use ("m34" for the colour of 3,4)."""
    used = sorted({shade for row in shades for shade in row if shade.startswith("m")})
    return "".join(f"td.{shade} {{ background: {background}; color: {ink}; }}\n"
                   for shade in used for background, ink in [css_colours(int(shade[1:]) / 10)])


def _style(blocks: list[_Block]) -> str:
    bar = ", ".join(css_colours(1 + 4 * step / 8)[0] for step in range(9))
    return STYLE.replace("BAR", bar) + "\n" + "".join(_palette(block.shades) for block in blocks)


def _html_table(block: _Block) -> str:
    head, *body = block.table
    css = "heatmap" if block.shades else block.css or ("" if block.totals else "plain")
    kind = f" class=\"{css}\"" if css else ""
    rows = []
    for number, row in enumerate(body):
        shades = block.shades[number] if block.shades else ()
        rows.append("<tr>" + "".join(f"<td class=\"{shades[column]}\">{html_text(cell)}</td>"
                                     if column < len(shades) and shades[column] else f"<td>{html_text(cell)}</td>"
                                     for column, cell in enumerate(row)) + "</tr>")
    return (f"<table{kind}><thead><tr>" + "".join(f"<th>{html_text(cell)}</th>" for cell in head)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def to_html(report: OrganisationReport, instrument: Instrument, language: str, t: Text) -> str:
    """The report as one HTML page, the heatmap (the coloured scores table) first."""
    blocks = _blocks(report, instrument, language, t)
    parts = [f"<!DOCTYPE html><html lang=\"{html_text(language)}\"><head><meta charset=\"utf-8\">"
             f"<title>{html_text(blocks[0].heading)}</title><style>{_style(blocks)}</style></head><body>"]
    for block in blocks:
        parts.append(f"<h{block.level}>{html_text(block.heading)}</h{block.level}>")
        parts += [f"<p>{html_text(paragraph)}</p>" for paragraph in block.paragraphs if paragraph]
        if block.table:
            parts.append(_html_table(block))
        if block.legend:
            parts.append(f"<p class=\"key\">{html_text(t('organisation.legend'))} 1<span class=\"bar\"></span>5"
                         f"<span class=\"mark\">{BLANK}</span> {html_text(t('organisation.suppressed'))}</p>")
        if block.bullets:
            parts.append("<ul>" + "".join(f"<li>{html_text(bullet)}</li>" for bullet in block.bullets) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def to_pdf(report: OrganisationReport, instrument: Instrument, language: str, t: Text) -> bytes:
    """An A4 PDF: the title and the heatmap on the first page, then the rest of the report."""
    from weasyprint import HTML  # imported here: the rest of the bot never needs it

    pdf: bytes = HTML(string=to_html(report, instrument, language, t)).write_pdf()
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
        if score.left_out:
            result.append(row("organisation", "", score.point_id, "left_out", score.left_out, "below_threshold"))
        if score.previous_mean is not None:
            result.append(row("organisation", "", score.point_id, "previous_mean", score.previous_mean))
        if score.trend:
            result.append(row("organisation", "", score.point_id, "trend", score.trend))
    if report.targets_shown:
        result += [row("organisation", "", point, "votes", votes) for point, votes in report.targets]
    else:
        result.append(row("organisation", "", "", "votes", "", "below_threshold"))
    return result
