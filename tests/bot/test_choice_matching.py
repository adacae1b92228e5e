"""Typed answers to choice questions: a number, the label, or a close match."""

from __future__ import annotations

import pytest

from bot.core.choice_matching import match_option, split_choices
from bot.core.messages import Option

SCALE = [Option("1", "1 Ei toimi", "1"), Option("4", "4 Toimii hyvin", "4"),
         Option("5", "5 Toimii erinomaisesti", "5"), Option("cant_say", "En osaa sanoa", "0")]
POINTS = [Option("naytot", "Näyttöjen laatu", "7"), Option("tyopaikkaohjaus", "Työpaikkaohjaus", "4"),
          Option("palaute", "Kehittävä palaute", "6")]


@pytest.mark.parametrize(("typed", "value"), [
    ("4", "4"), (" 4 ", "4"), ("toimii hyvin", "4"), ("4 Toimii hyvin", "4"), ("4 toimii hyvn", "4"),
    ("En osaa sanoa", "cant_say"), ("en osaa sanoo", "cant_say"), ("0", "cant_say"), ("eos", "cant_say"),
    ("Toimii erinom", "5"), ("", None), ("   ", None), ("kahvi", None), ("9", None),
])
def test_scale_answers(typed: str, value: str | None) -> None:
    option = match_option(typed, SCALE, aliases=[("eos", "cant_say"), ("unknown alias", "missing")])
    assert (option.value if option else None) == value


def test_a_label_prefix_must_be_unambiguous() -> None:
    assert match_option("Toimii", SCALE) is None
    assert match_option("näyttö", POINTS) == POINTS[0]
    assert match_option("NÄYTTÖJEN LAATU!", POINTS) == POINTS[0]


@pytest.mark.parametrize(("typed", "parts"), [
    ("2 5", ["2", "5"]), ("2, 5", ["2", "5"]), ("2,5", ["2", "5"]),
    ("Näyttöjen laatu ja Työpaikkaohjaus", ["Näyttöjen laatu", "Työpaikkaohjaus"]),
    ("Kehittävä palaute; 7", ["Kehittävä palaute", "7"]), ("Näyttöjen laatu", ["Näyttöjen laatu"]),
])
def test_lists_of_choices(typed: str, parts: list[str]) -> None:
    assert split_choices(typed) == parts
