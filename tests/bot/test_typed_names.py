"""What people type: Swedish commands with å, ä, ö (/ändra, /hjälp …), and a rating by one word ("hyvin")."""

from __future__ import annotations

import pytest

from bot.core.choice_matching import match_option
from bot.core.commands import UNKNOWN, CommandAliases, command_aliases, fold, parse_command
from bot.core.instrument import Instrument
from bot.core.messages import Option


@pytest.mark.parametrize(("typed", "name"), [
    ("/ändra", "edit"), ("/andra", "edit"), ("/Ändra", "edit"), ("/ÄNDRA 3", "edit"), ("/ändra@KartoitusBot", "edit"),
    ("/a\u0308ndra", "edit"),  # decomposed, as some keyboards send it
    ("/hjälp", "help"), ("/hjalp", "help"), ("/språk sv", "language"), ("/sprak", "language"),
    ("/fortsätt", "resume"), ("/fortsatt", "resume"), ("/omgång lista", "round"), ("/omgang", "round"),
    ("/sammanställning Autoala", "digest"), ("/sammanstallning", "digest"),
    ("/muuta", "edit"), ("/tauko", "pause"), ("/edit", "edit"), ("/kähvi", UNKNOWN),
])
def test_swedish_letters_and_their_ascii_forms(instrument: Instrument, typed: str, name: str) -> None:
    parsed = parse_command(typed, command_aliases(instrument))
    assert parsed is not None and parsed.name == name


def test_the_typed_word_is_kept_as_typed(instrument: Instrument) -> None:
    parsed = parse_command("/Språk@Bot en", command_aliases(instrument))
    assert parsed is not None and (parsed.name, parsed.argument, parsed.raw) == ("language", "en", "språk")
    unknown = parse_command("/kähvi", command_aliases(instrument))
    assert unknown is not None and unknown.raw == "kähvi", "the reply quotes what was typed"


def test_a_plain_mapping_is_folded_too() -> None:
    parsed = parse_command("/hjälp", {"hjalp": "help"})
    assert parsed is not None and parsed.name == "help"


def test_the_aliases_list_the_names_as_the_content_spells_them(instrument: Instrument) -> None:
    aliases = command_aliases(instrument)
    assert "andra" in aliases and "ändra" in aliases and aliases["ÄNDRA"] == "edit"
    assert all(name.isascii() for name in aliases), "menus show the ASCII names"
    assert len(aliases) == len(list(aliases)) and aliases.get("kähvi") is None
    assert fold("Fortsätt") == "fortsatt" and fold("öppna") == "oppna" and fold("Ålö") == "alo"


def test_the_first_name_wins_when_two_fold_alike() -> None:
    aliases = CommandAliases({"andra": "edit", "andrå": "other"})
    assert aliases["ändra"] == "edit" and aliases["andrå"] == "other"


FI = [Option("1", "1 Ei toimi", "1"), Option("2", "2 Toimii heikosti", "2"), Option("3", "3 Toimii osittain", "3"),
      Option("4", "4 Toimii hyvin", "4"), Option("5", "5 Toimii erinomaisesti", "5"),
      Option("cant_say", "En osaa sanoa", "0")]
SV = [Option("1", "1 Fungerar inte", "1"), Option("2", "2 Fungerar dåligt", "2"), Option("4", "4 Fungerar bra", "4"),
      Option("cant_say", "Vet inte", "0")]
EN = [Option("2", "2 Works poorly", "2"), Option("4", "4 Works well", "4"), Option("5", "5 Works very well", "5")]


@pytest.mark.parametrize(("typed", "options", "value"), [
    ("hyvin", FI, "4"), ("Hyvin!", FI, "4"), ("osittain", FI, "3"), ("heikosti", FI, "2"),
    ("erinomaisesti", FI, "5"), ("sanoa", FI, "cant_say"),
    ("toimii", FI, None), ("ei", FI, None), ("hyvin ja", FI, None),
    ("bra", SV, "4"), ("dåligt", SV, "2"), ("inte", SV, None),
    ("poorly", EN, "2"), ("well", EN, None), ("very", EN, "5"),
])
def test_a_word_only_one_label_has_names_that_option(typed: str, options: list[Option], value: str | None) -> None:
    option = match_option(typed, options)
    assert (option.value if option else None) == value
