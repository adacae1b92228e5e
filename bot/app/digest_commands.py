"""`/yhteenveto` (`/kartoitus yhteenveto` in Slack): a team's digest on demand, for its lead and coordinators.

In the team's group or channel the digest is posted there; in a private chat it is sent to the
person who asked (`/yhteenveto TIIMI`). Anyone else is refused politely and learns nothing: who may
ask is checked before any team is looked up, so the refusal is the same whether or not the team
exists, and a refused command writes nothing (no team is registered for a group by an outsider).
A lead who asks in a private chat for a team they do not lead (or one that does not exist) is told
the teams they do lead, and only those.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from bot.app.roles import LEAD, Roles
from bot.app.round_desk import RoundDesk
from bot.core.events import CommandReceived
from bot.core.language import language_or
from bot.core.messages import Image, Notice, Outbound
from bot.core.ports import TeamStore


class TeamRoles(Protocol):
    def has_team_role(self, platform_user: str, role: str, team_id: int) -> bool: ...

    def grants(self) -> list[tuple[str, str, str]]:
        """(platform:user_id, role, team title or "") for every grant."""
        ...


class DigestCommands:
    def __init__(self, desk_for: Callable[[str], RoundDesk], roles: Roles, leads: TeamRoles, teams: TeamStore,
                 *, min_scores: int = 3, min_texts: int = 5, language: str = "fi") -> None:
        self.desk_for = desk_for
        self.roles = roles
        self.leads = leads
        self.teams = teams
        self.min_scores = min_scores
        self.min_texts = min_texts
        self.language = language  # when the platform names none of our languages

    def led_teams(self, name: str) -> list[str]:
        """The titles of the teams `name` (platform:user_id) leads, and no others."""
        return sorted({title for person, role, title in self.leads.grants() if person == name and role == LEAD
                       and title}, key=str.casefold)

    def handle(self, event: CommandReceived) -> Sequence[Outbound]:
        # the language the person chose (/kieli), else their platform's, else the configured one
        language = self.teams.chosen_language(event.user) or language_or(event.locale, self.language)
        desk = self.desk_for(language)
        to = event.channel or event.user
        event_key = f"{event.key}:digest"
        if not self.teams.mark_processed(event_key, now=desk.clock.now()):
            return ()  # the platform delivered the command twice: answer once
        found = self._team(event, desk)
        if isinstance(found, str):
            return (Notice(to=to, text=found, language=language),)
        reply, chart = desk.digest_with_chart(found[0], min_scores=self.min_scores, min_texts=self.min_texts)
        heading, _, text = reply.text.partition("\n\n")
        notice = Notice(to=to, heading=heading if reply.ok else None, text=text if reply.ok else reply.text,
                        language=language)
        if chart is None:
            return (notice,)
        return (notice, Image(to=to, png=chart, caption=heading, fallback_text="", language=language))

    def _team(self, event: CommandReceived, desk: RoundDesk) -> str | tuple[str, int]:
        """(title, id) of the team whose digest the person may have, else the text that answers them.

        Who asks is checked first: someone who leads no team and is no coordinator gets the same
        refusal whatever they named, and nothing is looked up or written for them."""
        name = f"{event.user.platform}:{event.user.user}"
        coordinator = self.roles.is_coordinator(event.user)
        own = [] if coordinator else self.led_teams(name)
        refusal = desk.t("digest.digest_not_allowed")
        if not coordinator and not own:
            return refusal
        if event.channel is not None:
            if coordinator:  # the team of this group, created on first use, as any group command does
                team = self.teams.register_team(event.channel, event.channel_title, now=desk.clock.now())
                return team.title, team.id
            led = self.teams.team_of(event.channel)  # read only: a lead of another team writes nothing
            if led is not None and self.leads.has_team_role(name, LEAD, led.id):
                return led.title, led.id
            return refusal  # nothing about their own teams is said in someone else's group
        known = desk.rounds.team_titles()
        wanted = event.argument.strip().casefold()
        if coordinator:
            found = next(((t, i) for t, i in known.items() if t.casefold() == wanted), None)
            return found if found is not None else desk.t("digest.digest_which_team")
        title = next((t for t in own if t.casefold() == wanted), own[0] if not wanted and len(own) == 1 else None)
        if title is not None and title in known and self.leads.has_team_role(name, LEAD, known[title]):
            return title, known[title]
        return desk.t("digest.digest_your_teams", teams=", ".join(own))
