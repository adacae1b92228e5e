"""Text as people type it, made safe to keep: the same on SQLite and PostgreSQL.

PostgreSQL refuses a NUL in text and SQLite keeps it (an export would then show it raw); a lone
surrogate (what undecodable bytes become when read with `surrogateescape`) cannot be written as
UTF-8 at all. `normalise_text` is the one place where typed text is cleaned before it is stored:

- `\\r\\n` and a lone `\\r` become `\\n` (not a change anyone would notice);
- NUL and every other control character (C0, DEL, C1) except newline and tab are removed;
- a lone surrogate becomes U+FFFD, the replacement character `�` that invalid UTF-8 already
  decodes to (adapters read with `errors="replace"`).

`changed` says whether the person should be told: something was removed, or the text holds a
replacement character (so some of what they sent could not be read). Stdlib only: the pure core uses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REPLACEMENT = "\ufffd"
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # newline (\x0a) and tab (\x09) stay
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class NormalisedText:
    text: str
    changed: bool  # True: the person should be told that their text was changed


def normalise_text(text: str) -> NormalisedText:
    unified = text.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = _SURROGATE.sub(REPLACEMENT, _CONTROL.sub("", unified))
    return NormalisedText(cleaned, cleaned != unified or REPLACEMENT in cleaned)


def clean_text(text: str) -> str:
    """The text without the characters `normalise_text` removes (for writing out what is already stored)."""
    return normalise_text(text).text
