"""Recognising commands (/tauko, /pause, /paus …) in any of the supported languages.

Names come from content/ui/*.yaml; every language's names work whatever language the
person uses, and the canonical (English) name always works too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.instrument import Instrument

UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    name: str  # canonical name, or UNKNOWN
    argument: str
    raw: str  # the command word as typed, without the slash


def command_aliases(instrument: Instrument) -> Mapping[str, str]:
    aliases: dict[str, str] = {}
    for spec in instrument.commands:
        aliases[spec.name] = spec.name
        for names in spec.names.values():
            for name in names:
                aliases.setdefault(name, spec.name)
    return aliases


def parse_command(text: str, aliases: Mapping[str, str]) -> ParsedCommand | None:
    """`/name[@bot] [argument]` → ParsedCommand; anything else → None."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2 or stripped[1].isspace():
        return None
    word, _, argument = stripped[1:].partition(" ")
    raw = word.split("@", 1)[0].casefold()
    return ParsedCommand(aliases.get(raw, UNKNOWN), argument.strip(), raw)
