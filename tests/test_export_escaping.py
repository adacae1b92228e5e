"""Every export is escaped for its own format: a hostile answer or team name is shown as typed, runs nothing.

Five people of a team whose name is itself hostile answer every open question (what works, what
to develop, the service promise, the four partnership levels, the summary) with markup, links,
spreadsheet formulas and Markdown block syntax. The coordinator's `kartoitus export` in md, html,
pdf, csv and json (team results and --raw) must show each answer as the literal text typed:
rendered Markdown and HTML make no element of it, a spreadsheet runs no formula, JSON parses back
to exactly what was written and is safe inside an HTML <script>. The chat digests (Slack mrkdwn,
Telegram HTML) are checked for the same answers.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from adapters.slack import outbound as slack_outbound
from adapters.telegram import outbound as telegram_outbound
from bot.core.commands import command_aliases
from bot.core.identity import ChannelRef, UserRef
from bot.core.messages import Notice
from bot.reports.digest import build_digest
from bot.reports.digest_text import digest_text
from bot.reports.export import json_text, spreadsheet_cell
from bot.reports.workbook import markdown_inline, markdown_text
from bot.shell.content import load_instrument
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams
from tests.bot.test_assessment_flow import rate_all
from tests.support.cli import run_kartoitus
from tests.support.clock import FakeClock, current_clock, suite_now, suite_today
from tests.support.conversation import Chat

pytestmark = pytest.mark.slow

TEAM = '=HYPERLINK("http://evil.example","T")<script>alert(5)</script>*Tiimi*|'
ROUND = "@SUM(1+1)<i>Syksy</i> [k](javascript:alert(6))"
HOSTILE = (
    "<script>alert(2)</script><img src=x onerror=alert(3)>",
    "[x](javascript:alert(1)) ![i](http://evil.example/x.png) <http://evil.example> <!channel>",
    '=HYPERLINK("http://evil.example","klikkaa") *vahva* _kalteva_ `koodi` ~~yli~~',
    "# Otsikko\n- lista\n1. kohta\n---\n| a | b |\n|---|---|",
    "+1 & &amp; </script> \\ kehitettävää @kaikki",
)
NAMES = ("anna", "bo", "cid", "dan", "eva")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])  # a permissive viewer
UNWANTED_ELEMENTS = ("script", "img", "a", "em", "strong", "code", "s", "table", "hr", "ol", "blockquote", "pre")


class Elements(HTMLParser):
    """The elements of an HTML page and the text of each <li>, <p>, <h2> and <title>."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.texts: dict[str, list[str]] = {"li": [], "p": [], "h2": [], "title": []}
        self._open: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in self.texts:
            self._open.append(tag)
            self.texts[tag].append("")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open:
            self.texts[self._open[-1]][-1] += data


def as_shown(text: str) -> str:
    """An answer as a Markdown list item shows it: a line break kept as a line break, each line trimmed."""
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())


def kartoitus(url: str, *args: str) -> str:
    code, out = asyncio.run(run_kartoitus(url, *args))
    assert code == 0, out
    return out


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """A finished round of five hostile writers, exported once in every format."""
    folder = tmp_path_factory.mktemp("exports")
    url = f"sqlite:///{folder / 'hostile.db'}"
    upgrade(url)
    engine = create_database_engine(url)
    teams = SqlTeams(engine)
    team = teams.register_team(ChannelRef("terminal", "local", TEAM.casefold()), TEAM, now=suite_now())
    for name in NAMES:
        teams.join(team.id, UserRef("terminal", "local", name), now=suite_now())
    kartoitus(url, "round", "open", "--decision-date", suite_today().replace(day=1).isoformat(), "--team", TEAM,
              "--responsible", "M", "--name", ROUND)
    store = SqlStore(engine)
    instrument = load_instrument()
    for name, hostile in zip(NAMES, HOSTILE, strict=True):
        chat = Chat(store, instrument, user=name, clock=FakeClock(current_clock().now()))
        rate_all(chat.send("/start"), "43215432").send("3 7")
        for _point in range(2):  # what works, what to develop, the service promise of points 3 and 7
            chat.send(hostile).send(hostile).send(hostile).expect("Kohta on valmis")
        chat.send("0").expect("Haluatko pohtia kumppanuuden").send("1")
        for _level in range(4):
            chat.send(hostile)
        chat.expect("Osio on valmis").send(hostile).expect("Kartoitus on valmis")
        chat.close()
    engine.dispose()
    paths = {name: folder / name for name in ("md", "html", "pdf", "csv", "json", "raw.csv", "raw.json")}
    for name in ("md", "html", "pdf", "csv", "json"):
        kartoitus(url, "export", "--format", name, "--team", TEAM, "--out", str(paths[name]))
    for name in ("csv", "json"):
        kartoitus(url, "export", "--format", name, "--raw", "--out", str(paths[f"raw.{name}"]))
    yield paths


def test_markdown_shows_every_hostile_answer_and_the_team_name_as_typed(exports: dict[str, Path]) -> None:
    source = exports["md"].read_text(encoding="utf-8")
    assert "<script" not in source and "<img" not in source
    page = Elements(MARKDOWN.render(source))
    assert not set(UNWANTED_ELEMENTS) & set(page.tags), "no element made of an answer"
    ours = Elements(exports["html"].read_text(encoding="utf-8"))
    for tag in ("h1", "h2", "h3", "ul", "li", "p"):
        assert page.tags.count(tag) == ours.tags.count(tag), f"as many <{tag}> as the workbook has: none from answers"
    shown = [text for text in page.texts["li"] if text in {as_shown(h) for h in HOSTILE}]
    # 2 points × 3 questions + 4 partnership levels + the summary, five writers each
    assert sorted(shown) == sorted(as_shown(h) for h in HOSTILE for _ in range(11))
    cover = page.texts["p"][0]
    assert f"Tiimi: {TEAM} · Kierros: {ROUND}" in cover


def test_html_and_pdf_show_every_hostile_answer_and_the_team_name_as_text(exports: dict[str, Path]) -> None:
    from pypdf import PdfReader

    source = exports["html"].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(2)&lt;/script&gt;&lt;img src=x onerror=alert(3)&gt;" in source
    assert "<script" not in source and "<img" not in source and "<i>" not in source
    page = Elements(source)
    assert not set(UNWANTED_ELEMENTS) & set(page.tags)
    assert page.texts["title"] == [f"{TEAM} · {ROUND}"]
    assert sorted(t for t in page.texts["li"] if t in HOSTILE) == sorted(h for h in HOSTILE for _ in range(11))

    text = "\n".join(p.extract_text() for p in PdfReader(exports["pdf"]).pages)
    for fragment in ("<script>alert(2)</script>", "[x](javascript:alert(1))", "*vahva* _kalteva_ `koodi`",
                     "| a | b |", "</script> \\ kehitettävää", "<i>Syksy</i>", "<script>alert(5)</script>*Tiimi*|"):
        assert fragment in text, fragment


def cells_are_safe(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for column, value in row.items():
            assert not value.startswith(FORMULA_STARTS), f"{column}: {value!r} would run as a formula"


def as_cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def test_csv_runs_no_formula_in_a_spreadsheet(exports: dict[str, Path]) -> None:
    results = list(csv.DictReader(io.StringIO(exports["csv"].read_text(encoding="utf-8"))))
    cells_are_safe(results)
    assert {row["team"] for row in results} == {as_cell(TEAM)} and {row["round"] for row in results} == {
        as_cell(ROUND)}
    texts = [row["value"] for row in results if row["measure"] in ("works", "develop", "promise", "answer", "plan")]
    assert sorted(texts) == sorted(as_cell(h) for h in HOSTILE for _ in range(11))

    raw = list(csv.DictReader(io.StringIO(exports["raw.csv"].read_text(encoding="utf-8"))))
    cells_are_safe(raw)
    assert {row["round_name"] for row in raw} == {as_cell(ROUND)}
    assert sorted(row["value"] for row in raw if row["part"] in ("2", "partnership", "plan")) == sorted(
        as_cell(h) for h in HOSTILE for _ in range(11))


def test_json_keeps_every_answer_exactly_and_is_safe_inside_html(exports: dict[str, Path]) -> None:
    for name in ("json", "raw.json"):
        source = exports[name].read_text(encoding="utf-8")
        assert "<" not in source and ">" not in source and "&" not in source, "safe inside a <script> element"
        assert "kehitettävää" in source, "Finnish letters stay readable"
        rows = json.loads(source)
        values = [row["value"] for row in rows if row.get("measure", row.get("part")) in
                  ("works", "develop", "promise", "answer", "plan", "2", "partnership")]
        assert sorted(values) == sorted(h for h in HOSTILE for _ in range(11)), name
    assert {row["team"] for row in json.loads(exports["json"].read_text(encoding="utf-8"))} == {TEAM}
    assert {row["round_name"] for row in json.loads(exports["raw.json"].read_text(encoding="utf-8"))} == {ROUND}


# --- the escaping functions on their own -----------------------------------------------------------


@pytest.mark.parametrize("text", [
    *HOSTILE, "Hienoa! (5) – 3,5/5 ok.", "**x**", "__x__", "[viite]: http://evil.example", "[^1]", "&#x3C;b&#x3E;",
    "===", "***", "___", "    koodia", "> lainaus", "+ plus", "2) kaksi", "<!-- kommentti -->", "rivi\\",
    "a\n\n\nb", "x\x00y\x1b[31m\x7f", "<b>\u0000</b>",
])
def test_a_markdown_list_item_shows_the_text_as_typed(text: str) -> None:
    page = Elements(MARKDOWN.render(f"- {markdown_text(text, indent='  ')}\n"))
    assert [tag for tag in page.tags if tag != "br"] == ["ul", "li"], "one list item, only our line breaks"
    expected = "\n".join(line.strip() for line in text.replace("\x00", "").replace("\x1b", "").replace("\x7f", "")
                         .split("\n") if line.strip())
    assert page.texts["li"] == [expected]


def test_a_markdown_heading_and_paragraph_stay_one_block() -> None:
    heading = "Tiimi *x* <b>|</b> [a](b) #"
    page = Elements(MARKDOWN.render(f"## {markdown_inline(heading)}\n\n{markdown_text(TEAM)}\n"))
    assert page.tags == ["h2", "p"] and page.texts["h2"] == [heading] and page.texts["p"] == [TEAM]


def test_spreadsheet_cells_and_json_text() -> None:
    assert [spreadsheet_cell(v) for v in ("=1+1", "+1", "-1", "@A1", "\tx", "\rx", "\x00=1", "ok", 7)] == [
        "'=1+1", "'+1", "'-1", "'@A1", "'\tx", "'\nx", "'=1", "ok", 7]
    text = json_text({"a": "</script><b>&\u2028\u2029ä\ud800"})
    assert json.loads(text) == {"a": "</script><b>&\u2028\u2029ä\ud800"}
    assert "</" not in text and "\u2028" not in text and "ä" in text
    text.encode("utf-8")  # a lone surrogate is written as an escape, so the file can be written


# --- the chat digests ------------------------------------------------------------------------------


def digest_notice() -> Notice:
    instrument = load_instrument()
    ratings = {f"rate:{point}": "4" for point in instrument.point_ids}
    answers = [{**ratings, "priorities": "ennakkosuunnittelu,naytot", "works:ennakkosuunnittelu": hostile,
                "develop:ennakkosuunnittelu": hostile} for hostile in HOSTILE]
    digest = build_digest(team=TEAM, round_name=ROUND, invited=5, answers=answers, instrument=instrument)
    heading, text = digest_text(digest, instrument, "fi")
    assert "<script>alert(2)</script>" in text, "the digest quotes the answers"
    return Notice(to=ChannelRef("slack", "T1", "C1"), heading=heading, text=text)


def test_the_slack_digest_pings_nobody_and_runs_nothing() -> None:
    notice = digest_notice()
    calls = slack_outbound.render(notice, load_instrument().text, slack_outbound.CommandStyle(
        command_aliases(load_instrument()).keys()))
    sent = json.dumps([call.params for call in calls], ensure_ascii=False)
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in sent and "&lt;!channel&gt;" in sent
    assert "<script" not in sent and "<!channel>" not in sent and "<http" not in sent
    assert "&lt;script&gt;alert(5)&lt;/script&gt;" in sent, "the team name too"


def test_the_telegram_digest_runs_nothing() -> None:
    notice = digest_notice()
    calls = telegram_outbound.render(Notice(to=ChannelRef("telegram", "1", "-100"), heading=notice.heading,
                                            text=notice.text))
    sent = "".join(call.params["text"] for call in calls)
    assert all(call.params.get("parse_mode") == "HTML" for call in calls)
    assert "&lt;script&gt;alert(2)&lt;/script&gt;&lt;img src=x onerror=alert(3)&gt;" in sent
    assert "&lt;script&gt;alert(5)&lt;/script&gt;" in sent and "<script" not in sent and "<img" not in sent
