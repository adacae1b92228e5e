"""Replies of committed turns through a stop: sent while there is time, then handed to the outbox.

A turn commits before it replies, and its replies can wait a while for their slot (a group's
confirmations go out 20 a minute). When the process stops, `hand_over()` ends the waiting: every
reply not yet sent, and every reply a turn still finishing produces, is kept for the durable outbox
instead, and `flush()` writes them there in one transaction once the turns are done; the next tick
of any process sends them. The outbox carries plain notices (a confirmation, an explanation, an
error); a prompt with buttons or an edit of an earlier message is not carried but counted in the
log: the answers are saved, and /jatka shows the question again. A reply that was on the wire when
it was cut short can arrive twice; one that waited for its slot cannot.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
from collections.abc import Sequence

from bot.app.outbox import scheduled_notice
from bot.core.delivery import Delivery, Outcome, retry
from bot.core.messages import Notice, Outbound
from bot.core.ports import Clock, Outbox, Scheduled, Sender

log = logging.getLogger(__name__)
HANDED_OVER = Delivery(Outcome.RETRY, reason="handed to the outbox at a stop")


class DrainingSender:
    def __init__(self, inner: Sender, outbox: Outbox, clock: Clock) -> None:
        self.inner = inner
        self.outbox = outbox
        self.clock = clock
        self.handing_over = False
        self.handed_over = 0
        self.dropped = 0
        self._sending: set[asyncio.Task[Sequence[Delivery]]] = set()
        self._keys = itertools.count(1)
        self._kept: list[Scheduled] = []

    async def send(self, messages: Sequence[Outbound]) -> Sequence[Delivery]:
        """Like the platform's sender, one message at a time, so that a stop knows which ones went out."""
        outcomes: list[Delivery] = []
        stopped: dict[str, Delivery] = {}
        for message in messages:
            earlier = stopped.get(message.to.key)
            if earlier is not None:  # the platform sender's rule: nothing after an undelivered message
                outcomes.append(earlier)
                continue
            delivery = await self._send_one(message)
            if not delivery.delivered and delivery is not HANDED_OVER:
                stopped[message.to.key] = delivery
            outcomes.append(delivery)
        return outcomes

    def hand_over(self) -> None:
        """From now on replies go to the outbox; sends still waiting for their slot are cut short."""
        self.handing_over = True
        for task in list(self._sending):
            task.cancel()

    async def flush(self) -> int:
        """Write the replies kept since `hand_over()` to the outbox; returns how many were written."""
        kept, self._kept = self._kept, []
        if kept:
            await asyncio.to_thread(self.outbox.enqueue, kept, now=self.clock.now())
        return len(kept)

    async def _send_one(self, message: Outbound) -> Delivery:
        if self.handing_over:
            return self._hand_over(message)
        task: asyncio.Task[Sequence[Delivery]] = asyncio.ensure_future(self.inner.send([message]))
        self._sending.add(task)
        try:
            outcomes = await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not self.handing_over or (current is not None and current.cancelling()):
                raise  # this turn itself is being cancelled, not just its send
            return self._hand_over(message)
        finally:
            self._sending.discard(task)
        return outcomes[0] if outcomes else retry("no outcome")

    def _hand_over(self, message: Outbound) -> Delivery:
        if not isinstance(message, Notice):
            self.dropped += 1
            log.warning("stopping: a %s to %s was not sent (the outbox carries notices only)",
                        type(message).__name__, message.to.platform)
            return retry("not sent: the process stopped")
        now = self.clock.now()
        key = f"reply:{message.to.key}:{now:%Y%m%dT%H%M%S%f}:{os.getpid()}:{next(self._keys)}"
        self._kept.append(scheduled_notice(key, message.to, now, message.text, heading=message.heading,
                                           language=message.language, link=message.link, thread=message.thread))
        self.handed_over += 1
        return HANDED_OVER
