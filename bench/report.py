"""Build the organisation report of T teams × R respondents with a previous round, then its heatmap PNG and
its A4 PDF; print each time and the peak memory.

    .venv/bin/python bench/report.py [--teams 100] [--respondents 100]

The answers are generated (ratings of every point with some "can't say", two targets, a plan for some;
one small team, so that its cells are blank and its ratings left out of the organisation's figures), as the CLI
would pass them.
Aim: under 2 s and 250 MB for all of it.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from bot.core.discussions import TeamEntry  # noqa: E402
from bot.core.instrument import Instrument  # noqa: E402
from bot.reports.heatmap import heatmap_pages, heatmap_png  # noqa: E402
from bot.reports.organisation import OrganisationReport, TeamInput, build_organisation_report  # noqa: E402
from bot.reports.organisation_text import to_pdf  # noqa: E402
from bot.shell.content import load_instrument  # noqa: E402

LABELS = {"legend": "Keskiarvo (1–5)", "organisation": "Organisaatio",
          "suppressed": "Alle kynnyksen tai piilotettu, jottei pienen tiimin lukua voi päätellä"}


def teams(count: int, respondents: int, point_ids: tuple[str, ...], seed: int) -> list[TeamInput]:
    rng = random.Random(seed)
    result = []
    for number in range(count):
        size = 2 if number == 7 else respondents  # one small team: blank, and left out of the organisation's
        people: list[dict[str, str | None]] = []
        for _ in range(size):
            answers: dict[str, str | None] = {f"rate:{p}": rng.choice(["1", "2", "3", "4", "5", "cant_say"])
                                              for p in point_ids}
            answers["priorities"] = ",".join(rng.sample(point_ids, 2))
            if rng.random() < 0.6:
                answers["plan"] = "Edetään yhdessä."
            people.append(answers)
        entries = {point_ids[0]: TeamEntry(point_ids[0], 5, promise="Vastaamme päivässä.",
                                           actions=("Yhteinen kalenteri", "Viikkopalaveri"))}
        result.append(TeamInput(f"Tiimi {number:03d} · koulutusala ja toimipiste {number % 7}", size, people, entries))
    return result


def text(key: str, **values: object) -> str:  # the UI strings stand in: the figures are what is measured
    return key.removeprefix("organisation.") + "".join(f" {value}" for value in values.values())


def build(instrument: Instrument, count: int, respondents: int) -> tuple[OrganisationReport, int, float]:
    """The report, the respondents of its round and the seconds it took to build, from answers generated here
    and dropped after, as the desk drops the answers it read from the database."""
    current = teams(count, respondents, instrument.point_ids, 1)
    previous = teams(count, respondents, instrument.point_ids, 2)
    began = time.perf_counter()
    report = build_organisation_report(round_name="Syksy 2026", teams=current, previous=previous,
                                       instrument=instrument)
    return report, sum(len(team.answers) for team in current), time.perf_counter() - began


def main(count: int, respondents: int) -> None:
    instrument = load_instrument()
    report, people, seconds = build(instrument, count, respondents)
    built = time.perf_counter()
    began = built - seconds
    pages = heatmap_pages(report, instrument, "fi", labels=LABELS)
    drawn = time.perf_counter()
    pdf = to_pdf(report, instrument, "fi", text)
    printed = time.perf_counter()
    png = heatmap_png(report, instrument, "fi", labels=LABELS)  # the CLI's one picture of every team
    whole = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"teams: {count}, respondents: {people} (and a previous round as large): report built in "
          f"{(built - began) * 1000:.0f} ms, heatmap for chat ({len(pages)} PNG pictures, "
          f"{sum(map(len, pages)) / 1024:.0f} kB) in {(drawn - built) * 1000:.0f} ms, "
          f"PDF ({len(pdf) / 1024:.0f} kB) in {(printed - drawn) * 1000:.0f} ms; all {(printed - began) * 1000:.0f} ms "
          f"(first imports of Pillow and weasyprint included); the CLI's single PNG ({len(png) / 1024:.0f} kB) "
          f"in {(whole - printed) * 1000:.0f} ms; process peak RSS {rss:.0f} MB with the generated "
          f"answers of two rounds; points with ratings left out of the organisation's figure: "
          f"{sum(1 for note in report.notes if note[0] == 'left_out')}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--respondents", type=int, default=100)
    arguments = parser.parse_args()
    main(arguments.teams, arguments.respondents)
