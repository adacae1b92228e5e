"""A fast person in Slack, under Slack's pace (about 1 message/s per channel): the tangle of issue 13, item 7.

The person acts every 0.25 s without waiting for the app: clicks on the card and types ratings in the DM,
faster than the app may write to the channel, so the app's replies arrive after the person's next action.
Every answer must count for the question on the person's screen when they gave it, nothing may be asked twice
or get stuck, and each click costs one Web API call: the card is updated into the next question.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from adapters.slack.app import EVENTS_PATH, SlackBot
from adapters.slack.platform import PLATFORM as SLACK
from adapters.slack.sender import slack_limiter
from bot.core.clock import StartedClock
from bot.shell import wiring
from bot.shell.settings import Settings
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams
from tests.support.fast_person import ACTIONS, GAP, LABELS, expected, rating_meant
from tests.support.slack import FakeSlackApi, Posted, SlackPerson, free_port


@pytest_asyncio.fixture
async def paced(settings: Settings, suite_clock: StartedClock, slack_api: FakeSlackApi,
                http: httpx.AsyncClient) -> AsyncIterator[SlackPerson]:
    """The real app with Slack's pace (slack_limiter), and Anna in a DM with it."""
    bot = wiring.platform_app(settings, SLACK, limiter=slack_limiter(), clock=suite_clock)
    assert isinstance(bot, SlackBot)
    port = free_port()
    await bot.start(host="127.0.0.1", port=port)
    yield SlackPerson(f"http://127.0.0.1:{port}{EVENTS_PATH}", slack_api, http, "U0ANNA")
    await bot.stop()


def card_point(message: Posted) -> int | None:
    found = re.search(r"Osa 1 · (\d)/8", message.shown)
    return int(found.group(1)) if found and message.buttons() else None


def the_card(person: SlackPerson) -> Posted:
    cards = [m for m in person.api.dm(person.user) if card_point(m) is not None]
    assert len(cards) == 1, "part 1 is one card"
    return cards[0]


async def test_a_fast_person_answers_every_question_they_saw_and_nothing_else(
        paced: SlackPerson, slack_api: FakeSlackApi, stores: tuple[SqlStore, SqlTeams]) -> None:
    anna = paced
    await anna.say("hei")
    await anna.expect("Osa 1 · 1/8")
    calls_before = len(slack_api.calls)
    meant: dict[int, str] = {}
    for kind, value in ACTIONS:
        # The card stays as it is while the person reads it and acts, as on a phone: the app's update lands before
        # or after the action, never between the look and the action (the harness has no reaction time).
        async with slack_api.looking():
            card = the_card(anna)
            point = card_point(card)
            assert point is not None
            if kind == "tap":
                await anna.click(LABELS[value], card)
            else:
                await anna.say(value)
            meant[point] = rating_meant(value)
        await asyncio.sleep(GAP)

    loop = asyncio.get_running_loop()
    seen, quiet_since = -1, loop.time()
    while loop.time() - quiet_since < 1.5:  # the paced replies catch up
        if len(slack_api.calls) != seen:
            seen, quiet_since = len(slack_api.calls), loop.time()
        await asyncio.sleep(0.1)
    answers = {row.question: row.value for row in stores[0].export_rows()}
    assert answers == expected(meant), \
        "each answer counts for the question on screen when it was given"
    assert card_point(the_card(anna)) == max(meant) + 1, "the card shows the first question not answered"
    made = [name for name, _ in slack_api.calls[calls_before:] if name.startswith("chat.")]
    assert made == ["chat.update"] * len(ACTIONS), "one Web API call per answer: the card, updated in place"
    assert not any("jo vastattu" in m.shown or "En tunnistanut" in m.shown for m in slack_api.dm(anna.user))

    while (point := card_point(the_card(anna))) is not None:  # not stuck: the rest of part 1, on the same card
        await anna.click(LABELS["4"], the_card(anna))
        await anna.expect("Kehittämiskohteet" if point == 8 else f"Osa 1 · {point + 1}/8")
        if point == 8:
            break
    assert len({row.question for row in stores[0].export_rows()}) == 8
