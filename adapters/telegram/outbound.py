"""Translate-out for Telegram: neutral messages → Bot API calls (HTML parse mode, inline keyboards).

Pure: no network. Every piece of text is escaped for HTML, so an answer with `<b>` or `&`
shows literally. Long texts are split at 4,096 characters on paragraph boundaries.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from adapters.telegram.capabilities import CAPABILITIES
from adapters.text import split_text as split_chunks
from bot.core.capabilities import choice_payload
from bot.core.identity import ChannelRef, Recipient
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

TEXT_LIMIT = CAPABILITIES.text_max
CAPTION_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class Call:
    """One Bot API request. `prompt_id` marks the message that carries a prompt's buttons."""

    method: str
    params: dict[str, Any]
    prompt_id: str | None = None
    plain_text: str = field(default="", compare=False)  # the HTML text sent, kept to edit it later


def deep_link(bot_username: str | None, payload: str) -> str:
    """The address that opens the private chat with the bot and sends it `/start <payload>`."""
    return f"https://t.me/{bot_username}?start={payload}"


def chat_id(recipient: Recipient) -> str:
    return recipient.channel if isinstance(recipient, ChannelRef) else recipient.user


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    return split_chunks(text, limit)


def _body(heading: str | None, context: tuple[str, ...], text: str, hint: str | None) -> list[tuple[str, str]]:
    """(plain, html) paragraphs of a message."""
    parts: list[tuple[str, str]] = []
    if heading:
        parts.append((heading, f"<b>{escape(heading)}</b>"))
    if context:
        joined = "\n".join(context)
        parts.append((joined, escape(joined)))
    parts.append((text, escape(text)))
    if hint:
        parts.append((hint, f"<i>{escape(hint)}</i>"))
    return parts


def _messages(recipient: Recipient, parts: list[tuple[str, str]], keyboard: list[list[dict[str, str]]] | None,
              prompt_id: str | None) -> list[Call]:
    """sendMessage calls for the paragraphs; long ones are split, the keyboard rides on the last."""
    chunks: list[str] = []
    current = ""
    for plain, marked in parts:
        for piece in (split_text(plain, TEXT_LIMIT - 200) if len(plain) > TEXT_LIMIT - 200 else [plain]):
            rendered = marked if piece == plain else escape(piece)
            candidate = f"{current}\n\n{rendered}" if current else rendered
            if current and len(candidate) > TEXT_LIMIT:
                chunks.append(current)
                candidate = rendered
            current = candidate
    chunks.append(current)
    calls = [Call("sendMessage", {"chat_id": chat_id(recipient), "text": chunk, "parse_mode": "HTML"})
             for chunk in chunks]
    last = calls[-1]
    if keyboard:
        last.params["reply_markup"] = {"inline_keyboard": keyboard}
    calls[-1] = Call(last.method, last.params, prompt_id, last.params["text"])
    return calls


def _button(label: str, prompt_id: str, value: str) -> dict[str, str]:
    return {"text": label, "callback_data": choice_payload(prompt_id, value)}


def _choice_keyboard(prompt: ChoicePrompt) -> list[list[dict[str, str]]]:
    def label(option: Option) -> str:
        return f"✓ {option.label}" if option.value == prompt.current else option.label
    return [[_button(label(option), prompt.prompt_id, option.value)] for option in prompt.options]


def multi_keyboard(prompt: MultiChoicePrompt) -> list[list[dict[str, str]]]:
    rows = [[_button(("☑ " if o.value in prompt.selected else "☐ ") + o.label, prompt.prompt_id, o.value)]
            for o in prompt.options]
    done = f"{prompt.done_label} ({len(prompt.selected)}/{prompt.count})"
    rows.append([_button(done, prompt.prompt_id, prompt.done_value)])
    return rows


def render(message: Outbound) -> list[Call]:
    """The Bot API calls that show `message` (PromptClosed needs the stored text: see `close`)."""
    if isinstance(message, Notice):  # a link rides on the last message as a URL button
        keyboard = [[{"text": message.link.label, "url": message.link.url}]] if message.link else None
        calls = _messages(message.to, _body(message.heading, (), message.text, None), keyboard, None)
        if message.thread is not None and message.thread.isdigit():  # a reply to the message it answers
            calls[0].params["reply_parameters"] = {"message_id": int(message.thread),
                                                   "allow_sending_without_reply": True}
        return calls
    if isinstance(message, ChoicePrompt):
        return _messages(message.to, _body(message.heading, message.context, message.text, message.hint),
                         _choice_keyboard(message), message.prompt_id)
    if isinstance(message, MultiChoicePrompt):
        return _messages(message.to, _body(message.heading, (), message.text, message.hint),
                         multi_keyboard(message), message.prompt_id)
    if isinstance(message, FreeTextPrompt):
        options = [*([message.skip] if message.skip else []), *message.more]
        keyboard = [[_button(option.label, message.prompt_id, option.value)] for option in options] or None
        return _messages(message.to, _body(message.heading, message.context, message.text, message.hint),
                         keyboard, message.prompt_id)
    if isinstance(message, Image):  # sendPhoto: a caption is plain text, at most 1,024 characters
        return [Call("sendPhoto", {"chat_id": chat_id(message.to), "photo": message.png,
                                   "caption": message.caption[:CAPTION_LIMIT]})]
    if isinstance(message, Document):
        return [Call("sendDocument", {"chat_id": chat_id(message.to), "document": message.data,
                                      "filename": message.filename, "caption": message.caption[:CAPTION_LIMIT]})]
    return []


def close(message: PromptClosed, chat: str, message_id: int, sent_html: str) -> Call:
    """Edit the prompt's message: drop its buttons and show the chosen answer under it."""
    text = sent_html if not message.answer else f"{sent_html}\n\n✓ <b>{escape(message.answer)}</b>"
    if len(text) > TEXT_LIMIT:
        text = sent_html
    return Call("editMessageText", {"chat_id": chat, "message_id": message_id, "text": text, "parse_mode": "HTML"})


def draw_over(send: Call, chat: str, message_id: int) -> Call:
    """The sendMessage call of a prompt as an edit of an earlier prompt's message (text and buttons)."""
    params = {key: value for key, value in send.params.items() if key != "chat_id"}
    return Call("editMessageText", {"chat_id": chat, "message_id": message_id, **params}, send.prompt_id,
                send.plain_text)


def redraw(message: MultiChoicePrompt, chat: str, message_id: int) -> Call:
    return Call("editMessageReplyMarkup", {"chat_id": chat, "message_id": message_id,
                                           "reply_markup": {"inline_keyboard": multi_keyboard(message)}})
