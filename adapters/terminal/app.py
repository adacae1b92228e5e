"""The terminal chat loop: read a line, run a turn, print the replies; Ctrl-D/Ctrl-C leave cleanly.

Every turn is committed before its replies are printed, so leaving at any moment keeps
everything answered so far. A terminal cannot be messaged while nobody has it open: what was
sent to its person meanwhile (an invitation, the latest reminder) is shown when they open it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TextIO

from adapters.terminal.inbound import to_event
from adapters.terminal.outbound import render
from bot.core.commands import command_aliases
from bot.core.delivery import DELIVERED, Delivery
from bot.core.events import CommandReceived, Event
from bot.core.identity import UserRef
from bot.core.instrument import Instrument
from bot.core.messages import ChoicePrompt, Document, Notice, Outbound
from bot.core.ports import Clock, Conversations, Sender

PROMPT = "> "
log = logging.getLogger(__name__)
Collect = Callable[[Sender], Awaitable[object]]  # shows, through the sender, what was sent while away


class TerminalSender:
    """Prints rendered messages to a text stream."""

    def __init__(self, instrument: Instrument, output: TextIO) -> None:
        self.instrument = instrument
        self.output = output

    async def send(self, messages: Sequence[Outbound]) -> list[Delivery]:
        for message in messages:
            if isinstance(message, Document):  # the terminal hands a file over by saving it here
                path = Path(message.filename).resolve()
                path.write_bytes(message.data)
                print(self.instrument.text(message.language, "terminal.saved", path=path), file=self.output, flush=True)
                continue
            text = render(message, self.instrument)
            if text:
                print(text, file=self.output, flush=True)
        return [DELIVERED] * len(messages)


class HeldSender:
    """Shows what waited for the person. A waiting prompt's choices (a reminder's "Jatka", "Muistuta myöhemmin")
    cannot be picked here, where a typed line answers the conversation, so its words are shown as a notice
    and the conversation itself goes on right after."""

    def __init__(self, sender: TerminalSender) -> None:
        self.sender = sender

    async def send(self, messages: Sequence[Outbound]) -> list[Delivery]:
        return await self.sender.send([Notice(to=message.to, text=message.text, heading=message.heading,
                                              language=message.language)
                                       if isinstance(message, ChoicePrompt) else message for message in messages])


def readable(stream: TextIO) -> TextIO:
    """`stream`, decoding bytes that are not valid in its encoding as U+FFFD instead of raising.

    The replaced text then goes through the normal flow: the engine stores it and tells the person
    that their text was changed (see bot.core.text_input). Set before the first read (`input()` on a
    terminal decodes with sys.stdin's error handler too); a stream of text (StringIO) needs nothing.
    """
    reconfigure = getattr(stream, "reconfigure", None)
    if callable(reconfigure) and getattr(stream, "errors", "replace") != "replace":
        with contextlib.suppress(io.UnsupportedOperation):  # read from already: keep it as it is
            reconfigure(errors="replace")
    return stream


class TerminalChat:
    def __init__(self, *, build_service: Callable[[TerminalSender], Conversations], instrument: Instrument,
                 clock: Clock, user: UserRef, language: str, input: TextIO = sys.stdin,
                 output: TextIO = sys.stdout, collect: Collect | None = None) -> None:
        self.sender = TerminalSender(instrument, output)
        self.service = build_service(self.sender)
        self.instrument = instrument
        self.clock = clock
        self.user = user
        self.language = language
        self.input = readable(input)
        self.output = output
        self.aliases = command_aliases(instrument)
        self.interactive = input.isatty()
        self.collect = collect

    def run(self) -> int:
        """Run until end of input or Ctrl-C; returns the exit status."""
        with asyncio.Runner() as runner:
            try:
                if self.collect is not None:
                    runner.run(self.held())
                runner.run(self.turn(CommandReceived(event_id=self.new_id(), user=self.user, at=self.clock.now(),
                                                     locale=self.language, name="start")))
                while (line := self.read_line()) is not None:
                    runner.run(self.turn(to_event(line.rstrip("\n"), user=self.user, event_id=self.new_id(),
                                                  at=self.clock.now(), locale=self.language, aliases=self.aliases)))
            except KeyboardInterrupt:
                pass
            language = self.goodbye_language(runner)
        print("\n" + self.instrument.text(language, "terminal.bye"), file=self.output, flush=True)
        return 0

    async def held(self) -> None:
        """What was sent to the person while the terminal was closed, shown once before the conversation goes on."""
        assert self.collect is not None
        try:
            await self.collect(HeldSender(self.sender))
        except Exception:  # the conversation still opens: what waits stays in the outbox for the next time
            log.exception("terminal: the messages sent while away could not be shown")

    def goodbye_language(self, runner: asyncio.Runner) -> str:
        """The person's language as it is now (they may have changed it with /kieli), else the configured one."""
        try:
            return runner.run(self.service.progress(self.user, locale=self.language)).language
        except (Exception, KeyboardInterrupt):
            return self.language

    async def turn(self, event: Event) -> None:
        await self.service.handle(event)

    def read_line(self) -> str | None:
        if self.interactive:
            try:
                return input(PROMPT)
            except EOFError:
                return None
        line = self.input.readline()
        return line or None

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex
