"""Delivering a turn's messages in order, with one outcome per message.

Shared by the platform senders. The first message to a recipient that is not delivered ends the
turn for that recipient: the rest of their messages get the same outcome without a request (a
question sent after a lost confirmation would read out of order). A recipient who turns out
unreachable (blocked the bot, left the workspace) is marked so until they write again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.core.delivery import Delivery, NotDelivered, Outcome
from bot.core.identity import UserRef
from bot.core.messages import ChoicePrompt, FreeTextPrompt, MultiChoicePrompt, Outbound
from bot.core.ports import LATEST_PROMPT, Clock, MessageRefs, Reachability

log = logging.getLogger(__name__)


async def deliver_in_order(messages: Sequence[Outbound], deliver: Callable[[Outbound], Awaitable[Delivery]], *,
                           platform: str, reachability: Reachability, clock: Clock) -> list[Delivery]:
    """Send each message; returns what became of each, in the order given."""
    outcomes: list[Delivery] = []
    stopped: dict[str, Delivery] = {}
    for message in messages:
        earlier = stopped.get(message.to.key)
        if earlier is not None:
            outcomes.append(earlier)
            continue
        try:
            delivery = await deliver(message)
        except NotDelivered as error:
            delivery = error.delivery
        if not delivery.delivered:
            stopped[message.to.key] = delivery
            if delivery.outcome is Outcome.UNREACHABLE and isinstance(message.to, UserRef):
                reachability.mark_unreachable(message.to, now=clock.now())
            level = logging.INFO if delivery.outcome is Outcome.RETRY else logging.WARNING
            log.log(level, "%s: a message to %s was not delivered: %s (%s)", platform, message.to.key,
                    delivery.outcome, delivery.reason)
        outcomes.append(delivery)
    return outcomes


def remember_shown(refs: MessageRefs, message: Outbound, clock: Clock) -> None:
    """A question reached a person's screen: text they type from now on is written at it (LATEST_PROMPT)."""
    if isinstance(message, ChoicePrompt | MultiChoicePrompt | FreeTextPrompt) and isinstance(message.to, UserRef):
        refs.remember(message.to.key, LATEST_PROMPT, message.prompt_id, now=clock.now())
