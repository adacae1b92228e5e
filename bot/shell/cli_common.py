"""What every `kartoitus` sub-command shares: the Typer app, messages to the operator, settings or a clean exit.

The command modules (bot.shell.cli, cli_rounds, cli_outbox, cli_person) import this one and never each other.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from bot.shell.content import SHIPPED_CONTENT_DIR, ContentError, load_instrument
from bot.shell.settings import InvalidSettings, Settings, load_settings, operator_language

if TYPE_CHECKING:
    from bot.core.instrument import Instrument

app = typer.Typer(add_completion=False, no_args_is_help=False, help="kartoitus: the critical-points review bot.")
content_app = typer.Typer(help="Check the survey content.")
db_app = typer.Typer(help="Manage the database schema.")
app.add_typer(content_app, name="content")
app.add_typer(db_app, name="db")

T = TypeVar("T")


def say_text(key: str, **values: object) -> str:
    """A message for whoever runs the command, in KARTOITUS_LANGUAGE (Finnish by default)."""
    return operator_content().text(operator_language(), key, **values)


def operator_content() -> Instrument:
    """The shipped content, where the operator's messages are: parsed once per process.

    Once a command has imported the wiring, the wiring's copy: a command that reports after its work
    (`tick`) does not parse the YAML a second time to say so."""
    if "bot.shell.wiring" in sys.modules:
        from bot.shell import wiring

        return wiring.instrument_for(_SHIPPED)
    return _shipped_content()


@functools.cache
def _shipped_content() -> Instrument:
    return load_instrument(SHIPPED_CONTENT_DIR)


_SHIPPED = Settings.model_construct(content_dir=None)  # settings whose content is the shipped one


def say(key: str, *, error: bool = False, **values: object) -> None:
    typer.echo(say_text(key, **values), err=error)


def settings_or_exit() -> Settings:
    try:
        settings = load_settings()
    except InvalidSettings as error:
        problems = "; ".join(f"{key} ({reason})" for key, reason in error.problems.items())
        say("cli.settings_invalid", error=True, problems=problems)
        raise typer.Exit(2) from None
    from bot.shell.wiring import configure_logging

    configure_logging(settings)
    return settings


def with_content(settings: Settings, action: Callable[[], T]) -> T:
    try:
        return action()
    except ContentError as error:
        directory = settings.content_dir or SHIPPED_CONTENT_DIR
        say("cli.content_invalid", error=True, directory=directory, count=len(error.problems))
        raise typer.Exit(1) from None


def load_settings_quietly() -> Settings:
    try:
        return load_settings()
    except InvalidSettings:
        return Settings.model_construct()
