"""Naming a team's lead in chat: `/vetaja` in the team's channel or group, by a coordinator.

In Telegram the coordinator replies to one of the person's messages with `/vetaja` (the reply names the
person); in Slack they mention them: `/kartoitus vetaja @anna`. `/vetaja pois` (with the same reply or
mention) removes the lead. The group is told in the coordinator's language; the person is told in a
private message in their own language (the one they chose, else the configured one: the platform tells
nothing of theirs when someone else names them). Anyone who is not a coordinator is refused, and nothing
is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.app.roles import LEAD, Roles
from bot.core.events import CommandReceived
from bot.core.instrument import Instrument
from bot.core.language import language_or
from bot.core.messages import Notice, Outbound
from bot.core.ports import Clock, Sender, TeamStore


class LeadGrants(Protocol):
    def grant(self, platform_user: str, role: str, *, team_id: int = 0, granted_by: str, now: datetime) -> bool: ...

    def revoke(self, platform_user: str, role: str, *, team_id: int = 0) -> bool: ...


class LeadDesk:
    def __init__(self, grants: LeadGrants, roles: Roles, teams: TeamStore, instrument: Instrument, sender: Sender,
                 clock: Clock, *, language: str = "fi") -> None:
        self.grants = grants
        self.roles = roles
        self.teams = teams
        self.instrument = instrument
        self.sender = sender
        self.clock = clock
        self.language = language

    def t(self, language: str, key: str, **values: object) -> str:
        return self.instrument.text(language, key, **values)

    async def command(self, event: CommandReceived) -> Sequence[Outbound]:
        assert event.channel is not None
        replies = await asyncio.to_thread(self._decide, event)
        await self.sender.send(replies)
        return replies

    async def in_private(self, event: CommandReceived) -> Sequence[Outbound]:
        """A lead is named in the team's channel: say how."""
        language = await asyncio.to_thread(
            lambda: self.teams.chosen_language(event.user) or language_or(event.locale, self.language))
        key = "lead.how" if self.roles.is_coordinator(event.user) else "lead.not_allowed"
        reply = Notice(to=event.user, text=self.t(language, key), language=language)
        await self.sender.send([reply])
        return (reply,)

    def _decide(self, event: CommandReceived) -> list[Outbound]:
        assert event.channel is not None
        now = self.clock.now()
        if not self.teams.mark_processed(f"{event.key}:lead", now=now):
            return []
        language = self.teams.chosen_language(event.user) or language_or(event.locale, self.language)

        def say(key: str, **values: object) -> Notice:
            return Notice(to=event.channel or event.user, text=self.t(language, key, **values), language=language)

        if not self.roles.is_coordinator(event.user):
            return [say("lead.not_allowed")]
        words = {word.casefold() for word in event.argument.split()}
        removing = bool(words & {w.strip().casefold() for w in self.t(language, "lead.words_remove").split(",")})
        target = event.target
        if target is None:
            return [say("lead.how")]
        team = self.teams.register_team(event.channel, event.channel_title, now=now)
        name = event.target_name or self.t(language, "lead.someone")
        person = f"{target.platform}:{target.user}"
        their_language = self.teams.chosen_language(target) or self.language
        if removing:
            if not self.grants.revoke(person, LEAD, team_id=team.id):
                return [say("lead.not_lead", name=name, team=team.title)]
            told = Notice(to=target, text=self.t(their_language, "lead.told_removed", team=team.title),
                          language=their_language)
            return [say("lead.removed", name=name, team=team.title), told]
        if not self.grants.grant(person, LEAD, team_id=team.id, granted_by=f"{event.user.platform}:{event.user.user}",
                                 now=now):
            return [say("lead.already", name=name, team=team.title)]
        told = Notice(to=target, text=self.t(their_language, "lead.told_named", team=team.title),
                      language=their_language)
        return [say("lead.named", name=name, team=team.title), told]
