"""Pause and resume, going back, changing answers, help, and the hub and partnership choices."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.instrument import Instrument
from storage.memory_store import MemoryStore
from tests.bot.test_assessment_flow import rate_all
from tests.support.conversation import Chat


def finish_part1(chat: Chat, targets: str = "3 7") -> Chat:
    return rate_all(chat.send("/start")).send(targets)  # part 2's first question comes at once


def test_pause_and_resume_where_the_person_left_off(chat: Chat) -> None:
    chat.send("/start").send("4").send("3")
    chat.send("/tauko").expect("Tauko. Vastauksesi on tallennettu", "/jatka")
    chat.send("/tauko").expect("Olet jo tauolla")
    chat.send("/jatka").expect("Tervetuloa takaisin", "Osa 1 · 3/8 Yhteinen ennakkosuunnittelu")
    chat.send("/pause").expect("Tauko")
    chat.send("hei taas").expect("Tervetuloa takaisin", "3/8")
    chat.send("/resume").expect("3/8")
    chat.send("/start").expect("Tervetuloa takaisin", "3/8")


def test_pausing_from_the_menu_between_points_resumes_at_that_menu(chat: Chat) -> None:
    chat.send("/start")
    for rating in "43215":
        chat.send(rating)
    chat.expect("Osa 1 · 6/8").expect_not("Jatketaanko")  # no break offer inside part 1
    chat.send("/tauko").send("/jatka").expect("Tervetuloa takaisin", "Osa 1 · 6/8")
    chat.send("4").send("3").send("2").send("3 7").expect("Osa 1 on valmis", "Mikä meillä jo toimii?")
    for _ in range(2):
        chat.send("/ohita").send("/ohita").send("/ohita")
    chat.expect("Kohta on valmis: 2/2 valitsemaasi kohtaa.", "Pidä tauko")
    menu = chat.prompt.prompt_id
    chat.send("Pidä tauko").expect("Tauko")
    chat.send("/jatka").expect("Tervetuloa takaisin", "Haluatko syventää").expect_not("Jatketaanko", "tauon")
    # The menu shown before the break asks the same question as the one shown after it: its buttons still work.
    chat.press("pause", prompt_id=menu).expect("Tauko").expect_not("jo vastattu")
    chat.send("/jatka").expect("Haluatko syventää")
    chat.press("pause").expect("Tauko")
    chat.send("/aloita").expect("Tervetuloa takaisin", "Haluatko syventää").send("0")
    chat.expect("Haluatko pohtia kumppanuuden", "Pidä tauko").press("pause").expect("Tauko")
    chat.send("/jatka").expect("Haluatko pohtia kumppanuuden")


def test_back_goes_one_step_and_shows_the_current_answer(chat: Chat, store: MemoryStore) -> None:
    chat.send("/takaisin").expect("Tervetuloa")  # before starting, any command starts
    chat.send("/takaisin").expect("Olet ensimmäisessä kysymyksessä", "1/8")
    chat.send("4").send("2").send("/takaisin").expect("Osa 1 · 2/8", "Toimii heikosti   ← valittuna nyt")
    chat.send("5").expect("Osa 1 · 3/8")
    chat.send("/back").expect("2/8", "Toimii erinomaisesti   ← valittuna nyt")
    answers = {row.question: row.value for row in store.export_rows()}
    assert answers["rate:valmiudet"] == "5"


def test_back_in_part2_and_keeping_an_open_answer(chat: Chat, store: MemoryStore) -> None:
    finish_part1(chat).send("Toimii hyvin.").expect("Missä meillä on vielä kehitettävää?")
    chat.send("/takaisin").expect("Mikä meillä jo toimii?", "Nykyinen vastauksesi: Toimii hyvin.",
                                  "Pidä ennallaan")
    chat.send("/ohita").expect("Missä meillä on vielä kehitettävää?")
    answers = {row.question: row.value for row in store.export_rows()}
    assert answers["works:ennakkosuunnittelu"] == "Toimii hyvin."


def test_any_answer_can_be_changed_and_the_person_returns(chat: Chat, store: MemoryStore) -> None:
    chat.send("/muuta").expect("Tervetuloa")
    chat.send("/muuta").expect("Et ole vielä vastannut mihinkään")
    finish_part1(chat).send("Toimii.")
    chat.send("/muuta").expect("Mitä vastausta haluat muuttaa?", "Osa 1: Tavoitettavuus ja näkyvyys",
                               "Kehittämiskohteet", "Osa 2: Yhteinen ennakkosuunnittelu", "Peruuta")
    chat.send("Osa 1: Tavoitettavuus ja näkyvyys").expect("Osa 1 · 1/8", "Toimii hyvin   ← valittuna nyt")
    chat.send("1").expect("Muutos tallennettu", "Missä meillä on vielä kehitettävää?")
    chat.send("/edit").send("Peruuta").expect("Missä meillä on vielä kehitettävää?")
    chat.send("/muuta").press("works:ennakkosuunnittelu").expect("Nykyinen vastauksesi: Toimii.")
    chat.send("Toimii paremmin.").expect("Missä meillä on vielä kehitettävää?")
    chat.send("/ohita").send("/ohita").expect("Muutos tallennettu", "Missä meillä on vielä kehitettävää?")
    answers = {row.question: row.value for row in store.export_rows()}
    assert answers["rate:tavoitettavuus"] == "1"
    assert answers["works:ennakkosuunnittelu"] == "Toimii paremmin."


def test_changing_the_targets_reorders_part2(chat: Chat) -> None:
    finish_part1(chat, "3 7").send("/muuta").send("Kehittämiskohteet")
    chat.expect("Yhteinen ennakkosuunnittelu   ← valittuna nyt", "Näyttöjen laatu   ← valittuna nyt")
    chat.send("1 2").expect("Muutos tallennettu", "Osa 2 · 3. Yhteinen ennakkosuunnittelu")


def test_help_unknown_commands_and_answers(chat: Chat) -> None:
    chat.send("/ohje").expect("Ohje", "/tauko – Pidä tauko", "/jatka", "/takaisin", "/kieli", "/muuta")
    chat.send("/start").send("4")
    chat.send("/kahvi").expect("En tunne komentoa /kahvi", "/ohje – Näytä tämä ohje")
    chat.send("/vastaukset").expect("Vastauksesi", "Tavoitettavuus ja näkyvyys: 4 Toimii hyvin",
                                    "Opiskelijan valmiudet: ei vielä vastattu")
    chat.send("/help").expect("Ohje")


def test_hub_offers_the_other_points_after_the_chosen_two(chat: Chat) -> None:
    finish_part1(chat)
    for _ in range(2):
        chat.send("/ohita").send("/ohita").send("/ohita")
    chat.expect("Kohta on valmis: 2/2 valitsemaasi kohtaa.", "Haluatko syventää vielä jonkin muun")
    chat.send("Tavoitettavuus ja näkyvyys").expect("Osa 2 · 1. Tavoitettavuus")
    chat.send("a").send("b").send("c").expect("Kohta on valmis.", "Haluatko syventää vielä jonkin muun")
    chat.expect_not("valitsemaasi")
    chat.send("Siirry eteenpäin").send("Ohita tämä osio").expect("Vastauksesi", "Yhteenveto")


def test_deepening_every_point_skips_the_hub(chat: Chat, instrument: Instrument) -> None:
    finish_part1(chat)
    for _ in range(2):
        chat.send("x").send("y").send("z")
    for number in range(6):
        chat.press(chat.prompt.options[0].value).send("x").send("y").send("z")  # type: ignore[union-attr]
        if number < 5:
            chat.expect("Haluatko syventää vielä jonkin muun")
    chat.expect("Haluatko pohtia kumppanuuden neljää tasoa?")
    chat.send("2").expect("Kirjoita yhteenvetoon")
    chat.send("/takaisin").expect("Mitä lupaatte tässä asiassa työelämäkumppaneillenne ja miten pidätte lupauksenne?",
                                  "Pidä ennallaan")
    chat.send("/ohita").expect("Kohta on valmis.", "Haluatko pohtia kumppanuuden")


def test_after_partnership_answers_the_hub_moves_on_to_the_plan(chat: Chat) -> None:
    finish_part1(chat)
    for _ in range(2):
        chat.send("x").send("y").send("z")
    chat.send("0").send("1").send("a").send("b").send("c").send("d").expect("Osio on valmis", "Kirjoita yhteenvetoon")
    chat.send("/muuta").send("Osa 2: Yhteinen ennakkosuunnittelu").send("/ohita").send("/ohita").send("/ohita")
    chat.expect("Muutos tallennettu", "Kirjoita yhteenvetoon")
    chat.send("/takaisin").send("/takaisin").send("/takaisin").expect("Mikä meillä jo toimii?")
    chat.send("/ohita").send("/ohita").send("/ohita").expect("Kohta on valmis")
    chat.send("Siirry eteenpäin").expect("Kirjoita yhteenvetoon")


def test_pause_when_done_and_resume_when_done(chat: Chat) -> None:
    finish_part1(chat)
    for _ in range(2):
        chat.send("x").send("y").send("z")
    chat.send("0").send("2").send("Edetään.").expect("Kiitos!")
    chat.send("/tauko").expect("Kartoituksesi on jo valmis")
    chat.send("/jatka").expect("Olet jo vastannut kaikkiin")
    chat.press("1", prompt_id="1").expect("jo vastattu")
    chat.send("/ohita").expect("Tätä kysymystä ei voi ohittaa")


def test_two_people_do_not_share_anything(new_chat: Callable[..., Chat], store: MemoryStore) -> None:
    anna, bertil = new_chat(user="anna"), new_chat(user="bertil")
    anna.send("/start").send("5")
    bertil.send("/start").expect("1/8").send("1")
    anna.expect_not("Bertil")
    rows = sorted((row.respondent, row.value) for row in store.export_rows())
    assert rows == [(1, "5"), (2, "1")]


def test_help_lists_the_role_commands_only_to_those_who_may_use_them(new_chat: Callable[..., Chat]) -> None:
    person = new_chat(user="anna")
    person.send("/ohje").expect("/tauko – Pidä tauko", "/vastaukset", "/liity", "/omat_tiedot")
    person.expect_not("/kierros", "/yhteenveto", "Koordinaattoreille ja tiimien vetäjille")
    person.send("/start").send("/kahvi").expect("En tunne komentoa /kahvi", "/ohje – Näytä tämä ohje")
    person.expect_not("/kierros", "/yhteenveto")

    coordinator = new_chat(user="maija", role_commands=lambda user: frozenset({"round", "digest"}))
    coordinator.send("/ohje").expect("/tauko – Pidä tauko", "Koordinaattoreille ja tiimien vetäjille:\n"
                                     "/kierros – Kierrokset (koordinaattoreille)", "/yhteenveto – Tiimin kooste")
    lead = new_chat(user="leena", role_commands=lambda user: frozenset({"digest"}))
    lead.send("/help").expect("Koordinaattoreille ja tiimien vetäjille:\n/yhteenveto – Tiimin kooste")
    lead.expect_not("/kierros")
    lead.send("/start").send("/kahvi").expect("En tunne komentoa /kahvi", "/yhteenveto – Tiimin kooste")


def test_the_answers_are_followed_by_the_open_question(chat: Chat) -> None:
    chat.send("/start").send("4")
    first = chat.prompt.prompt_id
    chat.send("/vastaukset").expect("Vastauksesi", "Tavoitettavuus ja näkyvyys: 4 Toimii hyvin",
                                    "Opiskelijan valmiudet: ei vielä vastattu",
                                    "Osa 1 · 2/8 Opiskelijan valmiudet", "Miten hyvin tämä toimii meillä nyt?")
    assert chat.text.index("Vastauksesi") < chat.text.index("Osa 1 · 2/8"), "the question comes after the answers"
    assert chat.prompt.prompt_id != first
    chat.send("3").expect("Opiskelijan valmiudet 3", "Osa 1 · 3/8")

    chat.send("/tauko").send("/vastaukset").expect("Vastauksesi", "Opiskelijan valmiudet: 3")
    chat.expect_not("Osa 1 · 3/8")  # a break stays a break
    chat.send("/jatka").expect("Osa 1 · 3/8")


def test_the_answers_before_the_plan_and_when_done_are_shown_once(chat: Chat) -> None:
    finish_part1(chat)
    for _ in range(2):
        chat.send("x").send("y").send("z")
    chat.send("0").send("2").expect("Kirjoita yhteenvetoon")
    chat.send("/vastaukset").expect("Vastauksesi", "Kirjoita yhteenvetoon")
    assert chat.text.count("Vastauksesi") == 1
    chat.send("Edetään.").expect("Kiitos!")
    chat.send("/vastaukset").expect("Vastauksesi", "Mikä toimii: x").expect_not("Kirjoita yhteenvetoon", "Kiitos!")
