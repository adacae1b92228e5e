"""`kartoitus report`: the organisation's report of a round from the command line, over real answers in a
SQLite file: a team below the threshold is blank in the heatmap's figures, and its ratings are left out of
the organisation's figure (which, less the shown teams', would give them), said in the notes; every format.
"""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

from bot.core.identity import ChannelRef, UserRef
from bot.shell.content import load_instrument
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams
from tests.bot.test_assessment_flow import rate_all
from tests.support.cli import run_kartoitus
from tests.support.clock import FakeClock, current_clock, suite_now, suite_today

TEAMS = {"Autoala": ["anna", "bo", "cid"], "Sähköala": ["dan"], "<b>Talo</b> =1+1": ["eva", "fia", "gus", "hal"]}


async def test_the_organisations_report_in_every_format(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from tests.support.conversation import Chat

    url = f"sqlite:///{tmp_path / 'report.db'}"
    upgrade(url)
    engine = create_database_engine(url)
    teams = SqlTeams(engine)
    for title, names in TEAMS.items():
        team = teams.register_team(ChannelRef("terminal", "local", title), title, now=suite_now())
        for name in names:
            teams.join(team.id, UserRef("terminal", "local", name), now=suite_now())
    code, out = await run_kartoitus(url, "round", "open", "--decision-date", suite_today().replace(day=1).isoformat(),
                                    *(arg for title in TEAMS for arg in ("--team", title)), "--responsible", "M")
    assert code == 0, out
    store = SqlStore(engine)

    def everyone_rates() -> None:
        for names, ratings in ((TEAMS["Autoala"], "44444444"), (TEAMS["Sähköala"], "11111111"),
                               (TEAMS["<b>Talo</b> =1+1"], "55555555")):
            for name in names:
                chat = Chat(store, load_instrument(), user=name, clock=FakeClock(current_clock().now()))
                rate_all(chat.send("/start"), ratings)
                chat.close()

    await asyncio.to_thread(everyone_rates)
    engine.dispose()

    code, markdown = await run_kartoitus(url, "report", "--format", "md")
    assert code == 0, markdown
    assert markdown.startswith("# Organisaation kuva")
    assert "Sähköala" in markdown and "\\<b\\>Talo" not in markdown and "&lt;b&gt;Talo&lt;/b&gt;" in markdown
    assert "1,0" not in markdown, "the one rater's figure is never shown"
    assert "Tavoitettavuus ja näkyvyys: 1 arvio alle kynnyksen jäävistä tiimeistä ei ole mukana" in markdown, \
        "counted, Sähköala's one rating would be 8 × mean − 3 × 4 − 4 × 5"
    assert "4,6 (n=7)" in markdown, "the organisation: (3 × 4 + 4 × 5) / 7"

    code, listed = await run_kartoitus(url, "report", "--format", "json")
    assert code == 0, listed
    figures = json.loads(listed)
    means = {(row["team"], row["point"]): row for row in figures
             if row["measure"] == "mean" and row["point"] == "tavoitettavuus"}
    assert means[("<b>Talo</b> =1+1", "tavoitettavuus")]["value"] == "5.0"
    assert means[("Sähköala", "tavoitettavuus")]["value"] == ""
    assert means[("Autoala", "tavoitettavuus")]["value"] == "4.0", "no shown team is blanked for a small one"
    left_out = [row for row in figures if row["measure"] == "left_out" and row["point"] == "tavoitettavuus"]
    assert [row["value"] for row in left_out] == ["1"]
    code, table = await run_kartoitus(url, "report", "--format", "csv")
    assert code == 0 and table.startswith("round,scope,team,point,measure,value,reason"), table

    picture, document = tmp_path / "heatmap.png", tmp_path / "report.pdf"
    for form, path in (("png", picture), ("pdf", document)):
        code, out = await run_kartoitus(url, "report", "--format", form, "--out", str(path))
        assert code == 0 and "Organisaation raportti kirjoitettiin" in out, out
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and len(picture.read_bytes()) > 20_000
    reader = PdfReader(io.BytesIO(document.read_bytes()))
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842), "A4"
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    assert all(title in text for title in ("Autoala", "Sähköala", "<b>Talo</b> =1+1"))
    assert "Asiakassuhteen ylläpito" in text
