"""The service promise is the organisation's own content; derived guiding questions say they are derived.

Without a configured promise the question is answerable as it is (no booklet to look up); with one,
the question shows it ("Palvelulupauksemme: …"), in the chat and in the filled-in workbook. The
content check wants every language of a promise and a question that fits one message.
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from adapters.slack.capabilities import CAPABILITIES as SLACK
from adapters.telegram.capabilities import CAPABILITIES as TELEGRAM
from bot.core.instrument import LANGUAGES, Instrument
from bot.core.prompts import promise_question
from bot.reports.workbook import build_workbook, to_html, to_markdown
from bot.shell.content import SHIPPED_CONTENT_DIR, load_instrument
from bot.shell.content_check import check_content
from storage.memory_store import MemoryStore
from tests.support.conversation import Chat

PLATFORMS = (TELEGRAM, SLACK)
OPEN_FI = "Mitä lupaatte tässä asiassa työelämäkumppaneillenne ja miten pidätte lupauksenne?"
BOOKLET = ("Löydät", "oppaasta", "Kahdeksan starttia", "Guide", "Osa 2:", "del 2:", "part 2:", "starter")
OURS = {"fi": "Vastaamme työpaikan yhteydenottoon kahden työpäivän kuluessa.",
        "sv": "Vi svarar på en arbetsplats kontakt inom två arbetsdagar.",
        "en": "We answer a workplace's enquiry within two working days."}
DEMONSTRATIONS = {"fi": "Näyttö suunnitellaan aina yhdessä työpaikan kanssa.",
                  "sv": "Yrkesprovet planeras alltid tillsammans med arbetsplatsen.",
                  "en": "Each demonstration is planned together with the workplace."}


def set_promise(folder: Path, promise: object) -> None:
    path = folder / "instrument.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["service_promise"] = promise
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_CONTENT_DIR, tmp_path / "content"))


@pytest.fixture
def promised(copy: Path) -> Instrument:
    set_promise(copy, {"default": OURS, "naytot": DEMONSTRATIONS})
    return load_instrument(copy)


@pytest.fixture
def chat_with(store: MemoryStore) -> Iterator[Callable[[Instrument], Chat]]:
    chats: list[Chat] = []

    def make(instrument: Instrument) -> Chat:
        chats.append(Chat(store, instrument))
        return chats[-1]

    yield make
    for chat in chats:
        chat.close()


def to_part2(chat: Chat, targets: str = "3 7") -> Chat:
    chat.send("/start")
    for rating in "43215432":
        chat.send(rating)
    return chat.send(targets).expect("Osa 1 on valmis")


def test_none_is_shipped_and_the_default_question_needs_no_booklet(instrument: Instrument, chat: Chat) -> None:
    assert instrument.service_promise == {}
    for point in instrument.points:
        assert instrument.promise_for(point.id) is None
        for language in LANGUAGES:
            question, shown = promise_question(instrument, point.id, language)
            assert shown == () and question == instrument.deepening["promise_open"][language]
            assert not any(word in question for word in BOOKLET), question
    assert instrument.deepening["promise_open"]["fi"] == OPEN_FI
    for texts in instrument.deepening.values():
        assert not any(word in text for text in texts.values() for word in BOOKLET)
    to_part2(chat).send("Toimii.").send("Kehitettävää.")
    chat.expect("Osa 2 · 3. Yhteinen ennakkosuunnittelu", OPEN_FI).expect_not("Palvelulupauksemme", *BOOKLET)


def test_a_configured_promise_is_shown_with_the_workbooks_question(promised: Instrument,
                                                                  chat_with: Callable[[Instrument], Chat]) -> None:
    chat = to_part2(chat_with(promised)).send("Toimii.").send("Kehitettävää.")
    chat.expect("Osa 2 · 3. Yhteinen ennakkosuunnittelu", f"Palvelulupauksemme: {OURS['fi']}",
                "Miten lunastatte palvelulupauksen?").expect_not(OPEN_FI, DEMONSTRATIONS["fi"])
    chat.send("Vastaamme aina ajoissa.").expect("Kohta on valmis")
    chat.send("Toimii.").send("Kehitettävää.")
    chat.expect("Osa 2 · 7. Näyttöjen laatu", f"Palvelulupauksemme: {DEMONSTRATIONS['fi']}",
                "Miten lunastatte palvelulupauksen?").expect_not(OURS["fi"])
    chat.send("/kieli sv").expect(f"Vårt servicelöfte: {DEMONSTRATIONS['sv']}", "Hur uppfyller ni servicelöftet?")
    chat.send("/language en").expect(f"Our service promise: {DEMONSTRATIONS['en']}",
                                     "How do you keep the service promise?")


def test_a_point_of_its_own_without_a_default(copy: Path) -> None:
    set_promise(copy, {"default": None, "naytot": DEMONSTRATIONS})
    instrument = load_instrument(copy)
    assert instrument.promise_for("ennakkosuunnittelu") is None, "an empty entry is no promise"
    assert promise_question(instrument, "naytot", "en") == (
        "How do you keep the service promise?", (f"Our service promise: {DEMONSTRATIONS['en']}",))
    assert promise_question(instrument, "palaute", "sv")[0] == instrument.deepening["promise_open"]["sv"]
    assert check_content(copy, PLATFORMS) == []


def test_the_workbook_shows_the_promise_or_the_open_question(instrument: Instrument, promised: Instrument) -> None:
    answers = [{"priorities": "ennakkosuunnittelu,naytot", "promise:ennakkosuunnittelu": f"Pidetään {n}"}
               for n in range(5)]
    for content, fi_line in ((instrument, OPEN_FI), (promised, f"Palvelulupauksemme: {OURS['fi']}")):
        book = build_workbook(team="autoala", round_name="Syksy 2026", dates="1.11.2026–", invited=5,
                              answers=answers, instrument=content)
        markdown, page = to_markdown(book, content, "fi"), to_html(book, content, "fi")
        assert fi_line in markdown and fi_line in page
        assert "Pidetään 4" in markdown
        assert not any(word in markdown for word in BOOKLET)
    book = build_workbook(team="autoala", round_name="Syksy 2026", dates="1.11.2026–", invited=5,
                          answers=answers, instrument=promised)
    naytot = to_markdown(book, promised, "sv").split("## 7. ", 1)[1]
    assert "### Hur uppfyller ni servicelöftet?" in naytot and f"Vårt servicelöfte: {DEMONSTRATIONS['sv']}" in naytot


def test_the_content_check_wants_every_language_of_a_promise(copy: Path) -> None:
    set_promise(copy, {"default": {"fi": OURS["fi"], "en": OURS["en"]}, "naytot": {"fi": DEMONSTRATIONS["fi"]}})
    problems = [str(problem) for problem in check_content(copy, PLATFORMS)]
    assert "instrument.yaml: service_promise.default.sv: missing translation (sv)" in problems
    assert "instrument.yaml: service_promise.naytot.sv: missing translation (sv)" in problems
    assert "instrument.yaml: service_promise.naytot.en: missing translation (en)" in problems
    assert len(problems) == 3


def test_the_content_check_rejects_unknown_points_and_wrong_shapes(copy: Path) -> None:
    set_promise(copy, {"näytöt": OURS, "naytot": "Vain suomeksi"})
    text = "\n".join(str(problem) for problem in check_content(copy, PLATFORMS))
    assert "instrument.yaml: service_promise.näytöt: unknown critical point 'näytöt'" in text
    assert "tavoitettavuus" in text, "the message names the ids there are"
    assert "instrument.yaml: service_promise.naytot: expected a mapping" in text
    set_promise(copy, ["not", "a", "mapping"])
    assert [str(p) for p in check_content(copy, PLATFORMS)] == ["instrument.yaml: service_promise: expected a mapping"]


def test_the_content_check_rejects_a_promise_too_long_for_one_message(copy: Path) -> None:
    long = {language: text + " " + "Lisäksi lupaamme paljon muuta. " * 100 for language, text in OURS.items()}
    set_promise(copy, {"default": OURS, "naytot": long})
    problems = [str(problem) for problem in check_content(copy, PLATFORMS)]
    assert problems, "about 3,100 characters do not fit a Slack section"
    assert all(p.startswith("instrument.yaml: service_promise.naytot.") for p in problems), problems
    assert any("a slack message holds at most 3000" in p for p in problems)
    assert not any("telegram" in p for p in problems), "Telegram takes 4,096"
    set_promise(copy, {"default": long})
    problems = [str(problem) for problem in check_content(copy, PLATFORMS)]
    assert len(problems) == 3, "a default shown at every point is reported once per language"


def test_derived_points_say_their_questions_are_derived_in_the_chat(instrument: Instrument, chat: Chat) -> None:
    note = instrument.deepening["derived_note"]
    assert [p.id for p in instrument.points if p.derived] == ["siirtymat", "asiakassuhde"]
    to_part2(chat, "5 8").expect("Osa 2 · 5. Siirtymät, poikkeustilanteet").expect_not(note["fi"])
    chat.send("/apukysymykset").expect(note["fi"], "häirintää", "koulutussopimuksesta oppisopimukseen")
    chat.send("/kieli sv").send("/stodfragor").expect(note["sv"]).send("/language en").send("/guide").expect(note["en"])
    chat.send("/kieli fi").send("/ohita").send("/ohita").send("/ohita").expect("Kohta on valmis")
    chat.expect("Osa 2 · 8. Asiakassuhteen ylläpito").send("/apukysymykset").expect(note["fi"], "työelämäpalautteen")
    chat.send("/ohita").send("/ohita").send("/ohita").send("3")
    chat.expect("Osa 2 · 3. Yhteinen ennakkosuunnittelu").send("/apukysymykset").expect_not(note["fi"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_derived_points_say_so_in_the_workbook(instrument: Instrument, language: str) -> None:
    book = build_workbook(team="autoala", round_name="Syksy 2026", dates="1.11.2026–", invited=1, answers=[],
                          instrument=instrument)
    note = instrument.deepening["derived_note"][language]
    markdown, page = to_markdown(book, instrument, language), to_html(book, instrument, language)
    sections = {point.id: markdown.split(f"## {point.number}. ", 1)[1].split("\n## ", 1)[0]
                for point in instrument.points}
    for point in instrument.points:
        assert (note in sections[point.id]) == point.derived, point.id
    for point_id in ("siirtymat", "asiakassuhde"):
        for item in instrument.point(point_id).guide:
            assert f"- {item.question[language]}" in sections[point_id]
            assert all(detail[language] in sections[point_id] for detail in item.details)
    assert page.count(f"<p>{html.escape(note)}</p>") == 2


def test_the_workbook_wording_fixes_hold(instrument: Instrument) -> None:
    def texts(node: object) -> Iterator[str]:
        if isinstance(node, dict):
            for value in node.values():
                yield from texts(value)
        elif isinstance(node, list):
            for value in node:
                yield from texts(value)
        elif isinstance(node, str):
            yield node

    owned = [SHIPPED_CONTENT_DIR / "instrument.yaml", SHIPPED_CONTENT_DIR / "partnership.yaml",
             *sorted((SHIPPED_CONTENT_DIR / "points").glob("*.yaml"))]
    everything = [text for path in owned for text in texts(yaml.safe_load(path.read_text(encoding="utf-8")))]
    for wrong in ("ulkomailta", "Tutkinnonosa", "tutkinnonosa", "palautteenantaj", "tasoon löytyy",
                  "utvecklingsobjekt", "introduceras till", "Guide för god service", "Guide to Good Service",
                  "Works excellently", "Fungerar svagt"):
        assert not any(wrong in text for text in everything), wrong
    assert "Jokaiseen kumppanuuden tasoon liittyy" in instrument.partnership_intro["fi"]
    assert all(source.startswith("Hyvän palvelun opas") for source in instrument.source.values())
    for point in instrument.points:
        details = [detail["fi"] for item in point.guide for detail in item.details]
        assert len(details) == len(set(details)), f"{point.id} asks a detail question twice"
        assert not any(text.startswith("Työlainsäädäntö") for text in details), "a list of laws is no question"
    lawful = instrument.point("valmiudet").guide[0].details
    assert [detail["fi"].count("(Työlainsäädäntö") for detail in lawful] == [1], "the laws in brackets, as printed"
    abroad = next(item for item in instrument.point("naytot").guide if "ulkomailla" in item.question["fi"])
    assert abroad.details == ()
    assert any("henkilökohtaistaminen" in detail["fi"] for item in instrument.point("naytot").guide
               for detail in item.details)
    labels = {option.value: option.label for option in instrument.scale}
    assert labels["5"]["en"] == "5 Works very well" and labels["2"]["sv"] == "2 Fungerar dåligt"
