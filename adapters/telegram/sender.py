"""Delivering neutral messages through the Bot API: rate limits, 429 retries, unreachable people.

After a prompt is sent, where it went is remembered, so a later PromptClosed can edit that
message (remove its buttons, show the answer), also after a restart.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from adapters.delivery import Unreachable, deliver_in_order
from adapters.ratelimit import RateLimiter
from adapters.telegram import outbound
from bot.identity import ChannelRef
from bot.messages import MultiChoicePrompt, Outbound, PromptClosed
from bot.ports import Clock, MessageRefs, Reachability

log = logging.getLogger(__name__)
MAX_RETRIES = 5


class TelegramSender:
    def __init__(self, bot: Bot, *, refs: MessageRefs, reachability: Reachability, clock: Clock,
                 limiter: RateLimiter | None = None) -> None:
        self.bot = bot
        self.refs = refs
        self.reachability = reachability
        self.clock = clock
        self.limiter = limiter or RateLimiter()

    async def send(self, messages: Sequence[Outbound]) -> None:
        await deliver_in_order(messages, self._deliver, platform="telegram", reachability=self.reachability,
                               clock=self.clock)

    async def _deliver(self, message: Outbound) -> None:
        if isinstance(message, PromptClosed):
            await self._close(message)
        elif isinstance(message, MultiChoicePrompt) and message.update:
            await self._redraw(message)
        else:
            for call in outbound.render(message):
                result = await self.call(call, group=isinstance(message.to, ChannelRef))
                if call.prompt_id is not None and isinstance(result, Message):
                    ref = {"chat": call.params["chat_id"], "message_id": result.message_id, "html": call.plain_text}
                    self.refs.remember(message.to.key, call.prompt_id, json.dumps(ref), now=self.clock.now())

    def _recall(self, message: PromptClosed | MultiChoicePrompt) -> dict[str, Any] | None:
        stored = self.refs.recall(message.to.key, message.prompt_id)
        return json.loads(stored) if stored else None

    async def _close(self, message: PromptClosed) -> None:
        ref = self._recall(message)
        if ref is not None:
            await self.call(outbound.close(message, ref["chat"], ref["message_id"], ref["html"]), group=False)

    async def _redraw(self, message: MultiChoicePrompt) -> None:
        ref = self._recall(message)
        if ref is not None:
            await self.call(outbound.redraw(message, ref["chat"], ref["message_id"]), group=False)

    async def _request(self, call: outbound.Call) -> Any:
        params = dict(call.params)
        markup = params.pop("reply_markup", None)
        keyboard = InlineKeyboardMarkup.de_json(markup, self.bot) if markup is not None else None
        if call.method == "sendMessage":
            return await self.bot.send_message(reply_markup=keyboard, **params)
        if call.method == "sendPhoto":
            return await self.bot.send_photo(**params)
        if call.method == "sendDocument":
            return await self.bot.send_document(**params)
        if call.method == "editMessageText":
            return await self.bot.edit_message_text(reply_markup=keyboard, **params)
        return await self.bot.edit_message_reply_markup(reply_markup=keyboard, **params)

    async def call(self, call: outbound.Call, *, group: bool) -> Any:
        """One API request within the limits; a 429 waits `retry_after` and sends again."""
        for _ in range(MAX_RETRIES):
            await self.limiter.wait(str(call.params.get("chat_id", "")), group=group)
            try:
                return await self._request(call)
            except RetryAfter as error:
                seconds = retry_seconds(error)
                log.info("telegram: 429, retrying %s after %.1f s", call.method, seconds)
                await self.limiter.sleep(seconds)
            except Forbidden as error:
                raise Unreachable(str(error)) from error
            except BadRequest as error:
                if call.method.startswith("edit"):
                    log.info("telegram: could not edit an old prompt: %s", error.message)
                    return None
                if "chat not found" in error.message.lower():
                    raise Unreachable(error.message) from error
                raise
        log.error("telegram: %s still rate limited after %d tries", call.method, MAX_RETRIES)
        return None


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds, whether python-telegram-bot gives an int or (in future) a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
