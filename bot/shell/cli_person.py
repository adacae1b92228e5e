"""`kartoitus person export|erase PLATFORM:ID`: a data subject's request handled by an administrator
(say, one that came by email), the same as `/omat_tiedot` and `/poista_tiedot` in chat.

`export` prints everything stored about the person as JSON (the file `/omat_tiedot` sends);
`erase` removes it and prints exactly what remains of their closed rounds' answers and in what form.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from bot.shell.cli_common import app, say, settings_or_exit

if TYPE_CHECKING:
    from bot.app.privacy import PrivacyDesk
    from bot.core.identity import UserRef

person_app = typer.Typer(help="A data subject's request: export or erase what is stored about one person.")
app.add_typer(person_app, name="person")
PersonArgument = Annotated[str, typer.Argument(help="platform:user_id, e.g. telegram:123456789 or slack:U0123ABCD")]


def _desk() -> PrivacyDesk:
    from bot.shell import wiring

    settings = settings_or_exit()
    wiring.prepare_database(settings)
    return wiring.privacy_desk(settings)


def _people(desk: PrivacyDesk, person: str) -> list[UserRef]:
    """The person in every workspace they used the bot in; exits 1 if there is nobody by that name."""
    found = desk.rounds.people([person.strip()]) if ":" in person else []
    if not found:
        say("privacy.cli_not_found", person=person, error=True)
        raise typer.Exit(1)
    return found


@person_app.command("export")
def person_export(person: PersonArgument) -> None:
    """Print everything stored about the person as JSON (their identity, teams, conversations, answers…)."""
    desk = _desk()
    documents = [data for user in _people(desk, person) if (data := desk.export(user)) is not None]
    # One person is one JSON object; someone known in several workspaces, a JSON list of them.
    output = documents[0] if len(documents) == 1 else b"[\n" + b",\n".join(documents) + b"\n]"
    sys.stdout.buffer.write(output + b"\n")
    sys.stdout.flush()


@person_app.command("erase")
def person_erase(person: PersonArgument) -> None:
    """Erase the person: identity, conversations, memberships, links and open rounds' answers; prints what stays."""
    from bot.shell.settings import operator_language

    desk = _desk()
    for user in _people(desk, person):
        _, text = desk.erase(user, operator_language())
        typer.echo(text)
