"""The conversation engine: `step()` turns (conversation, event) into (conversation, outbox, answers).

Pure: no I/O, no clock, no randomness. The state diagram is in bot/core/engine.md.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.core.choice_matching import match_option, split_choices
from bot.core.conversation import AnswerRecord, Conversation, with_answers
from bot.core.events import ChoiceSelected, CommandReceived, Event, TextReceived
from bot.core.flow import (
    SIDE_STEPS,
    after_points,
    chosen_points,
    deepened_points,
    edit_unit_of,
    first_step,
    is_question,
    kind_of,
    missing_deepening,
    next_step,
    subject_of,
    unit_of,
)
from bot.core.instrument import LANGUAGES, Instrument
from bot.core.language import language_code
from bot.core.messages import FreeTextPrompt, Option, Outbound, PromptClosed
from bot.core.prompts import CANCEL, DONE, FORWARD, GUIDE, GUIDED, PAUSE, SKIP, YES, Prompter
from bot.core.text_input import normalise_text

HISTORY_LIMIT = 100
SHOWN_LIMIT = 12  # prompts whose step is remembered: enough for taps that overtook a few replies
CHOICE_CARDS = frozenset({"rate", "priorities", "hub", "partnership", "edit", "language"})
FREE_TEXT_STEPS = frozenset({"works", "develop", "promise", "level", "plan"})


@dataclass(frozen=True, slots=True)
class Step:
    conversation: Conversation
    outbox: tuple[Outbound, ...]
    answers: tuple[AnswerRecord, ...]


def step(conversation: Conversation, event: Event, *, instrument: Instrument, now: datetime,
         default_language: str = "fi", role_commands: Collection[str] = ()) -> Step:
    """One turn of the conversation. `now` is the event's processing time (unused by rules yet);
    `default_language` speaks to a person who chose no language and whose platform names none of ours;
    `role_commands`: the role holders' commands (bot.core.commands.ROLE_COMMANDS) this person may use,
    which /ohje lists too (the engine knows no roles: the caller says)."""
    if conversation.step == "break":  # a break offer stored before they were folded into the next question
        conversation = conversation.evolve(step=conversation.resume_step, resume_step="")
    turn = _Turn(conversation, instrument, default_language, role_commands)
    turn.follow_locale(event.locale)
    if isinstance(event, CommandReceived):
        turn.command(event.name, event.argument, event.raw)
    elif not turn.conv.started and turn.conv.step != "language":
        turn.start()
    elif isinstance(event, TextReceived) and event.prompt_id is not None and (
            event.prompt_id != turn.conv.prompt_id or turn.conv.step == "done" or turn.conv.paused):
        turn.say("answer.stale_text", text=event.text.strip())  # give the written text back: nothing is lost
    elif turn.conv.paused:
        turn.resume()
    elif isinstance(event, ChoiceSelected):
        turn.choice(event.prompt_id, event.value)
    elif isinstance(event, TextReceived) and turn.written_for_earlier(event.seen_prompt):
        turn.late_text(event.text, event.seen_prompt or "")
    else:
        # Text written in a form (a Slack modal) is not visible in the chat: the closed prompt shows it.
        turn.text(event.text, echo=event.prompt_id is not None)
    return Step(turn.conv, tuple(turn.out), tuple(turn.answers))


class _Turn:
    """Accumulates one turn's changes; discarded after `step()` returns."""

    def __init__(self, conversation: Conversation, instrument: Instrument, default_language: str = "fi",
                 role_commands: Collection[str] = ()) -> None:
        self.conv = conversation
        self.role_commands = role_commands
        self.instrument = instrument
        # One per turn; `update` keeps it on the latest state.
        self.p = Prompter(conversation, instrument, default_language=default_language)
        self.out: list[Outbound] = []
        self.answers: list[AnswerRecord] = []

    def update(self, **changes: Any) -> None:
        self.conv = self.conv.evolve(**changes)
        self.p.conversation = self.conv

    def say(self, key: str, **values: object) -> None:
        self.out.append(self.p.notice(self.p.t(key, **values)))

    def follow_locale(self, locale: str | None) -> None:
        language = language_code(locale)
        if language and language != self.conv.platform_language:
            self.update(platform_language=language)

    # --- showing prompts -------------------------------------------------------------

    def close_prompt(self, answer: str | None = None) -> None:
        if self.conv.prompt_seq and self.conv.step != "done" and not self.conv.paused:
            self.out.append(PromptClosed(to=self.conv.user, prompt_id=self.conv.prompt_id,
                                         answer=answer, language=self.p.language))

    def ask(self, step: str, closing_answer: str | None = None, note: str | None = None, *,
            in_place: bool = False) -> None:
        """Move to `step` and show its prompt (`note`: what was just finished, shown on the same message);
        the previous prompt's buttons go away, or with `in_place` its message becomes the new prompt
        (one platform call per tap: the answers so far are on the new prompt)."""
        replaces = self.conv.prompt_id if in_place and self.conv.prompt_seq else None
        if replaces is None:
            self.close_prompt(closing_answer)
        selection = chosen_points(self.conv.answers) if step == "priorities" else ()
        seq = self.conv.prompt_seq + 1
        self.update(step=step, prompt_seq=seq, selection=selection, paused=False,
                    shown_steps=(*self.conv.shown_steps, (seq, step))[-SHOWN_LIMIT:])
        if step == "done":
            self.say("done.text")
            return
        if step == "plan":
            self.out.append(self.p.summary())
        prompt = self.p.prompt(step, note)
        self.out.append(replace(prompt, replaces=replaces) if replaces else prompt)

    def redraw_over(self, earlier: str) -> None:
        """Show the current question again, over the earlier prompt's message when that was a card with buttons
        (the person's screen still showed it), else as a new message. Same prompt: no new number."""
        prompt = self.p.prompt(self.conv.step)
        shown = self.conv.step_of_prompt(earlier)
        self.out.append(replace(prompt, replaces=earlier) if shown and kind_of(shown) in CHOICE_CARDS else prompt)

    def real_step(self) -> str:
        return self.conv.resume_step if self.conv.step in SIDE_STEPS else self.conv.step

    def side_step(self, step: str) -> None:
        self.update(resume_step=self.real_step())
        self.ask(step)

    def leave_side_step(self, closing_answer: str | None = None) -> None:
        target = self.conv.resume_step
        self.update(resume_step="")
        self.ask(target, closing_answer)

    # --- commands ----------------------------------------------------------------------

    def command(self, name: str, argument: str, raw: str) -> None:
        if name == "help":
            self.out.append(self.p.help(self.role_commands))
        elif name == "language":
            self.change_language(argument)
        elif not self.conv.started:
            self.start()
        elif name == "join":
            self.say("team.join_in_group")
        elif name in _COMMANDS:
            _COMMANDS[name](self)
        else:
            self.say("help.unknown_command", name=raw or name)
            self.out.append(self.p.help(self.role_commands))

    def start(self) -> None:
        self.out.append(self.p.notice(self.p.t("welcome.text"), heading=self.p.t("welcome.heading")))
        self.update(started=True)
        self.ask(first_step(self.instrument))

    def command_start(self) -> None:
        self.resume()

    def resume(self) -> None:
        if self.conv.step == "done":
            self.say("done.again")
            return
        self.say("welcome.back")
        self.ask(self.conv.step)

    def command_guide(self) -> None:
        """The guiding questions of the open question, drawn onto its own message above the question."""
        if kind_of(self.conv.step) in GUIDED:
            prompt = self.p.deepening(self.conv.step, with_guide=True)
            self.out.append(replace(prompt, replaces=self.conv.prompt_id))
        else:
            self.say("guide.none")

    def command_resume(self) -> None:
        self.resume()

    def command_pause(self) -> None:
        if self.conv.step == "done":
            self.say("pause.nothing")
        elif self.conv.paused:
            self.say("pause.already")
        else:
            self.close_prompt()
            self.update(step=self.real_step(), resume_step="", paused=True,
                        prompt_seq=self.conv.prompt_seq + 1)
            self.say("pause.paused")

    def command_back(self) -> None:
        if self.refuse_if_closed():
            return
        if not self.conv.history:
            self.say("back.first")
            self.ask(self.real_step())
            return
        target, history = self.conv.history[-1], self.conv.history[:-1]
        self.update(history=history, resume_step="")
        self.ask(target)

    def command_edit(self) -> None:
        if self.refuse_if_closed():
            return
        if not self.conv.answers:
            self.say("edit.nothing")
            return
        self.side_step("edit")

    def command_skip(self) -> None:
        if kind_of(self.conv.step) in FREE_TEXT_STEPS:
            if not self.refuse_if_closed():
                self.skip()
        else:
            self.say("answer.cannot_skip")

    def command_answers(self) -> None:
        """The answers so far, then the open question again (as /jatka would), so it stays at hand."""
        if self.conv.step != "plan":  # the plan's question shows the answers above it anyway
            self.out.append(self.p.summary())
        if self.conv.step != "done" and not self.conv.paused:
            self.ask(self.conv.step)

    def change_language(self, argument: str) -> None:
        if not argument:
            self.side_step("language")
            return
        language = self.language_named(argument)
        if language is None:
            self.say("language.unknown", code=argument)
            return
        self.set_language(language)
        if self.conv.started and self.conv.step != "done" and not self.conv.paused:
            self.ask(self.real_step())
            self.update(resume_step="")

    def language_named(self, text: str) -> str | None:
        wanted = text.strip().casefold()
        for code in LANGUAGES:
            names = {code, *(n.strip().casefold() for n in self.instrument.text(code, "language.aliases").split(","))}
            if wanted in names:
                return code
        return None

    def set_language(self, language: str) -> None:
        self.update(language=language)
        self.say("language.changed")

    # --- answers -----------------------------------------------------------------------

    def refuse_if_closed(self) -> bool:
        if not self.conv.round.is_open:
            self.say("answer.round_closed")
            return True
        return False

    def record(self, step: str, value: str | None) -> None:
        history = (*self.conv.history, step)[-HISTORY_LIMIT:]
        if step not in self.conv.answers or self.conv.answers[step] != value:
            self.answers.append(AnswerRecord(step, value))
            self.update(answers=with_answers(self.conv.answers, {step: value}), history=history)
        else:
            self.update(history=history)

    def answer(self, step: str, value: str | None, label: str | None = None) -> None:
        self.record(step, value)
        self.advance(step, label)

    def skip(self) -> None:
        step = self.conv.step
        if step in self.conv.answers:
            self.update(history=(*self.conv.history, step)[-HISTORY_LIMIT:])
            self.advance(step, None)
        else:
            self.answer(step, None)

    def advance(self, step: str, label: str | None) -> None:
        """The next question at once: finishing a part, a point or a section is said on its message."""
        following = next_step(step, self.conv.answers, self.instrument)
        if self.conv.return_to and edit_unit_of(following) != edit_unit_of(step):
            target = self.conv.return_to
            self.update(return_to="")
            self.say("edit.saved")
            self.ask(target, label)
        elif step != "plan" and unit_of(following) != unit_of(step):
            self.ask(following, label, self.finished(step), in_place=_in_place(step, following))
        else:
            self.ask(following, label, in_place=_in_place(step, following))

    def finished(self, step: str) -> str:
        """What finishing the unit of `step` means, as progress on what the person chose."""
        unit = unit_of(step)
        chosen = chosen_points(self.conv.answers)
        if unit == "part1":
            return self.p.t("break.part1_done", points=", ".join(self.p.point_title(p) for p in chosen))
        if not unit.startswith("point:"):
            return self.p.t("break.section_done")
        if subject_of(step) not in chosen:
            return self.p.t("break.extra_point_done")
        done = len(set(chosen) & set(deepened_points(self.conv.answers, self.instrument)))
        return self.p.t("break.point_done", done=done, total=len(chosen))

    # --- button presses ----------------------------------------------------------------

    def choice(self, prompt_id: str, value: str) -> None:
        if self.conv.step == "done":
            self.say("answer.stale")
        elif prompt_id != self.conv.prompt_id:
            self.late_choice(prompt_id, value)
        else:
            self.current_choice(value)

    def late_choice(self, prompt_id: str, value: str) -> None:
        """A tap on an earlier prompt's button: it counts for the question that prompt showed, never another."""
        shown = self.conv.step_of_prompt(prompt_id)
        if shown == self.conv.step:  # the same question, asked again since (a restart, an unrecognised reply)
            self.current_choice(value)
        elif shown is not None and kind_of(shown) == "rate" and shown in self.conv.answers:
            option = next((o for o in self.p.scale_options() if o.value == value), None)
            if option is None:
                self.say("answer.stale")
            else:
                self.late_rating(shown, option, prompt_id)
        else:
            self.say("answer.stale")

    def late_rating(self, step: str, option: Option, prompt_id: str) -> None:
        """A rating given on a card that had not turned into the next question yet: the same rating again is nothing
        new, another one corrects that point; either way the card then shows the current question."""
        if self.refuse_if_closed():
            return
        if self.conv.answers.get(step) != option.value:
            self.answers.append(AnswerRecord(step, option.value))
            self.update(answers=with_answers(self.conv.answers, {step: option.value}))
        self.redraw_over(prompt_id)

    def further_buttons(self) -> set[str]:
        """The values of the open question's further buttons (the guiding questions, a break): only those count."""
        prompt = self.p.prompt(self.conv.step)
        return {option.value for option in prompt.more} if isinstance(prompt, FreeTextPrompt) else set()

    def late_text(self, text: str, seen_prompt: str) -> None:
        """Text written while an earlier question was on the person's screen (the current one had not reached
        them): it is never applied to the current question. A rating typed at a rating card counts as a tap on it;
        anything else is given back, and the current question shown."""
        shown = self.conv.step_of_prompt(seen_prompt)
        if shown is not None and kind_of(shown) == "rate" and shown in self.conv.answers:
            option = match_option(text, self.p.scale_options(), self.instrument.choice_aliases)
            if option is not None:
                self.late_rating(shown, option, seen_prompt)
                return
        self.say("answer.stale_text", text=text.strip())
        self.redraw_over(seen_prompt)

    def written_for_earlier(self, seen_prompt: str | None) -> bool:
        """Was text written while the screen showed an earlier prompt than the current one (another question)?"""
        if seen_prompt is None or not seen_prompt.isdigit() or self.conv.step == "done":
            return False  # prompts other than the conversation's (a reminder's buttons) say nothing about it
        return int(seen_prompt) < self.conv.prompt_seq and self.conv.step_of_prompt(seen_prompt) != self.conv.step

    def current_choice(self, value: str) -> None:
        if kind_of(self.conv.step) in FREE_TEXT_STEPS and value == SKIP:
            self.command_skip()
        elif kind_of(self.conv.step) in FREE_TEXT_STEPS and value in self.further_buttons():
            self.command_guide() if value == GUIDE else self.command_pause()
        elif self.conv.step == "priorities":
            self.toggle(value)
        else:
            option = next((o for o in self.p.options(self.conv.step) if o.value == value), None)
            if option is None:
                self.say("answer.stale")
            else:
                self.chosen(option)

    def chosen(self, option: Option) -> None:
        step, kind, value = self.conv.step, kind_of(self.conv.step), option.value
        if is_question(step) and self.refuse_if_closed():
            return
        if value == PAUSE:  # the pause button of a menu between points and sections
            self.command_pause()
        elif kind == "rate":
            self.answer(step, value, option.label)
        elif kind == "hub":
            target = after_points(self.conv.answers, self.instrument) if value == FORWARD else (
                missing_deepening(self.conv.answers, value) or f"works:{value}")
            self.ask(target, option.label)
        elif kind == "partnership":
            self.ask(f"level:{self.instrument.level_ids[0]}" if value == YES else "plan", option.label)
        elif kind == "edit":
            self.edit(value, option.label)
        else:
            self.set_language(value)
            if self.conv.started:
                self.leave_side_step(option.label)
            else:
                self.close_prompt(option.label)
                self.start()

    def edit(self, value: str, label: str) -> None:
        if value == CANCEL:
            self.leave_side_step(label)
            return
        self.update(return_to=self.conv.resume_step, resume_step="")
        self.ask(value, label)

    def toggle(self, value: str) -> None:
        if self.refuse_if_closed():
            return
        count = self.instrument.settings.priorities_count
        selection = self.conv.selection
        if value == DONE:
            self.confirm_priorities(selection)
        elif value not in self.instrument.point_ids:
            self.say("answer.stale")
        elif value in selection:
            self.update(selection=tuple(v for v in selection if v != value))
            self.out.append(self.p.priorities_update())
        elif len(selection) >= count:
            self.say("priorities.too_many", count=count)
        else:
            self.update(selection=(*selection, value))
            self.out.append(self.p.priorities_update())

    def confirm_priorities(self, selection: tuple[str, ...]) -> None:
        count = self.instrument.settings.priorities_count
        if len(selection) != count:
            self.say("priorities.too_few", count=count, selected=len(selection))
            return
        self.answer("priorities", ",".join(selection), self.p.answer_label("priorities", ",".join(selection)))

    # --- typed text --------------------------------------------------------------------

    def text(self, text: str, *, echo: bool = False) -> None:
        kind = kind_of(self.conv.step)
        if self.conv.step == "done":
            self.say("done.again")
        elif kind in FREE_TEXT_STEPS:
            self.free_text(text, echo=echo)
        elif kind == "priorities":
            self.typed_priorities(text)
        else:
            option = match_option(text, self.p.options(self.conv.step), self.instrument.choice_aliases)
            if option is None:
                self.say("answer.not_recognised", text=text.strip()[:200])
                self.ask(self.conv.step)
            else:
                self.chosen(option)

    def free_text(self, text: str, *, echo: bool = False) -> None:
        if self.refuse_if_closed():
            return
        typed = normalise_text(text)  # no NUL or other control characters, on SQLite and PostgreSQL alike
        answer = typed.text.strip()
        limit = self.instrument.settings.max_answer_length
        if not answer:
            self.say("answer.empty", skip=self.p.command_name("skip"))
        elif len(answer) > limit:
            self.say("answer.too_long", length=len(answer), limit=limit)
        else:
            if typed.changed:
                self.say("answer.text_changed")
            self.answer(self.conv.step, answer, answer if echo else None)

    def typed_priorities(self, text: str) -> None:
        if self.refuse_if_closed():
            return
        count = self.instrument.settings.priorities_count
        options = self.p.point_options(self.instrument.point_ids)
        chosen: list[str] = []
        for part in split_choices(text):
            option = match_option(part, options)
            if option is None:
                self.say("priorities.unknown_part", part=part.strip()[:100], count=count)
                return
            if option.value not in chosen:
                chosen.append(option.value)
        if len(chosen) != count:
            self.say("priorities.too_few", count=count, selected=len(chosen))
            return
        self.update(selection=tuple(chosen))
        self.confirm_priorities(self.conv.selection)


def _in_place(step: str, following: str) -> bool:
    """Part 1 runs on one card: a rating turns into the next rating, the last one into the choice of targets,
    and the targets into part 2's first question."""
    return (kind_of(step) == "rate" and kind_of(following) in ("rate", "priorities")) or (
        step == "priorities" and kind_of(following) == "works")


# The commands of a started conversation, by canonical name (bot.core.commands). `_Turn.command` answers
# help and language before this (also before the start), and join.
_COMMANDS: dict[str, Callable[[_Turn], None]] = {
    "start": _Turn.command_start,
    "resume": _Turn.command_resume,
    "pause": _Turn.command_pause,
    "back": _Turn.command_back,
    "edit": _Turn.command_edit,
    "skip": _Turn.command_skip,
    "answers": _Turn.command_answers,
    "guide": _Turn.command_guide,
}
