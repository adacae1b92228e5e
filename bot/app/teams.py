"""Team membership: /liity in a team's group, and a deep link that joins a team from a private chat.

The bot never posts anyone's answers in a group; in a group it only confirms memberships and
points people to a private chat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.events import CommandReceived, Event
from bot.core.instrument import Instrument
from bot.core.language import language_or
from bot.core.messages import Notice, Outbound
from bot.core.ports import Clock, Sender, TeamStore


class TeamDesk:
    def __init__(self, teams: TeamStore, instrument: Instrument, sender: Sender, clock: Clock,
                 join_link: Callable[[str], str], *, language: str = "fi") -> None:
        self.teams = teams
        self.instrument = instrument
        self.sender = sender
        self.clock = clock
        self.join_link = join_link
        self.language = language  # when the platform names none of our languages

    def language_for(self, event: Event) -> str:
        """The language the person chose (/kieli), else their platform's, else the configured one: the terminal
        gives no locale of the person's own, only the configured language."""
        return self.teams.chosen_language(event.user) or language_or(event.locale, self.language)

    def _notice(self, event: Event, key: str, **values: object) -> Notice:
        language = self.language_for(event)
        to = event.channel or event.user
        return Notice(to=to, text=self.instrument.text(language, key, **values), language=language)

    async def group_command(self, event: CommandReceived) -> Sequence[Outbound]:
        assert event.channel is not None
        now = self.clock.now()
        if not self.teams.mark_processed(event.key, now=now):
            return ()
        team = self.teams.register_team(event.channel, event.channel_title, now=now)
        link = self.join_link(team.join_code)
        if event.name == "join":
            joined = self.teams.join(team.id, event.user, now=now, locale=event.locale)
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
        if not self.teams.mark_processed(f"{event.key}:join", now=now):
            return ()
        team = self.teams.team_by_code(event.argument.strip())
        if team is None:
            reply = self._notice(event, "team.unknown_code")
        else:
            joined = self.teams.join(team.id, event.user, now=now, locale=event.locale)
            reply = self._notice(event, "team.joined_by_link" if joined else "team.already_private", title=team.title)
        await self.sender.send([reply])
        return (reply,)
