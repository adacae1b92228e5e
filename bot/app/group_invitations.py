"""Reaching, through their team's group, the members a platform will not let the bot message first.

Telegram refuses a private message to a person who never opened a chat with the bot (403 "bot
can't initiate conversation"); the outbox keeps such a message as failed with the outcome
"not_started" (bot.app.outbox). Each tick, after the outbox is drained, this step posts one notice
per open round and team to the team's group: how many members have not opened the private chat
yet (a count, never names) and a link button that opens it. The button is the team's join link
(`/start <join code>`, the payload a team's deep link already has): whoever opens it starts the
bot, joins the team if they had not, and gets the assessment's first question at once.

A person's parked messages wait in the outbox, not in a table of their own: when they open the
chat (any /start in the private chat), `opened` puts them back, so the next drain delivers the
invitation once. Until then the reminder planner queues no reminders for them (`parked`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Collection, Mapping

from bot.app.outbox import scheduled_notice
from bot.core.delivery import Outcome
from bot.core.identity import UserRef
from bot.core.instrument import Instrument
from bot.core.language import language_code
from bot.core.messages import Link
from bot.core.ports import Clock, Outbox, RoundStore, Scheduled, Team, TeamStore
from bot.core.rounds import RoundInfo, date_text

log = logging.getLogger(__name__)
NOT_STARTED = str(Outcome.NOT_STARTED)
JoinLinks = Mapping[str, Callable[[str], str]]  # platform -> join code -> the link that opens the private chat


def group_notice_key(round_id: int, team_id: int) -> str:
    return f"invite-group:{round_id}:{team_id}"


def parked(outbox: Outbox, round_id: int) -> set[str]:
    """The people (UserRef.key) whose invitation or a reminder of the round waits until they open the chat."""
    invited = f"invite:{round_id}:"
    reminded = f"remind:{round_id}:"  # remind:<round>:<person>:<n>
    people = {key[len(invited):] for key in outbox.failed_keys(invited, outcome=NOT_STARTED)}
    people |= {key[len(reminded):].rsplit(":", 1)[0] for key in outbox.failed_keys(reminded, outcome=NOT_STARTED)}
    return people


def team_language(languages: Collection[str | None], default: str) -> str:
    """The language most of the team's members use (the default wins a tie, or when none is known)."""
    counted = Counter(code for code in (language_code(language) for language in languages) if code)
    if not counted:
        return default
    most = max(counted.values())
    return default if counted.get(default) == most else counted.most_common(1)[0][0]


class GroupInvitations:
    def __init__(self, rounds: RoundStore, teams: TeamStore, outbox: Outbox, instrument: Instrument, clock: Clock,
                 *, links: JoinLinks, language: str = "fi") -> None:
        self.rounds = rounds
        self.teams = teams
        self.outbox = outbox
        self.instrument = instrument
        self.clock = clock
        self.links = links
        self.language = language

    def plan(self) -> int:
        """Queue the group notices due now (once per round and team); returns how many were queued."""
        queued = 0
        for info in self.rounds.rounds():
            if info.status != "open" or info.decision_date is None:
                continue
            waiting = parked(self.outbox, info.id)
            if waiting:
                queued += self.outbox.enqueue(self._notices(info, waiting), now=self.clock.now())
        return queued

    def _notices(self, info: RoundInfo, waiting: set[str]) -> list[Scheduled]:
        languages = {standing.user.key: standing.language for standing in self.rounds.standings(info.id)}
        notices = []
        for team in self.rounds.round_teams(info.id):
            members = [member.key for member in self.teams.members(team.id)]
            count = sum(1 for member in members if member in waiting)
            link = self.links.get(team.channel.platform)
            if not count:
                continue
            if link is None:
                log.warning("group invitations: no join link for %s; team %d not told", team.channel.platform,
                            team.id)
                continue
            language = team_language([languages.get(member) for member in members], self.language)
            notices.append(self._notice(info, team, count, link(team.join_code), language))
        return notices

    def _notice(self, info: RoundInfo, team: Team, count: int, url: str, language: str) -> Scheduled:
        def t(key: str, **values: object) -> str:
            return self.instrument.text(language, key, **values)

        part1 = info.part1_deadline
        text = t("rounds.group_invitation", name=info.name, count=count,
                 part1=date_text(part1))
        return scheduled_notice(group_notice_key(info.id, team.id), team.channel, self.clock.now(), text,
                                heading=t("rounds.invitation_heading"), language=language,
                                link=Link(t("rounds.group_invitation_button"), url))

    def opened(self, user: UserRef) -> int:
        """`user` opened the private chat: their parked messages are due again now; returns how many."""
        return self.outbox.retry_failed(now=self.clock.now(), outcome=NOT_STARTED, recipient=user)
