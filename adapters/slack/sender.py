"""Delivering neutral messages through the Slack Web API: pacing, 429 retries, unreachable people.

After a prompt is posted, where it went (channel, ts, its blocks without buttons, the question)
is remembered, so a later PromptClosed can update that message, and the "write an answer"
button can open a modal with the question, also after a restart.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.delivery import Unreachable, deliver_in_order
from adapters.ratelimit import RateLimiter
from adapters.slack import outbound
from adapters.slack.outbound import CommandStyle, Texts
from bot.messages import FreeTextPrompt, MultiChoicePrompt, Outbound, PromptClosed
from bot.ports import Clock, MessageRefs, Reachability

log = logging.getLogger(__name__)

# Errors that mean the person (or the DM with them) is gone, not that the request was wrong.
UNREACHABLE_ERRORS = frozenset({"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot",
                                "channel_not_found", "is_archived", "user_not_visible", "messages_tab_disabled"})
EDIT_ERRORS = frozenset({"message_not_found", "cant_update_message", "edit_window_closed", "msg_too_long"})


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

    async def send(self, messages: Sequence[Outbound]) -> None:
        await deliver_in_order(messages, self._deliver, platform="slack", reachability=self.reachability,
                               clock=self.clock, give_up_on=(SlackApiError,))

    async def _deliver(self, message: Outbound) -> None:
        if isinstance(message, PromptClosed):
            ref = self.recall(message.to.key, message.prompt_id)
            if ref is not None:
                await self.call(outbound.close(ref["channel"], ref["ts"], ref["kept"], message.answer))
            return
        if isinstance(message, MultiChoicePrompt) and message.update:
            ref = self.recall(message.to.key, message.prompt_id)
            if ref is not None:
                await self.call(outbound.redraw(message, ref["channel"], ref["ts"], ref["kept"]))
            return
        for call in outbound.render(message, self.texts, self.style):
            result = await self.call(call)
            if call.prompt_id is not None and result is not None:
                self.refs.remember(message.to.key, call.prompt_id, json.dumps(self._ref(message, call, result)),
                                   now=self.clock.now())

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
        """One Web API request within the pacing; the client itself retries a 429 after Retry-After."""
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
            code = str(error.response.get("error", ""))
            if call.method == "chat.update" and code in EDIT_ERRORS:
                log.info("slack: could not update an old prompt: %s", code)
                return None
            if code in UNREACHABLE_ERRORS:
                raise Unreachable(code) from error
            if code == "ratelimited":
                log.error("slack: %s still rate limited after the retries", call.method)
                return None
            raise
        return dict(response.data) if isinstance(response.data, dict) else {}
