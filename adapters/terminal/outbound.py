"""Translate-out for the terminal: neutral messages → plain text with numbered choices."""

from __future__ import annotations

from bot.core.instrument import Instrument
from bot.core.messages import (
    ChoicePrompt,
    Document,
    FreeTextPrompt,
    Image,
    MultiChoicePrompt,
    Notice,
    Option,
    Outbound,
    PromptClosed,
)

RULE = "─"


def render(message: Outbound, instrument: Instrument) -> str:
    """The text to print for `message` ("" when there is nothing to show)."""
    def t(key: str, **values: object) -> str:
        return instrument.text(message.language, key, **values)

    if isinstance(message, PromptClosed):
        return f"✓ {message.answer}" if message.answer else ""
    if isinstance(message, Image):
        return message.fallback_text
    if isinstance(message, Document):
        return ""  # the sender saves the file and says where
    lines = _head(message.heading, getattr(message, "context", ()) if not isinstance(message, Notice) else ())
    lines.append(message.text)
    if isinstance(message, Notice) and message.link is not None:
        lines.append(f"{message.link.label}: {message.link.url}")
    elif isinstance(message, ChoicePrompt):
        lines += [_option_line(o, o.value == message.current, t("terminal.current")) for o in message.options]
        lines.append(_join(message.hint, t("terminal.choose")))
    elif isinstance(message, MultiChoicePrompt):
        if message.update:
            return ""
        lines += [_option_line(o, o.value in message.selected, t("terminal.current")) for o in message.options]
        # the prompt's own hint is for buttons toggled one by one and then confirmed ("vahvista valinta"):
        # a terminal has nothing to confirm, the numbers typed on one line are the choice
        lines.append(t("terminal.choose_many", count=message.count))
    elif isinstance(message, FreeTextPrompt):
        # the skip stays last: a person's eye (and the fault tests' driver) reads the prompt's end
        more = [t("terminal.skip", command=option.key, label=option.label) for option in message.more]
        skip = t("terminal.skip", command=message.skip.key, label=message.skip.label) if message.skip else None
        lines.append(_join(message.hint, *more, skip))
    return "\n".join(lines)


def _head(heading: str | None, context: tuple[str, ...]) -> list[str]:
    lines = [""]
    if heading:
        lines += [f"{RULE * 2} {heading} {RULE * 2}"]
    if context:
        lines += [*context, ""]
    return lines


def _option_line(option: Option, marked: bool, marker: str) -> str:
    label = option.label
    if label.startswith(option.key + " "):
        label = label[len(option.key) + 1:]
    return f"  {option.key:>2}  {label}" + (f"   ← {marker}" if marked else "")


def _join(*parts: str | None) -> str:
    return " ".join(part for part in parts if part)
