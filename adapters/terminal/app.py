"""The terminal chat loop: read a line, run a turn, print the replies; Ctrl-D/Ctrl-C leave cleanly.

Every turn is committed before its replies are printed, so leaving at any moment keeps
everything answered so far.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from adapters.terminal.inbound import to_event
from adapters.terminal.outbound import render
from bot.core.commands import command_aliases
from bot.core.delivery import DELIVERED, Delivery
from bot.core.events import CommandReceived, Event
from bot.core.identity import UserRef
from bot.core.instrument import Instrument
from bot.core.messages import Document, Outbound
from bot.core.ports import Clock, EventHandler

PROMPT = "> "


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
    def __init__(self, *, build_service: Callable[[TerminalSender], EventHandler], instrument: Instrument,
                 clock: Clock, user: UserRef, language: str, input: TextIO = sys.stdin,
                 output: TextIO = sys.stdout) -> None:
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

    def run(self) -> int:
        """Run until end of input or Ctrl-C; returns the exit status."""
        with asyncio.Runner() as runner:
            try:
                runner.run(self.turn(CommandReceived(event_id=self.new_id(), user=self.user, at=self.clock.now(),
                                                     locale=self.language, name="start")))
                while (line := self.read_line()) is not None:
                    runner.run(self.turn(to_event(line.rstrip("\n"), user=self.user, event_id=self.new_id(),
                                                  at=self.clock.now(), locale=self.language, aliases=self.aliases)))
            except KeyboardInterrupt:
                pass
        print("\n" + self.instrument.text(self.language, "terminal.bye"), file=self.output, flush=True)
        return 0

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
