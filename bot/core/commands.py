"""Recognising commands (/tauko, /pause, /paus …) in any of the supported languages.

Names come from content/ui/*.yaml; every language's names work whatever language the
person uses, and the canonical (English) name always works too.

The names in the content are ASCII (Telegram's menu and command entities allow only a-z, 0-9 and _),
but people type Swedish with its letters: /ändra, /hjälp, /språk, /fortsätt. A typed name is looked
up as typed and then folded (casefolded, diacritics removed: ä → a, å → a, ö → o), so /ändra is
/andra (edit) and /hjälp is /hjalp (help), and the ASCII forms keep working.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bot.core.instrument import Instrument

UNKNOWN = "unknown"
# Commands for people with a role: /kierros and /vetaja for coordinators, /yhteenveto and /keskustelu for them
# and team leads. /ohje lists them only to those who may use them (bot.app.roles says who).
ROLE_COMMANDS = frozenset({"round", "digest", "discuss", "lead"})


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    name: str  # canonical name, or UNKNOWN
    argument: str
    raw: str  # the command word as typed, without the slash


def fold(word: str) -> str:
    """"Ändra" → "andra": casefolded, without diacritics (composed or decomposed, as keyboards send them)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


class CommandAliases(Mapping[str, str]):
    """Command name as people type it → canonical name; a lookup folds the typed name (see `fold`).

    Iterating gives the names as the content spells them (the ASCII ones a platform's menu shows).
    """

    def __init__(self, aliases: Mapping[str, str]) -> None:
        self._names = dict(aliases)
        self._folded = {fold(name): canonical for name, canonical in reversed(self._names.items())}

    def __getitem__(self, name: str) -> str:
        return self._names.get(name) or self._folded[fold(name)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def command_aliases(instrument: Instrument) -> CommandAliases:
    aliases: dict[str, str] = {}
    for spec in instrument.commands:
        aliases[spec.name] = spec.name
        for names in spec.names.values():
            for name in names:
                aliases.setdefault(name, spec.name)
    return CommandAliases(aliases)


def parse_command(text: str, aliases: Mapping[str, str]) -> ParsedCommand | None:
    """`/name[@bot] [argument]` → ParsedCommand; anything else → None. "/ändra" finds "andra" (see `fold`)."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2 or stripped[1].isspace():
        return None
    word, _, argument = stripped[1:].partition(" ")
    raw = word.split("@", 1)[0].casefold()
    name = aliases.get(raw) or aliases.get(fold(raw), UNKNOWN)
    return ParsedCommand(name, argument.strip(), raw)
