"""Slack end-to-end support: a local fake of the Web API, and people who send signed requests.

`FakeSlackApi` answers the Web API methods the app uses the way Slack does, records every
call, keeps the messages as they stand after updates, and can answer a method with 429 and
Retry-After. `SlackPerson` posts correctly signed Events API, block_actions, slash-command
and view_submission requests to the real bolt app, and reads their DM as Slack would show it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest_asyncio
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret-8f2b"
BOT_TOKEN = "xoxb-1-2-test"
APP_TOKEN = "xapp-1-A0KARTOITUS-test"
TEAM = "T0KOULU"
APP_ID = "A0KARTOITUS"
_ids = itertools.count(1)
# How long a person waits for the app: polls end as soon as the message is there, so a generous deadline
# only matters on a loaded 2-core machine (a workbook PDF took over 10 s there).
WAIT_SECONDS = 60.0
SCREEN_METHODS = {"chat.postMessage", "chat.update", "chat.delete", "chat.postEphemeral"}  # change what a DM shows


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Posted:
    """A message as it stands now (after chat.update)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    updates: int = 0
    thread_ts: str | None = None  # posted as a reply in this thread

    @property
    def shown(self) -> str:
        """The text a person sees: every section, context and button label, in order."""
        parts: list[str] = []
        for block in self.blocks:
            if block["type"] in ("section", "header"):
                parts.append(block["text"]["text"])
            elif block["type"] == "context":
                parts += [element["text"] for element in block["elements"]]
            elif block["type"] == "actions":
                parts.append(" | ".join(element["text"]["text"] for element in block["elements"]
                                        if element["type"] == "button"))
        return "\n".join(parts)

    def buttons(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(block, button) for every button of the message."""
        return [(block, element) for block in self.blocks if block["type"] == "actions"
                for element in block["elements"] if element["type"] == "button"]


@dataclass
class FakeSlackApi:
    locales: dict[str, str] = field(default_factory=dict)
    timezones: dict[str, str] = field(default_factory=dict)  # users.info "tz"; Europe/Helsinki otherwise
    gone: set[str] = field(default_factory=set)  # user ids Slack answers with user_not_found
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    messages: list[Posted] = field(default_factory=list)
    homes: dict[str, dict[str, Any]] = field(default_factory=dict)
    opened: list[dict[str, Any]] = field(default_factory=list)  # views.open payloads
    rate_limit_next: dict[str, int] = field(default_factory=dict)  # method → how many 429s to answer
    retry_after: int = 1
    refuse: dict[str, str] = field(default_factory=dict)  # channel → a permanent error for chat.postMessage
    server_errors_next: int = 0  # how many requests to answer with HTTP 500
    url: str = ""
    socket_acks: list[dict[str, Any]] = field(default_factory=list)  # what the app answered over Socket Mode
    files: list[dict[str, Any]] = field(default_factory=list)  # files upload v2: channel, title, data
    # Held by a test person while they look at their DM and act on it (`looking`): the app's posts and updates
    # land before or after, never between, as on a phone, where what you act on is what you see.
    screen: asyncio.Lock = field(default_factory=asyncio.Lock)
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.handle)
        app.router.add_get("/socket", self.socket)
        app.router.add_post("/upload/{file_id}", self.upload)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/api/"
        return self.url

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(await request.post())
        token = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if request.headers.get("Authorization") != f"Bearer {token}" and params.get("token") != token:
            return web.json_response({"ok": False, "error": "not_authed"})
        self.calls.append((method, params))
        if self.server_errors_next > 0:
            self.server_errors_next -= 1
            return web.Response(status=500, text="Internal Server Error")
        if self.rate_limit_next.get(method, 0) > 0:
            self.rate_limit_next[method] -= 1
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(self.retry_after)})
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        if method in SCREEN_METHODS:
            async with self.screen:
                return web.json_response(handler(params))
        return web.json_response(handler(params))

    @contextlib.asynccontextmanager
    async def looking(self, *, reaching: float = 0.1) -> AsyncIterator[None]:
        """While a person looks at their DM and acts, nothing the app posts lands; after the action, for `reaching`
        seconds (the app acknowledges an event before it works on it) so that it reaches the app's handler first."""
        async with self.screen:
            yield
            await asyncio.sleep(reaching)

    # --- the Web API methods the app uses ----------------------------------------------

    def api_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://koulu.slack.com/", "team": "Koulu", "user": "kartoitus",
                "team_id": TEAM, "user_id": "U0BOT", "bot_id": "B0BOT", "is_enterprise_install": False}

    def api_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(_ids):08d}"
        self.files.append({"id": file_id, "filename": params.get("filename"), "length": int(params["length"]),
                           "data": b"", "channel": None, "title": None})
        return {"ok": True, "upload_url": self.url.replace("/api/", f"/upload/{file_id}"), "file_id": file_id}

    async def upload(self, request: web.Request) -> web.Response:
        found = next(f for f in self.files if f["id"] == request.match_info["file_id"])
        found["data"] = await request.read()
        return web.Response(text="OK - " + str(len(found["data"])))

    def api_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        listed = params["files"] if isinstance(params["files"], list) else json.loads(params["files"])
        for item in listed:
            found = next(f for f in self.files if f["id"] == item["id"])
            found.update(channel=params.get("channel_id"), title=item.get("title"))
        return {"ok": True, "files": [{"id": item["id"], "title": item.get("title")} for item in listed]}

    def api_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params["users"])
        return {"ok": True, "channel": {"id": "D" + user[1:]}}

    def api_apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.url.replace("http://", "ws://").replace("/api/", "/socket")}

    # --- Socket Mode: one WebSocket, Slack's envelopes in, the app's acknowledgements out ----

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"},
                            "connection_info": {"app_id": APP_ID}})
        async for message in ws:
            self.socket_acks.append(json.loads(message.data))
        return ws

    async def envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Send an envelope to the connected app, as Slack does in Socket Mode; returns its id."""
        envelope_id = f"env-{next(_ids)}"
        await self._sockets[-1].send_json({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                           "accepts_response_payload": kind != "events_api",
                                           "retry_attempt": 0, "retry_reason": ""})
        return envelope_id

    def api_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params.get("user"))
        if user in self.gone:
            return {"ok": False, "error": "user_not_found"}
        profile: dict[str, Any] = {"id": user, "team_id": TEAM, "name": user.lower(),
                                   "tz": self.timezones.get(user, "Europe/Helsinki")}
        if str(params.get("include_locale")).lower() in ("true", "1"):
            profile["locale"] = self.locales.get(user, "en-US")
        return {"ok": True, "user": profile}

    def api_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params["channel"])
        if channel in self.gone:
            return {"ok": False, "error": "user_not_found"}
        if channel in self.refuse:
            return {"ok": False, "error": self.refuse[channel]}
        if channel.startswith("U"):
            channel = "D" + channel[1:]  # posting to a user id lands in the app's DM with them
        blocks = params.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if len(blocks) > 50:
            return {"ok": False, "error": "invalid_blocks"}
        ts = f"{int(time.time())}.{next(_ids):06d}"
        self.messages.append(Posted(channel, ts, str(params.get("text", "")), blocks,
                                    thread_ts=str(params["thread_ts"]) if params.get("thread_ts") else None))
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": params.get("text"), "blocks": blocks}}

    def api_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        for message in self.messages:
            if message.channel == params["channel"] and message.ts == params["ts"]:
                message.blocks = params.get("blocks") or []
                message.text = str(params.get("text", ""))
                message.updates += 1
                return {"ok": True, "channel": message.channel, "ts": message.ts}
        return {"ok": False, "error": "message_not_found"}

    def api_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params["view"] if isinstance(params["view"], dict) else json.loads(params["view"])
        view_id = f"V{next(_ids):08d}"
        self.opened.append({**view, "id": view_id, "hash": f"h{next(_ids)}", "trigger_id": params["trigger_id"]})
        return {"ok": True, "view": {**view, "id": view_id}}

    def api_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params["view"] if isinstance(params["view"], dict) else json.loads(params["view"])
        if len(view.get("blocks", [])) > 100:
            return {"ok": False, "error": "invalid_arguments"}
        self.homes[str(params["user_id"])] = view
        return {"ok": True, "view": view}

    # --- reading ------------------------------------------------------------------------

    def dm(self, user: str) -> list[Posted]:
        return [message for message in self.messages if message.channel == "D" + user[1:]]

    def in_channel(self, channel: str) -> list[Posted]:
        return [message for message in self.messages if message.channel == channel]

    def count(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name == method)


def slack_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackPerson:
    """One member of the workspace, talking to the app over signed HTTP requests."""

    def __init__(self, app_url: str, api: FakeSlackApi, http: httpx.AsyncClient, user: str,
                 secret: str = SIGNING_SECRET) -> None:
        self.app_url = app_url
        self.api = api
        self.http = http
        self.user = user
        self.verifier = SignatureVerifier(secret)
        self.last_status = 0
        self.cursor = 0  # DM messages before this index were there before the latest request
        self.edits_before: dict[str, int] = {}  # how often each earlier message had been updated by then

    # --- sending ------------------------------------------------------------------------

    async def post(self, body: str, content_type: str, *, retry: int | None = None,
                   signature: str | None = None) -> httpx.Response:
        self.cursor = len(self.api.dm(self.user))
        self.edits_before = {message.ts: message.updates for message in self.api.dm(self.user)}
        timestamp = str(int(time.time()))
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp,
                   "X-Slack-Signature": signature or self.verifier.generate_signature(timestamp=timestamp, body=body)}
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        response = await self.http.post(self.app_url, content=body.encode(), headers=headers)
        self.last_status = response.status_code
        return response

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> str:
        return json.dumps({"token": "legacy", "team_id": TEAM, "api_app_id": APP_ID, "type": "event_callback",
                           "event_id": event_id or f"Ev{next(_ids):08d}", "event_time": int(time.time()),
                           "event": event})

    async def say(self, text: str, *, event_id: str | None = None, retry: int | None = None) -> httpx.Response:
        event = {"type": "message", "channel_type": "im", "channel": "D" + self.user[1:], "user": self.user,
                 "text": text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
                 "ts": f"{time.time():.6f}", "client_msg_id": f"m{next(_ids)}"}
        return await self.post(self.event_body(event, event_id), "application/json", retry=retry)

    async def reply_in_thread(self, channel: str, thread_ts: str, text: str) -> str:
        """Write `text` in the thread of `thread_ts` in a channel (Slack escapes it); returns the reply's ts."""
        ts = f"{time.time():.6f}{next(_ids) % 10}"
        event = {"type": "message", "channel_type": "channel", "channel": channel, "user": self.user,
                 "text": slack_escaped(text), "ts": ts, "thread_ts": thread_ts, "event_ts": ts}
        await self.post(self.event_body(event), "application/json")
        return ts

    async def edit_in_thread(self, channel: str, thread_ts: str, ts: str, text: str) -> httpx.Response:
        event = {"type": "message", "subtype": "message_changed", "channel_type": "channel", "channel": channel,
                 "hidden": True, "event_ts": f"{time.time():.6f}",
                 "message": {"type": "message", "user": self.user, "text": slack_escaped(text), "ts": ts,
                             "thread_ts": thread_ts, "edited": {"user": self.user, "ts": f"{time.time():.6f}"}},
                 "previous_message": {"type": "message", "user": self.user, "ts": ts, "thread_ts": thread_ts}}
        return await self.post(self.event_body(event), "application/json")

    async def delete_in_thread(self, channel: str, thread_ts: str, ts: str) -> httpx.Response:
        event = {"type": "message", "subtype": "message_deleted", "channel_type": "channel", "channel": channel,
                 "hidden": True, "deleted_ts": ts, "event_ts": f"{time.time():.6f}",
                 "previous_message": {"type": "message", "user": self.user, "ts": ts, "thread_ts": thread_ts}}
        return await self.post(self.event_body(event), "application/json")

    async def open_home(self) -> httpx.Response:
        event = {"type": "app_home_opened", "user": self.user, "channel": "D" + self.user[1:], "tab": "home",
                 "event_ts": f"{time.time():.6f}"}
        return await self.post(self.event_body(event), "application/json")

    async def interact(self, payload: dict[str, Any]) -> httpx.Response:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    def _interaction(self, kind: str) -> dict[str, Any]:
        return {"type": kind, "team": {"id": TEAM, "domain": "koulu"}, "api_app_id": APP_ID,
                "user": {"id": self.user, "team_id": TEAM, "username": self.user.lower()},
                "trigger_id": f"trigger-{next(_ids)}", "token": "legacy"}

    async def press(self, message: Posted, block: dict[str, Any], element: dict[str, Any]) -> httpx.Response:
        payload = {**self._interaction("block_actions"),
                   "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel},
                   "channel": {"id": message.channel}, "message": {"ts": message.ts, "blocks": message.blocks},
                   "response_url": "https://hooks.slack.invalid/response",
                   "actions": [{"type": element["type"], "action_id": element["action_id"],
                                "block_id": block["block_id"], "value": element.get("value", ""),
                                "text": element.get("text"), "action_ts": f"{time.time():.6f}{next(_ids)}"}]}
        return await self.interact(payload)

    async def click(self, label: str, message: Posted | None = None, timeout: float = WAIT_SECONDS) -> httpx.Response:
        """Press the button whose label contains `label` on the newest message that has one,
        waiting for it to arrive (the app may still be sending the rest of its reply)."""
        deadline = time.monotonic() + timeout
        while True:
            for candidate in [message] if message else list(reversed(self.api.dm(self.user))):
                for block, element in candidate.buttons():
                    if label in element["text"]["text"]:
                        return await self.press(candidate, block, element)
            if time.monotonic() > deadline:
                raise AssertionError(f"no button {label!r} in the DM:\n{self.transcript()}")
            await asyncio.sleep(0.02)

    async def choose_language_on_home(self, code: str) -> httpx.Response:
        home = self.api.homes[self.user]
        block = next(b for b in home["blocks"] if b["type"] == "actions")
        select = next(e for e in block["elements"] if e["type"] == "static_select")
        option = next(o for o in select["options"] if o["value"] == code)
        payload = {**self._interaction("block_actions"), "container": {"type": "view", "view_id": "VHOME"},
                   "view": {**home, "id": "VHOME"},
                   "actions": [{"type": "static_select", "action_id": select["action_id"],
                                "block_id": block["block_id"], "selected_option": option,
                                "action_ts": f"{time.time():.6f}{next(_ids)}"}]}
        return await self.interact(payload)

    async def press_on_home(self, label: str) -> httpx.Response:
        home = self.api.homes[self.user]
        for block in home["blocks"]:
            for element in block.get("elements", []) if block["type"] == "actions" else []:
                if element["type"] == "button" and label in element["text"]["text"]:
                    payload = {**self._interaction("block_actions"), "container": {"type": "view", "view_id": "VH"},
                               "view": {**home, "id": "VH"},
                               "actions": [{"type": "button", "action_id": element["action_id"],
                                            "block_id": block["block_id"], "value": element["value"],
                                            "action_ts": f"{time.time():.6f}{next(_ids)}"}]}
                    return await self.interact(payload)
        raise AssertionError(f"no button {label!r} on the App Home")

    async def command(self, text: str, *, channel: str | None = None, channel_name: str = "directmessage",
                      mentions: dict[str, str] | None = None) -> httpx.Response:
        """`/kartoitus <text>` as Slack sends it (the manifest's should_escape): `&`, `<`, `>` escaped, and each
        "@name" of `mentions` (name → user id) as <@U…|name>."""
        text = slack_escaped(text)
        for name, user_id in (mentions or {}).items():
            text = text.replace(f"@{name}", f"<@{user_id}|{name}>")
        fields = {"token": "legacy", "team_id": TEAM, "team_domain": "koulu", "api_app_id": APP_ID,
                  "channel_id": channel or "D" + self.user[1:], "channel_name": channel_name, "user_id": self.user,
                  "user_name": self.user.lower(), "command": "/kartoitus", "text": text,
                  "response_url": "https://hooks.slack.invalid/commands", "trigger_id": f"trigger-{next(_ids)}"}
        return await self.post(urllib.parse.urlencode(fields), "application/x-www-form-urlencoded")

    async def submit(self, text: str, view: dict[str, Any] | None = None) -> httpx.Response:
        """Submit the newest modal opened for this person with `text` in its input."""
        view = view or self.api.opened[-1]
        submitted = {**view, "state": {"values": {"answer": {"text": {"type": "plain_text_input", "value": text}}}}}
        return await self.interact({**self._interaction("view_submission"), "view": submitted})

    # --- reading ------------------------------------------------------------------------

    def transcript(self, start: int = 0) -> str:
        return "\n---\n".join(message.shown for message in self.api.dm(self.user)[start:])

    @property
    def replies(self) -> str:
        """What the app showed in the DM since the latest request: the messages it updated (a card turned into the
        next question) and the ones it posted."""
        dm = self.api.dm(self.user)
        edited = [m.shown for m in dm[:self.cursor] if m.updates != self.edits_before.get(m.ts, m.updates)]
        return "\n---\n".join([*edited, *(m.shown for m in dm[self.cursor:])])

    async def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the DM so far:\n{self.transcript()}")
            await asyncio.sleep(0.02)

    async def expect(self, *fragments: str, timeout: float = WAIT_SECONDS) -> Posted:
        """Wait until the replies to the latest request show every fragment; returns the newest message."""
        await self.wait_for(lambda: all(fragment in self.replies for fragment in fragments),
                            f"{fragments!r} in the replies", timeout)
        return self.api.dm(self.user)[-1]

    async def next_messages(self, before: int, count: int = 1, timeout: float = WAIT_SECONDS) -> list[Posted]:
        await self.wait_for(lambda: len(self.api.dm(self.user)) >= before + count, f"{count} new messages", timeout)
        return self.api.dm(self.user)[before:]


@pytest_asyncio.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    """A running fake of the Slack Web API."""
    api = FakeSlackApi()
    await api.start()
    yield api
    await api.stop()
