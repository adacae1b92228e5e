"""Telegram end-to-end support: the npm emulator, the repairing proxy, and people who use it.

`TelegramPerson` acts as a user of the emulator (its client API): writes, presses inline
buttons, and reads what the bot sent, as it currently stands after edits.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.support.telegram_proxy import RepairingProxy

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = ROOT / "node_modules" / "telegram-test-api"
TOKEN = "123456789:TEST-token_for-kartoitus"
_user_ids = itertools.count(5001)
BOT = {"id": int(TOKEN.split(":")[0]), "is_bot": True, "first_name": "kartoitus", "username": "kartoitus_bot"}
# How long a person waits for the bot: polls end as soon as the message is there, so a generous deadline
# only matters on a loaded 2-core machine (a workbook PDF took over 10 s there).
WAIT_SECONDS = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def telegram_emulator() -> Iterator[str]:
    if shutil.which("node") is None or not EMULATOR.exists():
        pytest.skip("the telegram-test-api emulator is not installed (make test runs npm ci)")
    port = _free_port()
    process = subprocess.Popen(["node", str(ROOT / "tests" / "support" / "telegram_emulator.js"), str(port)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               cwd=ROOT)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("ready"), line
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest_asyncio.fixture
async def telegram_proxy(telegram_emulator: str) -> AsyncIterator[RepairingProxy]:
    proxy = RepairingProxy(telegram_emulator)
    await proxy.start()
    yield proxy
    await proxy.stop()


class TelegramPerson:
    """One person in a private chat (or, with `group`, writing in a group) with the bot."""

    def __init__(self, http: httpx.AsyncClient, emulator_url: str, *, name: str = "Anna", language: str = "fi",
                 user_id: int | None = None, group: tuple[int, str] | None = None) -> None:
        self.http = http
        self.url = emulator_url
        self.id = user_id or next(_user_ids)
        self.name = name
        self.language = language
        self.chat: dict[str, Any] = ({"id": group[0], "title": group[1], "type": "group"} if group
                                     else {"id": self.id, "first_name": name, "type": "private"})
        self.received: list[dict[str, Any]] = []
        self.before: dict[int, str] = {}  # the bot's earlier messages as they stood at the latest action

    @property
    def sender(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": False, "first_name": self.name, "language_code": self.language}

    def in_group(self, chat_id: int, title: str) -> TelegramPerson:
        return TelegramPerson(self.http, self.url, name=self.name, language=self.language, user_id=self.id,
                              group=(chat_id, title))

    async def look(self) -> None:
        """Note how the chat looks now (before acting): a reply can be an earlier message edited (a card turned
        into the next question)."""
        self.before = {m["message_id"]: self._face(m) for m in await self.history()}

    @staticmethod
    def _face(message: dict[str, Any]) -> str:
        return json.dumps([message.get("text", ""), message.get("reply_markup")], sort_keys=True)

    async def edited(self) -> list[dict[str, Any]]:
        """The bot's earlier messages that it has edited since the latest action."""
        return [m for m in await self.history()
                if m["message_id"] in self.before and self.before[m["message_id"]] != self._face(m)]

    async def say(self, text: str, *, reply_to: dict[str, Any] | None = None) -> None:
        """Write `text` (as a reply to `reply_to`: a message from `history()`, or `written()`)."""
        await self.look()
        message = {"botToken": TOKEN, "from": self.sender, "chat": self.chat, "date": int(time.time()), "text": text}
        if text.startswith("/"):
            message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        if reply_to is not None:
            message["reply_to_message"] = self.replied(reply_to)
        await self.http.post(f"{self.url}/sendMessage", json=message)

    async def write(self, text: str, *, reply_to: dict[str, Any] | None = None) -> int:
        """`say`, and the id the message got (to edit it, or to reply to it)."""
        await self.say(text, reply_to=reply_to)
        return await self._written_id(text)

    def replied(self, message: dict[str, Any]) -> dict[str, Any]:
        """The `reply_to_message` Telegram puts in a reply: the message, its author (the bot when not given)."""
        return {"message_id": message["message_id"], "chat": self.chat, "date": int(time.time()),
                "from": message.get("from") or BOT, "text": message.get("text", "")}

    async def edit(self, message_id: int, text: str, *, reply_to: dict[str, Any] | None = None) -> None:
        """Edit one of this person's messages: the bot gets an `edited_message` (the proxy makes it one)."""
        await self.look()
        message: dict[str, Any] = {"botToken": TOKEN, "from": self.sender, "chat": self.chat,
                                   "date": int(time.time()), "text": text, "_edit_of": message_id}
        if reply_to is not None:
            message["reply_to_message"] = self.replied(reply_to)
        await self.http.post(f"{self.url}/sendMessage", json=message)

    def written(self, message_id: int, text: str = "") -> dict[str, Any]:
        """One of this person's own messages, as another person's reply to it would name it."""
        return {"message_id": message_id, "from": self.sender, "text": text}

    async def _written_id(self, text: str) -> int:
        answer = (await self.http.post(f"{self.url}/getUpdatesHistory", json={"token": TOKEN})).json()
        mine = [item for item in answer["result"] if (item.get("message") or {}).get("from", {}).get("id") == self.id
                and item["message"].get("text") == text]
        return int(mine[-1]["messageId"]) if mine else 0

    async def press(self, label: str, message: dict[str, Any] | None = None) -> None:
        """Press the button whose text contains `label` on the newest message that has it."""
        target = message or next(m for m in reversed(await self.history()) if self._button(m, label))
        button = self._button(target, label)
        assert button is not None, f"no button {label!r} on {target.get('text')!r}"
        await self.press_data(target, button["callback_data"])

    async def press_data(self, message: dict[str, Any], data: str) -> None:
        await self.look()
        callback = {"botToken": TOKEN, "from": self.sender, "data": data,
                    "message": {"message_id": message["message_id"], "chat": self.chat, "date": int(time.time()),
                                "text": message.get("text", "")}}
        await self.http.post(f"{self.url}/sendCallback", json=callback)

    @staticmethod
    def _button(message: dict[str, Any], label: str) -> dict[str, str] | None:
        rows = ((message.get("reply_markup") or {}).get("inline_keyboard")) or []
        return next((b for row in rows for b in row if label in b["text"]), None)

    async def history(self) -> list[dict[str, Any]]:
        """Every message the bot sent to this chat, as it stands now (edits applied), oldest first."""
        answer = (await self.http.post(f"{self.url}/getUpdatesHistory", json={"token": TOKEN})).json()
        messages = []
        for item in answer["result"]:
            message = item.get("message") or {}
            if "callbackQuery" in item or str(message.get("chat_id", "")) != str(self.chat["id"]):
                continue
            messages.append({**message, "message_id": item["messageId"]})
        return messages

    async def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            await asyncio.sleep(0.05)

    async def replies(self, *, expect: str | None = None, timeout: float = WAIT_SECONDS, quiet: float = 0.25) -> str:
        """What the bot showed since the latest action: its earlier messages it edited (a card turned into the
        next question), then its new messages; waiting until `expect` shows up (if given) and the chat is quiet."""
        deadline = time.monotonic() + timeout
        new: list[dict[str, Any]] = []
        edited: list[dict[str, Any]] = []
        faces: list[str] = []
        last_change = time.monotonic()
        while time.monotonic() < deadline:
            answer = (await self.http.post(f"{self.url}/getUpdates",
                                           json={"token": TOKEN, "chatId": self.chat["id"]})).json()
            batch = [item["message"] for item in answer.get("result") or []]
            edited = await self.edited()
            if batch or [self._face(m) for m in edited] != faces:
                new += batch
                faces = [self._face(m) for m in edited]
                last_change = time.monotonic()
            text = "\n".join(m.get("text", "") for m in [*edited, *new])
            if (expect is None or expect in text) and (new or edited) and time.monotonic() - last_change >= quiet:
                break
            await asyncio.sleep(0.05)
        self.received += new
        text = "\n".join(m.get("text", "") for m in [*edited, *new])
        if expect is not None:
            assert expect in text, f"expected {expect!r} from the bot, got:\n{text}"
        return text
