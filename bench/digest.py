"""Build one team's digest from N respondents with full answers; print the time and peak memory.

    .venv/bin/python bench/digest.py [--respondents 10000]

The answers are generated (ratings, two targets, open answers for every point) and the digest is
built from them as the CLI and the scheduler do, with a previous round for the trend.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from bot.reports.digest import build_digest  # noqa: E402
from bot.reports.digest_text import digest_text  # noqa: E402
from bot.shell.content import load_instrument  # noqa: E402


def respondents(count: int, point_ids: tuple[str, ...], seed: int) -> list[dict[str, str | None]]:
    rng = random.Random(seed)
    people = []
    for n in range(count):
        answers: dict[str, str | None] = {f"rate:{p}": rng.choice(["1", "2", "3", "4", "5", "cant_say"])
                                          for p in point_ids}
        answers["priorities"] = ",".join(rng.sample(point_ids, 2))
        for point in point_ids:
            for kind in ("works", "develop", "promise"):
                answers[f"{kind}:{point}"] = f"Vastaaja {n}: {kind} {point} " + "sana " * rng.randint(5, 40)
        answers["plan"] = "Edetään yhdessä."
        people.append(answers)
    return people


def main(count: int) -> None:
    instrument = load_instrument()
    current = respondents(count, instrument.point_ids, 1)
    previous = respondents(count, instrument.point_ids, 2)
    tracemalloc.start()
    began = time.perf_counter()
    digest = build_digest(team="bench", round_name="Syksy", invited=count, answers=current, previous=previous,
                          instrument=instrument)
    _, text = digest_text(digest, instrument, "fi")
    elapsed = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"respondents: {count}, digest built and written in {elapsed * 1000:.0f} ms, "
          f"peak memory while building {peak / 2**20:.1f} MB (process peak RSS {rss:.0f} MB with the generated "
          f"answers of two rounds), text {len(text):,} characters")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--respondents", type=int, default=10_000)
    main(parser.parse_args().respondents)
