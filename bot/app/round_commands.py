"""`/kierros …` in chat (`/kartoitus kierros …` in Slack): a coordinator's rounds, refused politely to others.

    /kierros uusi 16.11.2026 autoala, sähköala; vastuu Maija Mäki
    /kierros lista · /kierros tila [nro] · /kierros sulje [nro] · /kierros avaa nro

Nobody who is not a coordinator learns anything about any round from these commands: who asks is
checked before any round or team is looked up, so the refusal is the same whatever was named, and a
refused command changes nothing. In a group the command is only pointed to a private chat, the same
for everyone, and registers nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from bot.app.roles import Roles
from bot.app.round_desk import Reply, RoundDesk
from bot.core.events import CommandReceived
from bot.core.identity import UserRef
from bot.core.instrument import Instrument
from bot.core.language import language_or
from bot.core.messages import Document, Image, Notice, Outbound
from bot.core.rounds import parse_date
from bot.reports.workbook import to_html, to_markdown, to_pdf

ProcessedMarker = Callable[..., bool]  # TeamStore.mark_processed(key, now=...)
ChosenLanguage = Callable[[UserRef], str | None]  # TeamStore.chosen_language(user)
SUBCOMMANDS = ("new", "list", "status", "close", "reopen", "workbook", "report")
WORKBOOK_FORMATS = ("pdf", "md", "html")


def page_caption(caption: str, number: int, pages: int) -> str:
    """A picture's caption: "(2/5)" after it when the heatmap takes several pictures."""
    return f"{caption} ({number}/{pages})" if pages > 1 else caption


def report_filename(round_name: str) -> str:
    return f"raportti-{slug(round_name)}.pdf"


def slug(text: str) -> str:
    """A file-name-safe form of a title: letters (ä, ö, å kept), digits and dashes."""
    return re.sub(r"[^\w]+", "-", text.casefold()).strip("-") or "tiimi"


class RoundCommands:
    def __init__(self, desk_for: Callable[[str], RoundDesk], roles: Roles, instrument: Instrument,
                 mark_processed: ProcessedMarker | None = None, *, language: str = "fi",
                 chosen_language: ChosenLanguage | None = None, min_scores: int = 3) -> None:
        self.min_scores = min_scores  # KARTOITUS_MIN_SCORES, for the organisation's report
        self.desk_for = desk_for
        self.roles = roles
        self.instrument = instrument
        self.mark_processed = mark_processed
        self.language = language  # when the platform names none of our languages
        self.chosen_language = chosen_language  # a person's /kieli choice, ahead of the platform's locale

    def language_for(self, event: CommandReceived) -> str:
        """The language the person chose (/kieli), else their platform's, else the configured one (the terminal
        gives only the configured language as its locale)."""
        chosen = self.chosen_language(event.user) if self.chosen_language is not None else None
        return chosen or language_or(event.locale, self.language)

    def subcommand(self, word: str) -> str | None:
        for name in SUBCOMMANDS:
            for language in self.instrument.languages:
                listed = self.instrument.text(language, f"rounds.words_{name}")
                if word.casefold() in {w.strip().casefold() for w in listed.split(",")}:
                    return name
        return None

    def handle(self, event: CommandReceived, language: str | None = None) -> Sequence[Outbound]:
        """The reply to one /kierros command (synchronous: it reads and writes the database)."""
        language = language or self.language_for(event)
        desk = self.desk_for(language)
        if not self.roles.is_coordinator(event.user):
            return (Notice(to=event.user, text=desk.t("rounds.coordinators_only"), language=language),)
        if self.mark_processed is not None and not self.mark_processed(f"{event.key}:round", now=desk.clock.now()):
            return ()
        word, _, rest = event.argument.strip().partition(" ")
        name = self.subcommand(word) if word else None
        if name == "workbook" and rest.strip():
            return self.workbook(desk, rest.strip(), event, language)
        if name == "report":
            return self.report(desk, rest.strip(), event, language)
        text = self.run(desk, name, rest.strip(), event.user)
        return (Notice(to=event.user, text=text, language=language),)

    def in_group(self, event: CommandReceived) -> Sequence[Outbound]:
        """/kierros in a group: rounds are handled in a private chat; the same reply for everyone."""
        language = self.language_for(event)
        desk = self.desk_for(language)
        if self.mark_processed is not None and not self.mark_processed(f"{event.key}:round", now=desk.clock.now()):
            return ()
        return (Notice(to=event.channel or event.user, text=desk.t("rounds.private_only"), language=language),)

    def report(self, desk: RoundDesk, rest: str, event: CommandReceived, language: str) -> Sequence[Outbound]:
        """`/kierros raportti [NRO]`: the organisation's heatmap as pictures (at most 20 teams each, so that they
        read on a phone) and its report as a PDF."""
        found = desk.organisation_report(int(rest) if rest.isdigit() else None, min_scores=self.min_scores)
        if isinstance(found, Reply):
            return (Notice(to=event.user, text=found.text, language=language),)
        caption = desk.report_caption(found)
        pictures = desk.heatmap_pages(found)
        return (*(Image(to=event.user, png=picture, caption=page_caption(caption, number, len(pictures)),
                        fallback_text=caption, language=language)
                  for number, picture in enumerate(pictures, 1)),
                Document(to=event.user, data=desk.report_pdf(found), filename=report_filename(found.round_name),
                         caption=caption, language=language))

    def workbook(self, desk: RoundDesk, rest: str, event: CommandReceived, language: str) -> Sequence[Outbound]:
        """`/kierros tyokirja TIIMI [pdf|md|html]`: the team's filled-in workbook as a file."""
        team, _, kind = rest.rpartition(" ")
        if kind.casefold() not in WORKBOOK_FORMATS:
            team, kind = rest, "pdf"
        book = desk.workbook(team.strip())
        if isinstance(book, Reply):
            return (Notice(to=event.user, text=book.text, language=language),)
        kind = kind.casefold()
        if kind == "pdf":
            data = to_pdf(book, desk.instrument, language)
        else:
            data = (to_markdown if kind == "md" else to_html)(book, desk.instrument, language).encode("utf-8")
        filename = f"tyokirja-{slug(book.team)}-{slug(book.round_name)}.{kind}"
        caption = desk.t("rounds.workbook_caption", team=book.team, round=book.round_name)
        return (Document(to=event.user, data=data, filename=filename, caption=caption, language=language),)

    def run(self, desk: RoundDesk, name: str | None, rest: str, user: UserRef) -> str:
        number = int(rest) if rest.isdigit() else None
        if name == "list":
            return desk.list().text
        if name == "status":
            return desk.status(number).text
        if name == "close":
            return desk.set_status(number, "closed").text
        if name == "reopen" and number is not None:
            return desk.set_status(number, "open").text
        if name == "new" and rest:
            return self.open(desk, rest, user)
        return desk.t("rounds.usage")

    def open(self, desk: RoundDesk, rest: str, user: UserRef) -> str:
        first, _, remainder = rest.partition(" ")
        decision = parse_date(first)
        if decision is None:
            return desk.t("rounds.bad_date", text=first)
        teams_part, _, responsible_part = remainder.partition(";")
        teams = [title.strip() for title in teams_part.split(",") if title.strip()]
        responsible = responsible_part.strip().split(" ", 1)[-1].strip() if responsible_part.strip() else user.user
        return desk.open(decision_date=decision, team_titles=teams, responsible=responsible,
                         opened_by=f"{user.platform}:{user.user}").text
