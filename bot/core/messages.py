"""Outbound messages: what the core wants shown, independent of any platform's markup.

All text here is plain text. Adapters escape it for their markup, so an answer that
contains `<!channel>` or `*bold*` is shown literally and pings nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.identity import Recipient


@dataclass(frozen=True, slots=True)
class Option:
    """One choice. `key` is what a person can type where buttons are missing."""

    value: str
    label: str
    key: str


@dataclass(frozen=True, slots=True)
class Link:
    """A button that opens a web address (in Telegram, a deep link that opens the private chat with the bot).

    Platforms without link buttons show the label and the address as text."""

    label: str
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """A plain message: an explanation, an error, a summary; optionally with one link button."""

    to: Recipient
    text: str
    heading: str | None = None
    language: str = "fi"
    link: Link | None = None
    thread: str | None = None  # in a channel: the platform's id of the message this one answers (a thread reply)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoicePrompt:
    """Pick one option. `current` is the value already chosen when a question is re-asked."""

    to: Recipient
    language: str = "fi"
    prompt_id: str
    text: str
    options: tuple[Option, ...]
    heading: str | None = None
    context: tuple[str, ...] = ()
    hint: str | None = None
    current: str | None = None
    replaces: str | None = None  # an earlier prompt whose message this one is drawn over (edited in place)


@dataclass(frozen=True, slots=True, kw_only=True)
class MultiChoicePrompt:
    """Pick exactly `count` options, toggled one by one and confirmed with `done_label`."""

    to: Recipient
    language: str = "fi"
    prompt_id: str
    text: str
    options: tuple[Option, ...]
    selected: tuple[str, ...]
    count: int
    done_value: str
    done_label: str
    heading: str | None = None
    hint: str | None = None
    update: bool = False  # True: redraw the earlier message with this prompt_id in place
    replaces: str | None = None  # an earlier prompt whose message this one is drawn over (edited in place)


@dataclass(frozen=True, slots=True, kw_only=True)
class FreeTextPrompt:
    """An open question. `skip` is an optional button (skip, or keep the current answer)."""

    to: Recipient
    language: str = "fi"
    prompt_id: str
    text: str
    max_length: int
    heading: str | None = None
    context: tuple[str, ...] = ()
    hint: str | None = None
    current: str | None = None
    skip: Option | None = None
    more: tuple[Option, ...] = ()  # further buttons: the guiding questions, a break
    replaces: str | None = None  # an earlier prompt whose message this one is drawn over (edited in place)


@dataclass(frozen=True, slots=True, kw_only=True)
class PromptClosed:
    """The question `prompt_id` is settled: remove its buttons, show `answer` if given."""

    to: Recipient
    language: str = "fi"
    prompt_id: str
    answer: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Image:
    """A picture (a chart) with a text fallback for platforms that cannot show images."""

    to: Recipient
    language: str = "fi"
    png: bytes = field(repr=False)
    caption: str
    fallback_text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """A file to hand over (the filled-in workbook), with a caption."""

    to: Recipient
    language: str = "fi"
    data: bytes = field(repr=False)
    filename: str
    caption: str


Prompt = ChoicePrompt | MultiChoicePrompt | FreeTextPrompt
Outbound = Notice | ChoicePrompt | MultiChoicePrompt | FreeTextPrompt | PromptClosed | Image | Document
