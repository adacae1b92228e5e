"""Slack translations without the network: escaping, Block Kit limits, command words, payloads."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from adapters.slack import inbound, outbound, views
from adapters.slack.app import slack_language
from bot.core.commands import command_aliases
from bot.core.events import ChoiceSelected, CommandReceived, TextReceived
from bot.core.identity import ChannelRef, UserRef
from bot.core.messages import ChoicePrompt, FreeTextPrompt, MultiChoicePrompt, Notice, Option, PromptClosed
from bot.core.progress import Progress
from bot.shell.content import load_instrument

INSTRUMENT = load_instrument()
ALIASES = command_aliases(INSTRUMENT)
STYLE = outbound.CommandStyle(ALIASES.keys())
ANNA = UserRef("slack", "T1", "U1")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def texts_of(call: outbound.Call) -> list[str]:
    found: list[str] = []
    for block in call.params["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [element["text"] for element in block.get("elements", []) if block["type"] == "context"]
    return found


def test_user_text_is_escaped_so_it_pings_nobody() -> None:
    calls = outbound.render(Notice(to=ANNA, text="Vastaus: <!channel> <@U0BOSS> & <https://x|klikkaa>"),
                            INSTRUMENT.text, STYLE)
    shown = texts_of(calls[0])[0]
    assert shown == "Vastaus: &lt;!channel&gt; &lt;@U0BOSS&gt; &amp; &lt;https://x|klikkaa&gt;"
    assert "<" not in calls[0].params["text"]


def test_long_texts_keep_within_block_kit_limits() -> None:
    paragraphs = "\n\n".join(f"Kappale {n}: " + "sana " * 200 for n in range(150))  # ≈ 150,000 characters
    calls = outbound.render(Notice(to=ANNA, text=paragraphs), INSTRUMENT.text, STYLE)
    assert len(calls) > 1
    for call in calls:
        assert len(call.params["blocks"]) <= outbound.BLOCKS_MAX
        assert all(len(text) <= outbound.SECTION_MAX for text in texts_of(call))
        assert len(call.params["text"]) <= outbound.FALLBACK_MAX
    rebuilt = " ".join(" ".join(texts_of(call)) for call in calls).split()
    assert rebuilt == paragraphs.split(), "nothing is lost in the split"


def test_a_prompt_with_many_options_keeps_its_buttons_on_the_last_message() -> None:
    options = tuple(Option(str(n), f"Vaihtoehto {n} " + "x" * 90, str(n)) for n in range(30))
    prompt = ChoicePrompt(to=ANNA, prompt_id="7", text="Mitä muutat? " + "y" * 9000, options=options, current="3")
    calls = outbound.render(prompt, INSTRUMENT.text, STYLE)
    last = calls[-1]
    actions = [block for block in last.params["blocks"] if block["type"] == "actions"]
    assert [len(block["elements"]) for block in actions] == [25, 5]
    labels = [element["text"]["text"] for block in actions for element in block["elements"]]
    assert all(len(label) <= outbound.BUTTON_MAX for label in labels)
    assert labels[3].startswith("✓ ") and actions[0]["elements"][3]["style"] == "primary"
    assert actions[0]["elements"][0]["value"] == "7:0"
    assert last.prompt_id == "7" and all(block["type"] != "actions" for block in last.kept_blocks)


def test_toggles_show_the_selection_and_the_count() -> None:
    options = tuple(Option(point.id, point.title["fi"], str(point.number)) for point in INSTRUMENT.points)
    prompt = MultiChoicePrompt(to=ANNA, prompt_id="9", text="Valitse 2", options=options, selected=("naytot",),
                               count=2, done_value="done", done_label="Valmis")
    buttons = [element for block in outbound.render(prompt, INSTRUMENT.text, STYLE)[-1].params["blocks"]
               if block["type"] == "actions" for element in block["elements"]]
    labels = [button["text"]["text"] for button in buttons]
    assert "☑ Näyttöjen laatu" in labels and "☐ Työpaikkaohjaus" in labels and labels[-1] == "Valmis (1/2)"
    redraw = outbound.redraw(prompt, "D1", "1.2", [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}])
    assert redraw.method == "chat.update" and redraw.params["ts"] == "1.2"


def test_open_questions_get_a_write_button_and_a_skip_button() -> None:
    prompt = FreeTextPrompt(to=ANNA, prompt_id="12", text="Mikä meillä jo toimii?", max_length=4000,
                            skip=Option("skip", "Ohita", "/ohita"))
    buttons = [element for block in outbound.render(prompt, INSTRUMENT.text, STYLE)[-1].params["blocks"]
               if block["type"] == "actions" for element in block["elements"]]
    assert [(b["action_id"], b["text"]["text"], b["value"]) for b in buttons] == [
        ("write", "Kirjoita vastaus", "12"), ("choice-skip", "Ohita", "12:skip")]


def test_commands_are_shown_as_the_apps_slash_command() -> None:
    assert STYLE("Tauko (/tauko), jatka: /jatka. Ohje: /ohje") == \
        "Tauko (/kartoitus tauko), jatka: /kartoitus jatka. Ohje: /kartoitus ohje"
    assert STYLE("https://example.fi/tauko ja /tauot ja a/tauko") == "https://example.fi/tauko ja /tauot ja a/tauko"


def test_closing_a_prompt_shows_the_answer_escaped() -> None:
    call = outbound.close("D1", "1.1", [], "<!here> kiitos")
    assert call.params["blocks"][-1]["elements"][0]["text"] == "✓ *&lt;!here&gt; kiitos*"
    assert PromptClosed(to=ANNA, prompt_id="1").answer is None


def test_the_modal_limits_and_its_validation() -> None:
    modal = views.answer_modal(prompt_id="5", channel="D1", question="Mikä <toimii>?", current="x" * 5000,
                               max_length=4000, language="sv", texts=INSTRUMENT.text, style=STYLE)
    element = modal["blocks"][1]["element"]
    assert element["max_length"] == 3000 and len(element["initial_value"]) == 3000 and element["multiline"]
    assert all(len(modal[key]["text"]) <= 24 for key in ("title", "submit", "close"))
    assert modal["title"]["text"] == "Ditt svar" and "&lt;toimii&gt;" in modal["blocks"][0]["text"]["text"]
    assert views.modal_metadata(modal) == {"prompt": "5", "channel": "D1", "language": "sv"}
    assert views.modal_metadata({"private_metadata": "not json"}) == {}
    assert views.validation_errors(" \n", max_length=10, language="en", texts=INSTRUMENT.text) == {
        "answer": "The answer is empty. Write your answer, or close the window and skip the question."}
    assert "12/10" in views.validation_errors("x" * 12, max_length=10, language="fi",
                                              texts=INSTRUMENT.text)["answer"]
    assert views.validation_errors("ok", max_length=10, language="fi", texts=INSTRUMENT.text) == {}


def test_the_home_view_in_every_language_keeps_within_limits() -> None:
    progress = Progress(language="fi", started=True, rated=8, points=8, part1_done=True,
                        priorities=("ennakkosuunnittelu", "naytot"), deepened=("naytot",), finished=False,
                        paused=True, priorities_count=2)
    for language in ("fi", "sv", "en"):
        view = views.home_view(replace(progress, language=language), INSTRUMENT, INSTRUMENT.text, STYLE)
        assert len(view["blocks"]) <= 100
        assert all(len(block.get("text", {}).get("text", "")) <= 3000 for block in view["blocks"])
    finished = views.home_view(replace(progress, finished=True), INSTRUMENT, INSTRUMENT.text, STYLE)
    assert "Kartoitus on valmis" in json.dumps(finished, ensure_ascii=False)


def test_payloads_become_neutral_events() -> None:
    message = {"team_id": "T1", "event_id": "Ev1", "event": {
        "type": "message", "channel_type": "im", "user": "U1", "text": "a &lt;b&gt; &amp; c"}}
    assert inbound.message_event(message, aliases=ALIASES, now=NOW) == TextReceived(
        event_id="Ev1", user=ANNA, at=NOW, text="a <b> & c")
    edited = {**message, "event": {**message["event"], "subtype": "message_changed"}}
    assert inbound.message_event(edited, aliases=ALIASES) is None
    command = inbound.message_event({**message, "event": {**message["event"], "text": " /tauko"}}, aliases=ALIASES)
    assert isinstance(command, CommandReceived) and command.name == "pause"

    body = {"team": {"id": "T1"}, "user": {"id": "U1"}}
    action = {"value": "4:5", "action_ts": "17.1"}
    assert inbound.action_event(body, action, now=NOW) == ChoiceSelected(
        event_id="action-17.1-U1", user=ANNA, at=NOW, prompt_id="4", value="5")
    assert inbound.action_event(body, {"value": "garbage"}) is None

    slash = {"team_id": "T1", "user_id": "U1", "channel_id": "D1", "text": "kieli sv", "trigger_id": "t1"}
    parsed = inbound.slash_command(slash, aliases=ALIASES)
    assert (parsed.name, parsed.argument, parsed.channel) == ("language", "sv", None)
    assert inbound.slash_command({**slash, "text": ""}, aliases=ALIASES).name == "help"
    in_channel = inbound.slash_command({**slash, "text": "liity", "channel_id": "C9", "channel_name": "autoala"},
                                       aliases=ALIASES)
    assert in_channel.channel == ChannelRef("slack", "T1", "C9") and in_channel.channel_title == "autoala"


def test_only_a_locale_that_says_something_is_followed() -> None:
    assert slack_language("sv-SE") == "sv-SE"
    assert slack_language("en-US") is None and slack_language("en-GB") is None
    assert slack_language("de-DE") == "de-DE" and slack_language(None) is None


def test_the_home_view_counts_part2_against_the_chosen_targets() -> None:
    progress = Progress(language="fi", started=True, rated=8, points=8, part1_done=True,
                        priorities=("ennakkosuunnittelu", "naytot"), deepened=("tavoitettavuus", "naytot"),
                        finished=False, paused=False, priorities_count=2)
    expected = {"fi": "◻️ Osa 2: 1/2 valitsemaasi kohtaa syvennetty",
                "sv": "◻️ Del 2: 1/2 punkter du valde fördjupade",
                "en": "◻️ Part 2: 1/2 points you chose explored in depth"}
    for language, line in expected.items():
        home = json.dumps(views.home_view(replace(progress, language=language), INSTRUMENT, INSTRUMENT.text, STYLE),
                          ensure_ascii=False)
        assert line in home and "/8" not in home, home
    done = replace(progress, deepened=("ennakkosuunnittelu", "naytot"))
    assert "✅ Osa 2: 2/2 valitsemaasi kohtaa syvennetty" in json.dumps(
        views.home_view(done, INSTRUMENT, INSTRUMENT.text, STYLE), ensure_ascii=False)
    one = replace(progress, priorities=("naytot",), priorities_count=1)
    assert "✅ Osa 2: 1/1 valitsemasi kohta syvennetty" in json.dumps(
        views.home_view(one, INSTRUMENT, INSTRUMENT.text, STYLE), ensure_ascii=False)
    before = replace(progress, rated=3, part1_done=False, priorities=(), deepened=())
    assert "◻️ Osa 2: 0/2 valitsemaasi kohtaa syvennetty" in json.dumps(
        views.home_view(before, INSTRUMENT, INSTRUMENT.text, STYLE), ensure_ascii=False)
