"""The Slack application: slack-bolt's AsyncApp in HTTP mode or Socket Mode around our dispatcher.

Every request is acknowledged first and worked on after (bolt runs listeners after `ack()`
answered Slack, within its 3 seconds). The App Home shows a person's progress; the slash
command `/kartoitus` carries the commands; a modal takes long written answers.

Stopping is graceful: the HTTP server (or the Socket Mode connection) closes first, so no new
request is taken and those in progress are acknowledged; the listeners already running may
finish until the stop's timeout, and are cancelled after it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.app.async_server import AsyncSlackAppServer
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.errors import SlackApiError

from adapters.inflight import InFlight
from adapters.ratelimit import RateLimiter
from adapters.slack import inbound, views
from adapters.slack.outbound import CHOICE_ACTION, WRITE_ACTION, CommandStyle
from adapters.slack.sender import SlackSender, web_client
from bot.core.commands import command_aliases
from bot.core.events import Event
from bot.core.identity import UserRef
from bot.core.instrument import Instrument
from bot.core.language import language_code
from bot.core.ports import Clock, Conversations, MessageRefs, PeopleDirectory, Reachability, Sender

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
LOCALE_TTL_SECONDS = 3600
HTTP_SHUTDOWN_SECONDS = 3.0  # requests in progress only wait for their ack (Slack's own limit is 3 s)
Ack = Callable[..., Awaitable[None]]


def slack_language(locale: str | None) -> str | None:
    """The locale worth following. Slack has no Finnish or Swedish interface, so nearly every
    Finnish or Swedish speaker runs it in English: an English locale says nothing about the
    language they want, and the app stays in its default language until they choose."""
    language = language_code(locale)
    return None if language == "en" else locale


class _SameTokenTwice(logging.Filter):
    """bolt warns that SLACK_BOT_TOKEN in the environment is unused when it gets a client; it is the same token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_SameTokenTwice())


class SlackBot:
    def __init__(self, *, bot_token: str, signing_secret: str | None, api_url: str, instrument: Instrument,
                 build_dispatcher: Callable[[Sender, Callable[[str], str]], Conversations],
                 refs: MessageRefs, reachability: Reachability, clock: Clock,
                 limiter: RateLimiter | None = None, app_token: str | None = None,
                 directory: PeopleDirectory | None = None) -> None:
        self.directory = directory
        self.clock = clock
        self.client = web_client(bot_token, api_url)
        self.app_token = app_token
        self.app = AsyncApp(client=self.client, signing_secret=signing_secret or "",
                            request_verification_enabled=app_token is None, process_before_response=False)
        self.instrument = instrument
        self.aliases = command_aliases(instrument)
        self.style = CommandStyle(self.aliases.keys())
        self.sender = SlackSender(self.client, texts=instrument.text, style=self.style, refs=refs,
                                  reachability=reachability, clock=clock, limiter=limiter)
        self.dispatcher = build_dispatcher(self.sender, self.join_link)
        self.app_id = ""
        self.team_id = ""
        self._locales: dict[str, tuple[str | None, float]] = {}
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self.in_flight = InFlight()
        self._register()

    def join_link(self, code: str) -> str:
        """A link that opens the DM with the app (Slack joins teams by /kartoitus liity, not by code)."""
        return f"https://slack.com/app_redirect?app={self.app_id}&team={self.team_id}"

    def _register(self) -> None:
        app, tracked = self.app, self.in_flight.tracked
        app.event("message")(tracked(self.on_message))
        app.event("app_home_opened")(tracked(self.on_home_opened))
        app.action(re.compile(f"^{CHOICE_ACTION}-"))(tracked(self.on_choice))
        app.action(WRITE_ACTION)(tracked(self.on_write))
        app.action(views.HOME_RESUME_ACTION)(tracked(self.on_home_resume))
        app.action(views.HOME_LANGUAGE_ACTION)(tracked(self.on_home_language))
        app.command("/kartoitus")(tracked(self.on_command))
        app.view(views.ANSWER_VIEW)(tracked(self.on_answer_submitted))
        app.error(self.on_error)

    # --- inbound ---------------------------------------------------------------------

    def _seen(self, body: dict[str, Any]) -> None:
        self.app_id = self.app_id or str(body.get("api_app_id", ""))
        self.team_id = self.team_id or inbound.person(body, "").workspace

    async def locale(self, user_id: str) -> str | None:
        """The person's Slack locale (users.info), cached for an hour."""
        cached = self._locales.get(user_id)
        if cached is not None and time.monotonic() - cached[1] < LOCALE_TTL_SECONDS:
            return cached[0]
        try:
            response = await self.client.users_info(user=user_id, include_locale=True)
            profile: dict[str, Any] = response.get("user") or {}
            locale = profile.get("locale")
            if self.directory is not None and isinstance(profile.get("tz"), str) and self.team_id:
                self.directory.set_timezone(UserRef(inbound.PLATFORM, self.team_id, user_id), profile["tz"],
                                            now=self.clock.now())
        except SlackApiError as error:
            log.info("slack: no locale for a user: %s", error.response.get("error"))
            locale = None
        self._locales[user_id] = (slack_language(locale), time.monotonic())
        return self._locales[user_id][0]

    async def dispatch(self, event: Event) -> None:
        await self.dispatcher.handle(event)

    async def on_message(self, body: dict[str, Any]) -> None:
        event = body.get("event", {})
        if event.get("channel_type") in ("channel", "group"):  # a team's channel: only a thread's replies count
            self._seen(body)
            reply = inbound.channel_event(body, now=self.clock.now())
            if reply is not None:
                await self.dispatcher.handle(reply)
            return
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype") or not event.get("user"):
            return
        self._seen(body)
        translated = inbound.message_event(body, aliases=self.aliases, locale=await self.locale(event["user"]),
                                           now=self.clock.now())
        if translated is not None:
            await self.dispatch(translated)

    async def on_choice(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        self._seen(body)
        event = inbound.action_event(body, action, locale=await self.locale(body["user"]["id"]), now=self.clock.now())
        if event is not None:
            await self.dispatch(event)

    async def on_write(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        """"Kirjoita vastaus": a modal for the question this button belongs to."""
        await ack()
        user = inbound.person(body, body["user"]["id"])
        ref = self.sender.recall(user.key, str(action.get("value", "")))
        if ref is None or "question" not in ref:
            log.info("slack: no stored question for a write button")
            return
        view = views.answer_modal(prompt_id=str(action["value"]), channel=ref["channel"], question=ref["question"],
                                  current=ref.get("current"), max_length=int(ref["max_length"]),
                                  language=ref["language"], texts=self.instrument.text, style=self.style)
        await self.client.views_open(trigger_id=body["trigger_id"], view=view)

    async def on_answer_submitted(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        metadata = views.modal_metadata(view)
        language = metadata.get("language", "fi")
        text = views.submitted_text(view)
        errors = views.validation_errors(text, max_length=self.instrument.settings.max_answer_length,
                                         language=language, texts=self.instrument.text)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        self._seen(body)
        await self.dispatch(inbound.submission_event(body, text, metadata.get("prompt", ""),
                                                     locale=await self.locale(body["user"]["id"]),
                                                     now=self.clock.now()))

    async def on_command(self, ack: Ack, body: dict[str, Any]) -> None:
        await ack()
        self._seen(body)
        await self.dispatch(inbound.slash_command(body, aliases=self.aliases,
                                                  locale=await self.locale(str(body["user_id"])), now=self.clock.now()))

    async def on_home_resume(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        self._seen(body)
        user_id = body["user"]["id"]
        await self.dispatch(inbound.home_command(body, action, "resume", locale=await self.locale(user_id),
                                                 now=self.clock.now()))

    async def on_home_language(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        self._seen(body)
        user_id = body["user"]["id"]
        code = str(action.get("selected_option", {}).get("value", ""))
        await self.dispatch(inbound.home_command(body, action, "language", code, locale=await self.locale(user_id),
                                                 now=self.clock.now()))
        await self.publish_home(inbound.person(body, user_id))

    async def on_home_opened(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") != "home" or not event.get("user"):
            return
        self._seen(body)
        await self.publish_home(inbound.person(body, event["user"]))

    async def publish_home(self, user: UserRef) -> None:
        progress = await self.dispatcher.progress(user, locale=await self.locale(user.user))
        view = views.home_view(progress, self.instrument, self.instrument.text, self.style)
        try:
            await self.client.views_publish(user_id=user.user, view=view)
        except SlackApiError as error:
            log.warning("slack: could not publish the App Home: %s", error.response.get("error"))

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("slack: handling a request failed (%s)", body.get("type"), exc_info=error)

    # --- running ---------------------------------------------------------------------

    async def start(self, *, host: str = "127.0.0.1", port: int = 8080) -> None:
        """Socket Mode when an app-level token is set; otherwise HTTP on host:port at /slack/events."""
        # One connection pool for every Web API call (the SDK otherwise opens a session per request).
        self._session = ClientSession(timeout=ClientTimeout(total=30))
        self.client.session = self._session
        if self.app_token:
            self._socket = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("slack: connected in Socket Mode")
            return
        server = AsyncSlackAppServer(port=port, path=EVENTS_PATH, app=self.app, host=host)
        self._runner = web.AppRunner(server.web_app, shutdown_timeout=HTTP_SHUTDOWN_SECONDS)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        log.info("slack: serving HTTP on %s:%d%s", host, port, EVENTS_PATH)

    async def stop_intake(self) -> None:
        """Take no more requests; those in progress get their acknowledgement."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def settle(self, timeout: float) -> bool:
        """Wait for the running listeners, at most `timeout` seconds; True if none is left."""
        return await self.in_flight.settle(timeout)

    async def stop(self, *, timeout: float = 5.0) -> None:
        """Stop taking requests, let running listeners finish for `timeout` seconds, cancel the rest."""
        await self.stop_intake()
        if not await self.settle(timeout):
            await self.in_flight.cancel()
        if self._session is not None:
            await self._session.close()
            self._session = None
