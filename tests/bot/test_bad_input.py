"""Bad input gets a clear, polite reply in the person's language, and nothing saved is lost."""

from __future__ import annotations

from dataclasses import replace

from bot.core.instrument import Instrument
from bot.core.messages import PromptClosed
from storage.memory_store import MemoryStore
from tests.bot.test_commands_and_navigation import finish_part1
from tests.support.conversation import Chat


def saved(store: MemoryStore) -> dict[str, str | None]:
    return {row.question: row.value for row in store.export_rows()}


def test_an_unrecognised_choice_is_asked_again(chat: Chat, store: MemoryStore) -> None:
    chat.send("/start").send("4")
    chat.send("kahvia").expect("En tunnistanut vastausta ”kahvia”", "Osa 1 · 2/8", "Kirjoita numero")
    chat.send("9").expect("En tunnistanut vastausta ”9”")
    chat.send("").expect("En tunnistanut")
    chat.send("Toimii heikosti").expect("Tavoitettavuus ja näkyvyys 4 · Opiskelijan valmiudet 2", "3/8")
    assert saved(store) == {"rate:tavoitettavuus": "4", "rate:valmiudet": "2"}


def test_ratings_cannot_be_skipped_but_can_be_cant_say(chat: Chat) -> None:
    chat.send("/start").send("/ohita").expect("Tätä kysymystä ei voi ohittaa")
    chat.send("eos").expect("Vastauksesi tähän asti: Tavoitettavuus ja näkyvyys ?", "2/8")


def test_empty_and_whitespace_answers_are_asked_again(chat: Chat, store: MemoryStore) -> None:
    finish_part1(chat)
    chat.send("   ").expect("Vastaus jäi tyhjäksi", "/ohita")
    chat.send("").expect("Vastaus jäi tyhjäksi")
    assert "works:ennakkosuunnittelu" not in saved(store)


def test_long_answers_are_kept_whole_up_to_the_limit(chat: Chat, store: MemoryStore) -> None:
    finish_part1(chat)
    longest = "Ä" * 3990 + " loppu."
    assert len(longest) <= 4000
    chat.send(longest).expect("Missä meillä on vielä kehitettävää?")
    assert saved(store)["works:ennakkosuunnittelu"] == longest


def test_too_long_answers_are_refused_and_nothing_is_lost(chat: Chat, store: MemoryStore) -> None:
    finish_part1(chat).send("Ensimmäinen vastaus.")
    before = saved(store)
    chat.send("x" * 4001).expect("Vastaus on liian pitkä: 4001 merkkiä", "enimmäismäärä on 4000 merkkiä",
                                 "Aiemmat vastauksesi ovat tallessa")
    assert saved(store) == before
    chat.send("Lyhyempi.").expect("Mitä lupaatte tässä asiassa työelämäkumppaneillenne ja miten pidätte lupauksenne?")


def test_a_button_from_an_old_question_counts_for_that_question_only(chat: Chat, store: MemoryStore) -> None:
    chat.send("/start")
    old = chat.prompt.prompt_id
    chat.send("4").send("3")
    chat.press("1", prompt_id=old).expect("Tavoitettavuus ja näkyvyys 1 · Opiskelijan valmiudet 3", "Osa 1 · 3/8")
    assert saved(store) == {"rate:tavoitettavuus": "1", "rate:valmiudet": "3"}  # point 3 is still unanswered
    chat.press("no-such-option").expect("Tähän kysymykseen on jo vastattu, joten mitään ei muutettu.")
    chat.press("no-such-option", prompt_id=old).expect("jo vastattu")
    assert saved(store) == {"rate:tavoitettavuus": "1", "rate:valmiudet": "3"}


def test_answers_are_refused_after_the_round_closes(chat: Chat, store: MemoryStore) -> None:
    chat.send("/start").send("4")
    round_ref = store.current_round(instrument_version="x", now=chat.clock.now())
    store.close_round(round_ref.id, chat.clock.now())
    conversation = store.load(chat.user, replace(round_ref, is_open=False))
    assert conversation is not None and not conversation.round.is_open


def test_closed_round_refuses_every_kind_of_change(store: MemoryStore, instrument: Instrument, chat: Chat) -> None:
    from bot.core.conversation import Conversation, RoundRef
    from bot.core.engine import step
    from bot.core.events import ChoiceSelected, CommandReceived, TextReceived

    closed = RoundRef(id=1, instrument_version=instrument.version, is_open=False)
    conversation = Conversation(user=chat.user, round=closed, started=True, step="rate:tavoitettavuus",
                                prompt_seq=3)
    now = chat.clock.now()
    events = [
        TextReceived(event_id="1", user=chat.user, at=now, text="4"),
        ChoiceSelected(event_id="2", user=chat.user, at=now, prompt_id="3", value="4"),
        CommandReceived(event_id="3", user=chat.user, at=now, name="back"),
        CommandReceived(event_id="4", user=chat.user, at=now, name="edit"),
    ]
    for event in events:
        result = step(conversation, event, instrument=instrument, now=now)
        assert result.answers == ()
        assert "Kierros on päättynyt" in result.outbox[0].text  # type: ignore[union-attr]
    for step_name, event in [("works:naytot", events[0]), ("works:naytot", CommandReceived(
            event_id="5", user=chat.user, at=now, name="skip")), ("priorities", events[0]),
            ("priorities", ChoiceSelected(event_id="6", user=chat.user, at=now, prompt_id="3", value="naytot"))]:
        result = step(replace(conversation, step=step_name), event, instrument=instrument, now=now)
        assert result.answers == ()
        assert "Kierros on päättynyt" in result.outbox[0].text  # type: ignore[union-attr]


def test_a_duplicate_delivery_is_processed_once(chat: Chat, store: MemoryStore) -> None:
    from bot.core.events import TextReceived

    chat.send("/start")
    event = TextReceived(event_id="same", user=chat.user, at=chat.clock.now(), text="4")
    chat.deliver(event).expect("2/8")
    chat.deliver(event)
    assert chat.replies == []
    chat.send("3").expect("3/8")


def test_an_answer_written_for_its_question_is_saved(chat: Chat, store: MemoryStore) -> None:
    finish_part1(chat)
    question = chat.prompt.prompt_id
    chat.write("Työpaikkaohjaajien koulutus toimii.", question).expect("Missä meillä on vielä kehitettävää")
    closed = next(m for m in chat.replies if isinstance(m, PromptClosed))
    assert closed.prompt_id == question and closed.answer == "Työpaikkaohjaajien koulutus toimii."
    chat.send("Typed in the chat, where it is visible already.")
    assert next(m for m in chat.replies if isinstance(m, PromptClosed)).answer is None
    assert saved(store)["works:ennakkosuunnittelu"] == "Työpaikkaohjaajien koulutus toimii."


def test_text_written_for_an_old_question_is_given_back_not_lost(chat: Chat, store: MemoryStore) -> None:
    finish_part1(chat)
    old = chat.prompt.prompt_id
    chat.send("Ohjaus toimii.")
    before = saved(store)
    chat.write("Pitkä <!channel> vastaus & muuta", old).expect(
        "jo vastattu", "tekstiäsi ei tallennettu", "Pitkä <!channel> vastaus & muuta")
    assert saved(store) == before
    chat.send("/tauko")
    chat.write("Kirjoitettu tauon aikana", chat.prompt.prompt_id).expect("Kirjoitettu tauon aikana", "jo vastattu")
    assert saved(store) == before
