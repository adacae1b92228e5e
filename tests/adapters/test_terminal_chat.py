"""The real `kartoitus chat` process on a real SQLite file: answers survive a restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.clock import clock_setting, suite_today

pytestmark = pytest.mark.slow


def kartoitus(*args: str, database: Path, stdin: str = "", env: dict[str, str] | None = None,
              cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          timeout=60, env=environment(database, env), check=False, cwd=cwd)


def environment(database: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KARTOITUS_")}
    # on the test's clock, not the machine's: the round's name and dates are the suite's (Helsinki) date
    env.update({"KARTOITUS_DATABASE_URL": f"sqlite:///{database}", "PYTHONUNBUFFERED": "1"}, **clock_setting(),
               **(extra or {}))
    return env


def exported(database: Path) -> dict[str, str | None]:
    result = kartoitus("export", "--format", "json", "--raw", database=database)
    assert result.returncode == 0, result.stderr
    return {row["question"]: row["value"] for row in json.loads(result.stdout)}


def test_pause_and_resume_across_a_restart_of_the_process(tmp_path: Path) -> None:
    database = tmp_path / "kartoitus.db"
    first = kartoitus("chat", "--user", "anna", database=database, stdin="4\n3\n/tauko\n")
    assert first.returncode == 0, first.stderr
    assert "Tervetuloa!" in first.stdout
    assert "Tauko. Vastauksesi on tallennettu" in first.stdout
    assert first.stdout.rstrip().endswith("Vastauksesi on tallennettu. Näkemiin!")

    second = kartoitus("chat", "--user", "anna", database=database, stdin="/jatka\n2\n")
    assert second.returncode == 0, second.stderr
    assert "Tervetuloa takaisin" in second.stdout
    assert "Osa 1 · 3/8 Yhteinen ennakkosuunnittelu" in second.stdout
    assert "Osa 1 · 4/8 Työpaikkaohjaus" in second.stdout
    assert exported(database) == {"rate:tavoitettavuus": "4", "rate:valmiudet": "3",
                                  "rate:ennakkosuunnittelu": "2"}


def test_end_of_input_mid_question_keeps_everything(tmp_path: Path) -> None:
    database = tmp_path / "kartoitus.db"
    result = kartoitus("chat", "--user", "bertil", database=database, stdin="5\n")
    assert result.returncode == 0
    assert "Näkemiin!" in result.stdout
    again = kartoitus("chat", "--user", "bertil", database=database, stdin="")
    assert "Tervetuloa takaisin" in again.stdout and "Osa 1 · 2/8" in again.stdout
    assert exported(database) == {"rate:tavoitettavuus": "5"}


def test_ctrl_c_leaves_cleanly_with_everything_saved(tmp_path: Path) -> None:
    database = tmp_path / "kartoitus.db"
    process = subprocess.Popen([sys.executable, "-m", "bot", "chat", "--user", "cecilia"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(database))
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("4\n")
    process.stdin.flush()
    deadline = time.monotonic() + 30
    seen = ""
    while "Osa 1 · 2/8" not in seen and time.monotonic() < deadline:
        seen += process.stdout.readline()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Näkemiin!" in out
    assert "Traceback" not in err
    assert exported(database) == {"rate:tavoitettavuus": "4"}


def test_swedish_operator_language_and_bad_settings(tmp_path: Path) -> None:
    database = tmp_path / "kartoitus.db"
    swedish = kartoitus("chat", database=database, stdin="", env={"KARTOITUS_LANGUAGE": "sv"})
    assert "Välkommen!" in swedish.stdout
    broken = kartoitus("chat", database=database, env={"KARTOITUS_TIMEZONE": "Nowhere/Land",
                                                        "KARTOITUS_DATABASE_URL": "oracle://x"})
    assert broken.returncode == 2
    assert "KARTOITUS_TIMEZONE" in broken.stderr and "KARTOITUS_DATABASE_URL" in broken.stderr
    assert "Asetuksissa on virheitä" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_csv_export_to_a_file_has_no_personal_identifiers(tmp_path: Path) -> None:
    database = tmp_path / "kartoitus.db"
    kartoitus("chat", "--user", "anna.virtanen", database=database, stdin="4\n0\n")
    out = tmp_path / "answers.csv"
    result = kartoitus("export", "--format", "csv", "--raw", "--out", str(out), database=database)
    assert result.returncode == 0, result.stderr
    assert "2 vastausta" in result.stdout
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "round_id,round_name,respondent,part,point,question,value,instrument_version,answered_on"
    assert lines[1].startswith("1,Kartoitus,1,1,tavoitettavuus,rate:tavoitettavuus,4,2026.2,")
    assert ",rate:valmiudet,cant_say," in lines[2]
    assert "anna" not in out.read_text(encoding="utf-8")


def test_a_coordinator_opens_a_round_for_two_teams_in_the_terminal(tmp_path: Path) -> None:
    database = tmp_path / "kartoitus.db"
    coordinators = {"KARTOITUS_COORDINATORS": "terminal:maija"}
    for user, team in (("anna", "autoala"), ("bo", "autoala"), ("cid", "Sähköala")):
        joined = kartoitus("chat", "--user", user, database=database, stdin=f"/liity {team}\n")
        assert "Olet nyt tiimin" in joined.stdout and team in joined.stdout, joined.stdout

    refused = kartoitus("chat", "--user", "anna", database=database, stdin="/kierros lista\n", env=coordinators)
    assert "Kierroksia hallitsevat koordinaattorit" in refused.stdout
    helped = kartoitus("chat", "--user", "anna", database=database, stdin="/ohje\n", env=coordinators)
    assert "/tauko – Pidä tauko" in helped.stdout, helped.stdout
    assert "/kierros" not in helped.stdout and "/yhteenveto" not in helped.stdout
    assert "Koordinaattoreille ja tiimien vetäjille" not in helped.stdout

    decision = suite_today().strftime("1.%m.%Y")
    maija = kartoitus("chat", "--user", "maija", database=database, env=coordinators,
                      stdin=f"/kierros uusi {decision} autoala, sähköala; vastuu Maija Mäki\n/kierros tila\n"
                            "/kierros lista\n/kierros\n/ohje\n")
    assert maija.returncode == 0, maija.stderr
    assert "avattiin. Tiimit: autoala, Sähköala" in maija.stdout and "Kutsu lähtee 3 henkilölle" in maija.stdout
    assert "autoala: jäseniä 2, aloittaneita 0" in maija.stdout and "Sähköala: jäseniä 1" in maija.stdout
    assert "Käyttö: /kierros uusi PÄÄTÖSPÄIVÄ" in maija.stdout
    assert "Koordinaattoreille ja tiimien vetäjille:\n/kierros – Kierrokset (koordinaattoreille)" in maija.stdout
    assert "/yhteenveto – Tiimin kooste" in maija.stdout

    answered = kartoitus("chat", "--user", "bo", database=database, stdin="4\n")
    assert "Osa 1 · 2/8" in answered.stdout
    status = kartoitus("round", "status", database=database)
    assert "autoala: jäseniä 2, aloittaneita 1" in status.stdout

    handed = kartoitus("chat", "--user", "maija", database=database, env=coordinators, cwd=tmp_path,
                       stdin="/kierros tyokirja autoala md\n")
    saved = tmp_path / f"tyokirja-autoala-kartoitus-{suite_today().strftime('%m-%Y')}.md"
    assert f"Tiedosto tallennettiin: {saved}" in handed.stdout, handed.stdout
    assert saved.read_text(encoding="utf-8").startswith("# Kriittisten pisteiden tarkastelu – oma suunnitelmamme")
