"""Text is normalised on the way in, the same on SQLite and PostgreSQL, and the person is told.

A NUL in an answer used to be stored by SQLite (and shown raw by the HTML export) and refused by
PostgreSQL, which failed the turn; invalid UTF-8 on the terminal's stdin gave a traceback and
"try again in a moment". Now the answer is stored without the control characters, with U+FFFD for
what could not be read, on both databases, and the person reads a short note in their language.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.terminal.app import readable
from bot.core.identity import ChannelRef
from bot.core.text_input import clean_text, normalise_text
from bot.shell.content import load_instrument
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams
from tests.support.conversation import Chat

NOTES = {
    "fi": "Huomaa: vastauksessasi oli merkkejä, joita ei voi tallentaa",
    "sv": "Observera: ditt svar innehöll tecken som inte kan sparas",
    "en": "Please note: your answer contained characters that cannot be saved",
}
NEXT_QUESTION = {"fi": "Missä meillä on vielä kehitettävää?", "sv": "Var har vi ännu något att utveckla?",
                 "en": "Where do we still need to improve?"}


@pytest.mark.parametrize(("typed", "kept", "changed"), [
    ("Toimii hyvin.", "Toimii hyvin.", False),
    ("rivi\r\ntoinen\rkolmas\n\tsisennys", "rivi\ntoinen\nkolmas\n\tsisennys", False),
    ("NUL\x00 ja ESC\x1b ja DEL\x7f ja C1\x85\x9f", "NUL ja ESC ja DEL ja C1", True),
    ("\x0b\x0c pystysarkain ja sivunvaihto", " pystysarkain ja sivunvaihto", True),
    ("lone \ud800 surrogate \udcff", "lone \ufffd surrogate \ufffd", True),
    ("luettu jo korvattuna \ufffd", "luettu jo korvattuna \ufffd", True),
    ("ääkköset, emoji 👍🏽 ja zero\u200bwidth", "ääkköset, emoji 👍🏽 ja zero\u200bwidth", False),
])
def test_normalise_text(typed: str, kept: str, changed: bool) -> None:
    result = normalise_text(typed)
    assert (result.text, result.changed) == (kept, changed)
    assert clean_text(typed) == kept
    result.text.encode("utf-8")  # always storable


def finish_part1(chat: Chat) -> Chat:
    """Part 1 typed as numbers, whatever the language: eight ratings straight through, two targets."""
    chat.send("/start")
    for rating in "43215432":
        chat.send(rating)
    return chat.send("3 7")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    url = f"sqlite:///{tmp_path / 'nul.db'}" if request.param == "sqlite" else \
        request.getfixturevalue("fresh_postgres_url")
    upgrade(url)
    engine = create_database_engine(url)
    yield SqlStore(engine)
    engine.dispose()


def test_an_answer_with_nul_is_stored_without_it_and_the_person_is_told(sql_store: SqlStore) -> None:
    instrument = load_instrument()
    for user, locale in (("anna", "fi-FI"), ("bertil", "sv-FI"), ("claire", "en-GB")):
        chat = Chat(sql_store, instrument, user=user, locale=locale)
        language = locale[:2]
        finish_part1(chat).send(f"Ohjaus\x00 toimii ({language})\x1b.\r\nToinen rivi.")
        chat.expect(NOTES[language], NEXT_QUESTION[language])
        for other in set(NOTES) - {language}:
            chat.expect_not(NOTES[other])
        chat.send("Ei muutettavaa.").expect_not(*NOTES.values())
        chat.close()
    stored = {(row.respondent, row.question): row.value for row in sql_store.export_rows()}
    works = sorted(value or "" for (_, question), value in stored.items() if question == "works:ennakkosuunnittelu")
    assert works == [f"Ohjaus toimii ({language}).\nToinen rivi." for language in ("en", "fi", "sv")]
    assert not any("\x00" in (value or "") for value in stored.values())


# --- the real terminal chat, fed bytes that are not UTF-8 -------------------------------------------


def kartoitus(database: Path, *args: str, stdin: bytes = b"", env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess[bytes]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KARTOITUS_")}
    environment.update({"KARTOITUS_DATABASE_URL": f"sqlite:///{database}", "PYTHONUNBUFFERED": "1"}, **(env or {}))
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, timeout=60,
                          env=environment, check=False)


def test_the_terminal_reads_undecodable_bytes_as_replacement_characters() -> None:
    stream = readable(io.TextIOWrapper(io.BytesIO(b"ok\xff\xfe\n\xe2\x82!\n"), encoding="utf-8", errors="strict"))
    assert [stream.readline(), stream.readline()] == ["ok\ufffd\ufffd\n", "\ufffd!\n"]
    text = io.StringIO("jo tekstiä\n")
    assert readable(text) is text and text.readline() == "jo tekstiä\n"
    started = io.TextIOWrapper(io.BytesIO(b"eka\ntoka\n"), encoding="utf-8", errors="strict")
    started.readline()
    assert readable(started).readline() == "toka\n", "a stream read from already is kept as it is"


PART1 = b"/start\n4\n3\n2\n1\n5\n4\n3\n2\n3 7\n"  # part 2's first question follows the targets


@pytest.mark.slow
@pytest.mark.parametrize("encoding", [None, "utf-8:strict"], ids=["locale-default", "strict-utf-8"])
def test_invalid_utf8_on_stdin_gets_the_normal_flow_and_the_note(tmp_path: Path, encoding: str | None) -> None:
    database = tmp_path / "kartoitus.db"
    typed = PART1.replace(b"4\n3\n2\n1\n5", b"4\n\xff\xfe\n3\n2\n1\n5", 1) + \
        b"Toimii \xc3\xa4\xff\xfe hyvin\x00.\nKehitett\xc3\xa4v\xc3\xa4\xc3\xa4 \xe2\x82.\n/tauko\n"
    result = kartoitus(database, "chat", "--user", "anna", stdin=typed,
                       env={"PYTHONIOENCODING": encoding} if encoding else None)
    out, err = result.stdout.decode("utf-8"), result.stderr.decode("utf-8", errors="replace")
    assert result.returncode == 0, err
    assert "Traceback" not in err + out and "yritä hetken päästä uudelleen" not in out
    assert "En tunnistanut vastausta ”\ufffd\ufffd”" in out, "an unreadable choice is asked again, as any other"
    assert out.count(NOTES["fi"]) == 2
    assert "Mitä lupaatte tässä asiassa työelämäkumppaneillenne ja miten pidätte lupauksenne?" in out
    assert "Tauko. Vastauksesi on tallennettu" in out
    exported = kartoitus(database, "export", "--format", "json", "--raw")
    assert exported.returncode == 0, exported.stderr
    values = {row["question"]: row["value"] for row in json.loads(exported.stdout)}
    assert values["works:ennakkosuunnittelu"] == "Toimii ä\ufffd\ufffd hyvin."
    assert values["develop:ennakkosuunnittelu"] == "Kehitettävää \ufffd."


@pytest.mark.postgres
def test_a_group_title_with_a_nul_registers_the_team_on_postgresql(fresh_postgres_url: str) -> None:
    """A Telegram group title is the platform's text: a NUL in it must not refuse the team."""
    upgrade(fresh_postgres_url)
    teams = SqlTeams(create_database_engine(fresh_postgres_url))
    group = ChannelRef("telegram", "tg", "-1001")
    team = teams.register_team(group, "Auto\x00ala\x1b", now=datetime(2026, 11, 17, 8, 0, tzinfo=UTC))
    assert team.title == "Autoala"
    assert teams.register_team(group, "Auto\x00ala", now=datetime(2026, 11, 17, 8, 0, tzinfo=UTC)).id == team.id
