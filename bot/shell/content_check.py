"""`kartoitus content check`: structure problems plus what the platforms cannot show (button labels,
callback data, a configured service promise too long for one message)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.core.capabilities import Capabilities, worst_case_payload
from bot.core.instrument import Instrument
from bot.core.prompts import all_button_labels, all_option_values, all_promise_messages
from bot.shell.content import Problem, read_instrument


def check_content(directory: Path, capabilities: Sequence[Capabilities]) -> list[Problem]:
    instrument, problems = read_instrument(directory)
    if instrument is None:
        return problems
    for platform in capabilities:
        problems += _label_problems(instrument, platform)
        problems += _payload_problems(instrument, platform)
        problems += _promise_problems(instrument, platform)
    return problems


def _label_problems(instrument: Instrument, platform: Capabilities) -> list[Problem]:
    limit = platform.button_label_max
    if limit is None:
        return []
    problems = []
    for language in instrument.languages:
        for file, path, label in all_button_labels(instrument, language):
            if len(label) > limit:
                problems.append(Problem(file, path, f"button label '{label}' has {len(label)} characters; "
                                                    f"a {platform.platform} button shows at most {limit}"))
    return problems


def _payload_problems(instrument: Instrument, platform: Capabilities) -> list[Problem]:
    limit = platform.callback_data_max_bytes
    if limit is None:
        return []
    problems = []
    for file, path, value in all_option_values(instrument):
        size = len(worst_case_payload(value).encode("utf-8"))
        if size > limit:
            problems.append(Problem(file, path, f"callback data for '{value}' is {size} bytes; "
                                                f"{platform.platform} allows at most {limit}"))
    return problems


def _promise_problems(instrument: Instrument, platform: Capabilities) -> list[Problem]:
    """A configured service promise must let its question fit one message of the platform."""
    limit = platform.text_max
    longest: dict[tuple[str, str], int] = {}  # a default promise is shown at every point: report it once
    for language in instrument.languages:
        for file, path, message in all_promise_messages(instrument, language):
            longest[file, path] = max(longest.get((file, path), 0), len(message))
    return [Problem(file, path, f"the service-promise question with this promise has {size} characters; "
                                f"a {platform.platform} message holds at most {limit}")
            for (file, path), size in longest.items() if size > limit]
