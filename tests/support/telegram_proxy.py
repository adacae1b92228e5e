"""A repairing proxy between python-telegram-bot 22.8 and the telegram-test-api 4.2.1 emulator.

Test support only; the bot talks to it exactly as to the real Bot API. It repairs what the
emulator gets wrong (see the design brief): getMe lacks is_bot; dates come in milliseconds;
callback queries lack chat_instance; edits and acknowledgements return null instead of true; a person
cannot edit a message (a test's message marked `_edit_of` reaches the bot as that message's `edited_message`);
a failed deleteMessage answers 200 with ok:false; the long-poll timeout is ignored (the proxy
holds getUpdates until there is something or the timeout passes); command menus are not
supported (the proxy keeps them for the tests to read); webhook deliveries carry no secret
token header (the proxy relays them with the secret given to setWebhook, as Telegram does); and
the emulator lets the bot message anyone, where Telegram refuses a private chat with a person who
never started the bot (403 "bot can't initiate conversation"): the proxy refuses it too, until
the person has written in the private chat or pressed a button there (a deep link's /start too).
A test whose people opened the chat before it began says so with `started.update(ids)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
from aiohttp import web

NULL_MEANS_TRUE = {"editMessageText", "editMessageReplyMarkup", "answerCallbackQuery", "setWebhook",
                   "deleteWebhook", "deleteMessage"}
MENU_METHODS = {"setMyCommands", "deleteMyCommands", "getMyCommands"}
SEND_METHODS = {"sendMessage", "sendPhoto", "sendDocument"}
SCREEN_METHODS = SEND_METHODS | {"editMessageText", "editMessageReplyMarkup", "deleteMessage"}  # change a chat
NOT_STARTED = {"ok": False, "error_code": 403, "description": "Forbidden: bot can't initiate conversation with a user"}


def seconds(value: Any) -> Any:
    return value // 1000 if isinstance(value, int) and value > 100_000_000_000 else value


def repair_message(message: dict[str, Any]) -> dict[str, Any]:
    message.pop("botToken", None)
    if "date" in message:
        message["date"] = seconds(message["date"])
    else:
        message["date"] = int(time.time())
    return message


def repair_update(update: dict[str, Any]) -> dict[str, Any]:
    if "message" in update:
        repair_message(update["message"])
        edit_of = update["message"].pop("_edit_of", None)
        if edit_of is not None:  # the emulator has no edits: a test's marked message becomes one
            update["edited_message"] = {**update.pop("message"), "message_id": edit_of,
                                        "edit_date": int(time.time())}
    query = update.get("callback_query")
    if query is not None:
        message = query.get("message") or {}
        repair_message(message)
        query.setdefault("chat_instance", str((message.get("chat") or {}).get("id", "0")))
    return update


class RepairingProxy:
    def __init__(self, emulator_url: str) -> None:
        self.emulator_url = emulator_url.rstrip("/")
        self.client = httpx.AsyncClient(timeout=30)
        self.menus: dict[tuple[str, str], list[dict[str, str]]] = {}  # (scope type, language) -> commands
        self.photos: list[dict[str, Any]] = []  # sendPhoto: chat_id, caption, png bytes
        self.documents: list[dict[str, Any]] = []  # sendDocument: chat_id, caption, the bytes in "png", filename
        self.webhook: dict[str, str] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail_next: dict[str, list[dict[str, Any]]] = {}  # method -> canned error answers, for tests
        self.started: set[int] = set()  # people who opened a private chat with the bot
        self.refused: list[tuple[str, int]] = []  # (method, chat id) answered 403 "can't initiate conversation"
        self.runner: web.AppRunner | None = None
        self.url = ""
        # Held by a test person while they look at the chat and act on it (`looking`): the bot's messages and edits
        # land before or after, never between, as on a phone, where what you act on is what you see.
        self.screen = asyncio.Lock()
        self.handed = 0  # updates handed to the bot (polled or relayed), to know when an action has reached it

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self.bot_method)
        app.router.add_post("/relay", self.relay)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        await self.client.aclose()

    async def bot_method(self, request: web.Request) -> web.Response:
        if request.match_info["method"] in SCREEN_METHODS:
            async with self.screen:
                return await self._bot_method(request)
        return await self._bot_method(request)

    @contextlib.asynccontextmanager
    async def looking(self, *, reaching: float = 0.1) -> AsyncIterator[None]:
        """While a person looks at their chat and acts, nothing the bot sends lands; after the action, until it
        has reached the bot (handed over, and `reaching` seconds for the bot to take it in)."""
        async with self.screen:
            handed = self.handed
            yield
            deadline = time.monotonic() + 5
            while self.handed == handed and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            await asyncio.sleep(reaching)

    async def _bot_method(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if method in SEND_METHODS and (refused := await self._refuse(request, method)) is not None:
            return refused
        if method in ("sendPhoto", "sendDocument"):  # the emulator has no files: the proxy keeps them
            return web.json_response(await self._photo(request, "photo" if method == "sendPhoto" else "document"))
        params = await self._params(request)
        self.calls.append((method, params))
        if self.fail_next.get(method):
            canned = self.fail_next[method].pop(0)
            return web.json_response(canned, status=int(canned.get("error_code", 400)))
        if method in MENU_METHODS:
            return web.json_response({"ok": True, "result": self._menu(method, params)})
        if method == "getUpdates":
            return web.json_response(await self._long_poll(token, params, request))
        if method == "editMessageText" and "reply_markup" not in params:
            params = {**params, "reply_markup": {"inline_keyboard": []}}  # Telegram drops the keyboard too
        if method == "setWebhook":
            self.webhook = {"url": params["url"], "secret": params.get("secret_token", "")}
            params = {**params, "url": f"{self.url}/relay"}
        answer = (await self.client.post(f"{self.emulator_url}/bot{token}/{method}", json=params)).json()
        return self._repair_answer(method, answer)

    def observe(self, update: dict[str, Any]) -> dict[str, Any]:
        """Note who has started the bot: a message or a button press in their private chat."""
        message = update.get("message") or (update.get("callback_query") or {}).get("message") or {}
        sender = (update.get("message") or update.get("callback_query") or {}).get("from") or {}
        if (message.get("chat") or {}).get("type") == "private" and isinstance(sender.get("id"), int):
            self.started.add(sender["id"])
        return update

    async def _refuse(self, request: web.Request, method: str) -> web.Response | None:
        """Telegram's answer to a private message for someone who never started the bot (None: allowed)."""
        params = await self._params(request) if method == "sendMessage" else dict(await request.post())
        try:
            chat = int(str(params.get("chat_id", "0")))
        except ValueError:
            return None
        if chat <= 0 or chat in self.started:  # groups have negative ids
            return None
        self.calls.append((method, {"chat_id": chat, "refused": True}))
        self.refused.append((method, chat))
        return web.json_response(NOT_STARTED, status=403)

    async def _photo(self, request: web.Request, field: str) -> dict[str, Any]:
        form = await request.post()
        upload = form[field]
        data = upload.file.read() if hasattr(upload, "file") else bytes(str(upload), "utf-8")
        filename = getattr(upload, "filename", "")
        chat = int(str(form["chat_id"]))
        kept = self.photos if field == "photo" else self.documents
        kept.append({"chat_id": chat, "caption": str(form.get("caption", "")), "png": data, "filename": filename})
        self.calls.append(("sendPhoto" if field == "photo" else "sendDocument", {"chat_id": chat}))
        return {"ok": True, "result": {"message_id": 900000 + len(self.photos), "date": int(time.time()),
                                       "chat": {"id": chat, "type": "group" if chat < 0 else "private"},
                                       "caption": str(form.get("caption", "")),
                                       "photo": [{"file_id": f"photo{len(self.photos)}", "file_unique_id": "u",
                                                  "width": 864, "height": 768, "file_size": len(data)}]}}

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            text = str(value)
            try:
                params[key] = json.loads(text) if text[:1] in "[{" else text
            except ValueError:
                params[key] = text
        return params

    def _menu(self, method: str, params: dict[str, Any]) -> Any:
        scope = params.get("scope") or {"type": "default"}
        key = (scope["type"] if isinstance(scope, dict) else str(scope), params.get("language_code") or "")
        if method == "setMyCommands":
            self.menus[key] = list(params.get("commands") or [])
            return True
        if method == "deleteMyCommands":
            self.menus.pop(key, None)
            return True
        return self.menus.get(key, [])

    async def _long_poll(self, token: str, params: dict[str, Any], request: web.Request) -> dict[str, Any]:
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 2.0)
        offset = int(params.get("offset") or 0)
        while True:
            if request.transport is None or request.transport.is_closing():
                # The bot went away (a restart): fetching now would hand its next update to nobody.
                return {"ok": True, "result": []}
            answer = (await self.client.post(f"{self.emulator_url}/bot{token}/getUpdates", json=params)).json()
            updates = [self.observe(repair_update(u)) for u in answer.get("result") or [] if u["update_id"] >= offset]
            if updates or time.monotonic() >= deadline:
                self.handed += len(updates)
                return {"ok": True, "result": updates}
            await asyncio.sleep(0.03)

    def _repair_answer(self, method: str, answer: dict[str, Any]) -> web.Response:
        if method == "deleteMessage" and answer.get("ok") is False:
            return web.json_response({"ok": False, "error_code": 400,
                                      "description": "Bad Request: message to delete not found"}, status=400)
        if not answer.get("ok", False):
            return web.json_response({"ok": False, "error_code": 400,
                                      "description": str(answer.get("description", "Bad Request"))}, status=400)
        result = answer.get("result")
        if method == "getMe" and isinstance(result, dict):
            result.setdefault("is_bot", True)
        elif method in NULL_MEANS_TRUE and result is None:
            result = True
        elif isinstance(result, dict) and "message_id" in result:
            repair_message(result)
        return web.json_response({"ok": True, "result": result})

    async def relay(self, request: web.Request) -> web.Response:
        """The emulator's webhook call, delivered as Telegram would: with the secret token header."""
        update = self.observe(repair_update(await request.json()))
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook["secret"]} if self.webhook.get("secret") else {}
        self.handed += 1
        answer = await self.client.post(self.webhook["url"], json=update, headers=headers)
        return web.Response(status=answer.status_code)
