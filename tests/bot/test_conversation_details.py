"""Smaller behaviours a person notices: first words, the skip button, repeated taps, summaries."""

from __future__ import annotations

import logging

import pytest

from storage.memory_store import MemoryStore
from tests.bot.test_commands_and_navigation import finish_part1
from tests.support.conversation import Chat


def test_any_first_message_starts_with_the_welcome(chat: Chat) -> None:
    chat.send("hei").expect("Tervetuloa!", "Osa 1 · 1/8")


def test_a_first_button_press_also_starts(chat: Chat) -> None:
    chat.press("4", prompt_id="0").expect("Tervetuloa!", "Osa 1 · 1/8")


def test_the_skip_button_on_an_open_question(chat: Chat, store: MemoryStore) -> None:
    finish_part1(chat)
    chat.press("skip").expect("Missä meillä on vielä kehitettävää?")
    assert {row.question: row.value for row in store.export_rows()}["works:ennakkosuunnittelu"] is None


def test_choosing_the_same_answer_again_adds_nothing(chat: Chat, store: MemoryStore) -> None:
    chat.send("/start").send("4").send("/takaisin").send("4").expect("2/8")
    assert store.answer_count() == 1


def test_typing_a_target_twice_counts_once(chat: Chat) -> None:
    chat.send("/start")
    for rating in "43215432":
        chat.send(rating)
    chat.send("7 7").expect("Valitse tasan 2 kohtaa (nyt valittuna 1)")
    chat.send("7, 7, 3").expect("Osa 1 on valmis")


def test_changing_a_rating_before_part1_is_done(chat: Chat) -> None:
    chat.send("/start").send("4").send("3").send("/muuta")
    chat.expect("Osa 1: Tavoitettavuus ja näkyvyys", "Osa 1: Opiskelijan valmiudet").expect_not("Kehittämiskohteet")
    chat.send("1").send("5").expect("Muutos tallennettu", "Osa 1 · 3/8")


def test_after_finishing_the_summary_and_the_plan_can_be_changed(chat: Chat) -> None:
    finish_part1(chat)
    for _ in range(2):
        chat.send("x").send("/ohita").send("z")
    chat.send("0").send("1").send("/ohita").send("Kehitys.")
    chat.send("/vastaukset").expect("Arjen kumppanuus: ohitettu", "Kehittävä kumppanuus: Kehitys.")
    chat.expect_not("Strateginen kumppanuus:")
    chat.send("/ohita").send("/ohita").expect("Osio on valmis", "Kirjoita yhteenvetoon")
    chat.send("Edetään yhdessä.").expect("Kiitos!")
    chat.send("/vastaukset").expect("Kehittävä kumppanuus: Kehitys.", "Yhteenveto: Edetään yhdessä.",
                                    "Kehitettävää: ohitettu")
    chat.send("/muuta").expect("Yhteenveto", "Kehittävä kumppanuus").send("Yhteenveto")
    chat.expect("Nykyinen vastauksesi: Edetään yhdessä.").send("Edetään rohkeasti.")
    chat.expect("Muutos tallennettu", "Kiitos!")


def test_a_forged_button_on_an_open_question_changes_nothing(chat: Chat, store: MemoryStore) -> None:
    finish_part1(chat)
    chat.press("rate:naytot").expect("jo vastattu")
    assert "works:ennakkosuunnittelu" not in {row.question for row in store.export_rows()}


def test_answer_text_is_never_logged_above_debug(chat: Chat, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    finish_part1(chat).send("Salainen vastaus 8271")
    assert "8271" not in caplog.text
    assert "turn" in caplog.text  # the turn itself is logged, without its content


def test_join_in_a_private_chat_explains_where_teams_are_joined(chat: Chat) -> None:
    chat.send("/start").send("/liity").expect("Tiimiin liitytään tiimin ryhmässä")
