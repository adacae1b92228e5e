"""What a platform can show, declared as data by each adapter (botbuilder's channel capabilities).

The core and the content check read these limits; nothing here talks to a platform.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Capabilities:
    platform: str
    buttons: bool  # False: choices are shown as a numbered list to type from
    button_label_max: int | None  # characters; None: no buttons
    callback_data_max_bytes: int | None  # UTF-8 bytes of one button's payload; None: no limit
    text_max: int  # characters of one message before it must be split
    why_label_max: str = ""


PROMPT_ID_MAX_DIGITS = 10  # prompt ids are counters; ten digits last any real conversation


def choice_payload(prompt_id: str, value: str) -> str:
    """The string a button carries: which question it belongs to and which option it is."""
    return f"{prompt_id}:{value}"


def parse_choice_payload(payload: str) -> tuple[str, str] | None:
    prompt_id, separator, value = payload.partition(":")
    if not separator or not prompt_id.isdigit() or not value:
        return None
    return prompt_id, value


def worst_case_payload(value: str) -> str:
    return choice_payload("9" * PROMPT_ID_MAX_DIGITS, value)
