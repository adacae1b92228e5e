"""A fast person answers before the bot's reply has reached them: every tap and every text counts for the
question the person had on screen, never for another one (issue 13, item 7).

The platform apps tell the engine which question was on screen: a button carries its question's id, and
typed text carries the latest question delivered to the chat (`seen_prompt`)."""

from __future__ import annotations

from bot.core.messages import ChoicePrompt, FreeTextPrompt, MultiChoicePrompt, Notice
from storage.memory_store import MemoryStore
from tests.bot.test_commands_and_navigation import finish_part1
from tests.support.conversation import Chat


def saved(store: MemoryStore) -> dict[str, str | None]:
    return {row.question: row.value for row in store.export_rows()}


def test_part1_is_one_card_that_turns_into_each_next_question(chat: Chat) -> None:
    chat.send("/start")
    card = chat.prompt.prompt_id
    for number, rating in enumerate("4321432", start=2):
        chat.press(rating)
        assert len(chat.replies) == 1, "one message per tap: the card itself, edited"
        (reply,) = chat.replies
        assert isinstance(reply, ChoicePrompt) and reply.replaces is not None
        chat.expect(f"Osa 1 · {number}/8")
        card = reply.prompt_id
    chat.expect("Tavoitettavuus ja näkyvyys 4 · Opiskelijan valmiudet 3 · Yhteinen ennakkosuunnittelu 2")
    chat.press("2")
    (targets,) = chat.replies
    assert isinstance(targets, MultiChoicePrompt) and targets.replaces == card
    chat.press("naytot").press("palaute")
    assert len(chat.replies) == 1  # toggles redraw the buttons only
    chat.press("done")  # part 1 ends: the card turns into part 2's first question
    (question,) = chat.replies
    assert isinstance(question, FreeTextPrompt) and question.replaces == targets.prompt_id
    chat.expect("Osa 1 on valmis", "Näyttöjen laatu, Kehittävä palaute", "Mikä meillä jo toimii?")


def test_text_typed_before_the_next_question_arrived_never_answers_it(chat: Chat, store: MemoryStore) -> None:
    chat.send("/start")
    first = chat.prompt.prompt_id
    chat.press("4")  # the card is turning into point 2, but the person still sees point 1 and types "3"
    chat.type_seen("3", first).expect("Tavoitettavuus ja näkyvyys 3", "Osa 1 · 2/8")
    assert saved(store) == {"rate:tavoitettavuus": "3"}, "point 2 was not answered with text meant for point 1"
    redrawn = chat.prompt
    assert isinstance(redrawn, ChoicePrompt) and redrawn.replaces == first  # over the card the person sees
    # Once the question has arrived, text typed at it answers it.
    chat.type_seen("2", redrawn.prompt_id).expect("Osa 1 · 3/8")
    assert saved(store)["rate:valmiudet"] == "2"


def test_a_second_message_for_an_answered_open_question_is_given_back(chat: Chat, store: MemoryStore) -> None:
    finish_part1(chat)
    question = chat.prompt
    assert isinstance(question, FreeTextPrompt)
    chat.type_seen("Yhteinen kalenteri.", question.prompt_id)
    chat.type_seen("Ja <b>viikkopalaverit</b>.", question.prompt_id)  # before the next question had arrived
    chat.expect("tekstiäsi ei tallennettu", "Ja <b>viikkopalaverit</b>.", "Missä meillä on vielä kehitettävää?")
    assert not any(isinstance(reply, Notice) and "Ja" in reply.text and reply is chat.prompt for reply in chat.replies)
    answers = saved(store)
    assert answers["works:ennakkosuunnittelu"] == "Yhteinen kalenteri." and "develop:ennakkosuunnittelu" not in answers


def test_a_reasked_question_takes_text_and_taps_meant_for_its_earlier_copy(chat: Chat, store: MemoryStore) -> None:
    chat.send("/start").send("kahvia")  # not recognised: point 1 is asked again with a new id
    first_copy = chat.prompts[0].prompt_id
    assert chat.prompt.prompt_id != first_copy
    chat.type_seen("4", first_copy).expect("Osa 1 · 2/8")
    assert saved(store) == {"rate:tavoitettavuus": "4"}
    chat.send("/tauko").send("/jatka")  # point 2 again, with another id
    chat.press("3", prompt_id=chat.prompts[-2].prompt_id).expect("Osa 1 · 3/8")
    assert saved(store)["rate:valmiudet"] == "3"


def test_a_double_tap_records_one_answer_and_shows_the_current_question(chat: Chat, store: MemoryStore) -> None:
    chat.send("/start")
    first = chat.prompt.prompt_id
    chat.press("4").press("4", prompt_id=first)
    assert saved(store) == {"rate:tavoitettavuus": "4"}
    assert len(list(store.export_rows())) == 1, "the second tap stored nothing new"
    chat.expect("Osa 1 · 2/8").expect_not("jo vastattu")


def test_signals_that_say_nothing_about_the_screen_change_nothing(chat: Chat, store: MemoryStore) -> None:
    chat.send("/start")
    chat.type_seen("4", "reminder").expect("Osa 1 · 2/8")  # the latest delivered was a reminder's buttons
    chat.type_seen("3", "99").expect("Osa 1 · 3/8")  # a later number than the conversation's: another round's
    assert saved(store) == {"rate:tavoitettavuus": "4", "rate:valmiudet": "3"}
    chat.press("4", prompt_id="0").expect("jo vastattu")  # not among the latest prompts: nothing is guessed
    chat.send("/tauko")
    paused = chat.prompt.prompt_id
    chat.type_seen("kahvia", paused).expect("Tervetuloa takaisin")  # a break ends as it always did


def test_a_late_tap_after_the_round_closed_is_refused(chat: Chat) -> None:
    from bot.core.conversation import Conversation, RoundRef
    from bot.core.engine import step
    from bot.core.events import ChoiceSelected

    closed = RoundRef(id=1, instrument_version=chat.instrument.version, is_open=False)
    conversation = Conversation(user=chat.user, round=closed, started=True, step="rate:valmiudet", prompt_seq=4,
                                shown_steps=((3, "rate:tavoitettavuus"), (4, "rate:valmiudet")),
                                answers={"rate:tavoitettavuus": "4"})
    now = chat.clock.now()
    for value in ("2", "no-such-option"):
        result = step(conversation, ChoiceSelected(event_id=value, user=chat.user, at=now, prompt_id="3", value=value),
                      instrument=chat.instrument, now=now)
        assert result.answers == ()
        assert "jo vastattu" in result.outbox[-1].text or "Kierros on päättynyt" in result.outbox[-1].text  # type: ignore[union-attr]


def test_a_rating_typed_at_a_card_that_had_not_turned_yet_counts_for_that_card(chat: Chat,
                                                                               store: MemoryStore) -> None:
    chat.send("/start")
    first = chat.prompt.prompt_id
    chat.press("4").type_seen("toimii osittain", first).expect("Tavoitettavuus ja näkyvyys 3", "Osa 1 · 2/8")
    chat.type_seen("kahvia", first).expect("tekstiäsi ei tallennettu", "kahvia", "Osa 1 · 2/8")
    assert saved(store) == {"rate:tavoitettavuus": "3"}
