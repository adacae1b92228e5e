"""Translate-in and translate-out for Telegram, on recorded payloads and neutral messages."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Bot, Update

from adapters.telegram import outbound
from adapters.telegram.inbound import bot_id_from_token, to_event
from bot.core.commands import command_aliases
from bot.core.events import ChoiceSelected, CommandReceived, TextReceived
from bot.core.identity import ChannelRef, UserRef
from bot.core.messages import ChoicePrompt, FreeTextPrompt, MultiChoicePrompt, Notice, Option, PromptClosed
from bot.shell.content import load_instrument

ALIASES = command_aliases(load_instrument())
BOT = Bot("123456789:TEST-token")
ANNA = UserRef("telegram", "123456789", "5001")

# Recorded from the emulator (after the repairing proxy), trimmed.
PRIVATE_TEXT = {"update_id": 12, "message": {"message_id": 30, "date": 1763800000, "text": "Toimii hyvin",
                                             "chat": {"id": 5001, "type": "private", "first_name": "Anna"},
                                             "from": {"id": 5001, "is_bot": False, "first_name": "Anna",
                                                      "language_code": "sv"}}}
GROUP_COMMAND = {"update_id": 13, "message": {"message_id": 31, "date": 1763800001, "text": "/liity@TestNameBot",
                                              "chat": {"id": -100777, "type": "supergroup", "title": "Autoala"},
                                              "from": {"id": 5001, "is_bot": False, "first_name": "Anna"},
                                              "entities": [{"offset": 0, "length": 18, "type": "bot_command"}]}}
CALLBACK = {"update_id": 14, "callback_query": {
    "id": "9", "chat_instance": "5001", "data": "17:naytot",
    "from": {"id": 5001, "is_bot": False, "first_name": "Anna", "language_code": "fi"},
    "message": {"message_id": 29, "date": 1763800000, "chat": {"id": 5001, "type": "private"}, "text": "x"}}}


def event_of(payload: dict[str, object]) -> object:
    return to_event(Update.de_json(payload, BOT), bot_id="123456789", aliases=ALIASES,
                    now=datetime(2026, 11, 23, tzinfo=UTC))


def test_private_text_becomes_text_with_the_locale() -> None:
    event = event_of(PRIVATE_TEXT)
    assert isinstance(event, TextReceived)
    assert (event.text, event.user, event.locale, event.channel, event.event_id) == (
        "Toimii hyvin", ANNA, "sv", None, "update-12")


def test_a_group_command_names_its_group_and_drops_the_bot_name() -> None:
    event = event_of(GROUP_COMMAND)
    assert isinstance(event, CommandReceived)
    assert (event.name, event.channel, event.channel_title) == (
        "join", ChannelRef("telegram", "123456789", "-100777"), "Autoala")


def test_plain_group_chatter_is_ignored() -> None:
    chatter = {**GROUP_COMMAND, "message": {**GROUP_COMMAND["message"], "text": "huomenta"}}  # type: ignore[dict-item]
    chatter["message"].pop("entities")  # type: ignore[union-attr]
    assert event_of(chatter) is None


def test_a_button_press_carries_its_prompt_and_value() -> None:
    event = event_of(CALLBACK)
    assert isinstance(event, ChoiceSelected)
    assert (event.prompt_id, event.value, event.locale) == ("17", "naytot", "fi")
    garbled = {**CALLBACK, "callback_query": {**CALLBACK["callback_query"], "data": "rubbish"}}  # type: ignore[dict-item]
    event = event_of(garbled)
    assert isinstance(event, ChoiceSelected) and event.prompt_id == ""


def test_the_bot_id_is_the_token_prefix() -> None:
    assert bot_id_from_token("123456789:AAE-x") == "123456789"


def test_user_text_is_escaped_for_html() -> None:
    [call] = outbound.render(Notice(to=ANNA, heading="<Otsikko>", text="Vastaus: <b>kova</b> & <a href=x>"))
    assert call.params["text"] == "<b>&lt;Otsikko&gt;</b>\n\nVastaus: &lt;b&gt;kova&lt;/b&gt; &amp; &lt;a href=x&gt;"
    assert call.params["parse_mode"] == "HTML" and call.params["chat_id"] == "5001"


def test_choice_buttons_mark_the_current_answer_and_fit_callback_limits() -> None:
    prompt = ChoicePrompt(to=ANNA, prompt_id="4294967295", text="Miten?", current="4",
                          options=(Option("3", "3 Toimii osittain", "3"), Option("4", "4 Toimii hyvin", "4")))
    [call] = outbound.render(prompt)
    rows = call.params["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in rows] == ["3 Toimii osittain", "✓ 4 Toimii hyvin"]
    assert rows[1][0]["callback_data"] == "4294967295:4"
    assert call.prompt_id == "4294967295"


def test_toggle_keyboard_and_its_redraw() -> None:
    prompt = MultiChoicePrompt(to=ANNA, prompt_id="8", text="Valitse kaksi", selected=("naytot",), count=2,
                               done_value="done", done_label="Valmis",
                               options=(Option("naytot", "Näyttöjen laatu", "7"), Option("palaute", "Palaute", "6")))
    [call] = outbound.render(prompt)
    labels = [row[0]["text"] for row in call.params["reply_markup"]["inline_keyboard"]]
    assert labels == ["☑ Näyttöjen laatu", "☐ Palaute", "Valmis (1/2)"]
    redraw = outbound.redraw(prompt, "5001", 77)
    assert redraw.method == "editMessageReplyMarkup" and redraw.params["message_id"] == 77


def test_closing_a_prompt_shows_the_escaped_answer() -> None:
    call = outbound.close(PromptClosed(to=ANNA, prompt_id="3", answer="<4> & hyvä"), "5001", 12, "<b>Kysymys</b>")
    assert call.method == "editMessageText"
    assert call.params["text"] == "<b>Kysymys</b>\n\n✓ <b>&lt;4&gt; &amp; hyvä</b>"


def test_long_texts_are_split_on_paragraphs_below_4096() -> None:
    paragraphs = [f"Kappale {n}: " + "sana " * 150 for n in range(12)]
    prompt = FreeTextPrompt(to=ANNA, prompt_id="5", text="\n\n".join(paragraphs), max_length=4000,
                            skip=Option("skip", "Ohita", "/ohita"))
    calls = outbound.render(prompt)
    assert len(calls) >= 3
    assert all(len(call.params["text"]) <= 4096 for call in calls)
    assert all(call.params["text"].startswith("Kappale") for call in calls)
    assert "reply_markup" in calls[-1].params and all("reply_markup" not in c.params for c in calls[:-1])
    assert calls[-1].prompt_id == "5" and calls[0].prompt_id is None
    one_huge_word = outbound.split_text("x" * 9000, 4000)
    assert [len(chunk) for chunk in one_huge_word] == [4000, 4000, 1000]
