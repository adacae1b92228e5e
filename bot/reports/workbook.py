"""The filled-in workbook ("Kirjaa oma suunnitelmasi") of one team and round, as Markdown, HTML or PDF.

The structure follows the seed workbook: a cover, then per critical point its guiding questions
and laws (as the chat asked them; points whose questions are derived, not printed in the workbook,
say so), the results of the review (scores, what works, what to develop) and how the service
promise is kept (under the organisation's own promise when the content configures one), and after
them, where the team discussed the point together (bot.core.discussions), the team's entry under a
heading of its own: how many took part, the replies grouped by the deepening question they answer,
the agreed answer to the service promise and the agreed actions. The entry is the team's, written
openly in its own channel: it is shown whatever the thresholds, never with a name (a TeamEntry has
none), and never mixed into the individual answers. Then the development targets the team chose,
with how many chose each; the levels of partnership, each with its questions and the team's answers;
and the summary of how to proceed (under its heading: the question people were asked is not printed
into the team's own document). The same anonymity thresholds as the digest apply to the individual
answers, and open answers are grouped as in the digest ("… (3)").
Everything written out is escaped for its format, team names and round names
included: for HTML by `html.escape`, for Markdown by `markdown_text`, so an answer with `<script>`,
`[x](javascript:…)`, `*`, `|` or a leading `#` is shown as typed and runs or formats nothing.
Control characters (stored before the engine removed them) are dropped on the way out.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.core.discussions import TeamEntry
from bot.core.formatting import date_text, decimal_text
from bot.core.instrument import Instrument, pick
from bot.core.prompts import promise_question
from bot.core.text_input import clean_text
from bot.reports.digest import Answers, Groups, OpenAnswers, TeamDigest, build_digest, group_answers, open_answers_for
from bot.reports.digest_text import answer_line


@dataclass(frozen=True, slots=True)
class Workbook:
    team: str
    round_name: str
    dates: str
    digest: TeamDigest
    points: tuple[OpenAnswers, ...]  # every critical point's open answers (thresholded)
    levels: Mapping[str, tuple[str, ...]]  # partnership level id → answers (empty below the threshold)
    plans: tuple[str, ...]
    team_entries: Mapping[str, TeamEntry] = field(default_factory=dict)  # point id → the team's discussed entry


def build_workbook(*, team: str, round_name: str, dates: str, invited: int, answers: Sequence[Answers],
                   instrument: Instrument, previous: Sequence[Answers] | None = None, min_scores: int = 3,
                   min_texts: int = 5, seed: int = 0, team_entries: Mapping[str, TeamEntry] | None = None
                   ) -> Workbook:
    digest = build_digest(team=team, round_name=round_name, invited=invited, answers=answers, instrument=instrument,
                          previous=previous, min_scores=min_scores, min_texts=min_texts, seed=seed)
    shuffle = random.Random(seed)
    # open_answers_for applies the threshold to each question's list, not only to the point
    points = tuple(open_answers_for(answers, point, digest.min_texts, shuffle, len(answers))
                   for point in instrument.point_ids)

    def texts(question: str) -> tuple[str, ...]:
        values = [person[question] for person in answers if person.get(question)]
        if len(values) < digest.min_texts:
            return ()
        shuffle.shuffle(values)
        return tuple(value for value in values if value)

    return Workbook(team=team, round_name=round_name, dates=dates, digest=digest, points=points,
                    levels={level: texts(f"level:{level}") for level in instrument.level_ids}, plans=texts("plan"),
                    team_entries={point: entry for point, entry in (team_entries or {}).items()
                                  if point in instrument.point_ids})


@dataclass(frozen=True, slots=True)
class _Section:
    heading: str
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    level: int = 2
    label: str = ""  # a paragraph that introduces the bullets (after the other paragraphs)
    notes: tuple[str, ...] = ()  # paragraphs after the bullets


def _team_sections(entry: TeamEntry, instrument: Instrument, language: str) -> list[_Section]:
    """The team's entry of a point: a section of its own after the individual results, never with a name."""
    def t(key: str, **values: object) -> str:
        return instrument.text(language, key, **values)

    sections = [_Section(t("workbook.team_heading"), (t("workbook.team_participants", members=entry.participants),),
                         level=3)]
    for label, replies in ((pick(instrument.deepening["works"], language), entry.works),
                           (pick(instrument.deepening["develop"], language), entry.develop),
                           (t("workbook.team_other"), entry.other)):
        if replies:
            sections.append(_Section(label, bullets=replies, level=4))
    if entry.promise and entry.promise.strip():
        question = promise_question(instrument, entry.point_id, language)[0]
        sections.append(_Section(t("workbook.team_promise", question=question), (entry.promise,), level=4))
    if entry.actions:
        sections.append(_Section(t("workbook.team_actions"), bullets=entry.actions, level=4))
    return sections


def _sections(book: Workbook, instrument: Instrument, language: str) -> list[_Section]:
    def t(key: str, **values: object) -> str:
        return instrument.text(language, key, **values)

    def answers(groups: Groups) -> tuple[str, ...]:
        return tuple(answer_line(group, t) for group in groups)

    d = book.digest
    hidden = (t("workbook.texts_hidden", minimum=d.min_texts),)
    level_groups = {level: group_answers(values) for level, values in book.levels.items()}
    plan_groups = group_answers(book.plans)
    grouped = any(answer.count > 1 for values in (*(g for p in book.points for g in p.groups),
                                                  *level_groups.values(), plan_groups) for answer in values)
    sections = [_Section(t("workbook.title"), (t("workbook.cover", team=book.team, round=book.round_name,
                                                 dates=book.dates, answered=d.answered, invited=d.invited,
                                                 finished=d.finished),
                                               *((t("digest.grouped_note"),) if grouped else ())), level=1)]
    for point, score, group in zip(instrument.points, d.scores, book.points, strict=True):
        result = (t("workbook.score", mean=decimal_text(score.mean, language), raters=score.raters)
                  if score.mean is not None else t("workbook.score_hidden", minimum=d.min_scores))
        sections.append(_Section(f"{point.number}. {pick(point.title, language)}",
                                 (pick(point.descriptors, language), result)))
        guide = tuple(" ".join(pick(text, language) for text in (item.question, *item.details))
                      for item in point.guide)
        derived = (pick(instrument.deepening["derived_note"], language),) if point.derived else ()
        laws = ((t("workbook.laws", laws="; ".join(pick(law, language) for law in point.laws)),)
                if point.laws else ())
        sections.append(_Section(t("workbook.guide"), derived, guide, level=3, notes=laws))
        for kind, values, writers, _ in group.grouped():  # each list from at least min_texts writers of its own
            question, promise = ((pick(instrument.deepening[kind], language), ()) if kind != "promise"
                                 else promise_question(instrument, point.id, language))
            withheld = writers > 0 or not group.shown
            shown = answers(values) or (hidden if withheld else ())
            sections.append(_Section(question, promise, bullets=shown or (t("workbook.none"),), level=3))
        entry = book.team_entries.get(point.id)
        if entry is not None:
            sections += _team_sections(entry, instrument, language)
    targets = tuple(t("workbook.target", title=pick(instrument.point(p).title, language), votes=votes)
                    for p, votes in d.priorities)
    intro = (t("workbook.targets_intro", count=instrument.settings.priorities_count),) if targets else ()
    sections.append(_Section(t("workbook.targets"), intro, targets or (t("workbook.targets_hidden"),)))
    sections.append(_Section(t("workbook.partnership"), (pick(instrument.partnership_intro, language),)))
    for level in instrument.levels:
        questions = " ".join(pick(question, language) for question in level.questions)
        sections.append(_Section(pick(level.title, language), (questions,), answers(level_groups[level.id]) or hidden,
                                 level=3, label=t("workbook.team_answers")))
    sections.append(_Section(t("workbook.summary"), bullets=answers(plan_groups) or hidden))
    return sections


# CommonMark (and GFM) punctuation that can make emphasis, code, links, images (`![`), table cells,
# strikethrough or a heading anywhere in a line; `<`, `>` and `&` become entities (no HTML, autolinks).
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]|~#])")
# What else makes a line a block of its own: a list item, a setext underline, a thematic break.
_MARKDOWN_LINE_START = re.compile(r"^([-+=])")
_MARKDOWN_ORDERED = re.compile(r"^(\d{1,9})([.)])")


def markdown_inline(text: str) -> str:
    """`text` as literal Markdown inline content: no HTML, links, images, emphasis or table cells."""
    escaped = _MARKDOWN_INLINE.sub(r"\\\1", clean_text(text))
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_text(text: str, indent: str = "") -> str:
    """`text` as one literal Markdown paragraph or list item: each line of it starts no block, and a
    line break the person wrote stays a line break (a hard break, the continuation indented by `indent`)."""
    lines = [line.strip() for line in clean_text(text).split("\n")]
    escaped = [_MARKDOWN_ORDERED.sub(r"\1\\\2", _MARKDOWN_LINE_START.sub(r"\\\1", markdown_inline(line)))
               for line in lines if line]
    return ("\\\n" + indent).join(escaped)


def to_markdown(book: Workbook, instrument: Instrument, language: str) -> str:
    lines: list[str] = []
    for section in _sections(book, instrument, language):
        heading = " ".join(clean_text(section.heading).split())
        lines += ["#" * section.level + " " + markdown_inline(heading), ""]
        lines += [markdown_text(paragraph) + "\n" for paragraph in (*section.paragraphs, section.label) if paragraph]
        lines += [f"- {markdown_text(bullet, indent='  ')}" for bullet in section.bullets]
        lines += ["", *(markdown_text(note) + "\n" for note in section.notes)] if section.notes else []
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


STYLE = """@page { size: A4; margin: 20mm 18mm; }
body { font-family: 'DejaVu Sans', sans-serif; font-size: 10.5pt; line-height: 1.45; color: #1b2a33; }
h1 { color: #1d4f6e; font-size: 20pt; } h2 { color: #1d4f6e; border-bottom: 1px solid #9bbad0; margin-top: 18pt; }
h3 { font-size: 11pt; margin-bottom: 2pt; } h4 { font-size: 10.5pt; margin: 6pt 0 2pt; }
li { margin-bottom: 2pt; }"""


def html_text(text: str) -> str:
    """`text` as HTML character data or an attribute value: markup characters and quotes escaped."""
    return html.escape(clean_text(text), quote=True)


def to_html(book: Workbook, instrument: Instrument, language: str) -> str:
    title = f"{html_text(book.team)} · {html_text(book.round_name)}"
    parts = [f"<!DOCTYPE html><html lang=\"{html_text(language)}\"><head><meta charset=\"utf-8\">"
             f"<title>{title}</title><style>{STYLE}</style></head><body>"]
    for section in _sections(book, instrument, language):
        parts.append(f"<h{section.level}>{html_text(section.heading)}</h{section.level}>")
        parts += [f"<p>{html_text(paragraph)}</p>" for paragraph in (*section.paragraphs, section.label) if paragraph]
        if section.bullets:
            parts.append("<ul>" + "".join(f"<li>{html_text(b)}</li>" for b in section.bullets) + "</ul>")
        parts += [f"<p>{html_text(note)}</p>" for note in section.notes]
    parts.append("</body></html>")
    return "\n".join(parts)


def to_pdf(book: Workbook, instrument: Instrument, language: str) -> bytes:
    """An A4 PDF for printing (weasyprint renders Finnish and Swedish letters with the system fonts)."""
    from weasyprint import HTML  # imported here: the rest of the bot never needs it

    pdf: bytes = HTML(string=to_html(book, instrument, language)).write_pdf()
    return pdf


def dates_text(opened: date, closed: date | None) -> str:
    return f"{date_text(opened)}–" + (date_text(closed) if closed else "")


RESULT_COLUMNS = ("round", "team", "point", "measure", "value")


def result_rows(book: Workbook, instrument: Instrument) -> list[dict[str, str]]:
    """A team's results as rows (CSV/JSON) with the digest's thresholds: counts, means and shown texts only;
    and the team's entries of its discussions (team_*: its own, without names, whatever the thresholds)."""
    d = book.digest

    def row(point: str, measure: str, value: object) -> dict[str, str]:
        return {"round": book.round_name, "team": book.team, "point": point, "measure": measure, "value": str(value)}

    rows = [row("", name, value) for name, value in (("invited", d.invited), ("answered", d.answered),
                                                     ("part1_done", d.part1_done), ("finished", d.finished))]
    votes = dict(d.priorities)
    for score, group in zip(d.scores, book.points, strict=True):
        point = score.point_id
        if score.mean is not None:
            rows += [row(point, "mean", score.mean), row(point, "raters", score.raters),
                     row(point, "cant_say", score.cant_say)]
            rows += [row(point, f"rated_{n}", count) for n, count in enumerate(score.distribution, 1)]
        if point in votes:
            rows.append(row(point, "votes", votes[point]))
        if group.shown:
            for kind, texts in (("works", group.works), ("develop", group.develop), ("promise", group.promise)):
                rows += [row(point, kind, text) for text in texts]
        entry = book.team_entries.get(point)
        if entry is not None:  # the team's entry, shown whatever the thresholds (written openly, without names)
            rows.append(row(point, "team_participants", entry.participants))
            for kind, texts in (("team_works", entry.works), ("team_develop", entry.develop),
                                ("team_other", entry.other)):
                rows += [row(point, kind, text) for text in texts]
            if entry.promise and entry.promise.strip():
                rows.append(row(point, "team_promise", entry.promise))
            rows += [row(point, "team_action", action) for action in entry.actions]
    for level in instrument.level_ids:
        rows += [row(f"level:{level}", "answer", text) for text in book.levels.get(level, ())]
    rows += [row("", "plan", text) for text in book.plans]
    return rows
