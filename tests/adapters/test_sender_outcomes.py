"""What each platform sender reports for what the platform answered: the real SDKs against scripted fakes.

Only a message the platform accepted is "delivered"; the rest carry the outcome the outbox acts on.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from telegram import Bot

from adapters.ratelimit import RateLimiter
from adapters.slack.outbound import CommandStyle
from adapters.slack.sender import SlackSender, web_client
from adapters.telegram.sender import TelegramSender
from bot.core.delivery import Outcome
from bot.core.identity import UserRef
from bot.core.messages import Notice
from bot.shell.content import load_instrument
from tests.support.clock import FakeClock
from tests.support.slack import BOT_TOKEN, FakeSlackApi, free_port

TOKEN = "123456789:OUTCOMES-test"
FAST = {"overall_per_second": 1000, "chat_per_second": 1000, "chat_burst": 100, "group_per_minute": 60000}


class Refs:
    def remember(self, recipient: str, prompt_id: str, ref: str, *, now: datetime) -> None: ...

    def recall(self, recipient: str, prompt_id: str) -> str | None:
        return None


class Reach:
    def __init__(self) -> None:
        self.unreachable: list[str] = []

    def mark_unreachable(self, user: UserRef, *, now: datetime) -> None:
        self.unreachable.append(user.user)

    def mark_reachable(self, user: UserRef) -> None: ...

    def is_unreachable(self, user: UserRef) -> bool:
        return user.user in self.unreachable


class ScriptedBotApi:
    """Answers sendMessage per chat id as scripted: a list of (status, body) taken in turn, then success."""

    def __init__(self) -> None:
        self.script: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.requests: list[str] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            return web.json_response({"ok": True, "result": {"id": 123456789, "is_bot": True, "first_name": "K",
                                                             "username": "kartoitus_bot"}})
        params = await request.json() if request.content_type == "application/json" else dict(await request.post())
        chat = str(params["chat_id"])
        self.requests.append(chat)
        steps = self.script.get(chat)
        if steps:
            status, body = steps.pop(0)
            if status == 500:
                return web.Response(status=500, text="Internal Server Error")
            return web.json_response(body, status=status)
        return web.json_response({"ok": True, "result": {"message_id": len(self.requests), "date": int(time.time()),
                                                         "text": "x", "chat": {"id": int(chat), "type": "private"}}})


def error(code: int, description: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, body


@pytest_asyncio.fixture
async def bot_api() -> AsyncIterator[ScriptedBotApi]:
    api = ScriptedBotApi()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    api.url = f"http://127.0.0.1:{port}/bot"
    yield api
    await runner.cleanup()


def notice(user: str, platform: str = "telegram") -> Notice:
    return Notice(to=UserRef(platform, "w", user), text="Kutsu", heading=None, language="fi")


TELEGRAM_CASES = [
    ("delivered", [], Outcome.DELIVERED, ""),
    ("short 429 waited out", [error(429, "Too Many Requests: retry after 1", retry_after=1)], Outcome.DELIVERED, ""),
    ("long 429", [error(429, "Too Many Requests: retry after 30", retry_after=30)], Outcome.RETRY, "429"),
    ("server error", [(500, {})], Outcome.RETRY, "NetworkError"),
    ("too long", [error(400, "Bad Request: message is too long")], Outcome.REJECTED, "message is too long"),
    ("blocked", [error(403, "Forbidden: bot was blocked by the user")], Outcome.UNREACHABLE, "blocked"),
    ("never started", [error(403, "Forbidden: bot can't initiate conversation with a user")],
     Outcome.NOT_STARTED, "initiate"),
]


@pytest.mark.parametrize(("case", "script", "outcome", "reason"), TELEGRAM_CASES, ids=[c[0] for c in TELEGRAM_CASES])
async def test_telegram_outcomes(bot_api: ScriptedBotApi, case: str, script: list[tuple[int, dict[str, Any]]],
                                 outcome: Outcome, reason: str) -> None:
    bot_api.script["501"] = list(script)
    reach = Reach()
    async with Bot(TOKEN, base_url=bot_api.url) as bot:
        sender = TelegramSender(bot, refs=Refs(), reachability=reach, clock=FakeClock(),
                                limiter=RateLimiter(**FAST))
        started = time.monotonic()
        [delivery] = await sender.send([notice("501")])
    assert delivery.outcome is outcome and reason.lower() in delivery.reason.lower()
    assert time.monotonic() - started < 5, "a long 429 is not waited out inside the send"
    if outcome is Outcome.DELIVERED:
        assert delivery.message_id
    if outcome is Outcome.RETRY and case == "long 429":
        assert delivery.retry_after == 30
    assert reach.unreachable == (["501"] if outcome is Outcome.UNREACHABLE else [])


async def test_telegram_the_rest_of_a_turn_waits_after_a_message_that_did_not_go(bot_api: ScriptedBotApi) -> None:
    bot_api.script["502"] = [error(400, "Bad Request: message is too long")]
    async with Bot(TOKEN, base_url=bot_api.url) as bot:
        sender = TelegramSender(bot, refs=Refs(), reachability=Reach(), clock=FakeClock(),
                                limiter=RateLimiter(**FAST))
        outcomes = await sender.send([notice("502"), notice("502"), notice("503")])
    assert [o.outcome for o in outcomes] == [Outcome.REJECTED, Outcome.REJECTED, Outcome.DELIVERED]
    assert bot_api.requests == ["502", "503"], "no second request to the person whose first message failed"


@pytest_asyncio.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    yield api
    await api.stop()


async def test_slack_outcomes(slack_api: FakeSlackApi) -> None:
    instrument = load_instrument()
    reach = Reach()
    sender = SlackSender(web_client(BOT_TOKEN, slack_api.url), texts=instrument.text, style=CommandStyle(()),
                         refs=Refs(), reachability=reach, clock=FakeClock(), limiter=RateLimiter(**FAST))

    async def outcome(user: str) -> tuple[Outcome, str, float | None]:
        [delivery] = await sender.send([notice(user, "slack")])
        return delivery.outcome, delivery.reason, delivery.retry_after

    assert (await outcome("U0ANNA"))[0] is Outcome.DELIVERED
    slack_api.rate_limit_next["chat.postMessage"], slack_api.retry_after = 1, 1
    assert (await outcome("U0ANNA"))[0] is Outcome.DELIVERED, "a short 429 is waited out by the SDK"
    slack_api.rate_limit_next["chat.postMessage"], slack_api.retry_after = 1, 60
    started = time.monotonic()
    assert await outcome("U0ANNA") == (Outcome.RETRY, "ratelimited", 60)
    assert time.monotonic() - started < 5
    slack_api.server_errors_next = 1
    assert (await outcome("U0ANNA"))[0] is Outcome.RETRY
    slack_api.refuse["U0BO"] = "invalid_blocks"
    assert await outcome("U0BO") == (Outcome.REJECTED, "invalid_blocks", None)
    slack_api.gone.add("U0CID")
    assert await outcome("U0CID") == (Outcome.UNREACHABLE, "user_not_found", None)
    assert reach.unreachable == ["U0CID"]
    assert sum(1 for m in slack_api.messages if m.channel == "D0ANNA") == 2, "only the delivered ones arrived"

