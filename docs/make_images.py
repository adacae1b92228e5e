"""Regenerate the README's pictures of a digest and its chart from a made-up team.

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

from bot.reports.chart import score_chart  # noqa: E402
from bot.shell.content import load_instrument  # noqa: E402
from bot.reports.digest import build_digest  # noqa: E402
from bot.reports.digest_text import digest_text  # noqa: E402

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


if __name__ == "__main__":
    main()
