"""When digests are posted to the teams' channels: weekly during a round (Monday from 9:00 by
default; participation only unless KARTOITUS_DIGEST_DURING_ROUND=results) and once, with the results,
when a round closes. Each post has an outbox key, so it goes out once.

At the close the coordinators (named in the settings or granted the role) get the organisation's
report too, in a private message within working hours and in the language each chose: the heatmap
picture(s) and the PDF, once each, through the outbox.

Never after each single answer: a schedule, not a feed, keeps anyone from inferring an answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta

from bot.app.outbox import scheduled_document, scheduled_image, scheduled_notice
from bot.app.round_commands import page_caption, report_filename
from bot.app.round_desk import Reply, RoundDesk
from bot.core.identity import UserRef
from bot.core.language import language_or
from bot.core.ports import Clock, Outbox, RoundStore, Team
from bot.core.rounds import RoundInfo
from bot.core.workdays import WorkingHours
from bot.reports.organisation import OrganisationReport

log = logging.getLogger(__name__)

FINAL_DIGEST_DAYS = 7  # a round closed longer ago than this gets no final digest (e.g. after a long downtime)


class DigestSchedule:
    def __init__(self, rounds: RoundStore, outbox: Outbox, desk_for: Callable[[str], RoundDesk], clock: Clock, *,
                 hours: WorkingHours | None = None, weekday: int | None = 0, language: str = "fi", min_scores: int = 3,
                 min_texts: int = 5, results_during_round: bool = False, coordinators: Collection[str] = (),
                 coordinators_granted: Callable[[], Iterable[str]] | None = None,
                 chosen_language: Callable[[UserRef], str | None] | None = None) -> None:
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
        self.coordinators = frozenset(coordinators)  # "platform:user_id", as in KARTOITUS_COORDINATORS
        # asked at every tick after a close, not once at start: one granted the role meanwhile gets the report too
        self.coordinators_granted = coordinators_granted
        self.chosen_language = chosen_language  # a person's /kieli choice (TeamStore.chosen_language)

    def plan(self) -> int:
        """Queue the digests due now, and at a close the coordinators' reports; returns how many posts."""
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
                queued += self.report_to_coordinators(info, now)
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

    def report_to_coordinators(self, info: RoundInfo, now: datetime) -> int:
        """Queue the organisation's report of a closed round for each coordinator who has not had it yet, in the
        language they chose (else the configured one); returns for how many. Rendered once a language, and only
        when someone needs it: plan() runs every minute for days after a close, and a PDF takes a second or two."""
        waiting: dict[str, list[UserRef]] = {}
        for person in self.rounds.people(self.coordinator_names()):
            if not self.outbox.known(report_key(info.id, person, "pdf")):
                known = self.chosen_language(person) if self.chosen_language is not None else None
                waiting.setdefault(language_or(known, self.language), []).append(person)
        # a round that closes itself does so at the first tick after its last day, at night: the report waits for
        # the coordinators' working hours, as reminders do
        due = self.hours.next_opening(now)
        queued = 0
        for language, persons in waiting.items():
            made = self.render(info, language)
            if made is None:
                continue
            report, pages, pdf, caption = made
            for person in persons:
                items = [scheduled_image(report_key(info.id, person, f"picture:{n}"), person, due, png,
                                         caption=page_caption(caption, n, len(pages)), language=language)
                         for n, png in enumerate(pages, start=1)]
                items.append(scheduled_document(report_key(info.id, person, "pdf"), person, due, pdf,
                                                filename=report_filename(report.round_name), caption=caption,
                                                language=language))
                # one enqueue, one transaction: the "known" check above never sees half a person's report
                queued += min(self.outbox.enqueue(items, now=now), 1)
        return queued

    def render(self, info: RoundInfo, language: str
               ) -> tuple[OrganisationReport, Sequence[bytes], bytes, str] | None:
        """The report of `info` in `language`, its pictures, its PDF and their caption; None when there is none to
        send."""
        desk = self.desk_for(language)
        try:
            report = desk.organisation_report(info.id, min_scores=self.min_scores)
            if isinstance(report, Reply):
                return None
            return report, desk.heatmap_pages(report), desk.report_pdf(report), desk.report_caption(report)
        except Exception as error:  # a renderer's fault must not stop the rest of the tick (the outbox drain)
            # nothing was queued, so the next tick tries again; the type only: a message could quote an answer
            log.error("digests: the organisation's report of round %d could not be made: %s", info.id,
                      type(error).__name__)
            return None

    def coordinator_names(self) -> frozenset[str]:
        granted = self.coordinators_granted() if self.coordinators_granted is not None else ()
        return self.coordinators | frozenset(granted)


def report_key(round_id: int, person: UserRef, part: str) -> str:
    return f"report:{round_id}:{person.key}:{part}"
