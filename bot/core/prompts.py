"""Building the messages for each step in the person's language (pure, no state changes)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import replace

from bot.core.commands import ROLE_COMMANDS
from bot.core.conversation import Conversation
from bot.core.flow import (
    chosen_points,
    edit_targets,
    kind_of,
    remaining_points,
    subject_of,
)
from bot.core.instrument import LANGUAGES, CommandSpec, Instrument, pick
from bot.core.messages import ChoicePrompt, FreeTextPrompt, MultiChoicePrompt, Notice, Option, Prompt

DONE, SKIP, CONTINUE, PAUSE, FORWARD, YES, NO, CANCEL, GUIDE = (
    "done", "skip", "continue", "pause", "forward", "yes", "no", "cancel", "guide")
GUIDED = frozenset({"works", "develop"})  # the open questions a point's guiding questions help to answer
CARRIED_SHOWN = 5  # agreed actions of an earlier round shown on a point's first question (a phone screen)
CARRIED_LENGTH = 200  # characters of each


def language_of(conversation: Conversation, default: str = "fi") -> str:
    """The language the person chose, else their platform's, else `default` (the configured language)."""
    return conversation.language or conversation.platform_language or default


class Prompter:
    """Messages for one conversation in its language.

    The engine builds one per turn and points `conversation` at the turn's latest state, so the
    language (a person may change it mid-turn) is read from the conversation each time."""

    def __init__(self, conversation: Conversation, instrument: Instrument, *, default_language: str = "fi") -> None:
        self.conversation = conversation
        self.instrument = instrument
        self.default_language = default_language

    @property
    def language(self) -> str:
        return language_of(self.conversation, self.default_language)

    def t(self, key: str, **values: object) -> str:
        return self.instrument.text(self.language, key, **values)

    def notice(self, text: str, heading: str | None = None) -> Notice:
        return Notice(to=self.conversation.user, text=text, heading=heading, language=self.language)

    def command_name(self, name: str) -> str:
        """The command word people see in this language, e.g. "tauko" for pause."""
        spec = next(spec for spec in self.instrument.commands if spec.name == name)
        return (spec.names.get(self.language) or (name,))[0]

    def help(self, role_commands: Collection[str] = ()) -> Notice:
        """The person's commands; `role_commands` (those of ROLE_COMMANDS the person's role allows) after them."""
        lines = [self.t("help.text"), ""]
        specs = self.instrument.commands
        lines += [self.command_line(spec) for spec in specs if spec.name not in ROLE_COMMANDS]
        role_lines = [self.command_line(spec) for spec in specs
                      if spec.name in ROLE_COMMANDS and spec.name in role_commands]
        if role_lines:
            lines += ["", self.t("help.role_heading"), *role_lines]
        return self.notice("\n".join(lines), heading=self.t("help.heading"))

    def command_line(self, spec: CommandSpec) -> str:
        return f"/{self.command_name(spec.name)} – {pick(spec.description, self.language)}"

    def option(self, value: str, label: str, key: str) -> Option:
        return Option(value=value, label=label, key=key)

    def point_title(self, point_id: str) -> str:
        return pick(self.instrument.point(point_id).title, self.language)

    def answer_label(self, step: str, value: str | None) -> str:
        """How an answer reads back: a scale label, point titles, or the text itself."""
        if value is None:
            return self.t("summary.skipped")
        if kind_of(step) == "rate":
            return pick(self.instrument.scale_option(value).label, self.language)
        if step == "priorities":
            return ", ".join(self.point_title(point) for point in value.split(","))
        return value

    def prompt(self, step: str, note: str | None = None) -> Prompt:
        """The prompt of `step`; `note` (what was just finished) opens the same message."""
        kind = kind_of(step)
        builders: dict[str, Callable[[str], Prompt]] = {
            "rate": self._rating, "priorities": self._priorities, "works": self._deepening,
            "develop": self._deepening, "promise": self._deepening, "hub": self._hub,
            "partnership": self._partnership, "level": self._level, "plan": self._plan,
            "edit": self._edit, "language": self._language,
        }
        prompt = builders[kind](step)
        if note and not isinstance(prompt, MultiChoicePrompt):
            return replace(prompt, context=(note, *prompt.context))
        return prompt

    def _base(self) -> dict[str, object]:
        return {"to": self.conversation.user, "prompt_id": self.conversation.prompt_id,
                "language": self.language}

    def _choice(self, text: str, options: list[Option], **extra: object) -> ChoicePrompt:
        return ChoicePrompt(text=text, options=tuple(options), **self._base(), **extra)  # type: ignore[arg-type]

    def _free(self, step: str, text: str, heading: str, context: list[str]) -> FreeTextPrompt:
        current = self.conversation.answers.get(step)
        answered = step in self.conversation.answers
        if current is not None:
            context.append(self.t("answer.current", answer=current))
        skip_label = self.t("buttons.keep") if answered else self.t("buttons.skip")
        return FreeTextPrompt(
            text=text, heading=heading, context=tuple(context), current=current,
            max_length=self.instrument.settings.max_answer_length,
            hint=self.t("answer.free_hint"), skip=Option(SKIP, skip_label, "/" + self.command_name("skip")),
            **self._base(),  # type: ignore[arg-type]
        )

    def scale_options(self) -> list[Option]:
        return [self.option(o.value, pick(o.label, self.language), o.key) for o in self.instrument.scale]

    def _rating(self, step: str) -> ChoicePrompt:
        point = self.instrument.point(subject_of(step))
        heading = self.t("part1.heading", number=point.number, total=len(self.instrument.points),
                         title=pick(point.title, self.language))
        text = f"{pick(point.descriptors, self.language)}\n\n{pick(self.instrument.scale_question, self.language)}"
        # The card is redrawn into each next rating, so the answers given so far stay in view on it.
        rated = [p for p in self.instrument.point_ids if p != point.id and f"rate:{p}" in self.conversation.answers]
        context = (self.t("part1.so_far", ratings=" · ".join(
            f"{self.point_title(p)} {self.rating_short(p)}" for p in rated)),) if rated else ()
        return self._choice(text, self.options(step), heading=heading, hint=self.t("part1.hint"), context=context,
                            current=self.conversation.answers.get(step))

    def point_options(self, point_ids: tuple[str, ...]) -> list[Option]:
        return [self.option(p, self.point_title(p), str(self.instrument.point(p).number)) for p in point_ids]

    def rating_short(self, point_id: str) -> str:
        """A rating as a number ("4"), "?" for can't say, "–" for not rated."""
        value = self.conversation.answers.get(f"rate:{point_id}")
        return "–" if value is None else (value if value.isdigit() else "?")

    def _priorities(self, step: str, *, update: bool = False) -> MultiChoicePrompt:
        count = self.instrument.settings.priorities_count
        ratings = " · ".join(f"{self.point_title(p)} {self.rating_short(p)}" for p in self.instrument.point_ids)
        text = f"{self.t('priorities.ratings', ratings=ratings)}\n\n{self.t('priorities.text', count=count)}"
        return MultiChoicePrompt(
            text=text, heading=self.t("priorities.heading"),
            options=tuple(self.point_options(self.instrument.point_ids)),
            selected=self.conversation.selection, count=count, done_value=DONE,
            done_label=self.t("buttons.done"), hint=self.t("priorities.hint", count=count),
            update=update, **self._base(),  # type: ignore[arg-type]
        )

    def priorities_update(self) -> MultiChoicePrompt:
        return self._priorities("priorities", update=True)

    def _deepening(self, step: str) -> FreeTextPrompt:
        return self.deepening(step)

    def deepening(self, step: str, *, with_guide: bool = False) -> FreeTextPrompt:
        """A part 2 question: its guiding questions behind a button, or `with_guide` on the message itself, above
        the question (so the question stays last, in view); the laws on the point's first question."""
        kind, point = kind_of(step), self.instrument.point(subject_of(step))
        heading = self.t("part2.heading", number=point.number, title=pick(point.title, self.language))
        if kind == "promise":
            question, shown = promise_question(self.instrument, point.id, self.language)
            return self._free(step, question, heading, list(shown))
        context: list[str] = []
        if kind == "works" and point.id in self.conversation.agreed:
            context.append(self.carried_line(point.id))
        rating = self.conversation.answers.get(f"rate:{point.id}")
        if kind == "works" and rating is not None:
            context.append(self.t("part2.rating", rating=self.answer_label(f"rate:{point.id}", rating)))
        if with_guide:
            context += self.guide_lines(step)
        elif kind == "works" and point.laws:
            context.append(self.laws_line(step))
        prompt = self._free(step, pick(self.instrument.deepening[kind], self.language), heading, context)
        more = [] if with_guide else [self.option(GUIDE, self.t("buttons.guide"), "/" + self.command_name("guide"))]
        if kind == "works":  # the first question of a point: the message between points, where a break fits
            more.append(self.pause_option())
        return replace(prompt, more=tuple(more))

    def carried_line(self, point_id: str) -> str:
        """What the person's team agreed on the point in an earlier round, and how it has gone: the first five
        actions, each on its own line and cut short, and how many more there are."""
        actions = self.conversation.agreed[point_id]
        lines = ["• " + _shortened(" ".join(action.split()), CARRIED_LENGTH) for action in actions[:CARRIED_SHOWN]]
        if len(actions) > CARRIED_SHOWN:
            lines.append(self.t("carried.more", count=len(actions) - CARRIED_SHOWN))
        return "\n".join((self.t("carried.agreed"), *lines, self.t("carried.progress")))

    def laws_line(self, step: str) -> str:
        point = self.instrument.point(subject_of(step))
        return self.t("part2.laws", laws="; ".join(pick(law, self.language) for law in point.laws))

    def guide_lines(self, step: str) -> list[str]:
        """A point's guiding questions and law references (and, for a point written from the workbook's topics,
        a note saying so)."""
        point = self.instrument.point(subject_of(step))
        lines = [self.t("part2.guide_heading", number=point.number, title=pick(point.title, self.language)),
                 self.t("part2.guide_intro", descriptors=pick(point.descriptors, self.language))]
        for item in point.guide:
            lines.append("• " + pick(item.question, self.language))
            lines.extend("   – " + pick(detail, self.language) for detail in item.details)
        if point.laws:
            lines.append(self.laws_line(step))
        if point.derived:
            lines.append(pick(self.instrument.deepening["derived_note"], self.language))
        return lines

    def options(self, step: str) -> list[Option]:
        """The options of a choice step (empty for open questions)."""
        kind = kind_of(step)
        if kind == "rate":
            return self.scale_options()
        if kind == "hub":
            remaining = remaining_points(self.conversation.answers, self.instrument)
            return [*self.point_options(remaining), self.option(FORWARD, self.t("hub.forward"), "0"),
                    self.pause_option()]
        if kind == "partnership":
            return [self.option(YES, self.t("partnership.yes"), "1"), self.option(NO, self.t("partnership.no"), "2"),
                    self.pause_option()]
        if kind == "edit":
            targets = edit_targets(self.conversation.answers, self.instrument)
            return [*(self.option(target, self.edit_label(target), str(index))
                      for index, target in enumerate(targets, 1)),
                    self.option(CANCEL, self.t("buttons.cancel"), "0")]
        if kind == "language":
            return [self.option(code, self.instrument.text(code, "language.name"), str(index))
                    for index, code in enumerate(LANGUAGES, 1)]
        return []

    def pause_option(self) -> Option:
        """Pausing, offered on the menus between points and sections (going on is the first option)."""
        return self.option(PAUSE, self.t("break.pause"), "/" + self.command_name("pause"))

    def _hub(self, step: str) -> ChoicePrompt:
        return self._choice(self.t("hub.text"), self.options(step), heading=self.t("hub.heading"),
                            hint=self.t("part1.hint"))

    def _partnership(self, step: str) -> ChoicePrompt:
        text = f"{pick(self.instrument.partnership_intro, self.language)}\n\n{self.t('partnership.offer')}"
        return self._choice(text, self.options(step), heading=self.t("partnership.heading"))

    def _level(self, step: str) -> FreeTextPrompt:
        level = self.instrument.level(subject_of(step))
        number = self.instrument.level_ids.index(level.id) + 1
        heading = self.t("partnership.level_heading", number=number, total=len(self.instrument.levels),
                         title=pick(level.title, self.language))
        context = ["• " + pick(question, self.language) for question in level.questions]
        return self._free(step, pick(level.record, self.language), heading, context)

    def _plan(self, step: str) -> FreeTextPrompt:
        return self._free(step, pick(self.instrument.plan_question, self.language), self.t("plan.heading"),
                          [pick(self.instrument.plan_note, self.language)])

    def _edit(self, step: str) -> ChoicePrompt:
        return self._choice(self.t("edit.text"), self.options(step))

    def edit_label(self, target: str) -> str:
        kind, subject = kind_of(target), subject_of(target)
        if kind == "rate":
            return self.t("edit.rate_label", title=self.point_title(subject))
        if kind == "works":
            return self.t("edit.deepen_label", title=self.point_title(subject))
        if kind == "level":
            return pick(self.instrument.level(subject).title, self.language)
        return self.t(f"edit.{kind}_label")

    def _language(self, step: str) -> ChoicePrompt:
        return self._choice(self.t("language.text"), self.options(step), current=self.conversation.language)

    def summary(self) -> Notice:
        """The person's own answers, section by section."""
        return self.notice("\n".join(self._summary_lines()), heading=self.t("summary.heading"))

    def _summary_lines(self) -> Iterator[str]:
        answers, instrument = self.conversation.answers, self.instrument
        yield self.t("summary.part1")
        for point in instrument.points:
            step = f"rate:{point.id}"
            value = self.answer_label(step, answers[step]) if step in answers else self.t("summary.not_answered")
            yield f"• {pick(point.title, self.language)}: {value}"
        chosen = chosen_points(answers)
        if chosen:
            yield self.t("summary.priorities", points=", ".join(self.point_title(p) for p in chosen))
        for point in instrument.points:
            lines = [f"   {self.t('summary.' + kind)}: {self.answer_label(step, answers[step])}"
                     for kind in ("works", "develop", "promise")
                     if (step := f"{kind}:{point.id}") in answers]
            if lines:
                yield ""
                yield self.t("part2.heading", number=point.number, title=pick(point.title, self.language))
                yield from lines
        levels = [(level, f"level:{level.id}") for level in instrument.levels]
        if any(step in answers for _, step in levels):
            yield ""
            yield self.t("partnership.heading")
            for level, step in levels:
                if step in answers:
                    yield f"• {pick(level.title, self.language)}: {self.answer_label(step, answers[step])}"
        if "plan" in answers:
            yield ""
            yield f"{self.t('plan.heading')}: {self.answer_label('plan', answers['plan'])}"


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def promise_question(instrument: Instrument, point_id: str, language: str) -> tuple[str, tuple[str, ...]]:
    """The service-promise question of a point and what is shown above it: with a promise configured,
    "Palvelulupauksemme: …" and the workbook's question; without one, a question answerable as it is."""
    promise = instrument.promise_for(point_id)
    if promise is None:
        return pick(instrument.deepening["promise_open"], language), ()
    label = pick(instrument.deepening["promise_label"], language)
    return pick(instrument.deepening["promise"], language), (f"{label}: {pick(promise, language)}",)


def all_promise_messages(instrument: Instrument, language: str) -> Iterator[tuple[str, str, str]]:
    """(file, path, message) for each point's service-promise question with a configured promise, as one
    message reads (heading, promise, question, hint): for the content check's message-size check."""
    for point in instrument.points:
        if instrument.promise_for(point.id) is None:
            continue
        key = point.id if point.id in instrument.service_promise else "default"
        question, shown = promise_question(instrument, point.id, language)
        heading = instrument.text(language, "part2.heading", number=point.number, title=pick(point.title, language))
        message = "\n\n".join((heading, *shown, question, instrument.text(language, "answer.free_hint")))
        yield "instrument.yaml", f"service_promise.{key}.{language}", message


def all_button_labels(instrument: Instrument, language: str) -> Iterator[tuple[str, str, str]]:
    """(file, path, label) for every label the engine can put on a button: for the content check."""
    t = instrument.text
    for index, option in enumerate(instrument.scale):
        yield "instrument.yaml", f"scale.options[{index}].label.{language}", "✓ " + pick(option.label, language)
    for point in instrument.points:
        title = pick(point.title, language)
        where = point.source, f"title.{language}"
        yield *where, "✓ " + title
        yield *where, t(language, "edit.rate_label", title=title)
        yield *where, t(language, "edit.deepen_label", title=title)
    for index, level in enumerate(instrument.levels):
        yield "partnership.yaml", f"levels[{index}].title.{language}", pick(level.title, language)
    for key in ("buttons.skip", "buttons.keep", "buttons.done", "buttons.cancel", "break.pause", "hub.forward",
                "partnership.yes", "partnership.no", "language.name", "edit.priorities_label", "edit.plan_label"):
        yield f"ui/{language}.yaml", key, t(language, key)


def all_option_values(instrument: Instrument) -> Iterator[tuple[str, str, str]]:
    """(file, path, value) for every value a button can carry: for the callback-data size check."""
    for index, option in enumerate(instrument.scale):
        yield "instrument.yaml", f"scale.options[{index}].value", option.value
    for point in instrument.points:
        for value in (point.id, f"rate:{point.id}", f"works:{point.id}"):
            yield point.source, "id", value
    for index, level in enumerate(instrument.levels):
        yield "partnership.yaml", f"levels[{index}].id", f"level:{level.id}"
    for value in (DONE, SKIP, CONTINUE, PAUSE, FORWARD, YES, NO, CANCEL, "priorities", "plan", *LANGUAGES):
        yield "(engine)", "", value
