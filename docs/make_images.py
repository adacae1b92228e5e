"""Regenerate the README's pictures from made-up answers: a digest and its chart (one team), and the
organisation report's heatmap (nine teams, one of them too small to show).

    .venv/bin/python docs/make_images.py
"""

from __future__ import annotations

import random
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bot.core.instrument import Instrument  # noqa: E402
from bot.reports.chart import score_chart  # noqa: E402
from bot.reports.digest import build_digest  # noqa: E402
from bot.reports.digest_text import digest_text  # noqa: E402
from bot.reports.heatmap import heatmap_png  # noqa: E402
from bot.reports.organisation import TeamInput, build_organisation_report  # noqa: E402
from bot.shell.content import load_instrument  # noqa: E402

WORKS = ["Työpaikkaohjaajat tuntevat meidät.", "Palaute kerätään jokaiselta jaksolta.",
         "HOKS-keskustelut sovitaan ajoissa.", "Yhteinen kalenteri toimii.", "Opettajat käyvät työpaikoilla."]
DEVELOP = ["Palautteen käsittely jää kesken.", "Tieto ei kulje kaikille ohjaajille.",
           "Kiirekausina yhteydenpito katkeaa."]


def people(instrument_points: tuple[str, ...], count: int, bias: list[float], rng: random.Random
           ) -> list[dict[str, str | None]]:
    made = []
    for _ in range(count):
        answers: dict[str, str | None] = {f"rate:{point}": str(min(5, max(1, round(rng.gauss(3 + bias[n], 0.9)))))
                                          for n, point in enumerate(instrument_points)}
        answers["priorities"] = ",".join(rng.sample(instrument_points[2:7], 2))
        for point in instrument_points:
            answers[f"works:{point}"] = rng.choice(WORKS)
            if rng.random() < 0.5:
                answers[f"develop:{point}"] = rng.choice(DEVELOP)
        made.append(answers)
    return made


# (team, respondents, the team's leaning on each of the eight points: its mean before noise)
TEAMS = (
    ("Autoala", 7, (4.1, 3.2, 2.4, 3.8, 3.0, 2.9, 4.2, 3.6)),
    ("Hyvinvointiala, lähihoitajat", 12, (3.6, 2.7, 2.2, 4.3, 3.1, 3.4, 3.9, 3.8)),
    ("Kone- ja tuotantotekniikka", 6, (3.2, 3.5, 2.1, 3.4, 2.6, 2.5, 4.0, 3.0)),
    ("Liiketoiminta", 9, (4.4, 3.9, 3.1, 3.6, 3.8, 3.5, 3.7, 4.2)),
    ("Media-ala", 2, (3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0)),  # two raters: blank, left out
    ("Rakennusala", 8, (3.5, 2.9, 1.9, 3.9, 2.4, 2.8, 3.4, 3.1)),
    ("Ravintola- ja cateringala", 5, (3.9, 3.3, 2.8, 4.1, 3.2, 3.9, 3.6, 3.5)),
    ("Sähkö- ja automaatioala", 10, (3.3, 3.6, 2.5, 3.5, 2.9, 3.1, 4.4, 3.3)),
    ("Tieto- ja viestintätekniikka", 4, (4.6, 4.2, 3.4, 3.0, 3.9, 4.0, 3.2, 4.5)),
)


def teams(instrument: Instrument, rng: random.Random) -> list[TeamInput]:
    result = []
    for title, size, leanings in TEAMS:
        people: list[dict[str, str | None]] = []
        for _ in range(size):
            answers: dict[str, str | None] = {}
            for point, leaning in zip(instrument.point_ids, leanings, strict=True):
                if rng.random() < 0.08:
                    answers[f"rate:{point}"] = "cant_say"
                else:
                    answers[f"rate:{point}"] = str(min(5, max(1, round(rng.gauss(leaning, 0.7)))))
            people.append(answers)
        result.append(TeamInput(title, size + 2, people))
    return result


def heatmap(instrument: Instrument) -> bytes:
    report = build_organisation_report(round_name="Syksy 2026", teams=teams(instrument, random.Random(4)),
                                       instrument=instrument)

    def t(key: str, **values: object) -> str:
        return instrument.text("fi", key, **values)

    return heatmap_png(report, instrument, "fi", labels={
        "legend": t("organisation.legend"), "organisation": t("organisation.organisation"),
        "suppressed": t("organisation.suppressed"), "title": t("organisation.title", round=report.round_name)})


def main() -> None:
    instrument = load_instrument()
    rng = random.Random(3)
    current = people(instrument.point_ids, 12, [0.9, 0.4, -0.6, 0.2, 0.1, 0.5, -0.3, 0.0], rng)
    previous = people(instrument.point_ids, 10, [0.6, 0.5, -0.9, 0.0, 0.2, 0.1, -0.5, -0.2], rng)
    digest = build_digest(team="Autoalan tiimi", round_name="Syksy 2026", invited=14, answers=current,
                          previous=previous, instrument=instrument)
    (ROOT / "docs" / "digest-chart.png").write_bytes(score_chart(digest, instrument, "fi") or b"")
    heading, text = digest_text(digest, instrument, "fi")
    lines = [heading, ""] + [part for line in text.splitlines() for part in (textwrap.wrap(line, 100) or [""])]
    figure = plt.figure(figsize=(8.6, 0.24 * len(lines) + 0.4), dpi=110)
    figure.patch.set_facecolor("#f4f7f9")
    for row, line in enumerate(lines):
        figure.text(0.03, 1 - (row + 1) / (len(lines) + 1), line, fontsize=10.5, family="DejaVu Sans",
                    weight="bold" if row == 0 else "normal", va="center")
    figure.savefig(ROOT / "docs" / "digest.png", facecolor=figure.get_facecolor())
    plt.close(figure)
    (ROOT / "docs" / "heatmap.png").write_bytes(heatmap(instrument))


if __name__ == "__main__":
    main()
