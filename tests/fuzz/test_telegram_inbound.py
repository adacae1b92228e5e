"""Fuzzing Telegram's translate-in: any Bot API update becomes one event or nothing, and a forged
callback_data (another prompt's, another person's, garbled, truncated, over 64 bytes) changes nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Bot, Update

from adapters.telegram.inbound import to_event
from bot.core.capabilities import parse_choice_payload
from bot.core.commands import UNKNOWN, command_aliases, parse_command
from bot.core.events import ChoiceSelected, CommandReceived, TextReceived
from tests.fuzz.harness import (
    Harnesses,
    assert_nothing_changed_but_a_restart,
    examples,
    expected_language,
    languages_of,
    late_tap_counted,
    live_buttons,
    valid_values,
)
from tests.fuzz.strategies import INSTRUMENT, any_char, languages, locales, payloads, typed_text

BOT_ID = "123456789"
BOT = Bot(f"{BOT_ID}:TEST-token")
ALIASES = command_aliases(INSTRUMENT)
NOW = 1763800000

user_ids = st.integers(1, 2**52)
language_codes = st.one_of(st.none(), locales.filter(lambda code: code is not None))
chat_types = st.sampled_from(["private", "group", "supergroup", "channel"])
message_texts = st.one_of(typed_text, st.builds(lambda word, rest: f"/{word}{rest}", st.sampled_from(sorted(ALIASES)),
                                                st.sampled_from(["", "@TestNameBot", " sv", "@OtherBot x", "  "])),
                          st.text(any_char, max_size=5).map(lambda s: "/" + s))


def sender(user_id: int, language_code: str | None) -> dict[str, Any]:
    person: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Anna"}
    if language_code is not None:
        person["language_code"] = language_code
    return person


@st.composite
def updates(draw: st.DrawFn) -> dict[str, Any]:
    update_id, user_id, code = draw(st.integers(0, 2**31)), draw(user_ids), draw(language_codes)
    chat_type = draw(chat_types)
    chat: dict[str, Any] = {"id": user_id if chat_type == "private" else -draw(user_ids), "type": chat_type}
    if chat_type != "private" and draw(st.booleans()):
        chat["title"] = draw(st.text(any_char, max_size=20))
    message: dict[str, Any] = {"message_id": draw(st.integers(1, 2**31)), "date": NOW, "chat": chat}
    kind = draw(st.sampled_from(["text", "callback", "no text", "no sender", "edited", "unknown"]))
    if kind == "callback":
        query: dict[str, Any] = {"id": str(update_id), "chat_instance": "1", "from": sender(user_id, code)}
        if draw(st.booleans()):
            query["data"] = draw(payloads)
        if draw(st.booleans()):
            query["message"] = {**message, "text": "x"}
        return {"update_id": update_id, "callback_query": query}
    if kind != "no sender":
        message["from"] = sender(user_id, code)
    if kind != "no text":
        message["text"] = draw(message_texts)
    if kind == "edited":
        return {"update_id": update_id, "edited_message": message}
    if kind == "unknown":
        return {"update_id": update_id, "my_chat_member": {"chat": chat}}
    return {"update_id": update_id, "message": message}


@settings(max_examples=examples(1200))
@given(payload=updates())
def test_any_update_becomes_one_event_or_nothing(payload: dict[str, Any]) -> None:
    event = to_event(Update.de_json(payload, BOT), bot_id=BOT_ID, aliases=ALIASES)
    if "callback_query" in payload:
        query = payload["callback_query"]
        assert isinstance(event, ChoiceSelected)
        assert event.user.user == str(query["from"]["id"]) and event.user.workspace == BOT_ID
        parsed = parse_choice_payload(query.get("data") or "")
        assert (event.prompt_id, event.value) == (parsed or ("", ""))  # garbled data matches no prompt
        assert event.channel is None
    elif "message" not in payload or "from" not in payload["message"] or "text" not in payload["message"]:
        assert event is None
    else:
        message = payload["message"]
        private = message["chat"]["type"] == "private"
        if event is None:
            assert not private, "a private message was dropped"
            assert parse_command(message["text"], ALIASES) is None, "a command in a group was dropped"
            return
        assert event.event_id == f"update-{payload['update_id']}"
        assert event.user.user == str(message["from"]["id"])
        assert (event.channel is None) == private
        if isinstance(event, TextReceived):
            assert private and event.text == message["text"], "the text changed on the way in"
        else:
            assert isinstance(event, CommandReceived)
            assert event.name == ALIASES.get(event.raw, UNKNOWN) and message["text"].strip().startswith("/")


@settings(max_examples=examples(600))
@given(data=st.data(), chosen=languages, platform=languages, code=language_codes)
def test_a_forged_callback_changes_nothing(harnesses: Harnesses, data: st.DataObject, chosen: str | None,
                                           platform: str | None, code: str | None) -> None:
    harness = harnesses.draw(data)
    snapshot = data.draw(st.sampled_from(["fresh", *harness.snapshots]), label="snapshot")
    chosen, platform = languages_of(snapshot, chosen, platform, code)
    user, before, current = harness.person(snapshot, language=chosen, platform_language=platform,
                                           platform="telegram", workspace=BOT_ID)
    if data.draw(st.booleans(), label="another prompt's real button"):
        shown, values = data.draw(st.sampled_from(list(live_buttons(harness).values())), label="shown")
        forged = f"{shown.prompt_id}:{data.draw(st.sampled_from(values), label='value')}"
    else:
        forged = data.draw(payloads, label="data")
    parsed = parse_choice_payload(forged)
    if current is not None and parsed is not None and parsed[0] == current.prompt_id:
        # That is this prompt's id: only a value the prompt does not have is forged.
        forged = f"{current.prompt_id}:{parsed[1]}" if parsed[1] not in valid_values(current) else "garbled"
    query = {"id": "1", "chat_instance": "1", "from": sender(int(user.user), code), "data": forged,
             "message": {"message_id": 5, "date": NOW, "chat": {"id": int(user.user), "type": "private"}, "text": "x"}}
    event = to_event(Update.de_json({"update_id": harness.serial(), "callback_query": query}, BOT),
                     bot_id=BOT_ID, aliases=ALIASES)
    assert event is not None

    replies = harness.turn(event)
    after = harness.stored(user)

    harness.assert_polite_reply(replies)
    tapped = parse_choice_payload(forged)
    if tapped is None or not late_tap_counted(before, after, current, *tapped):
        harness.assert_in_language(replies, expected_language(chosen=chosen, locale=code, platform=platform))
        assert_nothing_changed_but_a_restart(before, after)
    harness.release(user, snapshot, after, language=chosen, platform_language=platform)
