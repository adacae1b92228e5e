"""The filled-in workbook reads as the team's own document, the same in Markdown, HTML and PDF.

Per critical point the guiding questions and laws (as the chat asked them), then the team's answers,
grouped as in the digest; the development targets the team chose, with who chose them explained;
the partnership levels as a section of their own (not under the targets), each with its questions;
the summary under its heading, without the question people were asked ("Kirjoita yhteenvetoon…").
"""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from bot.core.instrument import LANGUAGES, Instrument, pick
from bot.reports.workbook import Workbook, build_workbook, to_html, to_markdown, to_pdf
from tests.test_export_escaping import UNWANTED_ELEMENTS, Elements

POINT = "valmiudet"  # a point with laws
HOSTILE = "<script>alert(1)</script> [x](javascript:alert(2)) *vahva* | a |"
MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def people() -> list[dict[str, str | None]]:
    team: list[dict[str, str | None]] = []
    for index in range(5):
        team.append({
            "rate:valmiudet": "4", "priorities": f"{POINT},naytot" if index < 3 else f"{POINT},palaute",
            f"works:{POINT}": "Yhteinen kalenteri toimii." if index < 4 else "yhteinen kalenteri toimii",
            f"develop:{POINT}": HOSTILE, f"promise:{POINT}": f"Lupaus {index}",
            "level:arjen": f"Tapaamme ohjaajia, tapa {index}", "plan": "Sovitaan kalenterin käytöstä.",
        })
    return team


@pytest.fixture(scope="module")
def book() -> Workbook:
    from bot.shell.content import load_instrument

    return build_workbook(team="autoala", round_name="Syksy 2026", dates="1.11.2026–", invited=6, answers=people(),
                          instrument=load_instrument())


def headings(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("#")]


def section(markdown: str, heading: str) -> str:
    """The text under `heading` up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    after = markdown.split(heading + "\n", 1)[1]
    cut = [after.find(f"\n{'#' * n} ") for n in range(1, len(level) + 1)]
    ends = [index for index in cut if index >= 0]
    return after[:min(ends)] if ends else after


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_point_has_its_guiding_questions_and_laws_before_the_answers(
        instrument: Instrument, book: Workbook, language: str) -> None:
    markdown, page = to_markdown(book, instrument, language), to_html(book, instrument, language)
    guide = instrument.text(language, "workbook.guide")
    for point in instrument.points:
        part = section(markdown, f"## {point.number}. {pick(point.title, language)}")
        assert f"### {guide}\n" in part
        for item in point.guide:
            first = pick(item.question, language)
            assert first[:40] in part, (point.id, first)
            assert part.index(first[:40]) < part.index(f"### {pick(instrument.deepening['works'], language)}")
        for law in point.laws:
            assert pick(law, language) in part
        assert (pick(instrument.deepening["derived_note"], language) in part) is point.derived
    laws = instrument.point(POINT).laws
    assert laws and instrument.text(language, "workbook.laws", laws="; ".join(pick(law, language) for law in laws)) in \
        Elements(page).texts["p"]


def test_the_team_answers_are_grouped_with_their_count(instrument: Instrument, book: Workbook) -> None:
    markdown = to_markdown(book, instrument, "fi")
    point = instrument.point(POINT)
    part = section(markdown, f"## {point.number}. {point.title['fi']}")
    works = section(part, f"### {instrument.deepening['works']['fi']}")
    assert works.strip() == "- Yhteinen kalenteri toimii. (5)", "five writers, one line"
    assert markdown.count("alenteri toimii") == 1
    assert "Samat vastaukset on koottu yhteen" in markdown
    promise = [line for line in markdown.splitlines() if line.startswith("- Lupaus ")]
    assert sorted(promise) == [f"- Lupaus {n}" for n in range(5)], "different answers stay apart, no count"
    assert "- Sovitaan kalenterin käytöstä. (5)" in section(markdown, "## Yhteenveto: miten haluamme edetä")


def test_the_targets_say_who_chose_them(instrument: Instrument, book: Workbook) -> None:
    markdown = to_markdown(book, instrument, "fi")
    assert "Kaksi keskeisintä" not in markdown
    targets = section(markdown, "## Tiimin valitsemat kehittämiskohteet")
    assert "Osassa 1 jokainen vastaaja valitsi 2 kohtaa, joita haluaa kehittää." in targets
    assert "- Opiskelijan valmiudet: valinnut 5 vastaajaa\n- Näyttöjen laatu: valinnut 3 vastaajaa\n" \
           "- Kehittävä palaute: valinnut 2 vastaajaa" in targets
    assert "###" not in targets, "nothing nests under the targets"
    sv = to_markdown(book, instrument, "sv")
    assert ": valinnut" not in sv
    assert ": vald av 5 personer" in sv and ": vald av 2 personer" in sv
    assert ": chosen by 5 people" in to_markdown(book, instrument, "en")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_partnership_levels_are_a_section_of_their_own(instrument: Instrument, book: Workbook,
                                                           language: str) -> None:
    markdown = to_markdown(book, instrument, language)
    found = headings(markdown)
    partnership = f"## {instrument.text(language, 'workbook.partnership')}"
    targets = f"## {instrument.text(language, 'workbook.targets')}"
    assert partnership in found and targets in found
    start = found.index(partnership)
    levels = [f"### {pick(level.title, language)}" for level in instrument.levels]
    assert found[start + 1:start + 1 + len(levels)] == levels, "the levels right under their own heading"
    assert found.index(targets) < start and found[found.index(targets) + 1] == partnership
    everyday = section(markdown, levels[0])
    assert pick(instrument.levels[0].questions[0], language) in everyday
    assert instrument.text(language, "workbook.team_answers") in everyday
    assert "tapa 0" in everyday and "tapa 4" in everyday
    for level in instrument.levels:
        assert pick(level.record, language) not in markdown, "the invitation to write is not printed"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_instruction_is_printed_into_the_summary(instrument: Instrument, book: Workbook, language: str) -> None:
    markdown, page = to_markdown(book, instrument, language), to_html(book, instrument, language)
    question = pick(instrument.plan_question, language)
    assert question not in markdown and question not in page
    assert "Kirjoita yhteenvetoon" not in markdown
    summary = f"## {instrument.text(language, 'workbook.summary')}"
    assert headings(markdown)[-1] == summary, "the summary is the last section, under its heading"


@pytest.mark.parametrize("language", LANGUAGES)
def test_markdown_and_html_have_the_same_structure_and_escape_the_answers(instrument: Instrument, book: Workbook,
                                                                          language: str) -> None:
    markdown, page = to_markdown(book, instrument, language), to_html(book, instrument, language)
    rendered, ours = Elements(MARKDOWN.render(markdown)), Elements(page)
    for tag in ("h1", "h2", "h3", "ul", "li", "p"):
        assert rendered.tags.count(tag) == ours.tags.count(tag), tag
    assert rendered.texts["li"] == ours.texts["li"] and rendered.texts["p"] == ours.texts["p"]
    assert not set(UNWANTED_ELEMENTS) & set(rendered.tags) and not set(UNWANTED_ELEMENTS) & set(ours.tags)
    assert f"{HOSTILE} (5)" in ours.texts["li"] and f"{HOSTILE} (5)" in rendered.texts["li"]
    assert "<script" not in markdown and "<script" not in page


@pytest.mark.slow
def test_the_pdf_has_the_same_parts(instrument: Instrument, book: Workbook) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    text = " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(to_pdf(book, instrument, "fi"))).pages)
                    .split())
    for shown in ("Apukysymykset", "Lait ja säädökset: Laki ammatillisesta koulutuksesta",
                  "Tiimin valitsemat kehittämiskohteet", "Opiskelijan valmiudet: valinnut 5 vastaajaa",
                  "Kumppanuuden tasot", "Tiimin vastaukset:", "Yhteinen kalenteri toimii. (5)",
                  "<script>alert(1)</script>"):
        assert shown in text, shown
    assert "Kirjoita yhteenvetoon" not in text
