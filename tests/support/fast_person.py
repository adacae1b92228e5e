"""A fast person's part 1, shared by the Telegram and Slack tests of issue 13's tangle: what they do, one action
every GAP seconds without waiting for the bot, and the rating each action means."""

from __future__ import annotations

from bot.shell.content import SHIPPED_CONTENT_DIR, load_instrument

POINTS = [point.id for point in load_instrument(SHIPPED_CONTENT_DIR).points]
LABELS = {"1": "1 Ei toimi", "2": "2 Toimii heikosti", "3": "3 Toimii osittain", "4": "4 Toimii hyvin",
          "5": "5 Toimii erinomaisesti"}
# Taps and typed ratings mixed, as a fast person on a phone: faster than the bot may write to the chat.
ACTIONS = [("tap", "4"), ("tap", "3"), ("type", "2"), ("tap", "5"), ("type", "toimii hyvin"), ("tap", "3"),
           ("type", "1"), ("tap", "2")]
GAP = 0.25
TYPED = {"toimii hyvin": "4"}


def rating_meant(value: str) -> str:
    """The rating an action gives: a button's value, or what a typed answer names."""
    return TYPED.get(value, value)


def expected(meant: dict[int, str]) -> dict[str, str | None]:
    """The stored answers that `meant` (point number → the rating given while seeing its card) should leave."""
    return {f"rate:{POINTS[point - 1]}": value for point, value in meant.items()}
