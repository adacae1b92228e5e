"""Sending scheduled messages from the durable outbox: claim, send within the platform's limits, mark.

A worker claims a batch (a lease), sends each message through the platform's Sender (which
keeps the rate limits and retries 429s), and marks each one sent right after it went out, so
a crash re-sends at most the one message in flight, and only once (the store's attempt cap).
Several workers, in one process or many, share the fan-out without sending anything twice.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.identity import ChannelRef, Recipient
from bot.messages import ChoicePrompt, Image, Notice, Option, Outbound
from bot.ports import Claimed, Clock, Outbox, Scheduled, Sender

log = logging.getLogger(__name__)


def notice_payload(text: str, *, heading: str | None = None, language: str = "fi", channel: bool = False) -> str:
    return json.dumps({"kind": "notice", "text": text, "heading": heading, "language": language, "channel": channel},
                      ensure_ascii=False)


def scheduled_notice(key: str, to: Recipient, due_at: datetime, text: str, *, heading: str | None = None,
                     language: str = "fi") -> Scheduled:
    payload = notice_payload(text, heading=heading, language=language, channel=isinstance(to, ChannelRef))
    return Scheduled(key=key, to=to, payload=payload, due_at=due_at)


def scheduled_image(key: str, to: Recipient, due_at: datetime, png: bytes, *, caption: str, language: str = "fi"
                    ) -> Scheduled:
    payload = json.dumps({"kind": "image", "png": base64.b64encode(png).decode("ascii"), "caption": caption,
                          "language": language, "channel": isinstance(to, ChannelRef)}, ensure_ascii=False)
    return Scheduled(key=key, to=to, payload=payload, due_at=due_at)


def choice_payload(text: str, options: Sequence[Option], *, prompt_id: str, heading: str | None = None,
                   language: str = "fi") -> str:
    return json.dumps({"kind": "choice", "prompt_id": prompt_id, "text": text, "heading": heading, "language": language,
                       "options": [[o.value, o.label, o.key] for o in options]}, ensure_ascii=False)


def message_of(claimed: Claimed) -> Outbound | None:
    """The neutral message a stored payload describes (None for a payload this version cannot read)."""
    try:
        data: dict[str, Any] = json.loads(claimed.payload)
    except ValueError:
        return None
    to: Recipient = ChannelRef(claimed.to.platform, claimed.to.workspace, claimed.to.user) if data.get("channel") \
        else claimed.to
    if data.get("kind") == "notice" and isinstance(data.get("text"), str):
        return Notice(to=to, text=data["text"], heading=data.get("heading"), language=str(data.get("language") or "fi"))
    if data.get("kind") == "image" and isinstance(data.get("png"), str):
        return Image(to=to, png=base64.b64decode(data["png"]), caption=str(data.get("caption", "")),
                     fallback_text="", language=str(data.get("language") or "fi"))
    if data.get("kind") == "choice" and isinstance(data.get("text"), str):
        options = tuple(Option(str(value), str(label), str(key)) for value, label, key in data.get("options", []))
        return ChoicePrompt(to=claimed.to, prompt_id=str(data["prompt_id"]), text=data["text"], options=options,
                            heading=data.get("heading"), language=str(data.get("language") or "fi"))
    return None


class OutboxWorker:
    def __init__(self, outbox: Outbox, senders: Mapping[str, Sender], clock: Clock, *, worker: str,
                 batch: int = 100, in_flight: int = 16, lease_seconds: float = 300) -> None:
        self.outbox = outbox
        self.senders = senders
        self.clock = clock
        self.worker = worker
        self.batch = batch
        self.in_flight = in_flight
        self.lease_seconds = lease_seconds

    async def drain(self) -> int:
        """Send everything due now; returns how many messages went out."""
        sent = 0
        while True:
            claimed = await asyncio.to_thread(
                self.outbox.claim, worker=self.worker, platforms=list(self.senders), now=self.clock.now(),
                lease_seconds=self.lease_seconds, limit=self.batch)
            if not claimed:
                return sent
            sent += await self._send_batch(claimed)

    async def _send_batch(self, claimed: Sequence[Claimed]) -> int:
        slots = asyncio.Semaphore(self.in_flight)  # the senders' limiters space them; this only bounds waiting tasks
        outcomes = await asyncio.gather(*(self._send_one(item, slots) for item in claimed))
        return sum(outcomes)

    async def _send_one(self, item: Claimed, slots: asyncio.Semaphore) -> int:
        message = message_of(item)
        async with slots:
            if message is None:
                log.error("outbox: cannot read the payload of %s; leaving it unsent", item.key)
                return 0
            try:
                await self.senders[item.to.platform].send([message])
            except Exception:
                log.exception("outbox: sending %s failed; it will be tried again", item.key)
                retry_at = self.clock.now() + timedelta(minutes=1)
                await asyncio.to_thread(self.outbox.release, [item.id], worker=self.worker, retry_at=retry_at)
                return 0
            await asyncio.to_thread(self.outbox.mark_sent, [item.id], worker=self.worker, now=self.clock.now())
            return 1
