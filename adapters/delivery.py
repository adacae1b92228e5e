"""Delivering a turn's messages in order, and what happens when a recipient cannot be reached.

Shared by the platform senders: once a recipient turns out unreachable (blocked the bot, left
the workspace), the rest of the turn's messages to them are skipped and the person is marked
unreachable until they write again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.identity import UserRef
from bot.messages import Outbound
from bot.ports import Clock, Reachability

log = logging.getLogger(__name__)


class Unreachable(Exception):
    """The platform says this recipient cannot be messaged."""


async def deliver_in_order(messages: Sequence[Outbound], deliver: Callable[[Outbound], Awaitable[None]], *,
                           platform: str, reachability: Reachability, clock: Clock,
                           give_up_on: tuple[type[Exception], ...] = ()) -> None:
    """Send each message; `give_up_on` errors skip the rest for that recipient (answers are saved already)."""
    skipped: set[str] = set()
    for message in messages:
        if message.to.key in skipped:
            continue
        try:
            await deliver(message)
        except Unreachable as error:
            skipped.add(message.to.key)
            if isinstance(message.to, UserRef):
                reachability.mark_unreachable(message.to, now=clock.now())
            log.warning("%s: %s cannot be reached (%s); marked unreachable", platform, message.to.key, error)
        except give_up_on as error:
            skipped.add(message.to.key)
            log.error("%s: sending to %s failed: %s", platform, message.to.key, type(error).__name__)
