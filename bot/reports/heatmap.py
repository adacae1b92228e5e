"""The organisation report's heatmap: teams as rows, the eight critical points as columns, a PNG.

Each cell is coloured by the team's mean on a colour-blind-safe sequential palette (cividis, 1–5) and
says "3,4\\n(n=5)"; a blank cell (below the threshold, or blanked so that another can't be derived) is
white, hatched, with "–" and never a number. The organisation's row is at the bottom, set apart by a
gap and a bold label. About 1080 px wide and lettered at 10 pt or more, so that it reads on a phone;
its height grows with the teams. Drawn as the digest's chart is: matplotlib's Figure on an Agg canvas,
imported inside the function. The few words it shows come in `labels` (keys: "legend", "organisation",
"suppressed"), from the UI content.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping

from bot.core.formatting import decimal_text
from bot.core.instrument import Instrument, pick
from bot.reports.organisation import OrganisationReport

PALETTE = "cividis"  # sequential, perceptually uniform, readable with any colour vision deficiency
WIDTH_INCHES, DPI = 7.2, 150  # 1080 px
FONT = 10  # points: the smallest lettering anywhere
LABEL_INCHES = 2.0  # the teams' names on the left
ROW_INCHES = 0.46
HEADER_INCHES = 1.75  # the points' numbers and titles on top, upright (a column is about 7 letters wide)
FOOTER_INCHES = 1.25  # the colour bar, and the blank cell's meaning under it
GAP_ROWS = 0.35  # between the teams and the organisation's row, in rows
TEAM_WRAP, POINT_WRAP = 24, 17  # characters a line
BLANK = "–"


def heatmap_png(report: OrganisationReport, instrument: Instrument, language: str, *,
                labels: Mapping[str, str]) -> bytes:
    """The PNG of `report` (teams as sorted there), with point titles in `language`."""
    # Imported on first use (matplotlib takes half a second to load); a Figure on its own Agg canvas needs
    # neither pyplot nor matplotlib.use().
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    columns = len(report.point_ids)
    names = ["\n".join(textwrap.wrap(team.title, TEAM_WRAP, max_lines=3, placeholder="…")) or " "
             for team in report.teams]
    organisation_name = labels.get("organisation", "")
    rows = len(report.teams)
    body = rows + GAP_ROWS + 1  # row positions, the organisation's the last
    height = HEADER_INCHES + body * ROW_INCHES + FOOTER_INCHES
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    FigureCanvasAgg(figure)  # attaches itself as figure.canvas
    left = LABEL_INCHES / WIDTH_INCHES
    axes = figure.add_axes((left, FOOTER_INCHES / height, 1 - left - 0.02, body * ROW_INCHES / height))
    palette = colormaps[PALETTE]
    norm = Normalize(1, 5)

    # Row y positions (top down): teams 0..rows-1, then the gap, then the organisation.
    lines: list[tuple[float, list[tuple[float | None, int, bool]]]] = [
        (float(index), [(cell.mean, cell.raters, cell.suppressed) for cell in team.cells])
        for index, team in enumerate(report.teams)]
    lines.append((rows + GAP_ROWS, [(score.mean, score.raters, score.suppressed) for score in report.organisation]))
    means = np.full((len(lines), columns), np.nan)
    for line, (_, values) in enumerate(lines):
        for column, (mean, _, suppressed) in enumerate(values):
            if mean is not None and not suppressed:
                means[line, column] = mean
    colours = palette(norm(np.nan_to_num(means, nan=1.0)))
    for line, (y, values) in enumerate(lines):
        for column, (mean, raters, suppressed) in enumerate(values):
            blank = mean is None or suppressed
            axes.add_patch(Rectangle((column, y), 1, 1, facecolor="white" if blank else colours[line, column],
                                     edgecolor="#b8c2c8" if blank else "white", linewidth=0.8,
                                     hatch="///" if blank else None))
            if blank:
                axes.text(column + 0.5, y + 0.5, BLANK, ha="center", va="center", fontsize=FONT + 2,
                          color="#4a5860")
            else:
                assert mean is not None
                dark = norm(mean) < 0.55  # cividis is dark blue below about 3,2: white letters there
                axes.text(column + 0.5, y + 0.5, f"{decimal_text(mean, language)}\n(n={raters})", ha="center",
                          va="center", fontsize=FONT, linespacing=1.0, color="white" if dark else "#111111",
                          fontweight="bold" if line == rows else "normal")
    axes.set_xlim(0, columns)
    axes.set_ylim(rows + GAP_ROWS + 1, 0)  # the first team at the top
    axes.set_yticks([y + 0.5 for y, _ in lines], [*names, organisation_name], fontsize=FONT)
    axes.get_yticklabels()[-1].set_fontweight("bold")
    points = [instrument.point(point) for point in report.point_ids]
    axes.set_xticks([column + 0.5 for column in range(columns)],
                    ["\n".join(textwrap.wrap(f"{point.number}. {pick(point.title, language)}", POINT_WRAP,
                                              break_long_words=False, max_lines=3, placeholder="…"))
                     for point in points], fontsize=FONT, rotation=90, ha="center", va="bottom")
    axes.xaxis.tick_top()
    axes.tick_params(length=0)
    axes.axhline(rows + GAP_ROWS / 2, color="#1b2a33", linewidth=1.5)  # the organisation's row set apart
    for spine in axes.spines.values():
        spine.set_visible(False)

    # The legend: the colour bar (1–5) and the blank cell's meaning.
    bar = figure.add_axes((left, 0.55 * FOOTER_INCHES / height, 0.45, 0.12 * FOOTER_INCHES / height))
    bar.imshow(np.linspace(1, 5, 256)[np.newaxis, :], aspect="auto", cmap=palette, norm=norm, extent=(1, 5, 0, 1))
    bar.set_yticks([])
    bar.set_xticks([1, 2, 3, 4, 5])
    bar.tick_params(labelsize=FONT, length=2)
    bar.set_title(labels.get("legend", ""), fontsize=FONT, loc="left")
    mark = figure.add_axes((left, 0.08 * FOOTER_INCHES / height, 0.06, 0.14 * FOOTER_INCHES / height))
    mark.add_patch(Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="#b8c2c8", hatch="///"))
    mark.text(0.5, 0.5, BLANK, ha="center", va="center", fontsize=FONT, color="#4a5860")
    mark.set_axis_off()
    figure.text(left + 0.08, 0.15 * FOOTER_INCHES / height,
                "\n".join(textwrap.wrap(labels.get("suppressed", ""), 60, max_lines=2, placeholder="…")),
                fontsize=FONT, va="center")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")  # on `canvas`; no pyplot registry holds the figure
    return buffer.getvalue()
