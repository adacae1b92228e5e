"""Reminders to N recipients through the durable outbox and the real Telegram sender.

    .venv/bin/python bench/fanout.py [--recipients 10000] [--database-url URL] [--workers 1]

A fake Bot API (in its own process) enforces Telegram's overall limit strictly (more than 30 messages in any
one-second window gets 429 with retry_after) and records what arrives. The outbox (a SQLite
file by default) is filled with N reminder notices; the workers claim them and send through the
real TelegramSender (python-telegram-bot, its rate limiter, 429 handling). Prints the achieved
rate as a share of the limit, the 429s received, duplicates and losses.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: keep the repository importable

from telegram import Bot  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from adapters.telegram.sender import TelegramSender  # noqa: E402
from bot.app.outbox import OutboxWorker, scheduled_notice  # noqa: E402
from bot.core.clock import SystemClock  # noqa: E402
from bot.core.identity import UserRef  # noqa: E402
from storage.database import create_database_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.sql_outbox import SqlOutbox  # noqa: E402
from storage.sql_teams import SqlTeams  # noqa: E402
from tests.support.slack import free_port  # noqa: E402

LIMIT_PER_SECOND = 30
TOKEN = "123456789:FANOUT-bench"


class StrictBotApi:
    """Counts sendMessage calls in a sliding one-second window and refuses the 31st with 429."""

    def __init__(self) -> None:
        self.window: collections.deque[float] = collections.deque()
        self.received: collections.Counter[str] = collections.Counter()
        self.refused = 0
        self.first = self.last = 0.0
        self.message_id = 0

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response({"received": dict(self.received), "refused": self.refused,
                                  "span": self.last - self.first})

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            return web.json_response({"ok": True, "result": {"id": 123456789, "is_bot": True, "first_name": "K",
                                                             "username": "kartoitus_bot"}})
        params: dict[str, Any] = dict(await request.post()) if request.content_type != "application/json" \
            else await request.json()
        now = time.monotonic()
        while self.window and self.window[0] <= now - 1.0:
            self.window.popleft()
        if len(self.window) >= LIMIT_PER_SECOND:
            self.refused += 1
            return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                      "parameters": {"retry_after": 1}}, status=429)
        self.window.append(now)
        self.first = self.first or now
        self.last = now
        chat = str(params["chat_id"])
        self.received[chat] += 1
        self.message_id += 1
        return web.json_response({"ok": True, "result": {
            "message_id": self.message_id, "date": int(time.time()), "text": params.get("text", ""),
            "chat": {"id": int(chat), "type": "private"}}})


def serve_api(port: int) -> None:
    """The fake Bot API in its own process, so its clock is not held up by the sender's event loop."""
    api = StrictBotApi()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    app.router.add_get("/stats", api.stats)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def run(recipients: int, database_url: str | None, workers: int, in_flight: int) -> None:
    port = free_port()
    api_process = subprocess.Popen([sys.executable, __file__, "--serve-api", str(port)])
    async with httpx.AsyncClient() as probe:
        for _ in range(200):
            try:
                await probe.get(f"http://127.0.0.1:{port}/stats")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.05)

    url = database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='kartoitus-fanout-')) / 'fanout.db'}"
    upgrade(url)
    engine = create_database_engine(url)
    outbox, teams, clock = SqlOutbox(engine), SqlTeams(engine), SystemClock()
    now = datetime.now(UTC)
    people = [UserRef("telegram", "123456789", str(10_000_000 + n)) for n in range(recipients)]
    outbox.enqueue([scheduled_notice(f"remind:bench:{p.user}", p, now, "Muistutus: kartoitus odottaa sinua. "
                                     "Jäljellä 2/8 kohtaa.") for p in people], now=now)

    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot",
              request=HTTPXRequest(connection_pool_size=32, pool_timeout=30))
    await bot.initialize()
    sender = TelegramSender(bot, refs=teams, reachability=teams, clock=clock)  # one limiter for all workers
    began = time.monotonic()
    sent = await asyncio.gather(*(OutboxWorker(outbox, {"telegram": sender}, clock, worker=f"bench-{n}",
                                               in_flight=in_flight).drain() for n in range(workers)))
    elapsed = time.monotonic() - began
    await bot.shutdown()
    async with httpx.AsyncClient() as client:
        stats = (await client.get(f"http://127.0.0.1:{port}/stats")).json()
    api_process.terminate()
    api_process.wait(timeout=10)

    received = collections.Counter({chat: int(count) for chat, count in stats["received"].items()})
    duplicates = sum(count - 1 for count in received.values() if count > 1)
    losses = sum(1 for p in people if received[p.user] == 0)
    rate = sum(received.values()) / max(float(stats["span"]), 1e-9)
    print(f"recipients: {recipients}, workers: {workers} × {in_flight} in flight, database: {engine.dialect.name}, "
          f"time: {elapsed:.1f} s, marked sent: {sum(sent)}, still pending: {outbox.pending()}")
    print(f"achieved rate: {rate:.2f} messages/s = {rate / LIMIT_PER_SECOND:.1%} of Telegram's {LIMIT_PER_SECOND}/s")
    print(f"429s received: {stats['refused']}, duplicates: {duplicates}, losses: {losses}")
    engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--workers", type=int, default=1, help="outbox workers sharing the one sender")
    parser.add_argument("--in-flight", type=int, default=8, help="messages on the wire per worker")
    parser.add_argument("--serve-api", type=int, default=0, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve_api:
        serve_api(options.serve_api)
    else:
        asyncio.run(run(options.recipients, options.database_url, options.workers, options.in_flight))
