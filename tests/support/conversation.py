"""Conversation tests that read like the conversation (botbuilder's TestFlow, synchronous).

    chat.send("/start").expect("Tervetuloa").send("4").expect("2/8")

The driver talks to the real TurnService (real engine, a real store) as one person, and
reads the replies as the terminal would print them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Collection, Sequence

from adapters.terminal.inbound import to_event
from adapters.terminal.outbound import render
from bot.app.service import TurnService
from bot.core.commands import command_aliases
from bot.core.delivery import DELIVERED, Delivery
from bot.core.events import ChoiceSelected, Event, TextReceived
from bot.core.identity import UserRef
from bot.core.instrument import Instrument
from bot.core.messages import ChoicePrompt, FreeTextPrompt, MultiChoicePrompt, Outbound, Prompt
from bot.core.ports import TurnStore
from tests.support.clock import FakeClock

_ids = itertools.count(1)


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[Outbound] = []

    async def send(self, messages: Sequence[Outbound]) -> list[Delivery]:
        """Delivered, each with an id of its own (as a platform gives: replies to a message are matched by it)."""
        self.sent.extend(messages)
        return [Delivery(DELIVERED.outcome, message_id=str(next(_ids))) for _ in messages]


class Chat:
    def __init__(self, store: TurnStore, instrument: Instrument, *, user: str = "anna",
                 clock: FakeClock | None = None, locale: str | None = None,
                 role_commands: Callable[[UserRef], Collection[str]] | None = None) -> None:
        self.instrument = instrument
        self.store = store
        self.clock = clock or FakeClock()
        self.user = UserRef("terminal", "local", user)
        self.locale = locale
        self.sender = RecordingSender()
        self.service = TurnService(store, instrument, self.sender, self.clock, role_commands=role_commands)
        self.aliases = command_aliases(instrument)
        self.replies: list[Outbound] = []
        self.prompts: list[Prompt] = []
        self._runner = asyncio.Runner()

    def close(self) -> None:
        self._runner.close()

    # --- acting ------------------------------------------------------------------------

    def deliver(self, event: Event) -> Chat:
        before = len(self.sender.sent)
        self._runner.run(self.service.handle(event))
        self.replies = self.sender.sent[before:]
        self.prompts += [m for m in self.replies if isinstance(m, ChoicePrompt | MultiChoicePrompt | FreeTextPrompt)]
        self.clock.advance(seconds=5)
        return self

    def send(self, text: str) -> Chat:
        return self.deliver(to_event(text, user=self.user, event_id=f"e{next(_ids)}", at=self.clock.now(),
                                     locale=self.locale, aliases=self.aliases))

    def press(self, value: str, prompt_id: str | None = None) -> Chat:
        """Press the button `value` on the newest prompt (or on an older one by id)."""
        return self.deliver(ChoiceSelected(event_id=f"e{next(_ids)}", user=self.user, at=self.clock.now(),
                                           locale=self.locale, prompt_id=prompt_id or self.prompt.prompt_id,
                                           value=value))

    def write(self, text: str, prompt_id: str | None = None) -> Chat:
        """Answer the newest question (or an older one by id) in a form written for it (a Slack modal)."""
        return self.deliver(TextReceived(event_id=f"e{next(_ids)}", user=self.user, at=self.clock.now(),
                                         locale=self.locale, text=text,
                                         prompt_id=prompt_id or self.prompt.prompt_id))

    def type_seen(self, text: str, seen_prompt: str) -> Chat:
        """Type `text` in the chat while `seen_prompt` was the latest question delivered (as the platform apps
        tell it): a fast person writing before the bot's next question reached them."""
        return self.deliver(TextReceived(event_id=f"e{next(_ids)}", user=self.user, at=self.clock.now(),
                                         locale=self.locale, text=text, seen_prompt=seen_prompt))

    # --- reading -----------------------------------------------------------------------

    @property
    def text(self) -> str:
        """The latest replies as the terminal prints them."""
        return "\n".join(filter(None, (render(message, self.instrument) for message in self.replies)))

    @property
    def prompt(self) -> Prompt:
        return self.prompts[-1]

    def expect(self, *fragments: str) -> Chat:
        for fragment in fragments:
            assert fragment in self.text, f"expected {fragment!r} in the reply:\n{self.text}"
        return self

    def expect_not(self, *fragments: str) -> Chat:
        for fragment in fragments:
            assert fragment not in self.text, f"did not expect {fragment!r} in the reply:\n{self.text}"
        return self
