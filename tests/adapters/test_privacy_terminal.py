"""`/omat_tiedot` and `/poista_tiedot` in the real `kartoitus chat` process, on a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.adapters.test_terminal_chat import kartoitus
from tests.support.privacy import answer_owners, traces

pytestmark = pytest.mark.slow


def test_my_data_then_erasure_in_the_terminal_leaves_no_trace(tmp_path: Path) -> None:
    database = tmp_path / "kartoitus.db"
    other = kartoitus("chat", "--user", "bertil", database=database, stdin="/liity autoala\n5\n")
    assert other.returncode == 0, other.stderr

    result = kartoitus("chat", "--user", "tuulikki", database=database, cwd=tmp_path,
                       stdin="/liity autoala\n4\n3\n/omat_tiedot\n/poista_tiedot\n")
    assert result.returncode == 0, result.stderr
    saved = tmp_path / "omat-tiedot.json"
    assert f"Tiedosto tallennettiin: {saved}" in result.stdout
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["person"]["user_id"] == "tuulikki" and data["teams"] == [
        {"team": "autoala", "joined_at": data["teams"][0]["joined_at"]}]
    assert [(a["question"], a["value"]) for a in data["rounds"][0]["answers"]] == [
        ("rate:tavoitettavuus", "4"), ("rate:valmiudet", "3")]
    assert "── Näin vastauksesi näkyvät tiimin koosteessa ──" in result.stdout
    assert "vähintään 3 (nyt 2)" in result.stdout, "two raters in the team: no means shown yet"
    assert "Vahvista kirjoittamalla /poista_tiedot vahvista" in result.stdout
    assert answer_owners(f"sqlite:///{database}")["terminal:tuulikki"] == 2, "nothing goes unconfirmed"

    erased = kartoitus("chat", "--user", "tuulikki", database=database, stdin="/poista_tiedot vahvista\n")
    assert erased.returncode == 0, erased.stderr
    assert "Tietosi on poistettu: tunnisteesi, keskustelut (1), tiimijäsenyydet (1) ja avoimen kierroksen " \
           "vastaukset (2)." in erased.stdout
    url = f"sqlite:///{database}"
    assert traces(url, "tuulikki") == [] and answer_owners(url) == {"terminal:bertil": 1}


def test_the_swedish_and_english_names_work_too(tmp_path: Path) -> None:
    database = tmp_path / "kartoitus.db"
    result = kartoitus("chat", "--user", "sven", database=database, cwd=tmp_path,
                       stdin="4\n/mina_uppgifter\n/erase_data\n/radera_uppgifter bekräfta\n",
                       env={"KARTOITUS_LANGUAGE": "sv"})
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "mina-uppgifter.json").read_text(encoding="utf-8"))["person"]["user_id"] == "sven"
    assert "Du är inte medlem i något team" in result.stdout
    assert "Bekräfta genom att skriva /radera_uppgifter bekräfta" in result.stdout
    assert "Dina uppgifter har raderats" in result.stdout
    assert traces(f"sqlite:///{database}", "sven") == []
