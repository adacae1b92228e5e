"""Delivering neutral messages through the Bot API: rate limits, 429s, and an outcome per message.

After a prompt is sent, where it went is remembered, so a later PromptClosed can edit that
message (remove its buttons, show the answer), also after a restart. A short 429 is waited out
in place (a turn's reply should not wait for the next scheduler tick); a longer one, a 5xx or a
network error is reported as "retry later", a permanent 400 as "rejected", a person who blocked
the bot as "unreachable", and one who never opened a private chat with the bot as "not started".
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from adapters.delivery import deliver_in_order, remember_shown
from adapters.ratelimit import RateLimiter
from adapters.telegram import outbound
from bot.core.delivery import DELIVERED, Delivery, NotDelivered, Outcome, not_started, rejected, retry, unreachable
from bot.core.identity import ChannelRef
from bot.core.messages import MultiChoicePrompt, Outbound, PromptClosed
from bot.core.ports import Clock, MessageRefs, Reachability

log = logging.getLogger(__name__)
PATIENCE_SECONDS = 10.0  # the longest a 429 is waited out inside one send; longer ones are retried later
# Forbidden descriptions that mean "this person never started a private chat with the bot".
NOT_STARTED = ("can't initiate conversation", "bot can't initiate")


class TelegramSender:
    def __init__(self, bot: Bot, *, refs: MessageRefs, reachability: Reachability, clock: Clock,
                 limiter: RateLimiter | None = None) -> None:
        self.bot = bot
        self.refs = refs
        self.reachability = reachability
        self.clock = clock
        self.limiter = limiter or RateLimiter()

    async def send(self, messages: Sequence[Outbound]) -> list[Delivery]:
        return await deliver_in_order(messages, self._deliver, platform="telegram", reachability=self.reachability,
                                      clock=self.clock)

    async def _deliver(self, message: Outbound) -> Delivery:
        delivery = await self._show(message)
        if delivery.delivered:
            remember_shown(self.refs, message, self.clock)
        return delivery

    async def _show(self, message: Outbound) -> Delivery:
        if isinstance(message, PromptClosed) or (isinstance(message, MultiChoicePrompt) and message.update):
            return await self._edit(message)
        replaces = getattr(message, "replaces", None)
        if replaces is not None:
            drawn = await self._draw_over(message, replaces)
            if drawn is not None:
                return drawn
        delivered = DELIVERED
        for call in outbound.render(message):
            result = await self.call(call, group=isinstance(message.to, ChannelRef))
            if isinstance(result, Message):
                delivered = Delivery(DELIVERED.outcome, message_id=str(result.message_id))
                if call.prompt_id is not None:
                    ref = {"chat": call.params["chat_id"], "message_id": result.message_id, "html": call.plain_text}
                    self.refs.remember(message.to.key, call.prompt_id, json.dumps(ref), now=self.clock.now())
        return delivered

    def _recall(self, message: PromptClosed | MultiChoicePrompt) -> dict[str, Any] | None:
        return self._ref(message.to.key, message.prompt_id)

    def _ref(self, recipient: str, prompt_id: str) -> dict[str, Any] | None:
        stored = self.refs.recall(recipient, prompt_id)
        return json.loads(stored) if stored else None

    async def _draw_over(self, message: Outbound, replaces: str) -> Delivery | None:
        """Edit the earlier prompt's message into this prompt: one request, not a close and a send.
        None when it cannot be (no such message any more, or the prompt needs more than one message)."""
        ref = self._ref(message.to.key, replaces)
        calls = outbound.render(message)
        if ref is None or len(calls) != 1 or calls[0].prompt_id is None:
            return None
        call = outbound.draw_over(calls[0], ref["chat"], ref["message_id"])
        if await self.call(call, group=isinstance(message.to, ChannelRef)) is None:
            return None  # deleted, or too old to edit: the prompt goes out as a new message
        moved = {"chat": ref["chat"], "message_id": ref["message_id"], "html": call.plain_text}
        self.refs.remember(message.to.key, calls[0].prompt_id, json.dumps(moved), now=self.clock.now())
        return Delivery(DELIVERED.outcome, message_id=str(ref["message_id"]))

    async def _edit(self, message: PromptClosed | MultiChoicePrompt) -> Delivery:
        """Close or redraw an earlier prompt. Only cosmetic: a failed edit must not hold back the next question."""
        ref = self._recall(message)
        if ref is None:
            return DELIVERED
        call = outbound.close(message, ref["chat"], ref["message_id"], ref["html"]) \
            if isinstance(message, PromptClosed) else outbound.redraw(message, ref["chat"], ref["message_id"])
        try:
            await self.call(call, group=False)
        except NotDelivered as error:
            if error.delivery.outcome in (Outcome.UNREACHABLE, Outcome.NOT_STARTED):
                raise
            log.info("telegram: an old prompt was not edited: %s", error.delivery.outcome)
        return DELIVERED

    async def _request(self, call: outbound.Call) -> Any:
        params = dict(call.params)
        markup = params.pop("reply_markup", None)
        keyboard = InlineKeyboardMarkup.de_json(markup, self.bot) if markup is not None else None
        if call.method == "sendMessage":
            replying = params.pop("reply_parameters", None)
            reply = ReplyParameters(**replying) if replying is not None else None
            return await self.bot.send_message(reply_markup=keyboard, reply_parameters=reply, **params)
        if call.method == "sendPhoto":
            return await self.bot.send_photo(**params)
        if call.method == "sendDocument":
            return await self.bot.send_document(**params)
        if call.method == "editMessageText":
            return await self.bot.edit_message_text(reply_markup=keyboard, **params)
        return await self.bot.edit_message_reply_markup(reply_markup=keyboard, **params)

    async def call(self, call: outbound.Call, *, group: bool) -> Any:
        """One API request within the limits; raises NotDelivered with the outcome when it did not deliver."""
        waited = 0.0
        while True:
            await self.limiter.wait(str(call.params.get("chat_id", "")), group=group)
            try:
                return await self._request(call)
            except RetryAfter as error:
                seconds = retry_seconds(error)
                if waited + seconds > PATIENCE_SECONDS:
                    raise NotDelivered(retry("429 Too Many Requests", seconds)) from error
                log.info("telegram: 429, retrying %s after %.1f s", call.method, seconds)
                waited += seconds
                await self.limiter.sleep(seconds)
            except Forbidden as error:
                if any(phrase in error.message.lower() for phrase in NOT_STARTED):
                    raise NotDelivered(not_started(error.message)) from error
                raise NotDelivered(unreachable(error.message)) from error
            except BadRequest as error:  # before NetworkError: python-telegram-bot derives it from that
                if call.method.startswith("edit"):
                    if "not modified" in error.message.lower():  # it already shows this: a repeated redraw
                        return True
                    log.info("telegram: could not edit an old prompt: %s", error.message)
                    return None
                if "chat not found" in error.message.lower():
                    raise NotDelivered(unreachable(error.message)) from error
                raise NotDelivered(rejected(error.message)) from error
            except NetworkError as error:  # 5xx, timeouts, closed connections
                raise NotDelivered(retry(f"{type(error).__name__}: {error.message}")) from error
            except TelegramError as error:  # e.g. a revoked token (InvalidToken): nothing wrong with the message
                raise NotDelivered(retry(f"{type(error).__name__}: {error.message}")) from error


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds, whether python-telegram-bot gives an int or (in future) a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
