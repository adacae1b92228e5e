"""A button left over from a closed round, tapped in the next round, must not answer the new round."""

from __future__ import annotations

from pathlib import Path

from bot.core.instrument import Instrument
from tests.fuzz.harness import Harness, Stored


def test_a_button_from_a_closed_round_changes_nothing_in_the_next(tmp_path: Path, instrument: Instrument) -> None:
    harness = Harness.on_sqlite(tmp_path / "rounds.db", instrument)
    try:
        user = harness.new_user("telegram", "123456789")
        harness.command(user, "start")  # round 1: the first rating is shown, its buttons live
        first = harness.store.current_round(instrument_version=instrument.version, now=harness.clock.now())
        old = harness.store.load(user, first)
        assert old is not None and old.step == "rate:tavoitettavuus"
        harness.store.close_round(first.id, harness.clock.now())

        harness.command(user, "start")  # round 2 opens: the same question again, with the same prompt id
        second = harness.store.current_round(instrument_version=instrument.version, now=harness.clock.now())
        assert second.id != first.id
        before = Stored.of(harness.store.load(user, second))

        harness.press(user, old.prompt_id, "2")  # the round 1 message's "2 Toimii heikosti"

        after = Stored.of(harness.store.load(user, second))
        assert after.answers == before.answers, "a round 1 button answered round 2"
    finally:
        harness.close()
