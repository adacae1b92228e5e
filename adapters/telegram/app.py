"""The Telegram application: python-telegram-bot in polling or webhook mode around our dispatcher.

Commands are announced per language (setMyCommands with language_code), private chats and
groups separately. Updates are handled concurrently; the turn service keeps each person's
turns in order.

Stopping is graceful: no more updates are taken (polling stops and confirms what it fetched, or
the webhook server closes), the updates already taken are handled, and a handler that outlives
the stop's timeout is cancelled (its turn is committed by then; only replies can be waiting, and
the wiring hands those to the outbox before that).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.ext import Application, ContextTypes, TypeHandler

from adapters.inflight import InFlight
from adapters.ratelimit import RateLimiter
from adapters.telegram.inbound import bot_id_from_token, to_event
from adapters.telegram.outbound import deep_link
from adapters.telegram.sender import TelegramSender
from bot.core.commands import command_aliases
from bot.core.instrument import LANGUAGES, Instrument, pick
from bot.core.ports import Clock, Conversations, MessageRefs, Reachability, Sender

log = logging.getLogger(__name__)
GROUP_COMMANDS = ("join", "discuss", "lead", "digest", "help")
PRIVATE_HIDDEN = ("join", "round", "digest", "discuss", "lead")  # round, digest, discuss, lead: role holders know them
WEBHOOK_PATH = "telegram"
CONNECTIONS = 32


class TelegramBot:
    def __init__(self, *, token: str, api_url: str, instrument: Instrument,
                 build_dispatcher: Callable[[Sender, Callable[[str], str]], Conversations],
                 refs: MessageRefs, reachability: Reachability, clock: Clock,
                 limiter: RateLimiter | None = None, poll_interval: float = 0.0) -> None:
        root = api_url.rstrip("/")
        # Updates are handled concurrently, so sends need more than python-telegram-bot's one connection.
        self.application = (Application.builder().token(token).base_url(f"{root}/bot")
                            .base_file_url(f"{root}/file/bot").job_queue(None).concurrent_updates(True)
                            .connection_pool_size(CONNECTIONS).pool_timeout(30).build())
        self.bot_id = bot_id_from_token(token)
        self.instrument = instrument
        self.aliases = command_aliases(instrument)
        self.poll_interval = poll_interval
        self.in_flight = InFlight()
        self._answering: set[asyncio.Future[bool]] = set()
        self.clock = clock
        self.sender = TelegramSender(self.application.bot, refs=refs, reachability=reachability, clock=clock,
                                     limiter=limiter)
        self.dispatcher = build_dispatcher(self.sender, self.join_link)
        self.application.add_handler(TypeHandler(Update, self.on_update))
        self.application.add_error_handler(self.on_error)

    def join_link(self, code: str) -> str:
        return deep_link(self.application.bot.username, code)

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.in_flight.enter()
        if update.callback_query is not None:
            # Stops the button's spinner at once, beside the turn rather than before it: a text typed just after
            # the tap must not overtake the tap on its way to the person's turns.
            answering = asyncio.ensure_future(update.callback_query.answer())
            self._answering.add(answering)
            answering.add_done_callback(self._answered)
        event = to_event(update, bot_id=self.bot_id, aliases=self.aliases, now=self.clock.now())
        if event is None:
            return
        await self.dispatcher.handle(event)

    def _answered(self, task: asyncio.Future[bool]) -> None:
        self._answering.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.info("telegram: a button press was not acknowledged: %s", task.exception())

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram: handling an update failed", exc_info=context.error)

    def command_menus(self) -> list[tuple[list[BotCommand], BotCommandScope, str | None]]:
        """(commands, scope, language_code): Finnish is the default menu, sv and en by language."""
        menus: list[tuple[list[BotCommand], BotCommandScope, str | None]] = []
        for language in LANGUAGES:
            code = None if language == "fi" else language
            private = [BotCommand(spec.names[language][0], pick(spec.description, language))
                       for spec in self.instrument.commands if spec.name not in PRIVATE_HIDDEN]
            group = [BotCommand(spec.names[language][0], pick(spec.description, language))
                     for spec in self.instrument.commands if spec.name in GROUP_COMMANDS]
            menus.append((private, BotCommandScopeAllPrivateChats(), code))
            menus.append((group, BotCommandScopeAllGroupChats(), code))
        return menus

    async def start(self, *, webhook_url: str | None = None, webhook_secret: str | None = None,
                    listen: str = "127.0.0.1", port: int = 8080) -> None:
        await self.application.initialize()
        for commands, scope, language in self.command_menus():
            await self.application.bot.set_my_commands(commands, scope=scope, language_code=language)
        updater = self.application.updater
        assert updater is not None
        if webhook_url:
            await updater.start_webhook(listen=listen, port=port, url_path=WEBHOOK_PATH, webhook_url=webhook_url,
                                        secret_token=webhook_secret)
        else:
            await updater.start_polling(poll_interval=self.poll_interval, timeout=10)
        await self.application.start()
        log.info("telegram: running as @%s (%s)", self.application.bot.username,
                 "webhook" if webhook_url else "polling")

    async def stop_intake(self) -> None:
        """Take no more updates: polling stops (confirming what it fetched), or the webhook server closes."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()

    async def settle(self, timeout: float) -> bool:
        """Wait for the running handlers, at most `timeout` seconds; True if none is left."""
        return await self.in_flight.settle(timeout)

    async def stop(self, *, timeout: float = 5.0) -> None:
        """Stop taking updates, handle those already taken, cancel handlers still running after `timeout`."""
        await self.stop_intake()
        if self.application.running:
            # python-telegram-bot waits for every pending handler, however long its sends are held up.
            stopping = asyncio.ensure_future(self.application.stop())
            done, _ = await asyncio.wait({stopping}, timeout=timeout)
            if not done:
                await self.in_flight.cancel()
                await stopping
        await self.application.shutdown()
