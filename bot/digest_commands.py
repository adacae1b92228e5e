"""`/yhteenveto` (`/kartoitus yhteenveto` in Slack): a team's digest on demand, for its lead and coordinators.

In the team's group or channel the digest is posted there; in a private chat it is sent to the
person who asked (`/yhteenveto TIIMI`). Anyone else is refused politely and learns nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from bot.engine import language_code
from bot.events import CommandReceived
from bot.messages import Image, Notice, Outbound
from bot.ports import TeamStore
from bot.round_commands import Roles
from bot.round_desk import RoundDesk


class TeamRoles(Protocol):
    def has_team_role(self, platform_user: str, role: str, team_id: int) -> bool: ...


class DigestCommands:
    def __init__(self, desk_for: Callable[[str], RoundDesk], roles: Roles, leads: TeamRoles, teams: TeamStore,
                 *, min_scores: int = 3, min_texts: int = 5) -> None:
        self.desk_for = desk_for
        self.roles = roles
        self.leads = leads
        self.teams = teams
        self.min_scores = min_scores
        self.min_texts = min_texts

    def handle(self, event: CommandReceived) -> Sequence[Outbound]:
        language = language_code(event.locale) or "fi"
        desk = self.desk_for(language)
        to = event.channel or event.user
        if event.channel is not None:
            team = self.teams.register_team(event.channel, event.channel_title, now=desk.clock.now())
            team_id, title = team.id, team.title
        else:
            wanted = event.argument.strip().casefold()
            found = next(((t, i) for t, i in desk.rounds.team_titles().items() if t.casefold() == wanted), None)
            if found is None:
                return (Notice(to=to, text=desk.t("digest.digest_which_team"), language=language),)
            title, team_id = found
        name = f"{event.user.platform}:{event.user.user}"
        event_key = f"{event.user.platform}:{event.user.workspace}:{event.event_id}:digest"
        if not self.teams.mark_processed(event_key, now=desk.clock.now()):
            return ()  # the platform delivered the command twice: post once
        if not (self.roles.is_coordinator(event.user) or self.leads.has_team_role(name, "lead", team_id)):
            return (Notice(to=to, text=desk.t("digest.digest_not_allowed"), language=language),)
        reply, chart = desk.digest_with_chart(title, min_scores=self.min_scores, min_texts=self.min_texts)
        heading, _, text = reply.text.partition("\n\n")
        notice = Notice(to=to, heading=heading if reply.ok else None, text=text if reply.ok else reply.text,
                        language=language)
        if chart is None:
            return (notice,)
        return (notice, Image(to=to, png=chart, caption=heading, fallback_text="", language=language))
