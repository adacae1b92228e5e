"""The `kartoitus` command: run, chat, content check, db upgrade, export (round and tick: bot.shell.cli_rounds).

Every command pays for the imports of this module and of the other command modules, so at import they
take only Typer and bot.shell.cli_common: what a command needs (the wiring and its stores, the exports,
the content check) it imports when it runs. tests/test_cli_imports.py keeps `--help`, `round list` and
`tick` free of the drawing libraries and the platform SDKs; bench/cli.py times them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from bot.shell.cli_common import app, content_app, db_app, load_settings_quietly, say, settings_or_exit, with_content

if TYPE_CHECKING:
    from bot.shell.settings import Settings


@app.command()
def run() -> None:
    """Upgrade the database and run the bot (the terminal chat when no platform is configured)."""
    import asyncio

    settings = settings_or_exit()
    from bot.shell import wiring

    wiring.prepare_database(settings)
    if settings.platforms_enabled:
        with_content(settings, lambda: asyncio.run(wiring.run_platforms(settings)))
        return
    chat_session = with_content(settings, lambda: wiring.terminal_chat(settings))
    raise typer.Exit(chat_session.run())


@app.command()
def chat(user: Annotated[str | None, typer.Option(help="Name of the person answering (default: login name).")] = None
         ) -> None:
    """Take the assessment in the terminal."""
    settings = settings_or_exit()
    from bot.shell import wiring

    wiring.prepare_database(settings)
    chat_session = with_content(settings, lambda: wiring.terminal_chat(settings, user))
    raise typer.Exit(chat_session.run())


@content_app.command("check")
def content_check(directory: Annotated[Path | None, typer.Argument(help="Content folder (default: the one in use).")]
                  = None) -> None:
    """Validate content: translations, ids, plural forms, button labels, callback data sizes, the service promise."""
    from bot.shell.content import SHIPPED_CONTENT_DIR, load_instrument
    from bot.shell.content_check import check_content
    from bot.shell.platforms import PLATFORMS

    folder = directory or load_settings_quietly().content_dir or SHIPPED_CONTENT_DIR
    problems = check_content(folder, [platform.capabilities for platform in PLATFORMS])
    if problems:
        say("cli.content_problems", error=True, count=len(problems), directory=folder)
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1)
    instrument = load_instrument(folder)
    say("cli.content_ok", directory=folder, version=instrument.version, points=len(instrument.points),
        levels=len(instrument.levels), languages=", ".join(instrument.languages))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the schema or upgrade it to the newest version."""
    settings = settings_or_exit()
    from bot.shell import wiring

    revision = wiring.prepare_database(settings)
    say("cli.db_upgraded", revision=revision)


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"
    md = "md"
    html = "html"
    pdf = "pdf"


@contextmanager
def output_stream(out: Path | None) -> Iterator[TextIO]:
    if out is None:
        yield sys.stdout
    else:
        with out.open("w", encoding="utf-8", newline="") as stream:
            yield stream


@app.command()
def export(
    format: Annotated[ExportFormat, typer.Option("--format", help="json or csv: every answer without identifiers; "
                                                 "md, html or pdf: a team's filled-in workbook")] = ExportFormat.json,
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: standard output).")] = None,
    team: Annotated[str, typer.Option("--team", help="The team whose results or workbook to write.")] = "",
    round_id: Annotated[int | None, typer.Option("--round", help="The round (default: the open one).")] = None,
    raw: Annotated[bool, typer.Option("--raw", help="csv or json: every answer of every round, anonymised, "
                                      "without the thresholds (for analysis).")] = False,
) -> None:
    """A team's results or filled-in workbook (with the anonymity thresholds), or every answer anonymised (--raw)."""
    from bot.reports.export import write_csv, write_json

    settings = settings_or_exit()
    from bot.shell import wiring

    wiring.prepare_database(settings)
    if format in (ExportFormat.md, ExportFormat.html, ExportFormat.pdf) or (team and not raw):
        export_workbook(settings, format, out, team, round_id)
        return
    if not raw:
        say("cli.export_choose", error=True)
        raise typer.Exit(2)
    store = wiring.store_for(settings)
    writer = write_json if format is ExportFormat.json else write_csv
    with output_stream(out) as stream:
        count = writer(store.export_rows(zone=settings.timezone), stream)
    if out is not None:
        say("cli.export_written", path=out, rows=count)


def export_workbook(settings: Settings, format: ExportFormat, out: Path | None, team: str, round_id: int | None
                    ) -> None:
    from bot.app.round_desk import Reply
    from bot.reports.export import write_csv_records, write_json_records
    from bot.reports.workbook import RESULT_COLUMNS, result_rows, to_html, to_markdown, to_pdf
    from bot.shell import wiring

    if not team:
        say("cli.workbook_needs_team", error=True)
        raise typer.Exit(2)
    desk = with_content(settings, lambda: wiring.round_desk(settings))
    book = desk.workbook(team, round_id, min_scores=settings.min_scores, min_texts=settings.min_texts)
    if isinstance(book, Reply):
        typer.echo(book.text, err=True)
        raise typer.Exit(1)
    language = settings.language
    if format in (ExportFormat.csv, ExportFormat.json):
        rows = result_rows(book, desk.instrument)
        with output_stream(out) as stream:
            if format is ExportFormat.json:
                write_json_records(rows, stream)
            else:
                write_csv_records(rows, RESULT_COLUMNS, stream)
    elif format is ExportFormat.pdf:
        data = to_pdf(book, desk.instrument, language)
        if out is None:
            sys.stdout.buffer.write(data)
            return
        out.write_bytes(data)
    else:
        render = to_markdown if format is ExportFormat.md else to_html
        with output_stream(out) as stream:
            stream.write(render(book, desk.instrument, language))
    if out is not None:
        say("cli.workbook_written", path=out)


class ReportFormat(StrEnum):
    pdf = "pdf"
    png = "png"
    html = "html"
    md = "md"
    csv = "csv"
    json = "json"


@app.command()
def report(
    format: Annotated[ReportFormat, typer.Option("--format", help="pdf (A4, the heatmap first), png (the heatmap, "
                                                 "every team in one picture), "
                                                 "html, md, or csv/json rows.")] = ReportFormat.pdf,
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: standard output).")] = None,
    round_id: Annotated[int | None, typer.Option("--round", help="The round (default: the open one).")] = None,
) -> None:
    """The organisation's report of a round: participation, a heatmap of teams × critical points (with the
    anonymity threshold: small teams' ratings count in the organisation's figure only when that cannot reveal them),
    development targets, trends and the teams' plans."""
    from bot.app.round_desk import Reply
    from bot.reports.export import write_csv_records, write_json_records
    from bot.reports.organisation_text import ROW_COLUMNS, rows, to_html, to_markdown
    from bot.shell import wiring

    settings = settings_or_exit()
    wiring.prepare_database(settings)
    desk = with_content(settings, lambda: wiring.round_desk(settings))
    found = desk.organisation_report(round_id, min_scores=settings.min_scores)
    if isinstance(found, Reply):
        typer.echo(found.text, err=True)
        raise typer.Exit(1)
    language, instrument, t = desk.language, desk.instrument, desk.t
    if format in (ReportFormat.pdf, ReportFormat.png):
        data = desk.report_pdf(found) if format is ReportFormat.pdf else desk.heatmap_png(found)
        if out is None:
            sys.stdout.buffer.write(data)
            return
        out.write_bytes(data)
    elif format in (ReportFormat.csv, ReportFormat.json):
        with output_stream(out) as stream:
            if format is ReportFormat.json:
                write_json_records(rows(found), stream)
            else:
                write_csv_records(rows(found), ROW_COLUMNS, stream)
    else:
        with output_stream(out) as stream:
            stream.write(to_markdown(found, instrument, language, t) if format is ReportFormat.md
                         else to_html(found, instrument, language, t))
    if out is not None:
        say("cli.report_written", path=out)


def main() -> None:
    from bot.shell import cli_outbox, cli_person, cli_rounds  # noqa: F401  (register `round`, `tick`, `outbox`, `person`)

    app()
