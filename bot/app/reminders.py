"""Reminders in an open round: who is due (the policy in bot.core.workdays), what is left, and the
reminder's buttons ("Jatka", "Muistuta myöhemmin", "En osallistu").

The planner runs on every scheduler tick: it closes a round whose time is over, and queues a
reminder in the outbox for each member who is due, recording it so nobody gets two in a day.
A member whose invitation the platform refused, because they never opened a private chat with the
bot, gets no reminders until they do (bot.app.group_invitations).
Reminder buttons carry the reserved prompt id "0", which no question ever has.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.app.group_invitations import parked
from bot.app.outbox import Wording, personal_choice, personal_notice
from bot.core.events import ChoiceSelected, CommandReceived
from bot.core.instrument import Instrument
from bot.core.language import language_or
from bot.core.messages import Notice, Option, Outbound, PromptClosed
from bot.core.ports import Clock, Outbox, RoundStore, Scheduled
from bot.core.rounds import MemberStanding, RoundInfo, date_text
from bot.core.workdays import ReminderPolicy, reminder_due, working_days_before

REMINDER_PROMPT = "0"
WARN_WORKING_DAYS = 5  # how close to the end of the start window a coordinator hears of low participation
CONTINUE, LATER, OPT_OUT = "continue", "later", "optout"


def personal(policy: ReminderPolicy, zone: str | None) -> ReminderPolicy:
    """The policy in the person's own time zone, where the platform tells it."""
    if not zone or zone == policy.hours.zone:
        return policy
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return policy
    return replace(policy, hours=replace(policy.hours, zone=zone))


class ReminderPlanner:
    def __init__(self, rounds: RoundStore, outbox: Outbox, instrument: Instrument, clock: Clock,
                 policy: ReminderPolicy | None = None, language: str = "fi", coordinators: Collection[str] = ()
                 ) -> None:
        self.coordinators = frozenset(coordinators)
        self.rounds = rounds
        self.outbox = outbox
        self.instrument = instrument
        self.clock = clock
        self.policy = policy or ReminderPolicy()
        self.language = language

    def open_round(self) -> RoundInfo | None:
        return next((r for r in self.rounds.rounds() if r.status == "open" and r.decision_date is not None), None)

    def plan(self) -> int:
        """Queue the reminders due now; returns how many."""
        now = self.clock.now()
        current = self.open_round()
        if current is None or current.part1_deadline is None or current.part2_deadline is None:
            return 0
        today = self.policy.hours.local(now).date()
        if today > current.part2_deadline or (current.window_end is not None and today > current.window_end):
            self.rounds.set_status(current.id, "closed", now=now)  # its time is over: nothing more is sent
            return 0
        queued = 0
        policy = replace(self.policy, before_deadline=current.reminder_days or self.policy.before_deadline,
                         max_per_round=current.reminder_max if current.reminder_max is not None
                         else self.policy.max_per_round)
        standings = self.rounds.standings(current.id)
        self.warn_coordinators(current, standings, now)
        waiting = parked(self.outbox, current.id)  # never opened the private chat: reminded once they do
        for member in standings:
            if member.user.key in waiting:
                continue
            # Part 1 is reminded of toward its deadline; after that (done or not) part 2 toward its own.
            phase = "part1" if not member.part1_done and today <= current.part1_deadline else "part2"
            deadline = current.part1_deadline if phase == "part1" else current.part2_deadline
            if member.total >= policy.max_per_round or not reminder_due(
                    personal(policy, member.timezone), now=now, deadline=deadline, window_end=current.window_end,
                    closed=False,
                    finished=member.finished, opted_out=member.opted_out, snoozed_until=member.snoozed_until,
                    sent=member.sent_in(phase), last_sent=member.last_sent):
                continue
            self.outbox.enqueue([self.reminder(current, member, deadline, now)], now=now)
            self.rounds.record_reminder(current.id, member.user, phase=phase, now=now)
            queued += 1
        return queued

    def warn_coordinators(self, current: RoundInfo, standings: Sequence[MemberStanding], now: datetime) -> None:
        """Once a round, when its start window is about to close and fewer than half have done part 1."""
        if current.window_end is None or not standings or not self.policy.hours.contains(now):
            return
        today = self.policy.hours.local(now).date()
        done = sum(1 for member in standings if member.part1_done)
        if today < working_days_before(current.window_end, WARN_WORKING_DAYS) or done * 2 >= len(standings):
            return

        def word(language: str) -> Wording:
            return Wording(self.instrument.text(language, "rounds.low_participation", name=current.name,
                                                window_end=date_text(current.window_end), done=done,
                                                members=len(standings)))

        # in the coordinator's own language when it goes out (known once they used the bot), else the configured one
        self.outbox.enqueue([personal_notice(f"warn:{current.id}:{person.key}", person, now, word,
                                             language=self.language, languages=self.instrument.languages)
                             for person in self.rounds.people(self.coordinators)], now=now)

    def reminder(self, current: RoundInfo, member: MemberStanding, deadline: date, now: datetime) -> Scheduled:
        """The member's reminder, in their language (as the invitation: worded in every language, the one they
        are known to use when it goes out wins)."""
        total = len(self.instrument.point_ids)

        def word(language: str) -> Wording:
            def t(key: str, **values: object) -> str:
                return self.instrument.text(language, key, **values)

            if not member.answered:
                text = t("reminders.not_started", name=current.name, deadline=date_text(deadline))
            elif not member.part1_done:
                text = t("reminders.part1", rated=member.rated(), total=total, deadline=date_text(deadline))
            else:
                targets = len(member.chosen) or self.instrument.settings.priorities_count
                text = t("reminders.part2", deepened=member.deepened_targets(), total=targets,
                         deadline=date_text(deadline))
            options = (Option(CONTINUE, t("reminders.continue"), "1"), Option(LATER, t("reminders.later"), "2"),
                       Option(OPT_OUT, t("reminders.opt_out"), "3"))
            return Wording(text, heading=t("reminders.heading"), options=options)

        return personal_choice(f"remind:{current.id}:{member.user.key}:{member.total + 1}", member.user, now, word,
                               prompt_id=REMINDER_PROMPT, language=language_or(member.language, self.language),
                               languages=self.instrument.languages)


class ReminderDesk:
    """What a reminder's buttons do. "Jatka" becomes the resume command for the conversation."""

    def __init__(self, planner: ReminderPlanner) -> None:
        self.planner = planner

    def resume_event(self, event: ChoiceSelected) -> CommandReceived:
        return CommandReceived(event_id=event.event_id, user=event.user, at=event.at, locale=event.locale,
                               name="resume", raw="resume")

    def handle(self, event: ChoiceSelected) -> Sequence[Outbound]:
        planner = self.planner
        language = language_or(event.locale, planner.language)
        current = planner.open_round()
        labels = {LATER: "reminders.later", OPT_OUT: "reminders.opt_out"}
        closed = PromptClosed(to=event.user, prompt_id=REMINDER_PROMPT, language=language,
                              answer=planner.instrument.text(language, labels.get(event.value, "reminders.later")))
        now = planner.clock.now()
        if current is None:
            key = "reminders.no_round"
        elif event.value == OPT_OUT:
            planner.rounds.opt_out(current.id, event.user, now=now)
            key = "reminders.opted_out"
        else:
            tomorrow = planner.policy.hours.local(now).replace(hour=23, minute=59)
            planner.rounds.snooze(current.id, event.user, until=planner.policy.hours.next_opening(tomorrow), now=now)
            key = "reminders.snoozed"
        return (closed, Notice(to=event.user, text=planner.instrument.text(language, key), language=language))
