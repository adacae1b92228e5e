"""A fake Telegram Bot API in its own process, with faults switched on and off over HTTP.

    python -m tests.support.fake_bot_api [--port 0]    # prints "ready <port>" when it listens

It runs in a process of its own so that its clocks (the 30-a-second window, the fault phases)
are not held up by the bot's event loop, and so that a SIGKILL of the bot cannot take it along.
What it does, like Telegram:

- every `sendMessage` (and sendPhoto/sendDocument) that it accepts is recorded as delivered
  *when it arrives*, before the optional latency: a bot killed while waiting for the answer has
  delivered the message all the same, which is the case that can double a message;
- more than 30 sends in any one-second window get 429 with `retry_after: 1`;
- `getMe`, `getUpdates` (held up to 1 s, always empty), `deleteWebhook`, `setWebhook`,
  `setMyCommands`, `deleteMyCommands`, `getMyCommands`, `answerCallbackQuery`, `editMessage*`
  answer minimally, so `kartoitus run` can poll against it;
- with `require_start`, a private message to a chat that never started the bot gets 403
  "bot can't initiate conversation with a user".

Control (JSON bodies):

- `GET /stats`: what was delivered (chat, per-chat counter, text), refusals by kind, calls by method;
- `POST /faults {"phases": [{"mode": "429", "seconds": 30}, {"mode": "500", "seconds": 30},
  {"mode": "close", "seconds": 10}]}`: one phase after the other from now, on the fake's own
  wall clock (modes: `429` with `retry_after` = the seconds left in the phase unless given,
  `500`, `close`: the connection is closed without an answer, nothing delivered; `ok`);
  `"at_least": N` keeps a phase on past its time until it has refused N requests (so that a
  client in backoff still meets it); a single phase may be given as `{"mode": ..., "seconds": ...}`;
  faults hit the send methods only unless `"all": true`;
- `POST /reject {"chat_id": 123, "description": "Bad Request: message is too long"}`: a
  permanent 400 for every send to that chat;
- `POST /latency {"seconds": 0.3}`: every send is answered after this pause;
- `POST /started {"require_start": true, "chats": [1, 2]}`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
BOT_ID = 123456789
TOKEN = f"{BOT_ID}:FAULTS-fake_bot_api"
LIMIT_PER_SECOND = 30
SEND_METHODS = {"sendMessage", "sendPhoto", "sendDocument"}
TRUE_METHODS = {"deleteWebhook", "setWebhook", "setMyCommands", "deleteMyCommands", "answerCallbackQuery",
                "editMessageReplyMarkup", "deleteMessage", "close", "logOut"}
NOT_STARTED = "Forbidden: bot can't initiate conversation with a user"


@dataclass
class Phase:
    mode: str
    until: float  # time.monotonic() when the phase ends (at the earliest: see at_least)
    retry_after: int | None = None
    at_least: int = 0  # the phase goes on past `until` until it has refused this many requests
    refused: int = 0


class BotApiServer:
    """The server's state and handlers (runs in the fake's own process)."""

    def __init__(self) -> None:
        self.window: collections.deque[float] = collections.deque()
        self.delivered: list[dict[str, Any]] = []
        self.per_chat: collections.Counter[str] = collections.Counter()
        self.refused: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()
        self.phases: list[Phase] = []
        self.faults_everywhere = False
        self.rejected: dict[str, str] = {}
        self.latency = 0.0
        self.require_start = False
        self.started: set[str] = set()
        self.message_id = 0

    # control

    async def stats(self, request: web.Request) -> web.Response:
        phase = self.phase()
        return web.json_response({"delivered": self.delivered, "refused": dict(self.refused),
                                  "calls": dict(self.calls), "fault": phase.mode if phase else "ok"})

    async def set_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        phases = body.get("phases") or ([body] if "mode" in body else [])
        start = time.monotonic()
        self.phases = []
        for item in phases:
            start += float(item.get("seconds", 0))
            self.phases.append(Phase(str(item["mode"]), start, item.get("retry_after"), int(item.get("at_least", 0))))
        self.faults_everywhere = bool(body.get("all", False))
        return web.json_response({"ok": True})

    async def set_rejected(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.rejected[str(body["chat_id"])] = str(body.get("description", "Bad Request: message is too long"))
        return web.json_response({"ok": True})

    async def set_latency(self, request: web.Request) -> web.Response:
        self.latency = float((await request.json())["seconds"])
        return web.json_response({"ok": True})

    async def set_started(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.require_start = bool(body.get("require_start", self.require_start))
        self.started.update(str(chat) for chat in body.get("chats", []))
        return web.json_response({"ok": True})

    # the Bot API

    def phase(self) -> Phase | None:
        now = time.monotonic()
        while self.phases and self.phases[0].until <= now and self.phases[0].refused >= self.phases[0].at_least:
            self.phases.pop(0)
        return self.phases[0] if self.phases and self.phases[0].mode != "ok" else None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        self.calls[method] += 1
        params = await _params(request)
        phase = self.phase()
        if phase is not None and (method in SEND_METHODS or self.faults_everywhere):
            return self._fault(request, phase)
        if method in SEND_METHODS:
            return await self._send(method, params)
        if method == "getMe":
            return _ok({"id": BOT_ID, "is_bot": True, "first_name": "Kartoitus", "username": "kartoitus_bot",
                        "can_join_groups": True, "can_read_all_group_messages": False,
                        "supports_inline_queries": False})
        if method == "getUpdates":
            wait = min(float(params.get("timeout") or 0), 1.0)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and request.transport is not None \
                    and not request.transport.is_closing():
                await asyncio.sleep(0.05)
            return _ok([])
        if method == "getMyCommands":
            return _ok([])
        if method == "getWebhookInfo":
            return _ok({"url": "", "has_custom_certificate": False, "pending_update_count": 0})
        if method == "editMessageText":
            return _ok(self._message(str(params.get("chat_id", "0")), str(params.get("text", ""))))
        if method in TRUE_METHODS:
            return _ok(True)
        return _error(404, "Not Found: method not found")

    def _fault(self, request: web.Request, phase: Phase) -> web.StreamResponse:
        self.refused[phase.mode] += 1
        phase.refused += 1
        if phase.mode == "429":
            left = phase.retry_after if phase.retry_after is not None else max(1, math.ceil(phase.until
                                                                                             - time.monotonic()))
            return _error(429, f"Too Many Requests: retry after {left}", {"retry_after": left})
        if phase.mode == "close":
            if request.transport is not None:
                request.transport.abort()  # no answer at all: the client sees the connection go
            return web.Response(status=500)  # never reaches anyone
        return _error(500, "Internal Server Error")

    async def _send(self, method: str, params: Mapping[str, Any]) -> web.Response:
        chat = str(params.get("chat_id", ""))
        now = time.monotonic()
        while self.window and self.window[0] <= now - 1.0:
            self.window.popleft()
        if len(self.window) >= LIMIT_PER_SECOND:
            self.refused["limit"] += 1
            return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        if chat in self.rejected:
            self.refused["400"] += 1
            return _error(400, self.rejected[chat])
        if self.require_start and not chat.startswith("-") and chat not in self.started:
            self.refused["403"] += 1
            return _error(403, NOT_STARTED)
        self.window.append(now)
        self.per_chat[chat] += 1
        text = str(params.get("text", params.get("caption", "")))
        self.delivered.append({"chat": chat, "n": self.per_chat[chat], "text": text, "method": method,
                               "at": time.time()})
        answer = self._message(chat, text)  # delivered now, whether or not the answer reaches the bot
        if self.latency:
            await asyncio.sleep(self.latency)
        return _ok(answer)

    def _message(self, chat: str, text: str) -> dict[str, Any]:
        self.message_id += 1
        chat_id = int(chat) if chat.lstrip("-").isdigit() else 0
        return {"message_id": self.message_id, "date": int(time.time()), "text": text,
                "chat": {"id": chat_id, "type": "group" if chat_id < 0 else "private"}}


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    form = await request.post()
    return {key: value if isinstance(value, str) else "<file>" for key, value in form.items()}


async def serve(port: int) -> None:
    server = BotApiServer()
    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", server.handle)
    app.router.add_get("/stats", server.stats)
    app.router.add_post("/faults", server.set_faults)
    app.router.add_post("/reject", server.set_rejected)
    app.router.add_post("/latency", server.set_latency)
    app.router.add_post("/started", server.set_started)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"ready {bound}", flush=True)
    await asyncio.Event().wait()


# the test side


@dataclass(frozen=True)
class Stats:
    delivered: list[dict[str, Any]]
    refused: dict[str, int]
    calls: dict[str, int]
    fault: str

    def received(self) -> collections.Counter[str]:
        """Deliveries per chat."""
        return collections.Counter(item["chat"] for item in self.delivered)

    def copies(self, text: str | None = None) -> collections.Counter[str]:
        """Per chat, how many times a message (containing `text`, if given) was delivered."""
        return collections.Counter(item["chat"] for item in self.delivered if text is None or text in item["text"])

    def duplicates(self, text: str | None = None) -> int:
        return sum(count - 1 for count in self.copies(text).values() if count > 1)


@dataclass
class FakeBotApi:
    """Starts the fake in a subprocess and talks to its control endpoints."""

    log_dir: Path
    url: str = ""
    process: asyncio.subprocess.Process | None = None
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=30))

    async def start(self) -> str:
        log = (self.log_dir / "fake_bot_api.log").open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.support.fake_bot_api", "--port", "0", cwd=ROOT,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=log)
        assert self.process.stdout is not None
        line = (await asyncio.wait_for(self.process.stdout.readline(), 60)).decode()
        assert line.startswith("ready "), f"the fake Bot API did not start: {line!r}"
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"
        return self.url

    async def stop(self) -> None:
        await self.http.aclose()
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()

    async def stats(self) -> Stats:
        data = (await self.http.get(f"{self.url}/stats")).json()
        return Stats(data["delivered"], data["refused"], data["calls"], data["fault"])

    async def faults(self, *phases: Mapping[str, Any], everywhere: bool = False) -> None:
        await self._post("/faults", {"phases": list(phases), "all": everywhere})

    async def reject(self, chat_id: int | str, description: str = "Bad Request: message is too long") -> None:
        await self._post("/reject", {"chat_id": str(chat_id), "description": description})

    async def latency(self, seconds: float) -> None:
        await self._post("/latency", {"seconds": seconds})

    async def started(self, chats: Sequence[int | str], *, require_start: bool = True) -> None:
        await self._post("/started", {"require_start": require_start, "chats": [str(c) for c in chats]})

    async def _post(self, path: str, body: Mapping[str, Any]) -> None:
        answer = await self.http.post(f"{self.url}{path}", content=json.dumps(body),
                                      headers={"Content-Type": "application/json"})
        answer.raise_for_status()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A fake Telegram Bot API with switchable faults.")
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(serve(parser.parse_args().port))
