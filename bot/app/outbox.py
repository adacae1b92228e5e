"""Sending scheduled messages from the durable outbox: claim, count the attempt, send, record the outcome.

A worker keeps at most `in_flight` messages on the wire. For each it claims the row (a lease),
counts the attempt in the database *before* the request goes out, sends it through the
platform's Sender, and records what the platform answered right after: delivered (sent),
retry later (rescheduled with the platform's retry-after, then a growing backoff, up to
`RetryPolicy.max_attempts` real sends), or failed with the reason (rejected, unreachable, not
started, exhausted) — kept, never deleted. So after a crash at any moment every message goes
out at least once, and only the messages that were on the wire (at most `in_flight` per
worker) can go out twice. A platform that says "later" is left alone for the rest of the
drain (a 429 with its retry-after; a 5xx or a network error only delays the one message).
Several workers, in one process or many, share the fan-out without sending anything twice.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.delivery import Delivery, Outcome, retry
from bot.core.identity import ChannelRef, Recipient, UserRef
from bot.core.language import language_code
from bot.core.messages import ChoicePrompt, Document, Image, Link, Notice, Option, Outbound
from bot.core.ports import Claimed, Clock, Outbox, Scheduled, Sender

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Wording:
    """A scheduled message's words in one language: stored for every language, so that the message goes out
    in the one its recipient is known to use when it is sent (which may be known only then)."""

    text: str
    heading: str | None = None
    options: tuple[Option, ...] = ()
    link: Link | None = None


def _wording_data(wording: Wording) -> dict[str, Any]:
    data: dict[str, Any] = {"text": wording.text, "heading": wording.heading}
    if wording.options:
        data["options"] = [[o.value, o.label, o.key] for o in wording.options]
    if wording.link is not None:
        data["link"] = [wording.link.label, wording.link.url]
    return data


def _variants(word: Callable[[str], Wording] | None, languages: Sequence[str], language: str) -> dict[str, Any]:
    if word is None:
        return {}
    return {"variants": {code: _wording_data(word(code)) for code in languages if code != language}}


def notice_payload(text: str, *, heading: str | None = None, language: str = "fi", channel: bool = False,
                   link: Link | None = None, word: Callable[[str], Wording] | None = None,
                   languages: Sequence[str] = (), thread: str | None = None) -> str:
    data: dict[str, Any] = {"kind": "notice", "text": text, "heading": heading, "language": language,
                            "channel": channel}
    if link is not None:
        data["link"] = [link.label, link.url]
    if thread is not None:
        data["thread"] = thread
    data.update(_variants(word, languages, language))
    return json.dumps(data, ensure_ascii=False)


def scheduled_notice(key: str, to: Recipient, due_at: datetime, text: str, *, heading: str | None = None,
                     language: str = "fi", link: Link | None = None, thread: str | None = None) -> Scheduled:
    payload = notice_payload(text, heading=heading, language=language, channel=isinstance(to, ChannelRef), link=link,
                             thread=thread)
    return Scheduled(key=key, to=to, payload=payload, due_at=due_at)


def personal_notice(key: str, to: UserRef, due_at: datetime, word: Callable[[str], Wording], *, language: str,
                    languages: Sequence[str]) -> Scheduled:
    """A notice to a person in `language` (what is known of them now), worded in every one of `languages` too:
    sent in the language they are known to use at the time it goes out (see `message_of`)."""
    wording = word(language)
    payload = notice_payload(wording.text, heading=wording.heading, language=language, link=wording.link, word=word,
                             languages=languages)
    return Scheduled(key=key, to=to, payload=payload, due_at=due_at)


def scheduled_image(key: str, to: Recipient, due_at: datetime, png: bytes, *, caption: str, language: str = "fi"
                    ) -> Scheduled:
    payload = json.dumps({"kind": "image", "png": base64.b64encode(png).decode("ascii"), "caption": caption,
                          "language": language, "channel": isinstance(to, ChannelRef)}, ensure_ascii=False)
    return Scheduled(key=key, to=to, payload=payload, due_at=due_at)


def scheduled_document(key: str, to: Recipient, due_at: datetime, data: bytes, *, filename: str, caption: str,
                       language: str = "fi") -> Scheduled:
    """A file (a report's PDF) to hand over later: its bytes ride in the payload, so a crash loses nothing."""
    payload = json.dumps({"kind": "document", "data": base64.b64encode(data).decode("ascii"), "filename": filename,
                          "caption": caption, "language": language, "channel": isinstance(to, ChannelRef)},
                         ensure_ascii=False)
    return Scheduled(key=key, to=to, payload=payload, due_at=due_at)


def choice_prompt_payload(text: str, options: Sequence[Option], *, prompt_id: str, heading: str | None = None,
                          language: str = "fi", word: Callable[[str], Wording] | None = None,
                          languages: Sequence[str] = ()) -> str:
    """The stored form of a ChoicePrompt in the outbox (JSON; read back by `message_of`). Not a button's
    payload: that is bot.core.capabilities.choice_payload, which each button carries to the platform.
    With `word`, the prompt is worded in each of `languages` too (as `personal_notice`)."""
    data: dict[str, Any] = {"kind": "choice", "prompt_id": prompt_id, "text": text, "heading": heading,
                            "language": language, "options": [[o.value, o.label, o.key] for o in options]}
    data.update(_variants(word, languages, language))
    return json.dumps(data, ensure_ascii=False)


def personal_choice(key: str, to: UserRef, due_at: datetime, word: Callable[[str], Wording], *, prompt_id: str,
                    language: str, languages: Sequence[str]) -> Scheduled:
    """A ChoicePrompt to a person, worded in every language as `personal_notice`."""
    wording = word(language)
    payload = choice_prompt_payload(wording.text, wording.options, prompt_id=prompt_id, heading=wording.heading,
                                    language=language, word=word, languages=languages)
    return Scheduled(key=key, to=to, payload=payload, due_at=due_at)


def _in_recipients_language(data: dict[str, Any], known: str | None) -> dict[str, Any]:
    """The payload in the language its recipient is known to use now, where it was worded in that one."""
    variants = data.get("variants")
    language = language_code(known)
    if not isinstance(variants, dict) or language is None or language == data.get("language"):
        return data
    wording = variants.get(language)
    if not isinstance(wording, dict) or not isinstance(wording.get("text"), str):
        return data
    return {**data, **wording, "language": language}


def message_of(claimed: Claimed) -> Outbound | None:
    """The neutral message a stored payload describes (None for a payload this version cannot read); a message
    worded in several languages comes in the one its recipient is known to use (`claimed.language`)."""
    try:
        data: dict[str, Any] = json.loads(claimed.payload)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    data = _in_recipients_language(data, claimed.language)
    to: Recipient = ChannelRef(claimed.to.platform, claimed.to.workspace, claimed.to.user) if data.get("channel") \
        else claimed.to
    if data.get("kind") == "notice" and isinstance(data.get("text"), str):
        link = Link(str(data["link"][0]), str(data["link"][1])) if data.get("link") else None
        thread = data.get("thread")
        return Notice(to=to, text=data["text"], heading=data.get("heading"), language=str(data.get("language") or "fi"),
                      link=link, thread=str(thread) if thread else None)
    if data.get("kind") == "image" and isinstance(data.get("png"), str):
        return Image(to=to, png=base64.b64decode(data["png"]), caption=str(data.get("caption", "")),
                     fallback_text="", language=str(data.get("language") or "fi"))
    if data.get("kind") == "document" and isinstance(data.get("data"), str) and isinstance(data.get("filename"), str):
        return Document(to=to, data=base64.b64decode(data["data"]), filename=data["filename"],
                        caption=str(data.get("caption", "")), language=str(data.get("language") or "fi"))
    if data.get("kind") == "choice" and isinstance(data.get("text"), str):
        options = tuple(Option(str(value), str(label), str(key)) for value, label, key in data.get("options", []))
        return ChoicePrompt(to=claimed.to, prompt_id=str(data["prompt_id"]), text=data["text"], options=options,
                            heading=data.get("heading"), language=str(data.get("language") or "fi"))
    return None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When a message that was not delivered is tried again, and how often at most.

    The defaults try for about four hours: 30 s, 1, 2, 4, 8, 16, 32 min, then hourly, 10 sends in all.
    """

    first_seconds: float = 30
    max_seconds: float = 3600
    max_attempts: int = 10

    def delay(self, attempts: int, retry_after: float | None) -> timedelta:
        backoff = min(self.first_seconds * 2 ** max(attempts - 1, 0), self.max_seconds)
        return timedelta(seconds=max(backoff, retry_after or 0))


IN_FLIGHT = 8  # messages on the wire per worker: the most a kill -9 can send twice
LEASE_SECONDS = 120  # longer than any one send can take (10 s of 429 patience, request timeouts)


class OutboxWorker:
    def __init__(self, outbox: Outbox, senders: Mapping[str, Sender], clock: Clock, *, worker: str,
                 in_flight: int = IN_FLIGHT, lease_seconds: float = LEASE_SECONDS,
                 policy: RetryPolicy | None = None) -> None:
        self.outbox = outbox
        self.senders = senders
        self.clock = clock
        self.worker = worker
        self.in_flight = max(1, in_flight)
        self.lease_seconds = lease_seconds
        self.policy = policy or RetryPolicy()
        self._stopping = False
        self._tasks: set[asyncio.Task[tuple[bool, str | None]]] = set()
        # the newest task for each recipient: a recipient's messages go out one after the other, in the order
        # they were due (a digest before its chart, the heatmap before the PDF), while recipients run side by side
        self._newest: dict[str, asyncio.Task[tuple[bool, str | None]]] = {}

    async def drain(self) -> int:
        """Send everything due now (until a platform says "later"); returns how many were delivered."""
        delivered = 0
        paused: set[str] = set()
        while not self._stopping:
            platforms = [platform for platform in self.senders if platform not in paused]
            free = self.in_flight - len(self._tasks)
            if platforms and free > 0:
                claimed = await asyncio.to_thread(
                    self.outbox.claim, worker=self.worker, platforms=platforms, now=self.clock.now(),
                    lease_seconds=self.lease_seconds, limit=free)
                if self._stopping:  # the stop came while claiming: give these back untouched
                    await asyncio.to_thread(self.outbox.release, [item.id for item in claimed], worker=self.worker,
                                            now=self.clock.now())
                    break
                for item in claimed:
                    task = asyncio.create_task(self._send_after(self._newest.get(item.to.key), item))
                    self._newest[item.to.key] = task
                    self._tasks.add(task)
            if not self._tasks:
                return delivered
            done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                self._tasks.discard(task)
                self._newest = {key: newest for key, newest in self._newest.items() if newest is not task}
                if task.cancelled():  # stopped: its claim was given back
                    continue
                if task.exception() is not None:  # the database went away mid-send: the lease brings it back
                    log.error("outbox: a send could not be recorded: %s", type(task.exception()).__name__)
                    continue
                ok, pause = task.result()
                delivered += ok
                if pause is not None:
                    paused.add(pause)
        return delivered

    async def deliver(self, items: Sequence[Claimed]) -> int:
        """Send claimed messages one after the other, in their order (a person reading them in turn), recording
        each outcome as `drain` does; returns how many were delivered."""
        delivered = 0
        for item in items:
            ok, _ = await self._send_one(item)
            delivered += ok
        return delivered

    async def stop(self, *, timeout: float = 5.0) -> None:
        """Take no new work; let what is on the wire finish, or give its claims back at once."""
        self._stopping = True
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _send_after(self, previous: asyncio.Task[tuple[bool, str | None]] | None, item: Claimed
                          ) -> tuple[bool, str | None]:
        """`item` once the recipient's previous message is done with (whatever became of it)."""
        if previous is not None and not previous.done():
            try:
                await asyncio.wait({previous})
            except asyncio.CancelledError:  # stopped while waiting its turn: nothing went out, give the claim back
                await asyncio.shield(asyncio.to_thread(self.outbox.release, [item.id], worker=self.worker,
                                                       now=self.clock.now()))
                raise
        return await self._send_one(item)

    async def _send_one(self, item: Claimed) -> tuple[bool, str | None]:
        """(delivered?, the platform to leave alone for now or None)."""
        try:
            message = message_of(item)
            if message is None:
                log.error("outbox: cannot read the payload of %s; kept as failed", item.key)
                await asyncio.to_thread(self.outbox.fail, item.id, worker=self.worker, now=self.clock.now(),
                                        outcome=Outcome.REJECTED, reason="unreadable payload")
                return False, None
            if not await asyncio.to_thread(self.outbox.begin_attempt, item.id, worker=self.worker,
                                           now=self.clock.now()):
                return False, None  # the lease ran out and someone else has it
            delivery = await self._deliver(item, message)
            await asyncio.to_thread(self._record, item, delivery)
        except asyncio.CancelledError:
            await asyncio.shield(asyncio.to_thread(self.outbox.release, [item.id], worker=self.worker,
                                                   now=self.clock.now()))
            raise
        told_to_wait = delivery.outcome is Outcome.RETRY and delivery.retry_after is not None  # a 429, not a 5xx
        return delivery.delivered, item.to.platform if told_to_wait else None

    async def _deliver(self, item: Claimed, message: Outbound) -> Delivery:
        try:
            outcomes = await self.senders[item.to.platform].send([message])
        except Exception as error:  # a sender bug must not lose the message: it is tried again later
            log.exception("outbox: sending %s raised", item.key)
            return retry(type(error).__name__)
        return outcomes[0] if outcomes else retry("no outcome")

    def _record(self, item: Claimed, delivery: Delivery) -> None:
        now, attempts = self.clock.now(), item.attempts + 1
        if delivery.delivered:
            self.outbox.mark_sent(item.id, worker=self.worker, now=now, platform_id=delivery.message_id)
        elif delivery.outcome is Outcome.RETRY and attempts < self.policy.max_attempts:
            retry_at = now + self.policy.delay(attempts, delivery.retry_after)
            log.info("outbox: %s not delivered (%s); trying again at %s", item.key, delivery.reason, retry_at)
            self.outbox.reschedule(item.id, worker=self.worker, retry_at=retry_at, outcome=delivery.outcome,
                                   reason=delivery.reason)
        else:
            outcome = "exhausted" if delivery.outcome is Outcome.RETRY else str(delivery.outcome)
            log.warning("outbox: %s failed after %d attempts: %s (%s)", item.key, attempts, outcome, delivery.reason)
            self.outbox.fail(item.id, worker=self.worker, now=now, outcome=outcome, reason=delivery.reason)


def superseded(items: Sequence[Claimed]) -> list[Claimed]:
    """The reminders a later reminder of the same round to the same person makes pointless
    (keys "remind:<round>:<person>:<n>": all but the highest n)."""
    latest: dict[str, tuple[int, Claimed]] = {}
    older: list[Claimed] = []
    for item in items:
        stem, _, number = item.key.rpartition(":")
        if not item.key.startswith("remind:") or not number.isdigit():
            continue
        known = latest.get(stem)
        if known is None or int(number) > known[0]:
            if known is not None:
                older.append(known[1])
            latest[stem] = (int(number), item)
        else:
            older.append(item)
    return older


def _to_channel(payload: str) -> bool:
    try:
        data = json.loads(payload)
    except ValueError:
        return False
    return isinstance(data, dict) and bool(data.get("channel"))


class Collection:
    """What was sent to a person while they were away, for a platform that cannot push (the terminal): taken
    from the outbox when they come back, shown once, and recorded as delivered.

    The messages are claimed with the workers' own lease (`Outbox.take_for`), so two chats opened at once
    never both show one, and a chat that dies before it is shown gives it back after the lease. Of a
    round's reminders only the latest is shown; the older ones are kept as "superseded".
    """

    def __init__(self, outbox: Outbox, clock: Clock, *, worker: str, lease_seconds: float = LEASE_SECONDS) -> None:
        self.outbox = outbox
        self.clock = clock
        self.worker = worker
        self.lease_seconds = lease_seconds

    async def deliver(self, user: UserRef, sender: Sender) -> int:
        """Show `user` what waits for them through `sender`; returns how many messages were delivered."""
        taken = await asyncio.to_thread(self.outbox.take_for, user, worker=self.worker, now=self.clock.now(),
                                        lease_seconds=self.lease_seconds)
        # A team's messages (its digest) are addressed to the team's channel, which the outbox stores under the
        # same columns as a person: a person whose name is a team's never collects them.
        for_team = [item for item in taken if _to_channel(item.payload)]
        if for_team:
            await asyncio.to_thread(self.outbox.release, [item.id for item in for_team], worker=self.worker,
                                    now=self.clock.now())
        taken = [item for item in taken if item not in for_team]
        if not taken:
            return 0
        older = superseded(taken)
        if older:
            await asyncio.to_thread(self.outbox.supersede, [item.id for item in older], worker=self.worker,
                                    now=self.clock.now(), reason="a later reminder was shown")
        shown = [item for item in taken if item not in older]
        worker = OutboxWorker(self.outbox, {user.platform: sender}, self.clock, worker=self.worker,
                              lease_seconds=self.lease_seconds)
        return await worker.deliver(shown)
