"""A single open answer is never quoted alone: the threshold counts who answered each question.

Five people wrote on a critical point, all five on what works and on the service promise, but only
one on what to develop. That one answer must appear nowhere (not in the digest as Slack or
Telegram shows it, not in the workbook as Markdown, HTML or rows); the digest says how many wrote.
"""

from __future__ import annotations

import json

import pytest

from adapters.slack.outbound import CommandStyle
from adapters.slack.outbound import render as slack_render
from adapters.telegram.outbound import render as telegram_render
from bot.core.commands import command_aliases
from bot.core.identity import ChannelRef
from bot.core.instrument import Instrument
from bot.core.messages import Notice
from bot.reports.digest import TeamDigest, build_digest
from bot.reports.digest_text import digest_text
from bot.reports.workbook import Workbook, build_workbook, result_rows, to_html, to_markdown

POINT = "ennakkosuunnittelu"
LONELY = "Ainoa kehitysajatus koko tiimissa"
WORKS = [f"Toimiva kaytanto numero {n}" for n in range(1, 6)]
PROMISE = [f"Lupaus pidetaan tavalla {n}" for n in range(1, 6)]


def people() -> list[dict[str, str | None]]:
    team: list[dict[str, str | None]] = []
    for index in range(5):
        person: dict[str, str | None] = {"rate:tavoitettavuus": "4", "priorities": f"{POINT},naytot",
                                         f"works:{POINT}": WORKS[index], f"promise:{POINT}": PROMISE[index]}
        if index == 0:
            person[f"develop:{POINT}"] = LONELY
        else:
            person[f"develop:{POINT}"] = None  # skipped on purpose: it does not count as writing
        team.append(person)
    return team


def digest(instrument: Instrument, **options: object) -> TeamDigest:
    return build_digest(team="autoala", round_name="Syksy 2026", invited=6, answers=people(),
                        instrument=instrument, **options)  # type: ignore[arg-type]


def workbook(instrument: Instrument) -> Workbook:
    return build_workbook(team="autoala", round_name="Syksy 2026", dates="1.11.2026–", invited=6,
                          answers=people(), instrument=instrument)


def test_the_one_answer_to_a_question_is_left_out_and_the_others_are_shown(instrument: Instrument) -> None:
    planning = digest(instrument).open_answers[0]
    assert planning.point_id == POINT and planning.writers == 5, "five wrote on the point"
    assert planning.counts == (5, 1, 5)
    assert planning.develop == (), "one person's answer is not a list"
    assert sorted(planning.works) == WORKS and sorted(planning.promise) == PROMISE


@pytest.mark.parametrize(("language", "hidden_line", "works_label"), [
    ("fi", "Mitä kehitettävää: vastaukset näytetään, kun vähintään 5 vastaajaa on vastannut tähän kysymykseen (nyt 1).",
     "Mikä toimii:"),
    ("sv", "Vad ska utvecklas: svaren visas när minst 5 personer har svarat på den här frågan (nu 1).",
     "Vad fungerar:"),
    ("en", "What to develop: the answers are shown once at least 5 people have answered this question (now 1).",
     "What works:"),
])
def test_the_digest_says_how_many_wrote_instead_of_quoting(instrument: Instrument, language: str, hidden_line: str,
                                                           works_label: str) -> None:
    _, text = digest_text(digest(instrument), instrument, language)
    assert LONELY not in text
    assert hidden_line in text
    assert works_label in text and all(f"• {answer}" in text for answer in WORKS + PROMISE)
    develop_label = instrument.text(language, "digest.develop") + ":\n"
    assert develop_label not in text, "no heading of an empty list"


def _notice(instrument: Instrument, channel: ChannelRef) -> Notice:
    heading, text = digest_text(digest(instrument), instrument, "fi")
    return Notice(to=channel, heading=heading, text=text, language="fi")


def test_slack_and_telegram_show_the_digest_without_the_lonely_answer(instrument: Instrument) -> None:
    slack = slack_render(_notice(instrument, ChannelRef("slack", "T1", "C0AUTO")), instrument.text,
                         CommandStyle(command_aliases(instrument)))
    telegram = telegram_render(_notice(instrument, ChannelRef("telegram", "bot", "-100901")))
    for calls in (slack, telegram):
        sent = json.dumps([call.params for call in calls], ensure_ascii=False)
        assert LONELY not in sent
        assert "(nyt 1)" in sent and all(answer in sent for answer in WORKS + PROMISE)


def test_the_workbook_leaves_out_the_lonely_answer_in_every_format(instrument: Instrument) -> None:
    book = workbook(instrument)
    markdown, page = to_markdown(book, instrument, "fi"), to_html(book, instrument, "fi")
    rows = json.dumps(result_rows(book, instrument), ensure_ascii=False)
    for shown in (markdown, page, rows):
        assert LONELY not in shown
        assert all(answer in shown for answer in WORKS + PROMISE)
    point = instrument.point(POINT)
    heading = f"## {point.number}. {point.title['fi']}\n"
    section = markdown.split(heading, 1)[1].split("\n## ", 1)[0]  # this point's part of the workbook
    develop = section.split(f"### {instrument.deepening['develop']['fi']}\n", 1)[1].split("\n###", 1)[0]
    assert develop.strip() == "- Vastaukset näytetään, kun vähintään 5 vastaajaa on vastannut.", \
        "the list says it is hidden, not that nobody answered"
    works = section.split(f"### {instrument.deepening['works']['fi']}\n", 1)[1].split("\n###", 1)[0]
    assert sorted(line.removeprefix("- ") for line in works.strip().splitlines()) == WORKS
    assert "<li>Vastaukset näytetään, kun vähintään 5 vastaajaa on vastannut.</li>" in page


def test_a_point_with_five_writers_but_no_list_of_five_shows_no_answer(instrument: Instrument) -> None:
    spread = [{"priorities": f"{POINT},naytot", f"{kind}:{POINT}": f"Vastaus {index}"}
              for index, kind in enumerate(("works", "works", "develop", "develop", "promise"))]
    result = build_digest(team="autoala", round_name="Syksy 2026", invited=5, answers=spread, instrument=instrument)
    planning = result.open_answers[0]
    assert planning.writers == 5 and planning.counts == (2, 2, 1)
    assert planning.works == planning.develop == planning.promise == ()
    _, text = digest_text(result, instrument, "fi")
    assert "Vastaus" not in text
    shown = "vastaukset näytetään, kun vähintään 5 vastaajaa on vastannut tähän kysymykseen"
    assert f"Mikä toimii: {shown} (nyt 2)." in text
    assert f"Palvelulupaus: {shown} (nyt 1)." in text


def test_a_lower_configured_threshold_applies_to_each_list_too(instrument: Instrument) -> None:
    planning = digest(instrument, min_texts=2).open_answers[0]
    assert planning.develop == (), "one writer is below any threshold (never below 2)"
    assert len(planning.works) == 5
