"""What became of one outbound message: the outcome a Sender reports for each message it was given.

Only `DELIVERED` means the person has it. The outbox marks a row sent on that alone; every
other outcome is kept with its reason (retried later, parked, or failed), never swallowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    DELIVERED = "delivered"
    UNREACHABLE = "unreachable"  # blocked the bot, left the workspace, deactivated: not retried
    NOT_STARTED = "not_started"  # Telegram: the person never opened a private chat with the bot
    RETRY = "retry"  # 429, 5xx, a network error: worth sending again later
    REJECTED = "rejected"  # a permanent 4xx that re-sending cannot fix (too long, invalid blocks)


@dataclass(frozen=True, slots=True)
class Delivery:
    outcome: Outcome
    message_id: str | None = None  # the platform's id of what was delivered
    retry_after: float | None = None  # seconds, where the platform said how long to wait
    reason: str = ""  # the platform's error code or description (never message text)

    @property
    def delivered(self) -> bool:
        return self.outcome is Outcome.DELIVERED


DELIVERED = Delivery(Outcome.DELIVERED)


def retry(reason: str, retry_after: float | None = None) -> Delivery:
    return Delivery(Outcome.RETRY, retry_after=retry_after, reason=reason[:200])


def rejected(reason: str) -> Delivery:
    return Delivery(Outcome.REJECTED, reason=reason[:200])


def unreachable(reason: str) -> Delivery:
    return Delivery(Outcome.UNREACHABLE, reason=reason[:200])


def not_started(reason: str) -> Delivery:
    return Delivery(Outcome.NOT_STARTED, reason=reason[:200])


class NotDelivered(Exception):
    """Raised inside a sender when a request did not deliver; carries the outcome to report."""

    def __init__(self, delivery: Delivery) -> None:
        super().__init__(f"{delivery.outcome}: {delivery.reason}")
        self.delivery = delivery
