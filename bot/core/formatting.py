"""Numbers and dates shown to people, in Finnish, Swedish or English. Pure; Babel (CLDR data) does the formatting.

This module owns how a decimal (a mean score 4,6, a change +1,0) and a date (1.3.2028) are written
out. Babel formats them with the data of Finland's regional locales (fi_FI, sv_FI, en_FI), so the
conventions people here expect hold in all three languages: a decimal comma, no digit grouping, an
ASCII hyphen-minus. Dates are day.month.year without leading zeros, as people write them here and
as `bot.core.rounds.parse_date` reads them back; CLDR's short date is that for fi_FI and sv_FI but
dd/MM/y for en_FI, so the pattern is given here rather than taken from the locale.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

# Our languages → Finland's regional locale of each. Any other language is formatted as Finnish.
LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_FI"}
DATE_PATTERN = "d.M.y"  # 1.3.2028 (CLDR pattern letters)


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(LOCALES.get(language, LOCALES["fi"]))


def decimal_text(value: float, language: str = "fi", digits: int = 1, *, sign: bool = False) -> str:
    """`value` with `digits` decimals (4,6), rounded half to even like Python's format; `sign` adds "+" to a
    non-negative value (+1,0, and -0,3 as ever)."""
    if digits < 0:
        raise ValueError(f"digits must be 0 or more, not {digits}")
    pattern = "0." + "0" * digits if digits else "0"
    # The float's exact value, not its shortest repr: 2.45 is 2.4500000000000001776…, so it rounds up to 2,5
    # as f"{2.45:.1f}" does, where Decimal("2.45") would round half to even, down to 2,4.
    return format_decimal(Decimal(value), format=f"+{pattern};-{pattern}" if sign else pattern,
                          locale=_locale(language))


def date_text(day: date | None, language: str = "fi") -> str:
    """A date as people write it here (16.11.2026); "–" for none."""
    return format_date(day, format=DATE_PATTERN, locale=_locale(language)) if day else "–"
