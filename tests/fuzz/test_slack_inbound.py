"""Fuzzing Slack's translate-in: messages, button clicks, slash commands and modal submissions become
one event or nothing, and a forged action value or modal (another prompt's, another person's,
garbled, truncated, not JSON) changes nothing."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack import inbound, views
from adapters.slack.outbound import escape
from bot.core.capabilities import parse_choice_payload
from bot.core.commands import UNKNOWN, command_aliases
from bot.core.events import ChoiceSelected, CommandReceived, Event, TextReceived
from tests.fuzz.harness import (
    Harnesses,
    assert_nothing_changed_but_a_restart,
    examples,
    expected_language,
    languages_of,
    late_tap_counted,
    live_buttons,
    notice_texts,
    valid_values,
)
from tests.fuzz.strategies import INSTRUMENT, any_char, languages, locales, payloads, prompt_ids, typed_text

ALIASES = command_aliases(INSTRUMENT)
TEAM = "T0FUZZ"
# Regular shapes built from numbers (st.from_regex would do, at several times the cost per example).
slack_ids = st.one_of(st.builds("{}{:X}".format, st.sampled_from("UWB"), st.integers(0, 2**40)),
                      st.text(any_char, max_size=6))
timestamps = st.one_of(st.builds("{}.{:06d}".format, st.integers(10**9, 2 * 10**9), st.integers(0, 999_999)),
                       st.text(any_char, max_size=6))
odd_values = st.one_of(payloads, st.none(), st.integers(), st.lists(st.integers(), max_size=2))


@st.composite
def team_fields(draw: st.DrawFn) -> dict[str, Any]:
    return draw(st.sampled_from([{"team": {"id": TEAM}}, {"team_id": TEAM}, {"team": TEAM}, {"team": None}, {}]))


@st.composite
def click_bodies(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A block_actions body and its action, with the fields Slack may leave out left out."""
    action: dict[str, Any] = {"action_id": "choice-0", "type": "button", "block_id": "b"}
    if draw(st.booleans()):
        action["value"] = draw(odd_values)
    if draw(st.booleans()):
        action["action_ts"] = draw(timestamps)
    user = draw(st.sampled_from(["id", "empty", "none"]))
    body: dict[str, Any] = {"type": "block_actions", **draw(team_fields()), "actions": [action]}
    if user != "none":
        body["user"] = {"id": draw(slack_ids) if user == "id" else ""}
    return body, action


@settings(max_examples=examples(1000))
@given(clicked=click_bodies())
def test_any_click_becomes_a_choice_or_nothing(clicked: tuple[dict[str, Any], dict[str, Any]]) -> None:
    body, action = clicked
    event = inbound.action_event(body, action)
    parsed = parse_choice_payload(str(action.get("value", "")))
    user_id = body.get("user", {}).get("id", "")
    if parsed is None or not user_id:
        assert event is None, "a garbled value or a click without a person became an answer"
        return
    assert isinstance(event, ChoiceSelected)
    assert (event.prompt_id, event.value) == parsed and event.prompt_id.isdigit()
    assert event.user.user == user_id and event.user.platform == "slack"
    assert event.event_id == f"action-{action.get('action_ts', '')}-{user_id}"


@st.composite
def message_bodies(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    typed = draw(typed_text)
    event: dict[str, Any] = {"type": draw(st.sampled_from(["message", "message", "app_mention"])),
                             "channel_type": draw(st.sampled_from(["im", "im", "channel", "mpim", "group"])),
                             "text": escape(typed), "ts": draw(timestamps)}
    if draw(st.booleans()):
        event["user"] = draw(slack_ids)
    for extra, strategy in (("subtype", st.sampled_from(["message_changed", "bot_message", "file_share"])),
                            ("bot_id", slack_ids), ("client_msg_id", st.integers(0, 2**64).map("{:032x}".format))):
        if draw(st.integers(0, 3)) == 0:
            event[extra] = draw(strategy)
    if draw(st.integers(0, 5)) == 0:
        event["text"], typed = draw(odd_values), ""  # not what a person typed: no round trip to check
    body: dict[str, Any] = {"type": "event_callback", **draw(team_fields()), "event": event}
    if draw(st.booleans()):
        body["event_id"] = f"Ev{draw(st.integers(0, 2**32)):08X}"
    return body, typed


@settings(max_examples=examples(800))
@given(delivered=message_bodies())
def test_any_message_becomes_one_event_or_nothing(delivered: tuple[dict[str, Any], str]) -> None:
    body, typed = delivered
    event = inbound.message_event(body, aliases=ALIASES)
    sent = body["event"]
    ours = (sent["type"] == "message" and sent["channel_type"] == "im" and not sent.get("subtype")
            and not sent.get("bot_id") and bool(sent.get("user")) and isinstance(sent["text"], str))
    if not ours:
        assert event is None
        return
    assert event is not None and event.user.user == sent["user"] and event.channel is None
    assert event.event_id == str(body.get("event_id") or sent.get("client_msg_id") or sent.get("ts"))
    if isinstance(event, TextReceived):
        assert event.text == typed or typed == "", "Slack's escaping was not undone exactly"
    else:
        assert isinstance(event, CommandReceived)
        assert event.name == ALIASES.get(event.raw, UNKNOWN)


@settings(max_examples=examples(500))
@given(text=st.one_of(typed_text, st.sampled_from(sorted(ALIASES)).map(lambda w: f"{w} {w}")),
       channel=st.one_of(st.builds("{}{:08X}".format, st.sampled_from("CDG"), st.integers(0, 2**32)),
                         st.sampled_from(["", "D", "C"])),
       user_id=slack_ids, team=team_fields())
def test_any_slash_command_becomes_a_command(text: str, channel: str, user_id: str, team: dict[str, Any]) -> None:
    body = {"command": "/kartoitus", "text": text, "channel_id": channel, "channel_name": "x", "user_id": user_id,
            "trigger_id": "1.2.3", **team}
    event = inbound.slash_command(body, aliases=ALIASES)
    assert event.name in {*ALIASES.values(), UNKNOWN}
    assert event.user.user == user_id
    assert (event.channel is None) == (channel.startswith("D") or not channel)
    if not text.strip().lstrip("/"):
        assert event.name == "help"


@st.composite
def private_metadata(draw: st.DrawFn, prompt_id: str) -> str:
    """What a modal's private_metadata may hold when someone tampers with it (Slack signs it, we do not)."""
    honest = json.dumps({"prompt": prompt_id, "language": draw(st.sampled_from(["fi", "sv", "en", "xx"])),
                         "channel": "D1"})
    return draw(st.one_of(st.just(honest), st.integers(0, len(honest)).map(lambda cut: honest[:cut]),
                          st.sampled_from(["", "null", "[]", "3", '{"prompt": null}', '{"prompt": ["3"]}']),
                          st.text(any_char, max_size=20)))


@settings(max_examples=examples(700))
@given(data=st.data(), chosen=languages, platform=languages, locale=locales,
       kind=st.sampled_from(["click", "modal"]), text=typed_text)
def test_a_forged_click_or_modal_changes_nothing(harnesses: Harnesses, data: st.DataObject, chosen: str | None,
                                                 platform: str | None, locale: str | None, kind: str,
                                                 text: str) -> None:
    harness = harnesses.draw(data)
    snapshot = data.draw(st.sampled_from(["fresh", *harness.snapshots]), label="snapshot")
    chosen, platform = languages_of(snapshot, chosen, platform, locale)
    user, before, current = harness.person(snapshot, language=chosen, platform_language=platform,
                                           platform="slack", workspace=TEAM)
    body: dict[str, Any] = {"user": {"id": user.user}, "team": {"id": TEAM}}
    if data.draw(st.booleans(), label="another prompt's real button"):
        shown, values = data.draw(st.sampled_from(list(live_buttons(harness).values())), label="shown")
        prompt_id, value = shown.prompt_id, data.draw(st.sampled_from(values), label="value")
    else:
        prompt_id, value = data.draw(prompt_ids, label="prompt"), data.draw(payloads, label="value")
    if current is not None and prompt_id == current.prompt_id and (kind == "modal" or value in valid_values(current)):
        prompt_id = str(current.prompt_seq + 1)  # a prompt not shown yet: this one's id would be no forgery

    event: Event | None
    if kind == "click":
        event = inbound.action_event(body, {"value": f"{prompt_id}:{value}", "action_ts": str(harness.serial())},
                                     locale=locale)
        if event is None:
            return  # garbled beyond recognition: nothing reaches the conversation at all
    else:
        view = {"id": f"V{harness.serial()}", "hash": "h", "private_metadata": data.draw(private_metadata(prompt_id)),
                "state": {"values": {views.ANSWER_BLOCK: {views.ANSWER_INPUT: {"value": text}}}}}
        metadata = views.modal_metadata(view)
        event = inbound.submission_event({**body, "view": view}, views.submitted_text(view),
                                         metadata.get("prompt", ""), locale=locale)
    assert event is not None
    replies = harness.turn(event)
    after = harness.stored(user)

    harness.assert_polite_reply(replies)
    language = expected_language(chosen=chosen, locale=locale, platform=platform)
    if kind == "modal" or not late_tap_counted(before, after, current, prompt_id, value):
        harness.assert_in_language(replies, language, typed=text if kind == "modal" else value)
        assert_nothing_changed_but_a_restart(before, after)
    if kind == "modal" and current is not None and current.started:
        assert INSTRUMENT.text(language, "answer.stale_text", text=text.strip()) in notice_texts(replies), (
            "the text written in the modal was not given back")
    harness.release(user, snapshot, after, language=chosen, platform_language=platform)
