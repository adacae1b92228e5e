"""The digest's chart: the eight critical points' mean scores (and the previous round's) as a PNG.

Drawn with matplotlib's object-oriented API on an Agg canvas (no pyplot, no global backend, no
display needed), sized and lettered to read on a phone.
Points below the anonymity threshold have no bar; the chart says so in its legend text.
"""

from __future__ import annotations

import io
import textwrap

from bot.core.formatting import decimal_text
from bot.core.instrument import Instrument, pick
from bot.reports.digest import TeamDigest

CURRENT, PREVIOUS = "#1d4f6e", "#9bbad0"


def score_chart(digest: TeamDigest, instrument: Instrument, language: str) -> bytes | None:
    """The PNG, or None when no point has enough ratings to be shown."""
    if all(score.mean is None for score in digest.scores):
        return None
    # Imported on first use: matplotlib takes half a second to load, and most commands draw nothing.
    # A Figure on its own Agg canvas needs neither pyplot (its global figure manager) nor matplotlib.use().
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    titles = ["\n".join(textwrap.wrap(pick(instrument.point(s.point_id).title, language), 24)) for s in digest.scores]
    rows = list(range(len(digest.scores)))[::-1]  # the first point at the top
    figure = Figure(figsize=(7.2, 6.4), dpi=120)
    FigureCanvasAgg(figure)  # attaches itself as figure.canvas
    axes = figure.add_subplot()
    height = 0.38
    current = [s.mean or 0 for s in digest.scores]
    axes.barh([r + height / 2 for r in rows], current, height, color=CURRENT,
              label=instrument.text(language, "digest.chart_current", round=digest.round_name))
    if any(s.previous_mean is not None for s in digest.scores):
        before = [s.previous_mean or 0 for s in digest.scores]
        axes.barh([r - height / 2 for r in rows], before, height, color=PREVIOUS,
                  label=instrument.text(language, "digest.chart_previous"))
    for row, score in zip(rows, digest.scores, strict=True):
        label = decimal_text(score.mean, language) if score.mean is not None else "–"
        axes.text((score.mean or 1) + 0.05, row + height / 2, label, va="center", fontsize=11)
    axes.set_yticks(rows, titles, fontsize=11)
    axes.set_xlim(1, 5.4)
    axes.set_xticks([1, 2, 3, 4, 5])
    axes.set_title(instrument.text(language, "digest.heading", team=digest.team, round=digest.round_name),
                   fontsize=13, loc="left")
    axes.legend(loc="lower right", fontsize=10, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")  # on `canvas`; nothing to close: no pyplot registry holds the figure
    return buffer.getvalue()
