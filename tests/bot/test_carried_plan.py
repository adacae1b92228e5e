"""The plan comes back: what a person's team agreed in an earlier round opens each point's part 2 in the next."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core.conversation import Conversation, RoundRef, frozen_agreed
from bot.core.engine import step
from bot.core.events import ChoiceSelected, CommandReceived, TextReceived
from bot.core.identity import UserRef
from bot.core.instrument import LANGUAGES, Instrument
from bot.core.messages import FreeTextPrompt, Outbound
from bot.core.ports import LoadedTurn
from bot.core.prompts import CARRIED_LENGTH, CARRIED_SHOWN, DONE, GUIDE, Prompter
from storage.memory_store import MemoryStore
from tests.bot.test_commands_and_navigation import finish_part1
from tests.support.conversation import Chat

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
ANNA = UserRef("terminal", "local", "anna")
PLAN = ("Ohjaajat tapaavat ennen jaksoa", "Työpaikka saa tehtävät viikkoa ennen")
AGREED = {"ennakkosuunnittelu": PLAN}
INTRO = {"fi": "Viime kierroksella sovitte:", "sv": "Förra omgången kom ni överens om:",
         "en": "Last round you agreed:"}
QUESTION = {"fi": "Miten se on edennyt?", "sv": "Hur har det gått?", "en": "How has it gone?"}


def at_targets(instrument: Instrument, *, language: str = "fi", agreed: Any = AGREED) -> Conversation:
    """A person whose part 1 is rated and whose two targets (points 3 and 7) are toggled, not yet confirmed."""
    ratings = {f"rate:{point}": "4" for point in instrument.point_ids}
    targets = (instrument.point_ids[2], instrument.point_ids[6])
    return Conversation(user=ANNA, round=RoundRef(2, instrument.version), started=True, step="priorities",
                        prompt_seq=9, shown_steps=((9, "priorities"),), language=language, answers=ratings,
                        selection=targets, agreed=frozen_agreed(agreed))


def prompts_of(outbox: tuple[Outbound, ...]) -> list[FreeTextPrompt]:
    return [message for message in outbox if isinstance(message, FreeTextPrompt)]


def answer(conversation: Conversation, instrument: Instrument, text: str) -> tuple[Conversation, FreeTextPrompt]:
    result = step(conversation, TextReceived(event_id="t", user=ANNA, at=NOW, text=text,
                                             seen_prompt=conversation.prompt_id), instrument=instrument, now=NOW)
    return result.conversation, prompts_of(result.outbox)[-1]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_agreed_actions_open_the_points_first_question_only(instrument: Instrument, language: str) -> None:
    conversation = at_targets(instrument, language=language)
    result = step(conversation, ChoiceSelected(event_id="c", user=ANNA, at=NOW, prompt_id="9", value=DONE),
                  instrument=instrument, now=NOW)
    works = prompts_of(result.outbox)[-1]
    assert result.conversation.step == "works:ennakkosuunnittelu"
    carried = f"{INTRO[language]}\n• {PLAN[0]}\n• {PLAN[1]}\n{QUESTION[language]}"
    # After the note that part 1 is done, before the rest (the rating, the laws): the question stays last.
    assert works.context[1] == carried, works.context
    assert works.context[0] == instrument.text(language, "break.part1_done", points=", ".join(
        Prompter(result.conversation, instrument).point_title(p) for p in ("ennakkosuunnittelu", "naytot")))
    assert works.context[2] == instrument.text(language, "part2.rating", rating=Prompter(
        result.conversation, instrument).answer_label("rate:ennakkosuunnittelu", "4"))

    conversation, develop = answer(result.conversation, instrument, "Tapaamiset toimivat.")
    assert conversation.step == "develop:ennakkosuunnittelu"
    conversation, promise = answer(conversation, instrument, "Tehtävät myöhässä.")
    assert conversation.step == "promise:ennakkosuunnittelu"
    conversation, next_works = answer(conversation, instrument, "Lunastamme sen.")
    assert conversation.step == "works:naytot"
    for prompt in (develop, promise, next_works):
        assert not any(INTRO[language] in line for line in prompt.context), prompt.context
    assert conversation.agreed == AGREED, "the conversation keeps them for the rest of the round"


def test_going_back_to_the_point_shows_them_again_and_the_guide_keeps_them(instrument: Instrument) -> None:
    conversation = at_targets(instrument).evolve(step="works:ennakkosuunnittelu", selection=(),
                                                 answers={**at_targets(instrument).answers,
                                                          "priorities": "ennakkosuunnittelu,naytot"})
    guide = step(conversation, ChoiceSelected(event_id="g", user=ANNA, at=NOW, prompt_id="9", value=GUIDE),
                 instrument=instrument, now=NOW)
    drawn = prompts_of(guide.outbox)[-1]
    assert drawn.context[0].startswith(INTRO["fi"]) and drawn.replaces == "9"
    assert any(line.startswith("Apukysymykset") for line in drawn.context)
    moved, _develop = answer(conversation, instrument, "Hyvin.")
    back = step(moved, CommandReceived(event_id="b", user=ANNA, at=NOW, name="back"), instrument=instrument, now=NOW)
    assert back.conversation.step == "works:ennakkosuunnittelu"
    again = prompts_of(back.outbox)[-1]
    assert again.context[0].startswith(INTRO["fi"]) and again.current == "Hyvin."


def test_a_point_without_agreed_actions_and_a_person_without_any_see_nothing_new(instrument: Instrument) -> None:
    for agreed in ({}, {"naytot": ("Näytöt sovitaan etukäteen",)}):
        conversation = at_targets(instrument, agreed=agreed)
        without = replace(conversation, agreed=frozen_agreed())
        for point in ("ennakkosuunnittelu", "tavoitettavuus"):
            for kind in ("works", "develop", "promise"):
                target = f"{kind}:{point}"
                assert Prompter(conversation, instrument).prompt(target) == Prompter(without, instrument).prompt(
                    target)
    shown = Prompter(at_targets(instrument, agreed={"naytot": ("Näytöt sovitaan etukäteen",)}), instrument)
    assert shown.deepening("works:naytot").context[0] == (
        "Viime kierroksella sovitte:\n• Näytöt sovitaan etukäteen\nMiten se on edennyt?")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_long_plan_stays_phone_sized(instrument: Instrument, language: str) -> None:
    long_action = "Työpaikkaohjaajat   perehdytetään\n" + "x" * 400
    actions = (long_action, *(f"Toimi {n}" for n in range(2, 9)))
    prompter = Prompter(at_targets(instrument, language=language, agreed={"ennakkosuunnittelu": actions}),
                        instrument)
    line = prompter.deepening("works:ennakkosuunnittelu").context[0]
    lines = line.split("\n")
    bullets = [item for item in lines if item.startswith("• ")]
    assert len(bullets) == CARRIED_SHOWN
    first = bullets[0].removeprefix("• ")
    assert len(first) == CARRIED_LENGTH and first.endswith("…")
    assert first.startswith("Työpaikkaohjaajat perehdytetään x"), "whitespace and line breaks fold into one line"
    assert bullets[-1] == "• Toimi 5"
    assert lines[-2] == instrument.text(language, "carried.more", count=3)
    assert lines[0] == INTRO[language] and lines[-1] == QUESTION[language]
    exactly = Prompter(at_targets(instrument, language=language, agreed={
        "ennakkosuunnittelu": ("y" * CARRIED_LENGTH, *(f"Toimi {n}" for n in range(2, 6)))}), instrument)
    exact_lines = exactly.deepening("works:ennakkosuunnittelu").context[0].split("\n")
    assert exact_lines[1] == "• " + "y" * CARRIED_LENGTH, "an action of exactly the limit is whole"
    assert exact_lines[-1] == QUESTION[language] and len(exact_lines) == CARRIED_SHOWN + 2, "five: no 'more' line"


def test_the_agreed_actions_survive_the_state_document(instrument: Instrument) -> None:
    conversation = at_targets(instrument)
    state = json.loads(json.dumps(conversation.state()))  # as the SQL store keeps it
    assert state["agreed"] == {"ennakkosuunnittelu": list(PLAN)}
    loaded = Conversation.from_state(state, user=ANNA, round=conversation.round, version=3, language="fi",
                                     platform_language=None, answers=conversation.answers)
    assert loaded.agreed == AGREED and isinstance(loaded.agreed["ennakkosuunnittelu"], tuple)
    assert replace(loaded, version=0) == conversation
    with pytest.raises(TypeError):
        loaded.agreed["naytot"] = ("x",)  # type: ignore[index]


def test_an_old_state_document_loads_with_no_agreed_actions_and_stays_as_it_was(instrument: Instrument) -> None:
    conversation = at_targets(instrument, agreed={})
    state = conversation.state()
    assert "agreed" not in state, "a conversation without carried actions stores the same document as before"
    loaded = Conversation.from_state(state, user=ANNA, round=conversation.round, version=1, language="fi",
                                     platform_language=None, answers={})
    assert dict(loaded.agreed) == {}
    assert dict(Conversation(user=ANNA, round=conversation.round).agreed) == {}


def test_blank_and_malformed_actions_are_dropped_on_loading() -> None:
    agreed = frozen_agreed({"a": ["", "  ", "Tee se", 7], "b": [], "c": "not a list", "d": ("Kyllä",)})
    assert dict(agreed) == {"a": ("Tee se",), "d": ("Kyllä",)}


class CarryingStore(MemoryStore):
    """The in-memory store, with a team's agreed actions for every new conversation (as the SQL store finds them)."""

    def __init__(self, agreed: Mapping[str, tuple[str, ...]]) -> None:
        super().__init__()
        self.agreed = agreed
        self.new_turns = 0

    def load_turn(self, user: UserRef, *, event_key: str, instrument_version: str, now: datetime
                  ) -> LoadedTurn | None:
        loaded = super().load_turn(user, event_key=event_key, instrument_version=instrument_version, now=now)
        if loaded is None or loaded.conversation is not None:
            return loaded
        self.new_turns += 1
        return replace(loaded, agreed=self.agreed)


def test_a_new_rounds_conversation_begins_with_the_carried_actions(instrument: Instrument) -> None:
    store = CarryingStore(AGREED)
    chat = Chat(store, instrument)
    try:
        finish_part1(chat).expect("Osa 1 on valmis", "Viime kierroksella sovitte:", f"• {PLAN[0]}",
                                  f"• {PLAN[1]}", "Miten se on edennyt?", "Mikä meillä jo toimii?")
        assert store.new_turns == 1, "only the first turn of the round starts a conversation"
        chat.send("Tapaamiset toimivat.").expect_not("Viime kierroksella")
        chat.send("/ohita").send("/ohita").expect("Kohta on valmis", "Mikä meillä jo toimii?").expect_not(
            "Viime kierroksella")
        round_ref = store.current_round(instrument_version=instrument.version, now=NOW)
        stored = store.load(chat.user, round_ref)
        assert stored is not None and stored.agreed == AGREED
    finally:
        chat.close()
