"""An open answer is cleaned before it is stored (bot.core.text_input), and the person is told when it was changed."""

from __future__ import annotations

from bot.core.messages import PromptClosed
from storage.memory_store import MemoryStore
from tests.bot.test_commands_and_navigation import finish_part1
from tests.support.conversation import Chat

NOTE_FI = "Huomaa: vastauksessasi oli merkkejä, joita ei voi tallentaa"


def saved(store: MemoryStore) -> dict[str, str | None]:
    return {row.question: row.value for row in store.export_rows()}


def test_control_characters_are_removed_and_the_person_is_told(chat: Chat, store: MemoryStore) -> None:
    finish_part1(chat)
    chat.send("Ohjaus\x00 toimii\x1b[31m.\r\nToinen rivi\ttabulaattorilla.\x7f")
    chat.expect(NOTE_FI, "Missä meillä on vielä kehitettävää?")
    assert saved(store)["works:ennakkosuunnittelu"] == "Ohjaus toimii[31m.\nToinen rivi\ttabulaattorilla."


def test_a_clean_answer_gets_no_note_even_with_windows_line_endings(chat: Chat, store: MemoryStore) -> None:
    finish_part1(chat)
    chat.send("Ohjaus toimii.\r\nToinen rivi.").expect("Missä meillä on vielä kehitettävää?").expect_not(NOTE_FI)
    assert saved(store)["works:ennakkosuunnittelu"] == "Ohjaus toimii.\nToinen rivi."


def test_unreadable_text_is_kept_as_replacement_characters_with_the_note(chat: Chat, store: MemoryStore) -> None:
    finish_part1(chat)
    chat.send("Toimii \udcff\udcfe hyvin").expect(NOTE_FI, "Missä meillä on vielä kehitettävää?")
    chat.send("Valmiiksi korvattu \ufffd merkki").expect(
        NOTE_FI, "Mitä lupaatte tässä asiassa työelämäkumppaneillenne ja miten pidätte lupauksenne?")
    assert saved(store)["works:ennakkosuunnittelu"] == "Toimii \ufffd\ufffd hyvin"
    assert saved(store)["develop:ennakkosuunnittelu"] == "Valmiiksi korvattu \ufffd merkki"


def test_only_control_characters_is_an_empty_answer(chat: Chat, store: MemoryStore) -> None:
    finish_part1(chat)
    chat.send("\x00\x01 \x02").expect("Vastaus jäi tyhjäksi", "/ohita").expect_not(NOTE_FI)
    assert "works:ennakkosuunnittelu" not in saved(store)


def test_the_length_limit_counts_what_is_kept(chat: Chat, store: MemoryStore) -> None:
    finish_part1(chat)
    chat.send("x" * 4000 + "\x00" * 50).expect(NOTE_FI, "Missä meillä on vielä kehitettävää?")
    assert saved(store)["works:ennakkosuunnittelu"] == "x" * 4000
    chat.send("y" * 4001 + "\x00").expect("Vastaus on liian pitkä: 4001 merkkiä").expect_not(NOTE_FI)


def test_a_form_answer_is_cleaned_where_it_is_shown_too(chat: Chat, store: MemoryStore) -> None:
    finish_part1(chat)
    chat.write("Lomakkeella\x00 kirjoitettu.").expect(NOTE_FI, "Missä meillä on vielä kehitettävää?")
    closed = next(m for m in chat.replies if isinstance(m, PromptClosed))
    assert closed.answer == "Lomakkeella kirjoitettu."
    assert saved(store)["works:ennakkosuunnittelu"] == "Lomakkeella kirjoitettu."
