"""The main router: each event to the desk that owns it (team commands in groups, rounds, digests, privacy,
reminder buttons) and everything else private to the person's conversation (the turn service).

Platform apps see it only through the `Conversations` port.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.app.digest_commands import DigestCommands
from bot.app.discussions import DiscussionDesk
from bot.app.leads import LeadDesk
from bot.app.privacy import COMMANDS as PRIVACY_COMMANDS
from bot.app.privacy import PrivacyDesk
from bot.app.reminders import CONTINUE, REMINDER_PROMPT, ReminderDesk
from bot.app.round_commands import RoundCommands
from bot.app.service import TurnService
from bot.app.teams import TeamDesk
from bot.core.events import AnyEvent, ChoiceSelected, CommandReceived, ReplyRemoved, ThreadReply
from bot.core.identity import UserRef
from bot.core.language import language_or
from bot.core.messages import Outbound, PromptClosed
from bot.core.ports import Reachability
from bot.core.progress import Progress

log = logging.getLogger(__name__)


class Dispatcher:
    """Routes an event: group commands to the team desk, everything private to the conversation."""

    def __init__(self, turns: TurnService, desk: TeamDesk | None = None, reminders: ReminderDesk | None = None,
                 rounds: RoundCommands | None = None, digests: DigestCommands | None = None,
                 opened: Callable[[UserRef], int] | None = None, privacy: PrivacyDesk | None = None,
                 reachability: Reachability | None = None, discussions: DiscussionDesk | None = None,
                 leads: LeadDesk | None = None) -> None:
        self.discussions = discussions  # /keskustelu and the replies to its messages in a team's channel
        self.leads = leads  # /vetaja in a team's channel
        self.reachability = reachability  # someone the platform refused to message, writing to us again
        self._marking: set[asyncio.Future[None]] = set()
        self.digests = digests
        self.privacy = privacy  # /omat_tiedot and /poista_tiedot, in a private chat
        self.opened = opened  # a person opened the private chat (/start): their parked messages go out again
        self.turns = turns
        self.desk = desk
        self.reminders = reminders
        self.rounds = rounds

    async def handle(self, event: AnyEvent) -> Sequence[Outbound]:
        if isinstance(event, ThreadReply):
            return await self.discussions.reply(event) if self.discussions is not None else ()
        if isinstance(event, ReplyRemoved):
            return await self.discussions.removed(event) if self.discussions is not None else ()
        if isinstance(event, CommandReceived) and (desk := self._team_work(event)) is not None:
            return await desk(event)
        if event.channel is None and self.reachability is not None:
            # Beside the turn, not before it: a person's events must reach their turns in the order they came
            # (their turn lock is the first thing they wait for), and a thread hop here could swap two of them.
            marking = asyncio.ensure_future(asyncio.to_thread(self._reachable_again, event.user, self.reachability))
            self._marking.add(marking)
            marking.add_done_callback(self._marked)
        if isinstance(event, ChoiceSelected) and event.prompt_id == REMINDER_PROMPT and self.reminders is not None:
            return await self.reminder_button(event, self.reminders)
        if isinstance(event, CommandReceived) and event.name == "digest" and self.digests is not None:
            return await self._answer(self.digests.handle, event)
        if isinstance(event, CommandReceived) and event.name == "round" and self.rounds is not None \
                and event.channel is not None:  # a coordinator's command: no team is registered for it
            return await self._answer(self.rounds.in_group, event)
        if event.channel is not None:
            if self.desk is not None and isinstance(event, CommandReceived):
                return await self.desk.group_command(event)
            return ()
        if isinstance(event, CommandReceived) and event.name == "round" and self.rounds is not None:
            return await self._answer(self.rounds.handle, event)
        if isinstance(event, CommandReceived) and event.name in PRIVACY_COMMANDS and self.privacy is not None:
            return await self.privacy_command(event, self.privacy)
        sent: list[Outbound] = []
        if self.opened is not None and isinstance(event, CommandReceived) and event.name == "start":
            await asyncio.to_thread(self.opened, event.user)
        if self.desk is not None and isinstance(event, CommandReceived) and event.name == "start" and event.argument:
            sent += await self.desk.join_by_code(event)
        sent += await self.turns.handle(event)
        return sent

    def _team_work(self, event: CommandReceived) -> Callable[[CommandReceived], Awaitable[Sequence[Outbound]]] | None:
        """The desk of a team command (/keskustelu, /vetaja): in a team's channel, or the how-to in a private chat."""
        if event.name == "discuss" and self.discussions is not None:
            return self.discussions.command if event.channel is not None else self.discussions.in_private
        if event.name == "lead" and self.leads is not None:
            return self.leads.command if event.channel is not None else self.leads.in_private
        return None

    def _marked(self, task: asyncio.Future[None]) -> None:
        self._marking.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("marking a person reachable again failed: %s", type(task.exception()).__name__)

    @staticmethod
    def _reachable_again(user: UserRef, reachability: Reachability) -> None:
        """They wrote to us in private: the platform lets us message them again (the outbox resends)."""
        if reachability.is_unreachable(user):
            reachability.mark_reachable(user)

    async def progress(self, user: UserRef, *, locale: str | None = None) -> Progress:
        """Where `user` stands in the open round (read only; no turn is taken): Slack's App Home."""
        return await self.turns.progress(user, locale=locale)

    async def privacy_command(self, event: CommandReceived, privacy: PrivacyDesk) -> Sequence[Outbound]:
        """`/omat_tiedot`, `/poista_tiedot`: between the person's turns, never during one."""
        replies = await self.turns.run_locked(event.user, lambda: privacy.handle(event))
        await self.turns.sender.send(replies)
        return replies

    async def _answer(self, handle: Callable[[CommandReceived], Sequence[Outbound]], event: CommandReceived
                      ) -> Sequence[Outbound]:
        """Run a command that reads and writes the database (off the event loop), then send its replies."""
        replies = await asyncio.to_thread(handle, event)
        await self.turns.sender.send(replies)
        return replies

    async def reminder_button(self, event: ChoiceSelected, reminders: ReminderDesk) -> Sequence[Outbound]:
        if event.value == CONTINUE:
            language = language_or(event.locale, reminders.planner.language)  # as the other buttons
            closed = PromptClosed(to=event.user, prompt_id=REMINDER_PROMPT, language=language,
                                  answer=self.turns.instrument.text(language, "reminders.continue"))
            await self.turns.sender.send([closed])
            return (closed, *await self.turns.handle(reminders.resume_event(event)))
        replies = await asyncio.to_thread(reminders.handle, event)
        await self.turns.sender.send(replies)
        return replies
