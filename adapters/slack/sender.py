"""Delivering neutral messages through the Slack Web API: pacing, 429s, and an outcome per message.

A short 429 is waited out by the SDK's retry handler (only when Retry-After is at most
PATIENCE_SECONDS, so a send never outlives an outbox lease); a longer one, a 5xx or a network
error is reported as "retry later", a person who left as "unreachable", and any other API error
(invalid_blocks, msg_too_long…) as "rejected" with its error code.

After a prompt is posted, where it went (channel, ts, its blocks without buttons, the question)
is remembered, so a later PromptClosed can update that message, and the "write an answer"
button can open a modal with the question, also after a restart.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from adapters.delivery import deliver_in_order, remember_shown
from adapters.ratelimit import RateLimiter
from adapters.slack import outbound
from adapters.slack.outbound import CommandStyle, Texts
from bot.core.delivery import DELIVERED, Delivery, NotDelivered, Outcome, rejected, retry, unreachable
from bot.core.messages import FreeTextPrompt, MultiChoicePrompt, Outbound, PromptClosed
from bot.core.ports import Clock, MessageRefs, Reachability

log = logging.getLogger(__name__)

# Errors that mean the person (or the DM with them) is gone, not that the request was wrong.
UNREACHABLE_ERRORS = frozenset({"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot",
                                "channel_not_found", "is_archived", "user_not_visible", "messages_tab_disabled"})
EDIT_ERRORS = frozenset({"message_not_found", "cant_update_message", "edit_window_closed", "msg_too_long"})
PATIENCE_SECONDS = 10  # the longest Retry-After waited out inside one send; longer ones are retried later
RETRIES_ON_429 = 3


def retry_after_seconds(headers: dict[str, Any]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return float(raw)
            except (TypeError, ValueError):
                return None
    return None


class ShortRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """The SDK's 429 handler, but only for waits a send can afford; a longer 429 becomes "retry later"."""

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after_seconds(dict(response.headers))
        return wait is None or wait <= PATIENCE_SECONDS


def web_client(token: str, api_url: str) -> AsyncWebClient:
    """The Web API client of the app and of the scheduler: its base URL a setting, short 429s retried."""
    client = AsyncWebClient(token=token, base_url=api_url.rstrip("/") + "/")
    handler: AsyncRetryHandler = ShortRateLimitRetry(max_retry_count=RETRIES_ON_429)
    client.retry_handlers.append(handler)
    return client


def slack_limiter(**overrides: Any) -> RateLimiter:
    """About 1 message/s per channel (a burst of three per turn), no practical overall cap."""
    limits: dict[str, Any] = {"overall_per_second": 200, "chat_per_second": 1, "chat_burst": 3,
                              "group_per_minute": 60, "group_burst": 3}
    return RateLimiter(**{**limits, **overrides})


class SlackSender:
    def __init__(self, client: AsyncWebClient, *, texts: Texts, style: CommandStyle, refs: MessageRefs,
                 reachability: Reachability, clock: Clock, limiter: RateLimiter | None = None) -> None:
        self.client = client
        self.texts = texts
        self.style = style
        self.refs = refs
        self.reachability = reachability
        self.clock = clock
        self.limiter = limiter or slack_limiter()

    async def send(self, messages: Sequence[Outbound]) -> list[Delivery]:
        return await deliver_in_order(messages, self._deliver, platform="slack", reachability=self.reachability,
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
        for call in outbound.render(message, self.texts, self.style):
            result = await self.call(call)
            if result is not None:
                delivered = Delivery(Outcome.DELIVERED, message_id=str(result.get("ts") or "") or None)
                if call.prompt_id is not None:
                    self.refs.remember(message.to.key, call.prompt_id,
                                       json.dumps(self._ref(message, call, result)), now=self.clock.now())
        return delivered

    async def _edit(self, message: PromptClosed | MultiChoicePrompt) -> Delivery:
        """Close or redraw an earlier prompt. Only cosmetic: a failed edit must not hold back the next question."""
        ref = self.recall(message.to.key, message.prompt_id)
        if ref is None:
            return DELIVERED
        call = outbound.close(ref["channel"], ref["ts"], ref["kept"], message.answer) \
            if isinstance(message, PromptClosed) else outbound.redraw(message, ref["channel"], ref["ts"], ref["kept"])
        try:
            await self.call(call)
        except NotDelivered as error:
            if error.delivery.outcome is Outcome.UNREACHABLE:
                raise
            log.info("slack: an old prompt was not updated: %s", error.delivery.outcome)
        return DELIVERED

    async def _draw_over(self, message: Outbound, replaces: str) -> Delivery | None:
        """Update the earlier prompt's message into this prompt: one request, not a close and a post.
        None when it cannot be (the message is gone, or the prompt needs more than one message)."""
        ref = self.recall(message.to.key, replaces)
        calls = outbound.render(message, self.texts, self.style)
        if ref is None or len(calls) != 1 or calls[0].prompt_id is None or calls[0].method != "chat.postMessage":
            return None
        call = outbound.draw_over(calls[0], ref["channel"], ref["ts"])
        result = await self.call(call)
        if result is None:
            return None  # deleted, or no longer editable: the prompt is posted as a new message
        moved = {**result, "channel": ref["channel"], "ts": ref["ts"]}
        self.refs.remember(message.to.key, calls[0].prompt_id, json.dumps(self._ref(message, calls[0], moved)),
                           now=self.clock.now())
        return Delivery(Outcome.DELIVERED, message_id=str(ref["ts"]))

    @staticmethod
    def _ref(message: Outbound, call: outbound.Call, result: dict[str, Any]) -> dict[str, Any]:
        ref: dict[str, Any] = {"channel": result.get("channel", call.params["channel"]), "ts": result.get("ts"),
                               "kept": call.kept_blocks}
        if isinstance(message, FreeTextPrompt):
            ref.update(question=message.text, current=message.current, max_length=message.max_length,
                       language=message.language)
        return ref

    def recall(self, recipient: str, prompt_id: str) -> dict[str, Any] | None:
        stored = self.refs.recall(recipient, prompt_id)
        return json.loads(stored) if stored else None

    async def call(self, call: outbound.Call) -> dict[str, Any] | None:
        """One Web API request within the pacing; raises NotDelivered with the outcome when it did not deliver.

        None: an old prompt could not be updated (nothing to do)."""
        channel = str(call.params.get("channel", ""))
        await self.limiter.wait(channel, group=not channel.startswith(("U", "W", "D")))
        try:
            if call.method == "files.uploadV2":
                params = dict(call.params)
                if str(params["channel"]).startswith(("U", "W")):  # a person: uploads need the DM's channel id
                    opened = await self.client.conversations_open(users=params["channel"])
                    params["channel"] = opened["channel"]["id"]
                response = await self.client.files_upload_v2(**params)
            else:
                response = await self.client.api_call(call.method, json=call.params)
        except SlackApiError as error:
            data = error.response.data
            code = str((data.get("error") if isinstance(data, dict) else "") or f"HTTP {error.response.status_code}")
            if call.method == "chat.update" and code in EDIT_ERRORS:
                log.info("slack: could not update an old prompt: %s", code)
                return None
            if code in UNREACHABLE_ERRORS:
                raise NotDelivered(unreachable(code)) from error
            if code == "ratelimited" or error.response.status_code == 429:
                raise NotDelivered(retry("ratelimited", retry_after_seconds(dict(error.response.headers)))) \
                    from error
            if error.response.status_code >= 500 or code in ("internal_error", "fatal_error", "service_unavailable",
                                                             "request_timeout"):
                raise NotDelivered(retry(code)) from error
            raise NotDelivered(rejected(code)) from error
        except (TimeoutError, aiohttp.ClientError, OSError) as error:  # a closed connection, a timeout
            raise NotDelivered(retry(type(error).__name__)) from error
        return dict(response.data) if isinstance(response.data, dict) else {}
