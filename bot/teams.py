"""Team membership: /liity in a team's group, and a deep link that joins a team from a private chat.

The bot never posts anyone's answers in a group; in a group it only confirms memberships and
points people to a private chat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from bot.digest_commands import DigestCommands
from bot.engine import language_code
from bot.events import ChoiceSelected, CommandReceived, Event
from bot.identity import UserRef
from bot.instrument import Instrument
from bot.messages import Notice, Outbound, PromptClosed
from bot.ports import Clock, Sender, TeamStore
from bot.privacy import COMMANDS as PRIVACY_COMMANDS
from bot.privacy import PrivacyDesk
from bot.reminders import CONTINUE, REMINDER_PROMPT, ReminderDesk
from bot.round_commands import RoundCommands
from bot.service import TurnService


class TeamDesk:
    def __init__(self, teams: TeamStore, instrument: Instrument, sender: Sender, clock: Clock,
                 join_link: Callable[[str], str]) -> None:
        self.teams = teams
        self.instrument = instrument
        self.sender = sender
        self.clock = clock
        self.join_link = join_link

    def _notice(self, event: Event, key: str, **values: object) -> Notice:
        language = language_code(event.locale) or "fi"
        to = event.channel or event.user
        return Notice(to=to, text=self.instrument.text(language, key, **values), language=language)

    async def group_command(self, event: CommandReceived) -> Sequence[Outbound]:
        assert event.channel is not None
        now = self.clock.now()
        if not self.teams.mark_processed(f"{event.user.platform}:{event.user.workspace}:{event.event_id}", now=now):
            return ()
        team = self.teams.register_team(event.channel, event.channel_title, now=now)
        link = self.join_link(team.join_code)
        if event.name == "join":
            joined = self.teams.join(team.id, event.user, now=now)
            members = len(self.teams.members(team.id))
            reply = self._notice(event, "team.joined" if joined else "team.already", title=team.title,
                                 members=members, link=link)
        elif event.name == "help":
            reply = self._notice(event, "team.group_help", link=link)
        else:
            reply = self._notice(event, "team.private_only", link=link)
        await self.sender.send([reply])
        return (reply,)

    async def join_by_code(self, event: CommandReceived) -> Sequence[Outbound]:
        """/start <code> in a private chat: join the team the code belongs to."""
        now = self.clock.now()
        if not self.teams.mark_processed(f"{event.user.platform}:{event.user.workspace}:{event.event_id}:join",
                                         now=now):
            return ()
        team = self.teams.team_by_code(event.argument.strip())
        if team is None:
            reply = self._notice(event, "team.unknown_code")
        else:
            joined = self.teams.join(team.id, event.user, now=now)
            reply = self._notice(event, "team.joined_by_link" if joined else "team.already_private", title=team.title)
        await self.sender.send([reply])
        return (reply,)


class Dispatcher:
    """Routes an event: group commands to the team desk, everything private to the conversation."""

    def __init__(self, turns: TurnService, desk: TeamDesk | None = None, reminders: ReminderDesk | None = None,
                 rounds: RoundCommands | None = None, digests: DigestCommands | None = None,
                 opened: Callable[[UserRef], int] | None = None, privacy: PrivacyDesk | None = None) -> None:
        self.digests = digests
        self.privacy = privacy  # /omat_tiedot and /poista_tiedot, in a private chat
        self.opened = opened  # a person opened the private chat (/start): their parked messages go out again
        self.turns = turns
        self.desk = desk
        self.reminders = reminders
        self.rounds = rounds

    async def handle(self, event: Event) -> Sequence[Outbound]:
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
            language = language_code(event.locale) or "fi"
            closed = PromptClosed(to=event.user, prompt_id=REMINDER_PROMPT, language=language,
                                  answer=self.turns.instrument.text(language, "reminders.continue"))
            await self.turns.sender.send([closed])
            return (closed, *await self.turns.handle(reminders.resume_event(event)))
        replies = await asyncio.to_thread(reminders.handle, event)
        await self.turns.sender.send(replies)
        return replies
