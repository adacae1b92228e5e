"""The team's entry of a discussed point in the workbook: its own section, after the individual results.

A team that discussed a critical point together has, under the point and after its individual
results, "Tiimin yhteinen keskustelu": how many took part (never who), the replies grouped under the
two deepening questions and "Muita ajatuksia", the agreed answer to the service promise and the
agreed actions. It is shown whatever the anonymity thresholds (written openly in the team's own
channel), it is escaped like every other text in Markdown, HTML and the PDF, and a point the team did
not discuss has no such section.
"""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from bot.core.discussions import TeamEntry
from bot.core.instrument import LANGUAGES, Instrument, pick
from bot.core.prompts import promise_question
from bot.reports.workbook import Workbook, build_workbook, result_rows, to_html, to_markdown, to_pdf
from tests.test_export_escaping import UNWANTED_ELEMENTS, Elements, as_shown

POINT = "valmiudet"
OTHER_POINT = "palaute"  # discussed too, with replies only
QUIET_POINT = "naytot"  # not discussed
SCRIPT = "<script>alert(1)</script>"
HERE = "<!here> kaikki paikalle"
BOLD = "*bold* ja _kalteva_"
LINK = "[x](javascript:alert(1))"
HEADING = "# Otsikko\n- lista\n1. kohta"
ENTRY = TeamEntry(point_id=POINT, participants=4,
                  works=("Yhteinen kalenteri toimii", SCRIPT),
                  develop=(HERE, LINK),
                  other=(BOLD, HEADING),
                  promise=f"Vastaamme päivässä {LINK}\n# ei otsikko",
                  actions=("Matti: päivitetään yhteystiedot, 31.1.", f"Liisa: {SCRIPT}", "# kokous 15.2."))
REPLIES_ONLY = TeamEntry(point_id=OTHER_POINT, participants=1, develop=("Palaute kerätään liian myöhään",))
MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def people() -> list[dict[str, str | None]]:
    """Two respondents: below every threshold, so only the team's entry shows any text."""
    return [{"rate:valmiudet": "4", f"works:{POINT}": "Yksin kirjoitettu", "plan": "Yksin"} for _ in range(2)]


def workbook(instrument: Instrument, entries: dict[str, TeamEntry] | None = None) -> Workbook:
    return build_workbook(team="autoala", round_name="Syksy 2026", dates="1.11.2026–", invited=6, answers=people(),
                          instrument=instrument, team_entries=entries if entries is not None else
                          {POINT: ENTRY, OTHER_POINT: REPLIES_ONLY})


def point_part(markdown: str, instrument: Instrument, point_id: str, language: str) -> str:
    """The Markdown of one critical point: from its heading to the next point's (or the targets')."""
    point = instrument.point(point_id)
    start = markdown.index(f"## {point.number}. ")
    end = markdown.find("\n## ", start + 1)
    return markdown[start:end if end >= 0 else None]


def team_part(markdown: str, language: str, instrument: Instrument) -> str:
    """The team's section of a point's Markdown: from its heading to the point's end."""
    heading = f"### {instrument.text(language, 'workbook.team_heading')}"
    return markdown[markdown.index(heading):]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_discussed_point_has_the_team_section_after_its_individual_results(
        instrument: Instrument, language: str) -> None:
    markdown = to_markdown(workbook(instrument), instrument, language)
    part = point_part(markdown, instrument, POINT, language)
    t = instrument.text
    heading = f"### {t(language, 'workbook.team_heading')}"
    assert part.count(heading) == 1
    question, _ = promise_question(instrument, POINT, language)
    individual = part.index(f"### {pick(instrument.deepening['works'], language)}")
    promise_individual = part.index(f"### {question}")
    team = part.index(heading)
    assert individual < promise_individual < team, "the team's entry comes after the individual results"
    ours = part[team:]
    assert t(language, "workbook.team_participants", members=4) in ours.replace("\n", " ")
    labels = [f"#### {pick(instrument.deepening['works'], language)}",
              f"#### {pick(instrument.deepening['develop'], language)}",
              f"#### {t(language, 'workbook.team_other')}",
              f"#### {t(language, 'workbook.team_promise', question=question)}",
              f"#### {t(language, 'workbook.team_actions')}"]
    positions = [ours.index(label) for label in labels]
    assert positions == sorted(positions), "works, develop, other, the promise, the actions"
    assert "- Yhteinen kalenteri toimii" in ours and "Matti: päivitetään yhteystiedot, 31.1." in ours
    assert "Vastaamme päivässä" in ours
    # nothing of the team's entry is mixed into the individual answers above it
    assert "Yhteinen kalenteri toimii" not in part[:team] and "Vastaamme" not in part[:team]


@pytest.mark.parametrize("language", LANGUAGES)
def test_empty_groups_are_left_out_and_a_point_not_discussed_has_no_team_section(
        instrument: Instrument, language: str) -> None:
    markdown = to_markdown(workbook(instrument), instrument, language)
    heading = f"### {instrument.text(language, 'workbook.team_heading')}"
    assert markdown.count(heading) == 2, "the two discussed points only"
    assert heading not in point_part(markdown, instrument, QUIET_POINT, language)
    replies_only = team_part(point_part(markdown, instrument, OTHER_POINT, language), language, instrument)
    assert replies_only.count("\n#### ") == 1, "only the group that has replies: no promise, no actions"
    assert f"#### {pick(instrument.deepening['develop'], language)}" in replies_only
    assert instrument.text(language, "workbook.team_participants", members=1) in replies_only.replace("\n", " ")
    plain = to_markdown(workbook(instrument, {}), instrument, language)
    assert heading not in plain and "####" not in plain
    assert to_markdown(build_workbook(team="autoala", round_name="Syksy 2026", dates="1.11.2026–", invited=6,
                                      answers=people(), instrument=instrument), instrument, language) == plain


def test_the_team_entry_is_shown_below_the_thresholds_but_individual_texts_are_not(instrument: Instrument) -> None:
    markdown = to_markdown(workbook(instrument), instrument, "fi")
    assert "Yksin kirjoitettu" not in markdown, "two writers: their own answers stay hidden"
    assert "Yhteinen kalenteri toimii" in markdown, "the team's replies were written openly together"


def test_markdown_shows_the_hostile_replies_as_typed_and_makes_no_element_of_them(instrument: Instrument) -> None:
    markdown = to_markdown(workbook(instrument), instrument, "fi")
    assert "<script" not in markdown and "<!here>" not in markdown
    page = Elements(MARKDOWN.render(markdown))
    assert not set(UNWANTED_ELEMENTS) & set(page.tags)
    ours = Elements(to_html(workbook(instrument), instrument, "fi"))
    for tag in ("h1", "h2", "h3", "h4", "ul", "li", "p"):
        assert page.tags.count(tag) == ours.tags.count(tag), f"as many <{tag}> as the workbook has: none from replies"
    items = page.texts["li"]
    for text in (*ENTRY.works, *ENTRY.develop, *ENTRY.other, *ENTRY.actions):
        assert as_shown(text) in items, text
    assert as_shown(ENTRY.promise or "") in page.texts["p"]


def test_html_shows_the_hostile_replies_as_text(instrument: Instrument) -> None:
    page = to_html(workbook(instrument), instrument, "fi")
    assert "<script" not in page and "<!here>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;!here&gt;" in page
    elements = Elements(page)
    assert not set(UNWANTED_ELEMENTS) & set(elements.tags)
    for text in (*ENTRY.works, *ENTRY.develop, *ENTRY.other, *ENTRY.actions):
        assert text in elements.texts["li"], text
    assert ENTRY.promise in elements.texts["p"]
    assert elements.tags.count("h4") == 6, "five groups of the first point, one of the second"


def test_the_team_section_holds_only_the_team_s_texts_and_no_names(instrument: Instrument) -> None:
    """Nothing is added to a reply (no author, no "— Anna"): a TeamEntry has no names to add."""
    for language in LANGUAGES:
        page = Elements(MARKDOWN.render(to_markdown(workbook(instrument), instrument, language)))
        question, _ = promise_question(instrument, POINT, language)
        intro = instrument.text(language, "workbook.team_participants", members=4)
        first = page.texts["p"].index(intro)
        replies = [as_shown(text) for text in (*ENTRY.works, *ENTRY.develop, *ENTRY.other, *ENTRY.actions)]
        start = page.texts["li"].index(replies[0])
        assert page.texts["li"][start:start + len(replies)] == replies, "the replies and actions, exactly as typed"
        assert page.texts["p"][first:first + 2] == [intro, as_shown(ENTRY.promise or "")], question


def test_result_rows_hold_the_team_entry(instrument: Instrument) -> None:
    rows = [(row["point"], row["measure"], row["value"]) for row in result_rows(workbook(instrument), instrument)
            if row["measure"].startswith("team_")]
    assert rows == [
        (POINT, "team_participants", "4"),
        *((POINT, "team_works", text) for text in ENTRY.works),
        *((POINT, "team_develop", text) for text in ENTRY.develop),
        *((POINT, "team_other", text) for text in ENTRY.other),
        (POINT, "team_promise", ENTRY.promise),
        *((POINT, "team_action", text) for text in ENTRY.actions),
        (OTHER_POINT, "team_participants", "1"),
        (OTHER_POINT, "team_develop", "Palaute kerätään liian myöhään"),
    ]
    assert not [row for row in result_rows(workbook(instrument, {}), instrument) if row["measure"].startswith("team_")]


def test_an_entry_of_an_unknown_point_is_left_out(instrument: Instrument) -> None:
    book = workbook(instrument, {"ei_ole": TeamEntry(point_id="ei_ole", participants=2, works=("x",))})
    assert book.team_entries == {}


@pytest.mark.slow
def test_the_pdf_shows_the_team_section_and_the_hostile_replies_as_text(instrument: Instrument) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    reader = PdfReader(BytesIO(to_pdf(workbook(instrument), instrument, "fi")))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    question, _ = promise_question(instrument, POINT, "fi")
    for shown in ("Tiimin yhteinen keskustelu", "keskusteluun osallistui 4 jäsentä", "Muita ajatuksia",
                  f"Tiimin sovittu vastaus: {question}", "Sovitut toimenpiteet", SCRIPT, "<!here> kaikki paikalle",
                  "*bold* ja _kalteva_", LINK, "# Otsikko", "# kokous 15.2.", "Liisa: <script>alert(1)</script>"):
        assert shown in text, shown
