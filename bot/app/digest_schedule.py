"""When digests are posted to the teams' channels: weekly during a round (Monday from 9:00 by
default; participation only unless KARTOITUS_DIGEST_DURING_ROUND=results) and once, with the results,
when a round closes. Each post has an outbox key, so it goes out once.

Never after each single answer: a schedule, not a feed, keeps anyone from inferring an answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.app.outbox import scheduled_image, scheduled_notice
from bot.app.round_desk import RoundDesk
from bot.core.ports import Clock, Outbox, RoundStore, Team
from bot.core.rounds import RoundInfo
from bot.core.workdays import WorkingHours

FINAL_DIGEST_DAYS = 7  # a round closed longer ago than this gets no final digest (e.g. after a long downtime)


class DigestSchedule:
    def __init__(self, rounds: RoundStore, outbox: Outbox, desk_for: Callable[[str], RoundDesk], clock: Clock, *,
                 hours: WorkingHours | None = None, weekday: int | None = 0, language: str = "fi", min_scores: int = 3,
                 min_texts: int = 5, results_during_round: bool = False) -> None:
        # KARTOITUS_DIGEST_DURING_ROUND: "participation" (False) keeps an open round's weekly digests to who has
        # answered; the results go out when the round closes. "results" (True) shows them every week as well.
        self.results_during_round = results_during_round
        self.rounds = rounds
        self.outbox = outbox
        self.desk_for = desk_for
        self.clock = clock
        self.hours = hours or WorkingHours()
        self.weekday = weekday  # 0 Monday … 6 Sunday (datetime.weekday); None: no weekly digests
        self.language = language
        self.min_scores = min_scores
        self.min_texts = min_texts

    def plan(self) -> int:
        """Queue the digests due now; returns how many."""
        now = self.clock.now()
        local = self.hours.local(now)
        queued = 0
        for info in self.rounds.rounds():
            if info.decision_date is None:
                continue
            if info.status == "open" and local.weekday() == self.weekday and self.hours.contains(now):
                year, week, _ = local.isocalendar()
                queued += self.post(info, f"{year}-W{week:02d}", now, results=self.results_during_round)
            elif info.status == "closed" and info.closed_at is not None \
                    and now - info.closed_at < timedelta(days=FINAL_DIGEST_DAYS):
                queued += self.post(info, "final", now)
        return queued

    def post(self, info: RoundInfo, occasion: str, now: datetime, *, results: bool = True) -> int:
        return sum(self.post_team(info, team, occasion, now, results=results)
                   for team in self.rounds.round_teams(info.id))

    def post_team(self, info: RoundInfo, team: Team, occasion: str, now: datetime, *, results: bool = True) -> int:
        """Queue one team's digest (and its chart) for its channel; 0 if that occasion was queued already."""
        desk = self.desk_for(self.language)
        reply, chart = desk.digest_with_chart(team.title, info.id, min_scores=self.min_scores,
                                              min_texts=self.min_texts, results=results)
        heading, _, text = reply.text.partition("\n\n")
        key = f"digest:{info.id}:{team.id}:{occasion}"
        items = [scheduled_notice(key, team.channel, now, text, heading=heading, language=self.language)]
        if chart is not None:
            items.append(scheduled_image(f"{key}:chart", team.channel, now, chart, caption=heading,
                                         language=self.language))
        return min(self.outbox.enqueue(items, now=now), 1)
