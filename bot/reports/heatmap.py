"""The organisation report's heatmap: teams as rows, the eight critical points as columns, PNG pictures.

Each cell is coloured by the team's mean on a colour-blind-safe sequential palette (cividis, 1–5) and
shows the mean with its raters under it ("3,4" / "n=5"); a blank cell (below the threshold, or blanked
so that another can't be derived) is white, hatched, with "–" and never a number. The organisation's
row is at the bottom, set apart by a rule and a bold label; the colour bar and the blank cell's meaning
are under it. 1080 px wide, lettered at 20 px or more, so that it reads on a phone.

For chat the teams are split over pictures of at most `TEAMS_PER_PICTURE` rows (`heatmap_pages`), each
with the organisation's row and the legend: a platform shrinks a tall picture to fit a screen, and a
hundred teams in one would be unreadable there. `heatmap_png` draws every team in one picture (the CLI).

Drawn with Pillow (matplotlib's dependency, so nothing new to install) and matplotlib's bundled DejaVu
Sans, not with matplotlib itself: a hundred teams take a tenth of the time and memory. The palette is
cividis sampled at 17 points (matplotlib's own values, checked by a test) and interpolated linearly.
The few words it shows come in `labels` (keys: "legend", "organisation", "suppressed", and "title" for
a heading line), from the UI content.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.formatting import decimal_text
from bot.core.instrument import Instrument, pick
from bot.reports.organisation import OrganisationReport

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

# matplotlib's cividis at 0, 1/16, …, 1 (a test compares every sample with matplotlib's colormap).
CIVIDIS = ((0, 34, 78), (0, 46, 106), (26, 56, 111), (50, 67, 109), (67, 78, 108), (83, 90, 109), (97, 101, 111),
           (111, 112, 115), (125, 124, 120), (140, 136, 120), (155, 148, 118), (171, 160, 114), (188, 174, 108),
           (205, 187, 99), (222, 201, 88), (240, 216, 70), (254, 232, 56))
WIDTH = 1080
PAD = 16
LABEL_WIDTH = 300  # the teams' names on the left
COLUMN_WIDTH = (WIDTH - 2 * PAD - LABEL_WIDTH) // 8
ROW_HEIGHT = 64
TITLE_HEIGHT = 52
HEADER_HEIGHT = 250  # the points' numbers and titles, upright (read bottom to top)
GAP = 18  # between the teams and the organisation's row
FOOTER_HEIGHT = 150  # the colour bar, and the blank cell's meaning under it
TEAMS_PER_PICTURE = 20
TEAM_WRAP, POINT_WRAP = 22, 19  # characters a line
FONT, SMALL, LARGE = 22, 20, 26  # px
INK, MUTED, RULE, BLANK_EDGE, WHITE = (17, 17, 17), (74, 88, 96), (27, 42, 51), (184, 194, 200), (255, 255, 255)
BLANK = "–"
COMPRESS = 3  # zlib level: 6 and up take longer for a few per cent less


@dataclass(frozen=True, slots=True)
class CellBox:
    """Where one cell was drawn (px, left top right bottom), for the tests to look at."""

    row: str  # the team's title, or "" for the organisation's row
    point_id: str
    box: tuple[int, int, int, int]
    blank: bool


def shown(mean: float) -> float:
    """The mean as the report shows it (one decimal, rounded as `decimal_text` does): two cells that read "3,4"
    have the same colour."""
    return float(f"{mean:.1f}")  # the float's exact value rounded, as decimal_text rounds it


def colour(mean: float) -> tuple[int, int, int]:
    """The palette's colour of a mean on the 1–5 scale (clamped)."""
    position = min(max((mean - 1) / 4, 0.0), 1.0) * (len(CIVIDIS) - 1)
    index = min(int(position), len(CIVIDIS) - 2)
    share = position - index
    low, high = CIVIDIS[index], CIVIDIS[index + 1]
    return (round(low[0] + (high[0] - low[0]) * share), round(low[1] + (high[1] - low[1]) * share),
            round(low[2] + (high[2] - low[2]) * share))


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        share = value / 255
        return share / 12.92 if share <= 0.03928 else ((share + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(value) for value in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def lettering(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """White or near-black, whichever has the higher WCAG contrast on `background`."""
    light = _luminance(background)
    on_white = (1.05) / (light + 0.05)
    on_ink = (light + 0.05) / (_luminance(INK) + 0.05)
    return WHITE if on_white >= on_ink else INK


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def css_colours(mean: float) -> tuple[str, str]:
    """(background, text) as CSS colours, for the HTML and PDF tables to match the picture."""
    background = colour(mean)
    return _hex(background), _hex(lettering(background))


@cache
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    spec = find_spec("matplotlib")  # only its location: matplotlib itself is not imported
    assert spec is not None and spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    return ImageFont.truetype(str(folder / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size)


def _wrapped(text: str, width: int, lines: int) -> str:
    return "\n".join(textwrap.wrap(text, width, max_lines=lines, placeholder="…")) or " "


def chunks(count: int, most: int = TEAMS_PER_PICTURE) -> list[range]:
    """`count` rows split into as few pictures as `most` a picture allows, as even as can be."""
    pictures = max(1, -(-count // most))
    size, extra = divmod(count, pictures)
    result, start = [], 0
    for number in range(pictures):
        end = start + size + (1 if number < extra else 0)
        result.append(range(start, end))
        start = end
    return result


def heatmap_pages(report: OrganisationReport, instrument: Instrument, language: str, *,
                  labels: Mapping[str, str], most: int = TEAMS_PER_PICTURE) -> list[bytes]:
    """The heatmap as PNG pictures of at most `most` teams each (in the report's order), each with the
    organisation's row and the legend; a picture's title says "(2/5)" when there are several."""
    parts = chunks(len(report.teams), most)
    title = labels.get("title", "")
    return [draw(report, instrument, language, labels=labels, teams=part,
                 title=f"{title} ({number}/{len(parts)})".strip() if len(parts) > 1 else title)[0]
            for number, part in enumerate(parts, 1)]


def heatmap_png(report: OrganisationReport, instrument: Instrument, language: str, *,
                labels: Mapping[str, str]) -> bytes:
    """Every team of `report` in one PNG (teams as sorted there), with point titles in `language`."""
    return draw(report, instrument, language, labels=labels, teams=range(len(report.teams)),
                title=labels.get("title", ""))[0]


def draw(report: OrganisationReport, instrument: Instrument, language: str, *, labels: Mapping[str, str],
         teams: Sequence[int], title: str = "") -> tuple[bytes, list[CellBox]]:
    """One picture of the teams at `teams` (indices into report.teams) and the organisation's row: the PNG, and
    where each cell is."""
    from PIL import Image, ImageDraw

    top = PAD + (TITLE_HEIGHT if title else 0)
    grid_top = top + HEADER_HEIGHT
    organisation_top = grid_top + len(teams) * ROW_HEIGHT + GAP
    height = organisation_top + ROW_HEIGHT + FOOTER_HEIGHT + PAD
    picture = Image.new("RGB", (WIDTH, height), WHITE)
    pen = ImageDraw.Draw(picture)
    left = PAD + LABEL_WIDTH
    if title:
        pen.text((PAD, PAD), _wrapped(title, 70, 1), font=_font(LARGE, bold=True), fill=RULE)
    for column, point_id in enumerate(report.point_ids):
        point = instrument.point(point_id)
        _upright(picture, _wrapped(f"{point.number}. {pick(point.title, language)}", POINT_WRAP, 3),
                 (left + column * COLUMN_WIDTH, top, COLUMN_WIDTH, HEADER_HEIGHT - 8))
    boxes: list[CellBox] = []
    hatch = _hatch(COLUMN_WIDTH - 2, ROW_HEIGHT - 2)
    rows: list[tuple[str, int, list[tuple[str, float | None, int, bool]], bool]] = [
        (report.teams[index].title, grid_top + line * ROW_HEIGHT,
         [(cell.point_id, cell.mean, cell.raters, cell.suppressed) for cell in report.teams[index].cells], False)
        for line, index in enumerate(teams)]
    rows.append(("", organisation_top,
                 [(score.point_id, score.mean, score.raters, score.suppressed) for score in report.organisation], True))
    for name, y, cells, bold in rows:
        label = labels.get("organisation", "") if bold else name
        pen.multiline_text((PAD, y + ROW_HEIGHT // 2), _wrapped(label, TEAM_WRAP, 2), font=_font(FONT, bold),
                           fill=INK, anchor="lm", spacing=2)
        for column, (point_id, mean, raters, suppressed) in enumerate(cells):
            box = (left + column * COLUMN_WIDTH + 1, y + 1, left + (column + 1) * COLUMN_WIDTH - 1, y + ROW_HEIGHT - 1)
            blank = mean is None or suppressed
            boxes.append(CellBox(name, point_id, box, blank))
            middle = ((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)
            if blank:
                picture.paste(hatch, box[:2])
                pen.rectangle(box, outline=BLANK_EDGE)
                pen.text(middle, BLANK, font=_font(LARGE), fill=MUTED, anchor="mm")
                continue
            assert mean is not None
            fill = colour(shown(mean))
            pen.rectangle(box, fill=fill)
            ink = lettering(fill)
            pen.text((middle[0], middle[1] - 2), decimal_text(mean, language), font=_font(LARGE, bold), fill=ink,
                     anchor="mb")
            pen.text((middle[0], middle[1] + 2), f"n={raters}", font=_font(SMALL), fill=ink, anchor="mt")
    rule = organisation_top - GAP // 2
    pen.line((PAD, rule, WIDTH - PAD, rule), fill=RULE, width=3)
    _legend(picture, pen, organisation_top + ROW_HEIGHT + 24, labels, hatch)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=COMPRESS)
    return buffer.getvalue(), boxes


def _upright(picture: Image.Image, text: str, area: tuple[int, int, int, int]) -> None:
    """`text` written bottom to top in the column `area` (left, top, width, height), its foot at the bottom."""
    from PIL import Image, ImageDraw

    left, top, width, height = area
    strip = Image.new("RGB", (height, width), WHITE)  # drawn lying down, then turned upright
    ImageDraw.Draw(strip).multiline_text((4, width // 2), text, font=_font(SMALL), fill=INK, anchor="lm", spacing=3)
    picture.paste(strip.transpose(Image.Transpose.ROTATE_90), (left, top))


@cache
def _hatch(width: int, height: int) -> Image.Image:
    """The blank cell's fill: white with light diagonal lines ("///")."""
    from PIL import Image, ImageDraw

    tile = Image.new("RGB", (width, height), WHITE)
    pen = ImageDraw.Draw(tile)
    for start in range(-height, width, 12):
        pen.line((start, height, start + height, 0), fill=(214, 221, 225), width=2)
    return tile


def _legend(picture: Image.Image, pen: ImageDraw.ImageDraw, y: int, labels: Mapping[str, str],
            hatch: Image.Image) -> None:
    left = PAD + LABEL_WIDTH
    pen.text((PAD, y + 10), _wrapped(labels.get("legend", ""), TEAM_WRAP, 2), font=_font(FONT), fill=INK,
             anchor="lm")
    bar = 4 * COLUMN_WIDTH
    for x in range(bar):
        pen.line((left + x, y, left + x, y + 22), fill=colour(1 + 4 * x / (bar - 1)))
    for value in range(1, 6):
        x = left + round((value - 1) / 4 * (bar - 1))
        pen.line((x, y + 22, x, y + 30), fill=INK, width=2)
        pen.text((x, y + 32), str(value), font=_font(SMALL), fill=INK, anchor="mt")
    mark_top = y + 70
    mark = (PAD, mark_top, PAD + COLUMN_WIDTH - 2, mark_top + ROW_HEIGHT - 2)
    picture.paste(hatch, mark[:2])
    pen.rectangle(mark, outline=BLANK_EDGE)
    pen.text(((mark[0] + mark[2]) // 2, (mark[1] + mark[3]) // 2), BLANK, font=_font(LARGE), fill=MUTED, anchor="mm")
    pen.multiline_text((mark[2] + 16, (mark[1] + mark[3]) // 2), _wrapped(labels.get("suppressed", ""), 60, 2),
                       font=_font(FONT), fill=INK, anchor="lm", spacing=4)
