"""Team discussions in a team's channel or group: `/keskustelu KOHTA` opens one, members' replies are collected,
`/keskustelu valmis KOHTA` closes it with a recap and asks the closer (in a private chat) for the team's agreed
answer to the service promise and the agreed actions; idle discussions get one reminder.

Who may open or close: the team's lead and the coordinators; anyone else is refused and nothing is written.
A reply is stored as the team's (bot.core.discussions): never shown or exported with a name. Everything the
desk writes is plain text; the platform senders escape it, so a reply with `<!here>` or HTML pings and runs
nothing.

The agreed entry is asked with two questions in the closer's private chat, whose prompt ids start with
`team:`; the dispatcher hands the closer's answers to them here (a Slack modal names its prompt; typed text
goes to the team question while it is the latest question on their screen and still awaited).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.app.outbox import scheduled_notice
from bot.app.roles import LEAD, Roles
from bot.core.delivery import Outcome
from bot.core.discussions import DEVELOP, OTHER, WORKS, Discussion, read_actions, read_reply
from bot.core.events import ChoiceSelected, CommandReceived, Event, ReplyRemoved, TextReceived, ThreadReply
from bot.core.identity import UserRef
from bot.core.instrument import Instrument, Point, pick
from bot.core.language import language_or
from bot.core.messages import FreeTextPrompt, Notice, Option, Outbound, PromptClosed
from bot.core.ports import Clock, DiscussionStore, MessageRefs, Outbox, RoundStore, Sender, Team, TeamStore
from bot.core.prompts import promise_question
from bot.core.workdays import WorkingHours, is_working_day

log = logging.getLogger(__name__)

ENTRY_PREFIX = "team:"  # prompt ids of the agreed-entry questions: team:<discussion id>:promise|actions
PROMISE, ACTIONS = "promise", "actions"
SKIP = "skip"
AWAITED = "team-entry"  # MessageRefs key, per person: the entry question still awaited ("<id>:<field>"), or ""
RECAP_ITEMS = 8  # replies shown per question in the recap; the rest are counted
RECAP_REPLY_CHARS = 280


class LeadRoles(Protocol):
    def has_team_role(self, platform_user: str, role: str, team_id: int) -> bool: ...


def entry_prompt(prompt_id: str | None) -> tuple[int, str] | None:
    """(discussion id, field) of an agreed-entry question's prompt id, else None."""
    if not prompt_id or not prompt_id.startswith(ENTRY_PREFIX):
        return None
    _, number, field = [*prompt_id.split(":"), "", ""][:3]
    return (int(number), field) if number.isdigit() and field in (PROMISE, ACTIONS) else None


class DiscussionDesk:
    def __init__(self, discussions: DiscussionStore, teams: TeamStore, rounds: RoundStore, roles: Roles,
                 leads: LeadRoles, instrument: Instrument, sender: Sender, clock: Clock, refs: MessageRefs, *,
                 join_link: Callable[[str], str] = lambda code: "", language: str = "fi",
                 outbox: Outbox | None = None) -> None:
        self.outbox = outbox  # a recap the platform would not take now (a long 429) goes out from here later
        self.discussions = discussions
        self.teams = teams
        self.rounds = rounds
        self.roles = roles
        self.leads = leads
        self.instrument = instrument
        self.sender = sender
        self.clock = clock
        self.refs = refs
        self.join_link = join_link
        self.language = language  # when the platform names none of our languages

    # --- languages and texts ------------------------------------------------------------

    def language_for(self, user: UserRef, locale: str | None) -> str:
        return self.teams.chosen_language(user) or language_or(locale, self.language)

    def t(self, language: str, key: str, **values: object) -> str:
        return self.instrument.text(language, key, **values)

    def title(self, point: Point, language: str) -> str:
        return pick(point.title, language)

    def points_list(self, language: str) -> str:
        return "\n".join(self.t(language, "discussion.point_line", number=point.number,
                                 title=self.title(point, language)) for point in self.instrument.points)

    def find_point(self, word: str) -> Point | None:
        """A point by its number (1–8), id, or the start of its title in any language."""
        wanted = word.strip().casefold().rstrip(".")
        if not wanted:
            return None
        for point in self.instrument.points:
            if wanted in (str(point.number), point.id.casefold()):
                return point
        return next((point for point in self.instrument.points
                     if any(pick(point.title, language).casefold().startswith(wanted)
                            for language in self.instrument.languages)), None)

    def words(self, language: str, key: str) -> set[str]:
        return {word.strip().casefold() for word in self.t(language, key).split(",") if word.strip()}

    # --- who may ------------------------------------------------------------------------

    def may_lead(self, user: UserRef, team_id: int) -> bool:
        return self.roles.is_coordinator(user) or self.leads.has_team_role(f"{user.platform}:{user.user}", LEAD,
                                                                          team_id)

    def round_for(self, team: Team) -> int | None:
        """The open round the team takes part in; else the open round (the automatic one); None if none is open."""
        open_rounds = [info for info in self.rounds.rounds() if info.status == "open"]
        taking_part = [info for info in open_rounds if team.title in info.teams]
        chosen = taking_part or open_rounds
        return chosen[0].id if chosen else None

    # --- the command ----------------------------------------------------------------------

    async def command(self, event: CommandReceived) -> Sequence[Outbound]:
        """`/keskustelu [valmis] KOHTA` in a team's channel or group."""
        assert event.channel is not None
        language = await asyncio.to_thread(self.language_for, event.user, event.locale)
        now = self.clock.now()
        if not await asyncio.to_thread(self.teams.mark_processed, f"{event.key}:discuss", now=now):
            return ()
        words = event.argument.split()
        closing = bool(words) and words[0].casefold() in self.words(language, "discussion.words_done")
        point_word = " ".join(words[1:] if closing else words)
        found = await asyncio.to_thread(self._authorised_team, event)
        if found is not None and point_word and (point := self.find_point(point_word)) is not None:
            return await (self.close if closing else self.open)(event, found, point, language)
        if found is None:
            reply = self._reply(event, language, "discussion.not_allowed")
        elif not point_word:
            reply = await asyncio.to_thread(self._which_point, event, found, language)
        else:
            reply = self._reply(event, language, "discussion.unknown_point", point=point_word,
                                points=self.points_list(language))
        await self.sender.send([reply])
        return (reply,)

    async def in_private(self, event: CommandReceived) -> Sequence[Outbound]:
        """A discussion belongs to the team's channel: say so."""
        language = await asyncio.to_thread(self.language_for, event.user, event.locale)
        reply = self._reply(event, language, "discussion.in_group")
        await self.sender.send([reply])
        return (reply,)

    def _reply(self, event: CommandReceived | ChoiceSelected, language: str, key: str, *, thread: str | None = None,
               **values: object) -> Notice:
        return Notice(to=event.channel or event.user, text=self.t(language, key, **values), language=language,
                      thread=thread)

    def _authorised_team(self, event: CommandReceived) -> Team | None:
        """The team of the channel, when the person may lead it (a coordinator's first command registers it)."""
        assert event.channel is not None
        coordinator = self.roles.is_coordinator(event.user)
        team = self.teams.team_of(event.channel)
        if team is None and coordinator:
            team = self.teams.register_team(event.channel, event.channel_title, now=self.clock.now())
        if team is None or not self.may_lead(event.user, team.id):
            return None
        return team

    def _which_point(self, event: CommandReceived, team: Team, language: str) -> Notice:
        text = self.t(language, "discussion.which_point", points=self.points_list(language))
        round_id = self.round_for(team)
        going = [d for d in self.discussions.of_team(team.id, round_id) if d.is_open] if round_id else []
        if going:
            titles = ", ".join(f"{self.instrument.point(d.point_id).number}. "
                               f"{self.title(self.instrument.point(d.point_id), language)}" for d in going)
            text += "\n\n" + self.t(language, "discussion.open_now", points=titles)
        return Notice(to=event.channel or event.user, text=text, language=language)

    async def _send(self, *messages: Outbound) -> list[Outbound]:
        await self.sender.send(messages)
        return list(messages)

    async def open(self, event: CommandReceived, team: Team, point: Point, language: str) -> list[Outbound]:
        """Post the discussion's message (sent here: its id is what replies are matched by); returns what was sent."""
        channel = event.channel
        assert channel is not None
        round_id = await asyncio.to_thread(self.round_for, team)
        if round_id is None:
            return await self._send(self._reply(event, language, "discussion.no_round"))
        name = f"{event.user.platform}:{event.user.user}"
        discussion, opened = await asyncio.to_thread(
            lambda: self.discussions.open_discussion(team_id=team.id, round_id=round_id, point_id=point.id,
                                                     channel=channel, opened_by=name, now=self.clock.now()))
        title = self.title(point, language)
        if not opened and discussion.message_ref is not None:
            return await self._send(self._reply(event, language, "discussion.already_open", title=title,
                                                thread=discussion.message_ref))
        message = self.opening(discussion, point, language)
        delivered = (await self.sender.send([message]))[0]
        if not delivered.delivered or delivered.message_id is None:
            await asyncio.to_thread(self.discussions.set_message, discussion.id, None)
            return [message, *await self._send(self._reply(event, language, "discussion.not_posted"))]
        await asyncio.to_thread(self.discussions.set_message, discussion.id, delivered.message_id)
        log.info("discussion %d opened (team %d, round %d, point %s)", discussion.id, team.id, round_id, point.id)
        earlier = await asyncio.to_thread(self.discussions.replies, discussion.id)
        if earlier:  # opened again: what was said before still counts
            return [message, *await self._send(self._reply(event, language, "discussion.reopened", title=title,
                                                           thread=delivered.message_id))]
        return [message]

    def opening(self, discussion: Discussion, point: Point, language: str) -> Notice:
        """The one message a discussion is about: the point, its descriptors, the two questions, the guiding
        questions in short form (no details: it has to fit a phone) and the laws."""
        works, develop = (pick(self.instrument.deepening[kind], language) for kind in ("works", "develop"))
        parts = [self.t(language, "discussion.intro", descriptors=pick(point.descriptors, language)),
                 self.t(language, "discussion.questions", works=works, develop=develop)]
        if point.guide:
            guide = [self.t(language, "discussion.guide"),
                     *(f"• {pick(item.question, language)}" for item in point.guide)]
            if point.derived:
                guide.append(pick(self.instrument.deepening["derived_note"], language))
            parts.append("\n".join(guide))
        if point.laws:
            parts.append(self.t(language, "workbook.laws", laws="; ".join(pick(law, language) for law in point.laws)))
        parts.append(self.t(language, "discussion.how"))
        return Notice(to=discussion.channel, heading=self.t(language, "discussion.heading", number=point.number,
                                                            title=self.title(point, language)),
                      text="\n\n".join(parts), language=language)

    async def close(self, event: CommandReceived, team: Team, point: Point, language: str) -> list[Outbound]:
        round_id = await asyncio.to_thread(self.round_for, team)
        discussion = await asyncio.to_thread(self.discussions.find, team.id, round_id, point.id) \
            if round_id is not None else None
        title = self.title(point, language)
        if discussion is None or discussion.message_ref is None:
            return await self._send(self._reply(event, language, "discussion.not_open", title=title,
                                                number=point.number))
        sent: list[Outbound] = []
        if await asyncio.to_thread(self.discussions.close, discussion.id, now=self.clock.now()):
            recap = await asyncio.to_thread(self.recap, discussion, point, language)
            delivered = (await self.sender.send([recap]))[0]
            if delivered.outcome is Outcome.RETRY and self.outbox is not None:
                # The discussion is closed now and is not recapped again: the recap must not be lost.
                key = f"discussion-recap:{discussion.id}:{self.clock.now():%Y%m%dT%H%M%S%f}"
                await asyncio.to_thread(self.outbox.enqueue, [scheduled_notice(
                    key, recap.to, self.clock.now(), recap.text, heading=recap.heading, language=language,
                    thread=recap.thread)], now=self.clock.now())
            sent.append(recap)
        # Closing again asks again: the way back for a closer whose private chat could not be reached.
        ask = self.entry_question(discussion, point, PROMISE, event.user, language)
        await asyncio.to_thread(self.refs.remember, event.user.key, AWAITED, f"{discussion.id}:{PROMISE}",
                                now=self.clock.now())
        delivered = (await self.sender.send([ask]))[0]
        if delivered.delivered:
            return [*sent, ask]
        return [*sent, ask, *await self._send(self._reply(event, language, "discussion.dm_failed",
                                                          link=self.join_link(""), number=point.number,
                                                          thread=discussion.message_ref))]

    def recap(self, discussion: Discussion, point: Point, language: str) -> Notice:
        replies = self.discussions.replies(discussion.id)
        lines = [self.t(language, "discussion.recap_counts", people=self.discussions.participants(discussion.id),
                        replies=len(replies)) if replies else self.t(language, "discussion.recap_none")]
        labels = {WORKS: pick(self.instrument.deepening["works"], language),
                  DEVELOP: pick(self.instrument.deepening["develop"], language),
                  OTHER: self.t(language, "discussion.other")}
        for kind in (WORKS, DEVELOP, OTHER):
            texts = [reply.text for reply in replies if reply.kind == kind]
            if not texts:
                continue
            lines += ["", labels[kind]]
            lines += [f"• {_shortened(text)}" for text in texts[:RECAP_ITEMS]]
            if len(texts) > RECAP_ITEMS:
                lines.append(self.t(language, "discussion.more", count=len(texts) - RECAP_ITEMS))
        lines += ["", self.t(language, "discussion.recap_next")]
        return Notice(to=discussion.channel, heading=self.t(language, "discussion.recap_heading", number=point.number,
                                                            title=self.title(point, language)),
                      text="\n".join(lines), language=language, thread=discussion.message_ref)

    def entry_question(self, discussion: Discussion, point: Point, field: str, to: UserRef, language: str
                       ) -> FreeTextPrompt:
        heading = self.t(language, "discussion.ask_heading", number=point.number, title=self.title(point, language))
        skip = Option(SKIP, self.t(language, "discussion.skip"), "-")
        prompt_id = f"{ENTRY_PREFIX}{discussion.id}:{field}"
        if field == PROMISE:
            question, context = promise_question(self.instrument, point.id, language)
            return FreeTextPrompt(to=to, prompt_id=prompt_id, heading=heading, context=context,
                                  text=self.t(language, "discussion.ask_promise", question=question),
                                  hint=self.t(language, "discussion.ask_promise_hint"), skip=skip,
                                  max_length=self.instrument.settings.max_answer_length, language=language,
                                  current=discussion.promise)
        return FreeTextPrompt(to=to, prompt_id=prompt_id, heading=heading,
                              text=self.t(language, "discussion.ask_actions"),
                              hint=self.t(language, "discussion.ask_actions_hint"), skip=skip,
                              max_length=self.instrument.settings.max_answer_length, language=language,
                              current="\n".join(discussion.actions) or None)

    # --- the closer's answers -------------------------------------------------------------

    def awaits(self, user: UserRef, seen_prompt: str | None) -> bool:
        """Is `seen_prompt` (the latest question on the person's screen) an entry question still awaited?"""
        asked = entry_prompt(seen_prompt)
        return asked is not None and self.refs.recall(user.key, AWAITED) == f"{asked[0]}:{asked[1]}"

    def side_question(self, event: Event) -> Sequence[Outbound] | None:
        """Within the person's turn: the answer to an entry question, if `event` is one (its replies, for the turn
        service to send), else None (the event is the conversation's). A button or a Slack modal names its
        question; typed text is for the entry question while that is on the person's screen and still awaited."""
        if isinstance(event, ChoiceSelected) and entry_prompt(event.prompt_id) is not None:
            return self.entry_answer(event, event.prompt_id, skipped=event.value == SKIP)
        if not isinstance(event, TextReceived) or event.channel is not None:
            return None
        if entry_prompt(event.prompt_id) is not None:
            assert event.prompt_id is not None
            return self.entry_answer(event, event.prompt_id, skipped=False)
        if event.prompt_id is None and event.seen_prompt is not None and self.awaits(event.user, event.seen_prompt):
            return self.entry_answer(event, event.seen_prompt, skipped=False)
        return None

    def entry_answer(self, event: TextReceived | ChoiceSelected, prompt_id: str, *, skipped: bool
                     ) -> Sequence[Outbound]:
        """The closer answered an entry question (typed, in a Slack modal, or with the skip button)."""
        asked = entry_prompt(prompt_id)
        assert asked is not None
        language = self.language_for(event.user, event.locale)
        now = self.clock.now()
        discussion = self.discussions.discussion(asked[0])
        if discussion is None or not self.may_lead(event.user, discussion.team_id):
            if not self.teams.mark_processed(f"{event.key}:entry", now=now):
                return ()
            return (Notice(to=event.user, text=self.t(language, "discussion.entry_gone"), language=language),)
        point = self.instrument.point(discussion.point_id)
        text = "" if skipped or not isinstance(event, TextReceived) else event.text.strip()
        name = f"{event.user.platform}:{event.user.user}"
        # Its buttons go; an answer written in a Slack modal is not in the chat, so the closed question shows it.
        in_form = isinstance(event, TextReceived) and event.prompt_id is not None
        closed = PromptClosed(to=event.user, prompt_id=prompt_id, language=language,
                              answer=text if in_form and text else None)
        # Recorded before the event is marked processed: a crash in between loses nothing, and the platform's
        # second delivery of the event records the same again (then says nothing more).
        if asked[1] == PROMISE:
            if not skipped:
                self.discussions.record(discussion.id, promise="" if text == "-" else text, recorded_by=name, now=now)
            self.refs.remember(event.user.key, AWAITED, f"{discussion.id}:{ACTIONS}", now=now)
            if not self.teams.mark_processed(f"{event.key}:entry", now=now):
                return ()
            refreshed = self.discussions.discussion(discussion.id) or discussion
            return (closed, self.entry_question(refreshed, point, ACTIONS, event.user, language))
        if not skipped:
            self.discussions.record(discussion.id, actions=read_actions(text), recorded_by=name, now=now)
        self.refs.remember(event.user.key, AWAITED, "", now=now)
        if not self.teams.mark_processed(f"{event.key}:entry", now=now):
            return ()
        final = self.discussions.discussion(discussion.id) or discussion
        done = Notice(to=event.user, text=self.t(language, "discussion.recorded", title=self.title(point, language)),
                      language=language)
        return (closed, done, self.agreed_notice(final, point, language))

    def agreed_notice(self, discussion: Discussion, point: Point, language: str) -> Notice:
        """The team's agreements, posted in the discussion's thread for everyone in the team to see."""
        lines = []
        if discussion.promise:
            lines.append(self.t(language, "discussion.promise_line", promise=discussion.promise))
        if discussion.actions:
            lines += [self.t(language, "discussion.actions_heading"), *(f"• {a}" for a in discussion.actions)]
        else:
            lines.append(self.t(language, "discussion.no_actions"))
        return Notice(to=discussion.channel, heading=self.t(language, "discussion.recorded_channel",
                                                            number=point.number, title=self.title(point, language)),
                      text="\n".join(lines), language=language, thread=discussion.message_ref)

    # --- members' replies -----------------------------------------------------------------

    async def reply(self, event: ThreadReply) -> Sequence[Outbound]:
        """A reply to one of the bot's messages in a team's channel: the team's, if it replies to a discussion."""
        assert event.channel is not None
        channel = event.channel
        discussion = await asyncio.to_thread(self.discussions.by_message, channel, event.reply_to)
        if discussion is None and event.edited:  # a Slack edit names its thread; a Telegram edit names it too
            discussion = await asyncio.to_thread(self.discussions.reply_discussion, channel, event.message_ref)
        if discussion is None:
            return ()
        read = read_reply(event.text)
        if read is None:  # emptied, or edited to "-": taken back
            await asyncio.to_thread(self.discussions.remove_reply, channel, event.message_ref)
            return ()
        if not discussion.is_open:
            if event.edited:
                return ()
            language = await asyncio.to_thread(self.language_for, event.user, event.locale)
            late = Notice(to=channel, text=self.t(language, "discussion.late_reply"), language=language,
                          thread=discussion.message_ref)
            await self.sender.send([late])
            return (late,)
        kind, text = read
        await asyncio.to_thread(lambda: self.discussions.save_reply(
            discussion.id, message_ref=event.message_ref, author=event.user, kind=kind, text=text,
            now=self.clock.now()))
        log.debug("discussion %d: reply %s stored", discussion.id, event.message_ref)
        return ()

    async def removed(self, event: ReplyRemoved) -> Sequence[Outbound]:
        assert event.channel is not None
        await asyncio.to_thread(self.discussions.remove_reply, event.channel, event.message_ref)
        return ()


class IdleDiscussions:
    """The scheduler's part: one reminder in the channel for each discussion idle for `idle_days` working days
    (weekends and public holidays do not count), queued in the outbox within working hours."""

    def __init__(self, discussions: DiscussionStore, instrument: Instrument, clock: Clock, *, idle_days: int = 3,
                 hours: WorkingHours | None = None, language: str = "fi") -> None:
        self.discussions = discussions
        self.instrument = instrument
        self.clock = clock
        self.idle_days = idle_days
        self.hours = hours or WorkingHours()
        self.language = language

    def idle_since(self, now: datetime) -> datetime:
        """The moment `idle_days` working days before `now`."""
        local = self.hours.local(now)
        day = local.date()
        counted = 0
        while counted < self.idle_days:
            day -= timedelta(days=1)
            if is_working_day(day):
                counted += 1
        return local.replace(year=day.year, month=day.month, day=day.day)

    def plan(self, outbox: Outbox) -> int:
        """Queue the reminders due now; returns how many."""
        now = self.clock.now()
        if not self.hours.contains(now):
            return 0
        queued = 0
        for discussion in self.discussions.idle(before=self.idle_since(now)):
            point = self.instrument.point(discussion.point_id)
            text = self.instrument.text(self.language, "discussion.idle", number=point.number,
                                        title=pick(point.title, self.language), days=self.idle_days)
            item = scheduled_notice(f"discussion-idle:{discussion.id}:{discussion.opened_at.isoformat()}",
                                    discussion.channel, now, text, language=self.language,
                                    thread=discussion.message_ref)
            queued += outbox.enqueue([item], now=now)
            self.discussions.mark_reminded(discussion.id, now=now)
        return queued


def _shortened(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= RECAP_REPLY_CHARS else flat[:RECAP_REPLY_CHARS - 1].rstrip() + "…"
