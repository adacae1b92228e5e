"""A coordinator's round operations (open, list, status, close, reopen), as texts in their language.

Opening a round queues an invitation for every member of its teams in the durable outbox; the
scheduler's tick sends them within the platforms' limits. With a DiscussionStore, a team's workbook
holds its discussions' entries of the round, and its digest the actions it agreed in its previous round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.app.outbox import Wording, personal_notice
from bot.core.instrument import Instrument
from bot.core.language import language_or
from bot.core.ports import Clock, DiscussionStore, Outbox, RoundStore
from bot.core.rounds import PlanError, RoundConflict, RoundInfo, date_text, plan_round
from bot.reports.chart import score_chart
from bot.reports.digest import Answers, TeamDigest, build_digest
from bot.reports.digest_text import digest_text
from bot.reports.organisation import OrganisationReport, TeamInput, build_organisation_report
from bot.reports.workbook import Workbook, build_workbook, dates_text


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    ok: bool = True


class RoundDesk:
    """Every date it decides on or shows is the date in `zone` (KARTOITUS_TIMEZONE), never the UTC date."""

    def __init__(self, rounds: RoundStore, outbox: Outbox, instrument: Instrument, clock: Clock,
                 language: str = "fi", zone: str = "Europe/Helsinki", *,
                 discussions: DiscussionStore | None = None) -> None:
        self.rounds = rounds
        self.discussions = discussions
        self.outbox = outbox
        self.instrument = instrument
        self.clock = clock
        self.language = language
        self.zone = ZoneInfo(zone)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def t(self, key: str, **values: object) -> str:
        return self.instrument.text(self.language, key, **values)

    def open(self, *, decision_date: date, team_titles: Sequence[str], responsible: str, opened_by: str,
             name: str = "", part1_deadline: date | None = None, part2_deadline: date | None = None,
             reminder_days: Sequence[int] | None = None, reminder_max: int | None = None) -> Reply:
        known = self.rounds.team_titles()
        by_folded = {title.casefold(): team_id for title, team_id in known.items()}
        missing = [title for title in team_titles if title.casefold() not in by_folded]
        if missing:
            return Reply(self.t("rounds.unknown_team", title=missing[0], known=", ".join(known) or "–"), ok=False)
        now = self.clock.now()
        today = self.local_date(now)
        try:
            plan = plan_round(today=today, decision_date=decision_date, responsible=responsible, name=name,
                              team_ids=[by_folded[title.casefold()] for title in team_titles],
                              part1_deadline=part1_deadline, part2_deadline=part2_deadline,
                              reminder_days=reminder_days, reminder_max=reminder_max)
            opened = self.rounds.open_round(plan, instrument_version=self.instrument.version, opened_by=opened_by,
                                            now=now)
        except PlanError as error:
            values = {key: date_text(value) if isinstance(value, date) else value
                      for key, value in error.values.items()}
            return Reply(self.t(error.key, **values), ok=False)
        except RoundConflict as conflict:
            return Reply(self.t("rounds.conflict", name=conflict.open_round.name, id=conflict.open_round.id), ok=False)
        invited = self.invite(opened)
        text = self.t("rounds.opened", name=opened.name, id=opened.id, teams=", ".join(opened.teams),
                      window_end=date_text(opened.window_end), part1=date_text(opened.part1_deadline),
                      part2=date_text(opened.part2_deadline), invited=invited)
        if opened.part2_deadline == today:  # the window's last working day: say so, both parts are due today
            text += " " + self.t("rounds.last_working_day_today")
        return Reply(text)

    def invite(self, opened: RoundInfo) -> int:
        """Queue one invitation per member (idempotent: a member is invited once per round), in the member's own
        language where the bot knows it, else the configured one; worded in every language, so that a language
        the bot learns before it goes out (a member who opens the chat only then) is the one it speaks."""
        now = self.clock.now()
        members = self.rounds.standings(opened.id)

        def word(language: str) -> Wording:
            return Wording(self.instrument.text(language, "rounds.invitation", name=opened.name,
                                                part1=date_text(opened.part1_deadline),
                                                part2=date_text(opened.part2_deadline)),
                           heading=self.instrument.text(language, "rounds.invitation_heading"))

        items = [personal_notice(f"invite:{opened.id}:{standing.user.key}", standing.user, now, word,
                                 language=language_or(standing.language, self.language),
                                 languages=self.instrument.languages)
                 for standing in members]
        self.outbox.enqueue(items, now=now)
        return len(members)

    def list(self) -> Reply:
        rounds = self.rounds.rounds()
        if not rounds:
            return Reply(self.t("rounds.none"))
        return Reply("\n".join(self.t("rounds.line", id=r.id, name=r.name, status=self.t(f"rounds.{r.status}"),
                                      opened=date_text(self.local_date(r.opened_at)), teams=", ".join(r.teams) or "–")
                               for r in rounds))

    def status(self, round_id: int | None = None) -> Reply:
        info = self._find(round_id)
        if info is None:
            return Reply(self.t("rounds.not_found", id=round_id or "–"), ok=False)
        lines = [self.t("rounds.status_heading", id=info.id, name=info.name, status=self.t(f"rounds.{info.status}"),
                        window_end=date_text(info.window_end), part1=date_text(info.part1_deadline),
                        part2=date_text(info.part2_deadline))]
        for team in self.rounds.progress(info.id):
            lines.append(self.t("rounds.status_line", team=team.team, members=team.members, started=team.started,
                                part1=team.part1_done, finished=team.finished))
        undelivered = self.outbox.undelivered(f"invite:{info.id}:")
        if undelivered:
            lines.append(self.t("rounds.undelivered", count=undelivered))
        return Reply("\n".join(lines))

    def set_status(self, round_id: int | None, status: str) -> Reply:
        info = self._find(round_id)
        if info is None:
            return Reply(self.t("rounds.not_found", id=round_id or "–"), ok=False)
        if not self.rounds.set_status(info.id, status, now=self.clock.now()):
            return Reply(self.t("rounds.unchanged", id=info.id, status=self.t(f"rounds.{status}")), ok=False)
        return Reply(self.t("rounds.now_closed" if status == "closed" else "rounds.now_open", id=info.id))

    def _team_round(self, team_title: str, round_id: int | None) -> tuple[str, int, RoundInfo] | Reply:
        teams = {title.casefold(): (title, team_id) for title, team_id in self.rounds.team_titles().items()}
        if team_title.casefold() not in teams:
            return Reply(self.t("rounds.unknown_team", title=team_title, known=", ".join(self.rounds.team_titles())
                                or "–"), ok=False)
        title, team_id = teams[team_title.casefold()]
        info = self._find(round_id) or (next(iter(self.rounds.rounds()), None) if round_id is None else None)
        if info is None:
            return Reply(self.t("rounds.not_found", id=round_id or "–"), ok=False)
        return title, team_id, info

    def _previous_answers(self, previous_id: int | None, team_id: int) -> Sequence[Answers] | None:
        return self.rounds.team_answers(previous_id, team_id) if previous_id is not None else None

    def _agreed_before(self, previous_id: int | None, team_id: int) -> Mapping[str, tuple[str, ...]]:
        """Point id → the actions the team agreed in its previous round (none without discussions)."""
        if self.discussions is None or previous_id is None:
            return {}
        entries = self.discussions.team_entries(team_id, previous_id)
        return {point: entry.actions for point, entry in entries.items() if entry.actions}

    def team_digest(self, team_title: str, round_id: int | None = None, *, min_scores: int = 3, min_texts: int = 5
                    ) -> TeamDigest | Reply:
        found = self._team_round(team_title, round_id)
        if isinstance(found, Reply):
            return found
        title, team_id, info = found
        previous_id = self.rounds.previous_round(info.id, team_id)
        return build_digest(team=title, round_name=info.name, invited=self.rounds.team_size(team_id),
                            answers=self.rounds.team_answers(info.id, team_id),
                            previous=self._previous_answers(previous_id, team_id), instrument=self.instrument,
                            min_scores=min_scores, min_texts=min_texts, seed=info.id * 7919 + team_id,
                            agreed_before=self._agreed_before(previous_id, team_id))

    def digest(self, team_title: str, round_id: int | None = None, *, min_scores: int = 3, min_texts: int = 5
               ) -> Reply:
        """The team's digest of a round (default: the open one, else the newest), as text."""
        return self.digest_with_chart(team_title, round_id, min_scores=min_scores, min_texts=min_texts,
                                      chart=False)[0]

    def digest_with_chart(self, team_title: str, round_id: int | None = None, *, min_scores: int = 3,
                          min_texts: int = 5, chart: bool = True, results: bool = True) -> tuple[Reply, bytes | None]:
        """The digest as text and its chart (PNG; None when nothing can be shown yet), built from one read;
        without `results`, participation only and no chart."""
        result = self.team_digest(team_title, round_id, min_scores=min_scores, min_texts=min_texts)
        if isinstance(result, Reply):
            return result, None
        heading, text = digest_text(result, self.instrument, self.language, results=results)
        picture = score_chart(result, self.instrument, self.language) if chart and results else None
        return Reply(f"{heading}\n\n{text}"), picture

    def workbook(self, team_title: str, round_id: int | None = None, *, min_scores: int = 3, min_texts: int = 5
                 ) -> Workbook | Reply:
        """The team's filled-in workbook of a round, or the reason there is none."""
        found = self._team_round(team_title, round_id)
        if isinstance(found, Reply):
            return found
        title, team_id, info = found
        closed = self.local_date(info.closed_at) if info.closed_at else None
        dates = dates_text(self.local_date(info.opened_at), closed)
        entries = self.discussions.team_entries(team_id, info.id) if self.discussions is not None else {}
        return build_workbook(team=title, round_name=info.name, dates=dates,
                              invited=self.rounds.team_size(team_id),
                              answers=self.rounds.team_answers(info.id, team_id),
                              previous=self._previous_answers(self.rounds.previous_round(info.id, team_id),
                                                              team_id),
                              instrument=self.instrument, min_scores=min_scores, min_texts=min_texts,
                              seed=info.id * 7919 + team_id, team_entries=entries)

    def organisation_report(self, round_id: int | None = None, *, min_scores: int = 3
                            ) -> OrganisationReport | Reply:
        """The organisation's report of a round (default: the open one, else the newest): every team of the round,
        and for the trend each team's previous round."""
        info = self._find(round_id) or (next(iter(self.rounds.rounds()), None) if round_id is None else None)
        if info is None:
            return Reply(self.t("rounds.not_found", id=round_id or "–"), ok=False)

        def team_input(team_id: int, title: str, of_round: int) -> TeamInput:
            entries = self.discussions.team_entries(team_id, of_round) if self.discussions is not None else {}
            return TeamInput(title=title, invited=self.rounds.team_size(team_id),
                             answers=self.rounds.team_answers(of_round, team_id), entries=entries)

        teams = self.rounds.round_teams(info.id)
        previous = [team_input(team.id, team.title, earlier) for team in teams
                    if (earlier := self.rounds.previous_round(info.id, team.id)) is not None]
        return build_organisation_report(round_name=info.name, instrument=self.instrument, min_scores=min_scores,
                                         teams=[team_input(team.id, team.title, info.id) for team in teams],
                                         previous=previous or None)

    def heatmap_pages(self, report: OrganisationReport) -> Sequence[bytes]:
        """The report's heatmap in the desk's language: PNG pictures of at most `TEAMS_PER_PICTURE` teams each
        (every one with the organisation's row), so that each stays readable on a phone."""
        from bot.reports.heatmap import heatmap_pages

        return heatmap_pages(report, self.instrument, self.language, labels=self._heatmap_labels(report))

    def heatmap_png(self, report: OrganisationReport) -> bytes:
        """Every team's row in one picture (the CLI's `--format png`)."""
        from bot.reports.heatmap import heatmap_png

        return heatmap_png(report, self.instrument, self.language, labels=self._heatmap_labels(report))

    def _heatmap_labels(self, report: OrganisationReport) -> dict[str, str]:
        return {"legend": self.t("organisation.legend"), "organisation": self.t("organisation.organisation"),
                "suppressed": self.t("organisation.suppressed"), "title": self.report_caption(report)}

    def report_pdf(self, report: OrganisationReport) -> bytes:
        """The report as an A4 PDF in the desk's language (the heatmap on its first page)."""
        from bot.reports.organisation_text import to_pdf

        return to_pdf(report, self.instrument, self.language, self.t)

    def report_caption(self, report: OrganisationReport) -> str:
        return self.t("organisation.title", round=report.round_name)

    def _find(self, round_id: int | None) -> RoundInfo | None:
        if round_id is not None:
            return self.rounds.round(round_id)
        return next((r for r in self.rounds.rounds() if r.status == "open"), None)
