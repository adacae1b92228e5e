"""Understanding typed answers to choice questions: "3", a label, a word only one label has, or a close match."""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence

from bot.core.messages import Option

CLOSE_MATCH = 0.8
MIN_WORD = 3  # a word of a label that alone names its option: "hyvin", "bra", "well"; not "ei", "en"
_LIST_SEPARATORS = re.compile(r"\s*(?:[,;\n+&]|\s(?:ja|och|and)\s)\s*", re.IGNORECASE)


def normalise(text: str) -> str:
    folded = unicodedata.normalize("NFC", text).casefold()
    return " ".join(re.sub(r"[^\w\s']", " ", folded).split())


def match_option(text: str, options: Sequence[Option], aliases: Iterable[tuple[str, str]] = ()) -> Option | None:
    """The option `text` means, or None. `aliases` are (alias, value) pairs."""
    typed = text.strip()
    for option in options:  # the common case: a number typed, or a value
        if typed == option.key or typed == option.value:
            return option
    wanted = normalise(text)
    if not wanted:
        return None
    candidates = _candidates(tuple(options), tuple(aliases))
    if wanted in candidates:
        return candidates[wanted]
    label_start = [option for option in options if _bare_label(option).startswith(wanted)]
    if len(wanted) >= 3 and len(label_start) == 1:
        return label_start[0]
    with_word = [option for option in options if wanted in _bare_label(option).split()]
    if len(wanted) >= MIN_WORD and len(with_word) == 1:  # "hyvin" → "4 Toimii hyvin"; "toimii" is in them all
        return with_word[0]
    close = difflib.get_close_matches(wanted, list(candidates), n=2, cutoff=CLOSE_MATCH)
    if len(close) == 1 or (close and candidates[close[0]] is candidates[close[-1]]):
        return candidates[close[0]]
    return None


@functools.lru_cache(maxsize=256)
def _candidates(options: tuple[Option, ...], aliases: tuple[tuple[str, str], ...]) -> dict[str, Option]:
    """Every normalised way to name each option (the same options recur, so this is cached)."""
    by_value = {option.value: option for option in options}
    candidates: dict[str, Option] = {}
    for option in options:
        for name in (option.key, option.label, option.value):
            candidates.setdefault(normalise(name), option)
        candidates.setdefault(_bare_label(option), option)
    for alias, value in aliases:
        if value in by_value:
            candidates.setdefault(normalise(alias), by_value[value])
    return candidates


@functools.lru_cache(maxsize=1024)
def _bare_label(option: Option) -> str:
    """The label without a leading key: "4 Toimii hyvin" → "toimii hyvin"."""
    label = normalise(option.label)
    key = normalise(option.key)
    return label[len(key) + 1:] if key and label.startswith(key + " ") else label


def split_choices(text: str) -> list[str]:
    """"2 5", "2, 5", "Näyttöjen laatu ja Työpaikkaohjaus" → separate parts."""
    parts = [part for part in _LIST_SEPARATORS.split(text.strip()) if part.strip()]
    if len(parts) == 1 and all(word.isdigit() for word in parts[0].split()):
        return parts[0].split()
    return parts
