"""The embedded default delivers scheduled messages: a terminal member invited to a round sees the
invitation, in their own language, when they next open `kartoitus chat`; once, and `tick` stops
counting it as waiting. Real processes on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adapters.test_terminal_chat import kartoitus
from tests.support.clock import suite_today

pytestmark = pytest.mark.slow
ENGLISH = {"KARTOITUS_LANGUAGE": "en"}


def test_a_terminal_member_sees_the_invitation_once_in_their_own_language(tmp_path: Path) -> None:
    database = tmp_path / "kartoitus.db"
    for user, chosen in (("aino", "/kieli fi\n"), ("sven", "/kieli sv\n"), ("emma", "")):
        joined = kartoitus("chat", "--user", user, database=database, env=ENGLISH, stdin=f"/liity autoala\n{chosen}")
        assert joined.returncode == 0, joined.stderr
    opened = kartoitus("round", "open", "--decision-date", suite_today().replace(day=1).isoformat(), "--team",
                       "autoala", "--responsible", "Maija", "--name", "Syksy", database=database, env=ENGLISH)
    assert opened.returncode == 0 and "The invitation goes to 3 people" in opened.stdout, opened.stdout + opened.stderr

    tick = kartoitus("tick", database=database, env=ENGLISH)
    assert "0 messages sent, 3 waiting" in tick.stdout, tick.stdout + tick.stderr

    sven = kartoitus("chat", "--user", "sven", database=database, env=ENGLISH)
    assert sven.returncode == 0, sven.stderr
    assert sven.stdout.count("Inbjudan") == 1 and "”Syksy”" in sven.stdout, sven.stdout
    # the new round's chat starts in the language Sven chose in the earlier one, not in KARTOITUS_LANGUAGE
    assert sven.stdout.index("Inbjudan") < sven.stdout.index("Del 1 · 1/8"), "the invitation first, then the chat"
    assert "Part 1 · 1/8" not in sven.stdout
    assert kartoitus("chat", "--user", "aino", database=database, env=ENGLISH).stdout.count("Kutsu:") == 1
    emma = kartoitus("chat", "--user", "emma", database=database, env=ENGLISH).stdout
    assert emma.count("Invitation:") == 1 and "Kutsu" not in emma and "Inbjudan" not in emma

    tick = kartoitus("tick", database=database, env=ENGLISH)
    assert "0 messages sent, 0 waiting" in tick.stdout, tick.stdout + tick.stderr
    again = kartoitus("chat", "--user", "sven", database=database, env=ENGLISH)
    assert "Inbjudan" not in again.stdout and "Syksy" not in again.stdout, "shown once, not at every opening"
    summary = kartoitus("outbox", database=database, env=ENGLISH)
    assert "waiting 0" in summary.stdout and "sent 3" in summary.stdout and "failed 0" in summary.stdout, \
        summary.stdout


def test_the_goodbye_follows_a_changed_language_and_a_multi_choice_asks_for_nothing_to_confirm(
        tmp_path: Path) -> None:
    database = tmp_path / "kartoitus.db"
    swedish = kartoitus("chat", "--user", "sven", database=database, stdin="/kieli sv\n")
    assert swedish.returncode == 0, swedish.stderr
    assert swedish.stdout.rstrip().endswith("Dina svar har sparats. Hej då!"), swedish.stdout[-300:]
    assert "Näkemiin" not in swedish.stdout
    ratings = "4\n" * 5 + "1\n" + "4\n" * 3  # "1": on, after the break offer
    finnish = kartoitus("chat", "--user", "anna", database=database, stdin=ratings)
    assert "Valitse 2 kriittistä pistettä" in finnish.stdout, finnish.stdout[-1500:]
    assert "Kirjoita 2 numeroa välilyönnillä erotettuina" in finnish.stdout
    assert "vahvista valinta" not in finnish.stdout, "the terminal has no button to confirm with"
    assert finnish.stdout.rstrip().endswith("Näkemiin!")
