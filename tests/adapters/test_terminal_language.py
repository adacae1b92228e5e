"""In the terminal (whose locale is only KARTOITUS_LANGUAGE), a team's confirmation and the round commands follow
the person's /kieli choice. Real processes on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.shell.content import load_instrument
from tests.adapters.test_terminal_chat import kartoitus

pytestmark = pytest.mark.slow
ENGLISH = {"KARTOITUS_LANGUAGE": "en"}
INSTRUMENT = load_instrument()


def test_after_kieli_sv_the_team_and_round_commands_answer_in_swedish(tmp_path: Path) -> None:
    database = tmp_path / "kartoitus.db"
    chat = kartoitus("chat", "--user", "sven", database=database, env=ENGLISH,
                     stdin="/kieli sv\n/liity tiimi\n/kierros lista\n")
    assert chat.returncode == 0, chat.stderr
    assert "Tack! Du är nu medlem i teamet tiimi" in chat.stdout, chat.stdout
    assert "Thank you! You are now a member" not in chat.stdout
    assert INSTRUMENT.text("sv", "rounds.coordinators_only") in chat.stdout, chat.stdout

    again = kartoitus("chat", "--user", "sven", database=database, env=ENGLISH, stdin="/liity tiimi\n")
    assert "Du är redan medlem i teamet tiimi" in again.stdout, again.stdout


def test_without_a_choice_the_terminal_confirms_in_the_configured_language(tmp_path: Path) -> None:
    chat = kartoitus("chat", "--user", "emma", database=tmp_path / "kartoitus.db", env=ENGLISH, stdin="/liity tiimi\n")
    assert chat.returncode == 0, chat.stderr
    assert "Thank you! You are now a member of the team tiimi" in chat.stdout, chat.stdout
