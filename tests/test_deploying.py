"""Deploying: `kartoitus run` stops cleanly on SIGTERM, and two of them share one PostgreSQL.

Everything here starts real processes against the platform fakes (the Telegram emulator behind
its repairing proxy, the fake Slack Web API) and waits for events, never for fixed times.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from aiohttp import web

from bot.app.outbox import scheduled_notice
from bot.core.identity import UserRef
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_outbox import SqlOutbox
from storage.tables import answer, outbox_message, respondent, respondent_link, team_member
from tests.support.balancer import Balancer
from tests.support.processes import BotProcess, wait_for
from tests.support.slack import BOT_TOKEN, SIGNING_SECRET, TEAM, FakeSlackApi, SlackPerson, free_port
from tests.support.telegram import TOKEN, TelegramPerson
from tests.support.telegram_proxy import RepairingProxy, repair_update

# PostgreSQL, as deployed: SQLite fails a read-then-write transaction at once ("database is locked")
# when another connection of the process committed meanwhile, which a fan-out beside turns provokes.
pytestmark = [pytest.mark.slow, pytest.mark.postgres]
BOT_ID = TOKEN.split(":", 1)[0]
SHUTDOWN_LIMIT = 10.0  # seconds: what a service manager waits before it kills
INVITATION = "Kutsu: kriittisten pisteiden kartoitus"
JOINED = re.compile(r"Olet nyt tiimin jäsen: \S+ \(jäseniä (\d+)\)")


class SlowSlackApi(FakeSlackApi):
    """The fake Web API, answering chat.postMessage after a pause, as a busy Slack does."""

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "chat.postMessage":
            await asyncio.sleep(0.05)
        return await super().handle(request)


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@pytest_asyncio.fixture
async def slow_slack_api() -> AsyncIterator[FakeSlackApi]:
    api = SlowSlackApi()
    await api.start()
    yield api
    await api.stop()


def queue_fanout(url: str, platform: str, workspace: str, users: list[str]) -> None:
    engine = create_database_engine(url)
    now = datetime.now(UTC)
    SqlOutbox(engine).enqueue([scheduled_notice(f"fanout:{user}", UserRef(platform, workspace, user), now, INVITATION)
                               for user in users], now=now)
    engine.dispose()


def outbox_rows(url: str) -> list[sa.Row[tuple[object, ...]]]:
    engine = create_database_engine(url)
    with engine.connect() as db:
        rows = list(db.execute(sa.select(outbox_message)).all())
    engine.dispose()
    return rows


def members(url: str) -> int:
    engine = create_database_engine(url)
    with engine.connect() as db:
        count = int(db.execute(sa.select(sa.func.count()).select_from(team_member)).scalar_one())
    engine.dispose()
    return count


def assert_nothing_held(url: str) -> None:
    held = [row.key for row in outbox_rows(url) if row.sent_at is None and row.claimed_until is not None]
    assert held == [], "a stopping worker gives its claims back at once, not after the lease"


def telegram_texts(proxy: RepairingProxy, chat: str) -> list[str]:
    return [str(params.get("text", "")) for method, params in proxy.calls
            if method == "sendMessage" and str(params.get("chat_id")) == chat and not params.get("refused")]


def slack_texts(api: FakeSlackApi, channel: str) -> list[str]:
    return [str(params.get("text", "")) for method, params in api.calls
            if method == "chat.postMessage" and str(params.get("channel")) == channel]


def joined_counts(texts: list[str]) -> list[int]:
    """The member counts the confirmations announced ("jäseniä N"), sorted: 1..n when each came once."""
    return sorted(int(match[1]) for text in texts for match in JOINED.finditer(text))


async def test_sigterm_stops_telegram_polling_with_group_confirmations_and_a_fanout_in_flight(
        telegram_proxy: RepairingProxy, telegram_emulator: str, http: httpx.AsyncClient, tmp_path: Path,
        fresh_postgres_url: str) -> None:
    url = fresh_postgres_url
    upgrade(url)
    fanout = [str(880_000 + n) for n in range(60)]  # at 30 messages/s this takes two seconds
    queue_fanout(url, "telegram", BOT_ID, fanout)
    telegram_proxy.started.update(int(user) for user in fanout)  # they opened the private chat earlier
    settings = {"KARTOITUS_DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": telegram_proxy.url,
                "KARTOITUS_LOG_LEVEL": "INFO"}
    group = "-100600001"
    bot = await BotProcess("telegram", tmp_path, **settings).start()
    try:
        await wait_for(lambda: any(method == "getUpdates" for method, _ in telegram_proxy.calls), "polling")
        for n in range(6):
            await TelegramPerson(http, telegram_emulator, name=f"Jäsen {n}").in_group(int(group), "Autoala").say(
                "/liity")
        # Three confirmations go out at once (the group's burst); the rest wait for 20-a-minute slots.
        await wait_for(lambda: len(telegram_texts(telegram_proxy, group)) >= 3, "the first confirmations")
        await wait_for(lambda: sum(len(telegram_texts(telegram_proxy, user)) for user in fanout) >= 10,
                       "the fan-out under way")
        code, seconds = await bot.terminate()
        assert code == 0 and seconds < SHUTDOWN_LIMIT, (code, seconds, bot.output()[-3000:])
        before = len(telegram_texts(telegram_proxy, group)), sum(len(telegram_texts(telegram_proxy, u)) for u in fanout)
        assert members(url) == 6, "every /liity that was taken is committed"
        assert_nothing_held(url)

        tick = await BotProcess("tick", tmp_path, **settings).start("tick")
        assert await tick.wait() == 0, tick.output()
        assert [user for user in fanout if telegram_texts(telegram_proxy, user) != [INVITATION]] == [], \
            "every invitation exactly once"
        assert joined_counts(telegram_texts(telegram_proxy, group)) == list(range(1, 7)), \
            "every confirmation once: before the stop, or from the outbox after it"
        print(f"\nTelegram polling: SIGTERM to exit {seconds:.2f} s; before it {before[0]}/6 confirmations "
              f"and {before[1]}/60 invitations were sent, the rest after it, each once")
    finally:
        await bot.kill()


async def test_sigterm_stops_slack_http_mode_with_channel_confirmations_and_a_fanout_in_flight(
        slow_slack_api: FakeSlackApi, http: httpx.AsyncClient, tmp_path: Path, fresh_postgres_url: str) -> None:
    api = slow_slack_api
    url = fresh_postgres_url
    upgrade(url)
    fanout = [f"U0F{n:04d}" for n in range(150)]
    queue_fanout(url, "slack", TEAM, fanout)
    port = free_port()
    settings = {"KARTOITUS_DATABASE_URL": url, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": api.url, "KARTOITUS_HTTP_PORT": str(port), "KARTOITUS_LOG_LEVEL": "INFO"}
    bot = await BotProcess("slack", tmp_path, **settings).start()
    app_url = f"http://127.0.0.1:{port}/slack/events"
    try:
        await wait_for(lambda: api.count("chat.postMessage") > 0, "the fan-out under way")
        people = [SlackPerson(app_url, api, http, f"U0M{n:03d}") for n in range(10)]
        for person in people:
            response = await person.command("liity", channel="C0AUTO", channel_name="autoala")
            assert response.status_code == 200
        # A channel gets a burst of three, then about one a second.
        await wait_for(lambda: len(slack_texts(api, "C0AUTO")) >= 3, "the first confirmations")
        code, seconds = await bot.terminate()
        assert code == 0 and seconds < SHUTDOWN_LIMIT, (code, seconds, bot.output()[-3000:])
        before = len(slack_texts(api, "C0AUTO")), sum(len(slack_texts(api, user)) for user in fanout)
        assert members(url) == 10, "every acknowledged /kartoitus liity is committed"
        assert_nothing_held(url)
        with pytest.raises(httpx.TransportError):
            await people[0].command("liity", channel="C0AUTO", channel_name="autoala")

        tick = await BotProcess("tick", tmp_path, **settings).start("tick")
        assert await tick.wait() == 0, tick.output()
        assert [user for user in fanout if slack_texts(api, user) != [INVITATION]] == [], \
            "every invitation exactly once"
        assert joined_counts(slack_texts(api, "C0AUTO")) == list(range(1, 11)), \
            "every confirmation once: before the stop, or from the outbox after it"
        print(f"\nSlack HTTP: SIGTERM to exit {seconds:.2f} s; before it {before[0]}/10 confirmations "
              f"and {before[1]}/150 invitations were sent, the rest after it, each once")
    finally:
        await bot.kill()


# --- scale-out: two processes per platform on one PostgreSQL, behind one entry point ----------

RATINGS = [("4 Toimii", "4"), ("3 Toimii", "3"), ("2 Toimii", "2"), ("En osaa", "cant_say"), ("5 Toimii", "5"),
           ("4 Toimii", "4"), ("3 Toimii", "3"), ("2 Toimii", "2")]
CONFLICT = 3  # the question answered by two different clicks at once, through both processes
SECRET = "kartoitus_webhook-secret"


class TimedProxy(RepairingProxy):
    """The repairing proxy, noting when each sendMessage arrives (from any process), and numbering
    webhook updates apart: the emulator counts update ids only after its webhook call returns, so two
    updates that arrive at once get the same id, which Telegram never does."""

    def __init__(self, emulator_url: str) -> None:
        super().__init__(emulator_url)
        self.sent_at: list[float] = []
        self._relayed: dict[int, str] = {}
        self._fresh = itertools.count(900_000_000)

    async def bot_method(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "sendMessage":
            self.sent_at.append(time.monotonic())
        return await super().bot_method(request)

    async def relay(self, request: web.Request) -> web.Response:
        update = self.observe(repair_update(await request.json()))
        content = json.dumps({key: value for key, value in update.items() if key != "update_id"}, sort_keys=True)
        if self._relayed.setdefault(update["update_id"], content) != content:
            update["update_id"] = next(self._fresh)
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook["secret"]}
        answer = await self.client.post(self.webhook["url"], json=update, headers=headers)
        return web.Response(status=answer.status_code)


def busiest_second(times: list[float]) -> int:
    """The most sends in any one-second window."""
    ordered, most, start = sorted(times), 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def answers_of(url: str, platform: str, user: str) -> list[tuple[str, str | None]]:
    """(question, value) of every answer row the person has, in the order they were stored."""
    engine = create_database_engine(url)
    with engine.connect() as db:
        rows = db.execute(sa.select(answer.c.question, answer.c.value).join(
            respondent_link, respondent_link.c.respondent_key == answer.c.respondent_key).join(
            respondent, respondent.c.id == respondent_link.c.respondent_id).where(
            respondent.c.platform == platform, respondent.c.user_id == user).order_by(answer.c.id)).all()
    engine.dispose()
    return [(row.question, row.value) for row in rows]


def workers_per_platform(url: str) -> dict[str, Counter[str]]:
    split: dict[str, Counter[str]] = {}
    for row in outbox_rows(url):
        split.setdefault(str(row.platform), Counter())[str(row.claimed_by)] += 1
    return split


async def slack_ratings(person: SlackPerson, balancer: Balancer) -> list[str]:
    """Part 1's ratings by buttons, each as soon as its question shows, through alternating processes;
    one click mirrored to both, one event retried by Slack while the first is being handled, and two
    different clicks at once on one question. Returns the values the person chose."""
    await person.say("hei")
    await person.expect("Osa 1 · 1/8")
    chosen: list[str] = []
    for index, (label, value) in enumerate(RATINGS, 1):
        if index == CONFLICT:
            await asyncio.gather(person.click("3 Toimii"), person.click("5 Toimii"))
            value = "3|5"
        elif index == 6:  # typed, and retried by Slack (X-Slack-Retry-Num) while the first delivery runs
            # Typed after reading, as a person does: a question is on the platform a moment before its sender
            # notes it as the one on screen (bot.core.ports.LATEST_PROMPT), and text typed within that moment
            # is bound to the question before (a loaded machine made it several milliseconds).
            await asyncio.sleep(0.3)
            await asyncio.gather(person.say("4", event_id="Ev0RETRIED"), person.say("4", event_id="Ev0RETRIED",
                                                                                     retry=1))
        else:
            if index == 2:
                balancer.mirror("/slack")
            await person.click(label)
        chosen.append(value)
        await person.expect("Kehittämiskohteet" if index == 8 else f"Osa 1 · {index + 1}/8")
    return chosen


async def telegram_ratings(person: TelegramPerson, balancer: Balancer) -> list[str]:
    """The same in Telegram: updates through the webhook, one mirrored to both processes (a redelivery)."""
    await person.say("/start")
    await person.replies(expect="Osa 1 · 1/8", timeout=30)
    chosen: list[str] = []
    for index, (label, value) in enumerate(RATINGS, 1):
        if index == CONFLICT:
            question = next(m for m in reversed(await person.history()) if "Osa 1 · 3/8" in m.get("text", ""))
            await asyncio.gather(person.press("3 Toimii", question), person.press("5 Toimii", question))
            value = "3|5"
        else:
            if index in (2, 6):
                balancer.mirror("/telegram")
            await person.press(label)
        chosen.append(value)
        await person.replies(expect="Kehittämiskohteet" if index == 8 else f"Osa 1 · {index + 1}/8", timeout=30)
    return chosen


def assert_answered_once(stored: list[tuple[str, str | None]], chosen: list[str]) -> None:
    """Each rating stored once; the question clicked twice at once (3 and 5 on one card) holds one of the two,
    or both in turn: the second click, on the card showing that question, corrects it. Never a value twice."""
    rows: dict[str, list[str | None]] = {}
    for question, value in stored:
        rows.setdefault(question, []).append(value)
    assert len(rows) == 8, f"every rating stored: {stored}"
    for (question, values), wanted in zip(rows.items(), chosen, strict=True):
        limit = 2 if "|" in wanted else 1
        assert len(values) <= limit and len(set(values)) == len(values), f"{question} stored {values}: {stored}"
        assert all(value in wanted.split("|") for value in values), (stored, chosen)


async def port_open(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def test_two_processes_per_platform_behind_one_entry_point_share_the_work_once(
        telegram_emulator: str, http: httpx.AsyncClient, tmp_path: Path, fresh_postgres_url: str) -> None:
    url = fresh_postgres_url
    upgrade(url)
    telegram_fanout, slack_fanout = [str(890_000 + n) for n in range(80)], [f"U0G{n:04d}" for n in range(80)]
    queue_fanout(url, "telegram", BOT_ID, telegram_fanout)
    queue_fanout(url, "slack", TEAM, slack_fanout)
    proxy, slack_api = TimedProxy(telegram_emulator), FakeSlackApi()
    await proxy.start()
    proxy.started.update(int(user) for user in telegram_fanout)  # they opened the private chat earlier
    await slack_api.start()
    ports = [free_port() for _ in range(4)]
    backends = [f"http://127.0.0.1:{port}" for port in ports]
    balancer = Balancer({"/slack": backends[:2], "/telegram": backends[2:]})
    await balancer.start()
    common = {"KARTOITUS_DATABASE_URL": url, "KARTOITUS_PROCESSES": "2", "KARTOITUS_LOG_LEVEL": "INFO"}
    slack_settings = {**common, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                      "SLACK_API_URL": slack_api.url}
    telegram_settings = {**common, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": proxy.url,
                         "TELEGRAM_WEBHOOK_URL": f"{balancer.url}/telegram", "TELEGRAM_WEBHOOK_SECRET": SECRET}
    processes = [BotProcess(f"slack{n + 1}", tmp_path, **slack_settings, KARTOITUS_HTTP_PORT=str(ports[n]))
                 for n in range(2)]
    processes += [BotProcess(f"telegram{n + 1}", tmp_path, **telegram_settings, KARTOITUS_HTTP_PORT=str(ports[n + 2]))
                  for n in range(2)]
    try:
        await asyncio.gather(*(process.start() for process in processes))
        for process, port in zip(processes, ports, strict=True):
            await wait_for(lambda port=port: port_open(port), f"{process.name} listening", timeout=60)
        started_rss = [round(process.rss_mb()) for process in processes]
        anna = SlackPerson(f"{balancer.url}/slack/events", slack_api, http, "U0ANNA")
        bo = TelegramPerson(http, telegram_emulator, name="Bo")
        slack_chosen, telegram_chosen = await asyncio.gather(slack_ratings(anna, balancer),
                                                             telegram_ratings(bo, balancer))

        # Every turn once, in order: the right answer to each question, none twice, and part 1 on one card that
        # turned into each next question once per rating (and once more for the second of the two clicks at once).
        assert_answered_once(answers_of(url, "slack", "U0ANNA"), slack_chosen)
        assert_answered_once(answers_of(url, "telegram", str(bo.id)), telegram_chosen)
        assert sum("Osa 1 · " in m.shown for m in slack_api.dm("U0ANNA")) == 1
        assert sum("Osa 1 · " in m.get("text", "") for m in await bo.history()) == 1
        card_updates = [p for name, p in slack_api.calls if name == "chat.update" and "Osa 1 · " in json.dumps(
            p.get("blocks", ""), ensure_ascii=False)]
        card_edits = [p for name, p in proxy.calls if name == "editMessageText" and "Osa 1 · " in p.get("text", "")]
        assert len(card_updates) == len(card_edits) == 8 + 1, (len(card_updates), len(card_edits))
        for pool in ("/slack", "/telegram"):
            counts = [balancer.count(backend, pool) for backend in balancer.pools[pool]]
            assert min(counts) >= 5, f"the turns went through both processes of {pool}: {counts}"
        assert sum(f.mirrored for f in balancer.handled) == 3 * 2, "three deliveries reached both processes"

        # The scheduler's work once: both processes of each pair ticked, every invitation went out once.
        await wait_for(lambda: all(len(telegram_texts(proxy, u)) >= 1 for u in telegram_fanout), "the fan-out")
        await wait_for(lambda: all(len(slack_texts(slack_api, u)) >= 1 for u in slack_fanout), "the fan-out")
        assert [u for u in telegram_fanout if telegram_texts(proxy, u) != [INVITATION]] == []
        assert [u for u in slack_fanout if slack_texts(slack_api, u) != [INVITATION]] == []
        assert all("Running job \"Ticker.tick" in process.output() for process in processes)
        # The platform limits hold across both processes: each keeps half of Telegram's 30 messages/s.
        busiest = busiest_second(proxy.sent_at)
        assert busiest <= 30, f"{busiest} Telegram messages in one second from two processes"

        conflicts = sum(process.output().count("version conflict, running the turn again") for process in processes)
        duplicates = sum(process.output().count("duplicate event skipped") for process in processes)
        assert duplicates == 4, "a mirrored click and a retried event in Slack, two redeliveries in Telegram"
        rss = {process.name: round(process.rss_mb()) for process in processes}
        split = workers_per_platform(url)
        results = await asyncio.gather(*(process.terminate() for process in processes))
        assert all(code == 0 and seconds < SHUTDOWN_LIMIT for code, seconds in results), results
        print(f"\nscale-out: 4 processes (2 Slack HTTP, 2 Telegram webhook) on one PostgreSQL behind one URL; "
              f"requests per process {[balancer.count(b) for b in backends]}; {len(balancer.handled)} forwarded, "
              f"3 of them mirrored to both processes of a pair, 1 retried; {duplicates} duplicate deliveries skipped, "
              f"{conflicts} version conflicts re-run; 16 ratings stored once each; fan-out claims per worker "
              f"{ {p: sorted(c.values()) for p, c in split.items()} }; busiest Telegram second {busiest} "
              f"messages (limit 30); RSS MB at start {started_rss}, after {rss}; "
              f"stop {[round(seconds, 1) for _, seconds in results]} s")
    finally:
        for process in processes:
            await process.kill()
        await http.post(f"{telegram_emulator}/bot{TOKEN}/deleteWebhook")  # later tests poll
        await balancer.stop()
        await slack_api.stop()
        await proxy.stop()
