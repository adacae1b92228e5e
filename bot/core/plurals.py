"""Plural-aware UI strings: "1 arvio" but "2 arviota", "1 vote" but "2 votes". Pure; Babel has the rules.

A count in a UI template (content/ui/*.yaml) is written as a plural construct, its forms in the format spec:

    {needed:plural:one=# arvio|other=# arviota}

`needed` is the value; `#` in the chosen form is replaced by it. The form is picked by the CLDR plural
rule of Finland's regional locale of the language (fi_FI, sv_FI, en_FI, as in `bot.core.formatting`):
for all three languages "one" is exactly 1 and "other" everything else. `other` is required; a
category the template does not give falls back to it. Because the construct keeps the field name
(`needed`) and puts the forms in the format spec, `string.Formatter().parse` still reports just the
placeholder names, so the content check's "same placeholders in every language" holds unchanged.

A form cannot contain braces (`{`, `}`) or `|`; it may contain `:` and `=` after the first `=`.
`render` is the one place the construct is parsed; `Instrument.text` uses it.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from babel import Locale

from bot.core.formatting import LOCALES

PREFIX = "plural:"
CATEGORIES = ("zero", "one", "two", "few", "many", "other")
NUMBER_MARK = "#"


class PluralSyntaxError(ValueError):
    """A malformed plural construct in a UI template."""


def is_plural(format_spec: str) -> bool:
    return format_spec.startswith(PREFIX)


@cache
def parse_forms(format_spec: str) -> Mapping[str, str]:
    """"plural:one=# arvio|other=# arviota" → {"one": "# arvio", "other": "# arviota"}."""
    if not is_plural(format_spec):
        raise PluralSyntaxError(f"not a plural construct: {format_spec!r}")
    forms: dict[str, str] = {}
    for part in format_spec.removeprefix(PREFIX).split("|"):
        category, equals, form = part.partition("=")
        category = category.strip()
        if not equals or category not in CATEGORIES:
            raise PluralSyntaxError(f"{part!r}: write CATEGORY=FORM, CATEGORY one of {', '.join(CATEGORIES)}")
        if category in forms:
            raise PluralSyntaxError(f"{category!r} is given twice")
        forms[category] = form
    if "other" not in forms:
        raise PluralSyntaxError("the 'other' form is required")
    return forms


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(LOCALES.get(language, LOCALES["fi"]))


def _number(value: object) -> int | Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def category(language: str, value: object) -> str:
    """The CLDR plural category of `value` in `language` ("one", "other"…); "other" for a non-number."""
    number = _number(value)
    return "other" if number is None else str(_locale(language).plural_form(number))


def choose(language: str, value: object, format_spec: str) -> str:
    """The form of a plural construct for `value`, with `#` replaced by the value."""
    forms = parse_forms(format_spec)
    form = forms.get(category(language, value), forms["other"])
    return form.replace(NUMBER_MARK, str(value))


class _Formatter(string.Formatter):
    def __init__(self, language: str) -> None:
        self.language = language

    def format_field(self, value: Any, format_spec: str) -> Any:
        if is_plural(format_spec):
            return choose(self.language, value, format_spec)
        return super().format_field(value, format_spec)


def render(template: str, language: str, values: Mapping[str, object]) -> str:
    """`template.format(**values)`, with plural constructs resolved for `language`."""
    return _Formatter(language).vformat(template, (), values)


def plural_fields(template: str) -> list[tuple[str, str]]:
    """(field name, format spec) of every replacement field in `template` (for checks and tests)."""
    return [(name, spec or "") for _, name, spec, _ in string.Formatter().parse(template) if name is not None]
