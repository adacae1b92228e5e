"""Hypothesis profiles for the fuzz suite, and its harness fixture.

`default` (what `make test` runs): the example counts written in the tests, which add up to more
than 10,000, derandomized so that every run (and CI) tries the same examples, and no example
database written into the repository. `nightly`: ten times as many, and random, so each night
tries new ones. Choose with `HYPOTHESIS_PROFILE=nightly make test`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

from bot.core.instrument import Instrument
from bot.shell.content import load_instrument
from storage.memory_store import MemoryStore
from tests.fuzz.harness import BASE_EXAMPLES, Harness, Harnesses

# Hypothesis keeps caches (the Unicode tables, constants found in our source) in its home directory,
# `.hypothesis/` in the working directory by default: keep them out of the repository.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "kartoitus-hypothesis")

settings.register_profile("default", max_examples=BASE_EXAMPLES, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=False)
settings.register_profile("nightly", parent=settings.get_profile("default"), max_examples=10 * BASE_EXAMPLES,
                          derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def instrument() -> Instrument:
    return load_instrument()


@pytest.fixture(scope="module")
def sqlite_harness(tmp_path_factory: pytest.TempPathFactory, instrument: Instrument) -> Iterator[Harness]:
    """Turns on a real SQLite file, one per test module."""
    built = Harness.on_sqlite(tmp_path_factory.mktemp("fuzz") / "fuzz.db", instrument)
    yield built
    built.close()


@pytest.fixture(scope="module")
def memory_harness(instrument: Instrument) -> Iterator[Harness]:
    """Turns on the in-memory twin (same contract, tests/storage/test_store_contract.py), for volume."""
    built = Harness(MemoryStore(), instrument)
    yield built
    built.close()


@pytest.fixture(scope="module")
def harnesses(sqlite_harness: Harness, memory_harness: Harness) -> Harnesses:
    return Harnesses(sqlite_harness, memory_harness)
