"""Fuzzing whole turns (dispatcher → turn service → engine → SQLite) with what people really send.

Properties, at every step of the assessment and in every language:
- a turn never fails inside (the person never gets the apology for an internal error) and always answers;
- every reply is in the person's language;
- a forged, stale or foreign button, or text written for another question, changes nothing stored;
- an over-long answer is refused with the limit named, and nothing is stored;
- the same event delivered twice is processed once.
"""

from __future__ import annotations

from hypothesis import assume, given, reject, settings
from hypothesis import strategies as st

from bot.core.conversation import Conversation
from bot.core.engine import FREE_TEXT_STEPS
from bot.core.flow import kind_of
from bot.core.identity import UserRef
from bot.core.messages import Outbound
from tests.fuzz.harness import (
    Harness,
    Harnesses,
    Stored,
    assert_nothing_changed_but_a_restart,
    examples,
    expected_language,
    languages_of,
    late_tap_counted,
    live_buttons,
    notice_texts,
    position,
    valid_values,
)
from tests.fuzz.strategies import (
    INSTRUMENT,
    LIMIT,
    languages,
    locales,
    option_values,
    over_long_text,
    prompt_ids,
    typed_text,
)

SCALE_VALUES = {option.value for option in INSTRUMENT.scale}
POINT_IDS = set(INSTRUMENT.point_ids)


@settings(max_examples=examples(1600))
@given(data=st.data(), text=typed_text, chosen=languages, platform=languages, locale=locales)
def test_any_text_at_any_step_gets_a_polite_reply_in_the_persons_language(
        harnesses: Harnesses, data: st.DataObject, text: str, chosen: str | None, platform: str | None,
        locale: str | None) -> None:
    harness = harnesses.draw(data)
    snapshot = data.draw(st.sampled_from(["fresh", *harness.snapshots]), label="snapshot")
    chosen, platform = languages_of(snapshot, chosen, platform, locale)
    user, before, _ = harness.person(snapshot, language=chosen, platform_language=platform)

    replies = harness.text(user, text, locale=locale)
    after = harness.stored(user)

    harness.assert_polite_reply(replies)
    if before.state is None or before.state["step"] != "language":  # only the open language picker changes it
        assert after.language == chosen
    harness.assert_in_language(replies, expected_language(chosen=after.language, locale=locale, platform=platform),
                               typed=text)
    changed = {q: v for q, v in after.answers.items() if before.answers.get(q, "-") != v}
    if changed:
        assert before.state is not None and not before.state["paused"]
        step = before.state["step"]
        assert set(changed) == {step}, f"typing at {step} changed {sorted(changed)}"
        value = changed[step]
        kind = kind_of(step)
        if kind == "rate":
            assert value in SCALE_VALUES
        elif kind == "priorities":
            assert value is not None and len(set(value.split(","))) == 2 and set(value.split(",")) <= POINT_IDS
        else:
            assert kind in FREE_TEXT_STEPS and value is not None
            assert value == value.strip() and 0 < len(value) <= LIMIT
            assert set(value) <= {*text, "\n", "\ufffd"}, "the stored answer holds something the person never typed"
    harness.release(user, snapshot, after, language=chosen, platform_language=platform)


@settings(max_examples=examples(300))
@given(data=st.data(), text=over_long_text(), chosen=languages, locale=locales)
def test_an_over_long_answer_is_refused_with_the_limit_and_nothing_is_stored(
        harnesses: Harnesses, data: st.DataObject, text: str, chosen: str | None, locale: str | None) -> None:
    harness = harnesses.draw(data)
    questions = [name for name in harness.snapshots if kind_of(name) in FREE_TEXT_STEPS]
    snapshot = data.draw(st.sampled_from(questions), label="snapshot")
    chosen, platform = languages_of(snapshot, chosen, None, locale)
    user, before, _ = harness.person(snapshot, language=chosen, platform_language=platform)

    replies = harness.text(user, text, locale=locale)
    after = harness.stored(user)

    harness.assert_polite_reply(replies)
    language = expected_language(chosen=chosen, locale=locale, platform=platform)
    harness.assert_in_language(replies, language, typed=text)
    assert INSTRUMENT.text(language, "answer.too_long", length=len(text), limit=LIMIT) in notice_texts(replies)
    assert after.answers == before.answers and position(after) == position(before)
    harness.release(user, snapshot, after, language=chosen, platform_language=platform)


@st.composite
def forged_press(draw: st.DrawFn, harness: Harness, current: Conversation | None) -> tuple[str, str, str]:
    """(kind, prompt id, value or text): a button or a form answer that is not for the current prompt."""
    current_id = current.prompt_id if current is not None else None
    source = draw(st.sampled_from(["forged", "old", "write"]))
    if source == "old":  # a real button of an earlier (or later) prompt, tapped out of order
        shown, values = draw(st.sampled_from(list(live_buttons(harness).values())))
        prompt_id, value = shown.prompt_id, draw(st.sampled_from(values))
    else:
        prompt_id, value = draw(prompt_ids), draw(typed_text if source == "write" else option_values)
    assume(prompt_id != current_id)
    return ("write" if source == "write" else "press"), prompt_id, value


@settings(max_examples=examples(1600))
@given(data=st.data(), chosen=languages, platform=languages, locale=locales)
def test_a_forged_or_stale_button_changes_nothing(harnesses: Harnesses, data: st.DataObject, chosen: str | None,
                                                  platform: str | None, locale: str | None) -> None:
    harness = harnesses.draw(data)
    snapshot = data.draw(st.sampled_from(["fresh", *harness.snapshots]), label="snapshot")
    chosen, platform = languages_of(snapshot, chosen, platform, locale)
    user, before, current = harness.person(snapshot, language=chosen, platform_language=platform)
    kind, prompt_id, value = data.draw(forged_press(harness, current), label="press")

    if kind == "press":
        replies = harness.press(user, prompt_id, value, locale=locale)
    else:
        replies = harness.text(user, value, locale=locale, prompt_id=prompt_id)
    after = harness.stored(user)

    harness.assert_polite_reply(replies)
    if kind == "press" and late_tap_counted(before, after, current, prompt_id, value):
        harness.release(user, snapshot, after, language=chosen, platform_language=platform)
        return
    harness.assert_in_language(replies, expected_language(chosen=chosen, locale=locale, platform=platform),
                               typed=value)
    assert_nothing_changed_but_a_restart(before, after)
    if current is not None and current.started and not current.paused:
        key = "answer.stale" if kind == "press" else "answer.stale_text"
        language = expected_language(chosen=chosen, locale=locale, platform=platform)
        stale = INSTRUMENT.text(language, key, text=value.strip())
        assert stale in notice_texts(replies), "the person is not told that nothing was changed"
    harness.release(user, snapshot, after, language=chosen, platform_language=platform)


@settings(max_examples=examples(700))
@given(data=st.data(), value=option_values, chosen=languages, locale=locales)
def test_a_value_the_current_prompt_does_not_have_changes_nothing(
        harnesses: Harnesses, data: st.DataObject, value: str, chosen: str | None, locale: str | None) -> None:
    harness = harnesses.draw(data)
    started = [name for name, c in harness.snapshots.items() if c.started and not c.paused and c.step != "done"]
    snapshot = data.draw(st.sampled_from(started), label="snapshot")
    chosen, platform = languages_of(snapshot, chosen, None, locale)
    user, before, current = harness.person(snapshot, language=chosen, platform_language=platform)
    assert current is not None
    if value in valid_values(current):
        harness.release(user, snapshot, before, language=chosen, platform_language=platform)
        reject()

    replies = harness.press(user, current.prompt_id, value, locale=locale)
    after = harness.stored(user)

    harness.assert_polite_reply(replies)
    harness.assert_in_language(replies, expected_language(chosen=chosen, locale=locale, platform=platform))
    assert_nothing_changed_but_a_restart(before, after)
    harness.release(user, snapshot, after, language=chosen, platform_language=platform)


@settings(max_examples=examples(400))
@given(data=st.data(), kind=st.sampled_from(["press", "write"]), text=typed_text)
def test_pressing_someone_elses_button_never_touches_their_answers(
        harnesses: Harnesses, data: st.DataObject, kind: str, text: str) -> None:
    """The same prompt id and value as another person's live button: only the presser's own conversation may move."""
    harness = harnesses.draw(data)
    names = list(live_buttons(harness))
    victim_at, presser_at = (data.draw(st.sampled_from(names), label=role) for role in ("victim", "presser"))
    victim, victims_before, button = harness.person(victim_at)
    presser, _, _ = harness.person(presser_at)
    assert button is not None
    value = data.draw(st.sampled_from(sorted(valid_values(button))), label="value")

    if kind == "press":
        replies = harness.press(presser, button.prompt_id, value)
    else:
        replies = harness.text(presser, text, prompt_id=button.prompt_id)

    harness.assert_polite_reply(replies)
    assert all(message.to == presser for message in replies), "a reply went to someone else"
    victims_after = harness.stored(victim)
    assert victims_after == victims_before
    harness.release(victim, victim_at, victims_after)


@settings(max_examples=examples(500))
@given(data=st.data(), kind=st.sampled_from(["text", "press", "write"]), text=typed_text,
       second=typed_text, locale=locales)
def test_an_event_delivered_twice_is_processed_once(harnesses: Harnesses, data: st.DataObject, kind: str, text: str,
                                                    second: str, locale: str | None) -> None:
    harness = harnesses.draw(data)
    snapshot = data.draw(st.sampled_from(["fresh", *harness.snapshots]), label="snapshot")
    user, _, current = harness.person(snapshot)
    prompt_id = current.prompt_id if current is not None and data.draw(st.booleans(), label="current") else "7"
    event_id = harness.event_id()

    def deliver(content: str) -> list[Outbound]:
        if kind == "press":
            return harness.press(user, prompt_id, content, locale=locale, event_id=event_id)
        return harness.text(user, content, locale=locale, event_id=event_id,
                            prompt_id=prompt_id if kind == "write" else None)

    harness.assert_polite_reply(deliver(text))
    once = harness.stored(user)
    assert deliver(data.draw(st.sampled_from([text, second]), label="again")) == [], "a duplicate was answered"
    assert harness.stored(user) == once, "a duplicate changed what is stored"


ACTIONS = st.one_of(
    st.tuples(st.just("text"), typed_text),
    st.tuples(st.just("valid"), st.integers(0, 50).map(str)),
    st.tuples(st.just("forged"), option_values),
    st.tuples(st.just("write"), typed_text),
    st.tuples(st.just("command"), st.sampled_from(
        ["start", "pause", "resume", "back", "skip", "edit", "answers", "help", "join", "round", "unknown",
         "language", "language sv", "language en", "language fi", "language klingon"])),
)


@settings(max_examples=examples(250))
@given(data=st.data(), actions=st.lists(ACTIONS, min_size=1, max_size=8), locale=locales)
def test_any_sequence_of_events_keeps_every_turn_polite(harnesses: Harnesses, data: st.DataObject,
                                                        actions: list[tuple[str, str]], locale: str | None) -> None:
    """From a fresh start: texts, real presses, stale presses, forms and commands in any order."""
    harness = harnesses.draw(data)
    user: UserRef = harness.new_user()
    for action, argument in actions:
        current = harness.store.load(user, harness.round)
        before = Stored.of(current)
        if action == "valid" and valid_values(current):
            assert current is not None
            values = sorted(valid_values(current))
            replies = harness.press(user, current.prompt_id, values[int(argument) % len(values)], locale=locale)
        elif action in ("forged", "valid"):
            stale = str(current.prompt_seq + 1) if current is not None else "1"
            replies = harness.press(user, stale, argument, locale=locale)
            after = harness.stored(user)
            assert_nothing_changed_but_a_restart(before, after)
        elif action == "write":
            prompt_id = current.prompt_id if current is not None else "1"
            replies = harness.text(user, argument, locale=locale, prompt_id=prompt_id)
        elif action == "command":
            name, _, rest = argument.partition(" ")
            replies = harness.command(user, name, rest, locale=locale)
        else:
            replies = harness.text(user, argument, locale=locale)
        after = harness.stored(user)
        harness.assert_polite_reply(replies)
        language = expected_language(chosen=after.language, locale=locale, platform=after.platform_language)
        harness.assert_in_language(replies, language, typed=argument)
