"""N simulated people take part 1 on Telegram at once, through the Bot API emulator.

    .venv/bin/python bench/telegram.py [--people 200] [--unlimited] [--think 0] [--spread 0]

The bot runs in its own process (the real adapter, SQLite file, polling through the repairing
proxy of the tests); this process plays the people and watches the bot's requests at the proxy.
Prints answers/s, p50/p95 reply latency (a person's tap or message → the bot's next question)
and the bot process's peak RSS. By default Telegram's real send limits apply (30 messages/s
overall, 1/s per chat), so the run shows what a school would see; --unlimited lifts them to
show the bot's own capacity. Needs `npm ci` (make test does it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: this file's name would hide the `telegram` package

from bench.harness import peak_rss_mb, serve_telegram, start_emulator  # noqa: E402
from tests.support.telegram import TOKEN, _free_port  # noqa: E402
from tests.support.telegram_proxy import RepairingProxy  # noqa: E402

RATINGS = ["1:4", "2:3", "3:2", "4:cant_say", "5:5", "6:4", "7:3", "8:2"]  # part 1 runs straight through


class WatchingProxy(RepairingProxy):
    """The repairing proxy, also telling waiting people when the bot shows them a question: a new message with
    buttons, or an earlier one edited into a question (a card turned over)."""

    def __init__(self, emulator_url: str) -> None:
        super().__init__(emulator_url)
        self.waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}

    def _shown(self, chat: str, message: dict[str, Any]) -> None:
        waiter = self.waiters.pop(chat, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(message)

    async def bot_method(self, request: web.Request) -> web.Response:
        response = await super().bot_method(request)
        if request.match_info["method"] == "editMessageText":
            params = await self._params(request)
            markup = params.get("reply_markup")
            markup = json.loads(markup) if isinstance(markup, str) else markup or {}
            if markup.get("inline_keyboard"):
                self._shown(str(params["chat_id"]), {"message_id": int(params["message_id"]), "reply_markup": markup})
        return response

    def _repair_answer(self, method: str, answer: dict[str, Any]) -> Any:
        result = answer.get("result")
        if method == "sendMessage" and isinstance(result, dict) and result.get("reply_markup"):
            self._shown(str(result["chat"]["id"]), result)
        return super()._repair_answer(method, answer)


async def person(number: int, http: httpx.AsyncClient, emulator: str, proxy: WatchingProxy,
                 latencies: list[float], think: float, arrival: float) -> int:
    user = {"id": 700000 + number, "is_bot": False, "first_name": f"P{number}", "language_code": "fi"}
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    loop = asyncio.get_running_loop()

    async def act(payload: dict[str, Any], route: str) -> dict[str, Any]:
        await asyncio.sleep(think)  # reading the question before answering it
        waiter: asyncio.Future[dict[str, Any]] = loop.create_future()
        proxy.waiters[str(user["id"])] = waiter
        began = time.perf_counter()
        await http.post(f"{emulator}/{route}", json=payload)
        message = await asyncio.wait_for(waiter, 600)
        latencies.append(time.perf_counter() - began)
        return message

    await asyncio.sleep(arrival)  # when this person opens the chat
    message = await act({"botToken": TOKEN, "from": user, "chat": chat, "date": int(time.time()), "text": "/start",
                         "entities": [{"offset": 0, "length": 6, "type": "bot_command"}]}, "sendMessage")
    answers = 0
    for choice in [*(c.split(":")[1] for c in RATINGS)]:
        prompt_id = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[0]
        message = await act({"botToken": TOKEN, "from": user, "data": f"{prompt_id}:{choice}",
                             "message": {"message_id": message["message_id"], "chat": chat,
                                         "date": int(time.time())}}, "sendCallback")
        answers += choice != "continue"
    text = "+".join(str(i) for i in (3, 7))  # the two development targets, typed
    await act({"botToken": TOKEN, "from": user, "chat": chat, "date": int(time.time()), "text": text.replace("+", " ")},
              "sendMessage")
    return answers + 1


async def drive(people: int, unlimited: bool, think: float, spread: float) -> None:
    emulator_port = _free_port()
    emulator = start_emulator(emulator_port)
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    proxy = WatchingProxy(emulator_url)
    proxy_url = await proxy.start()
    folder = Path(tempfile.mkdtemp(prefix="kartoitus-telegram-bench-"))
    env = {**os.environ, "KARTOITUS_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}", "TELEGRAM_BOT_TOKEN": TOKEN,
           "TELEGRAM_API_URL": proxy_url, "KARTOITUS_LOG_LEVEL": "WARNING"}
    bot = subprocess.Popen([sys.executable, __file__, "--serve", *(["--unlimited"] if unlimited else [])], env=env)
    try:
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=100)) as http:
            for _ in range(200):  # until the bot polls
                if any(method == "getUpdates" for method, _ in proxy.calls):
                    break
                await asyncio.sleep(0.05)
            latencies: list[float] = []
            began = time.perf_counter()
            arrivals = [spread * n / people for n in range(people)]
            answers = sum(await asyncio.gather(*(person(n, http, emulator_url, proxy, latencies, think, arrivals[n])
                                                 for n in range(people))))
            elapsed = time.perf_counter() - began
        quantiles = statistics.quantiles(latencies, n=100)
        print(f"people: {people}, answers: {answers}, time: {elapsed:.1f} s, "
              f"limits: {'lifted' if unlimited else 'Telegram (30/s overall, 1/s per chat)'}, "
              f"think time {think:.1f} s, starts spread over {spread:.1f} s")
        print(f"answers/s: {answers / elapsed:.1f}")
        print(f"reply latency: p50 {quantiles[49] * 1000:.0f} ms, p95 {quantiles[94] * 1000:.0f} ms")
        print(f"bot peak RSS: {peak_rss_mb(bot.pid):.0f} MB")
    finally:
        bot.terminate()
        bot.wait(timeout=30)
        await proxy.stop()
        emulator.terminate()


def serve(unlimited: bool) -> None:
    """The bot process: the real adapter, polling the proxy, until terminated."""
    serve_telegram(unlimited=unlimited)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--unlimited", action="store_true", help="lift Telegram's send limits")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds each person reads a question before answering (default 0: at once)")
    parser.add_argument("--spread", type=float, default=0.0,
                        help="seconds over which the people open the chat (default 0: all at once)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        serve(options.unlimited)
    else:
        asyncio.run(drive(options.people, options.unlimited, options.think, options.spread))
