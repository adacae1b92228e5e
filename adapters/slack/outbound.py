"""Translate-out for Slack: neutral messages → Web API calls with Block Kit blocks.

Pure: no network. Every piece of text is escaped (`&`, `<`, `>`), so an answer containing
`<!channel>` or `<@U123>` pings nobody. Sections keep within 3,000 characters and messages
within 50 blocks; longer texts become several sections or messages. Commands the core writes
as `/tauko` are shown as `/kartoitus tauko`, the app's one slash command.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from adapters.slack.capabilities import CAPABILITIES
from adapters.text import split_text as split_chunks
from bot.core.capabilities import choice_payload
from bot.core.identity import ChannelRef, Recipient
from bot.core.messages import ChoicePrompt, Document, FreeTextPrompt, Image, MultiChoicePrompt, Notice, Option, Outbound

SLASH_COMMAND = "/kartoitus"
SECTION_MAX = CAPABILITIES.text_max
BLOCKS_MAX = 50
ACTIONS_MAX = 25  # elements in one actions block
BUTTON_MAX = 75
FALLBACK_MAX = 300  # the notification text; the blocks carry the whole message
CHOICE_ACTION = "choice"  # action_id prefix of answer buttons: choice-0, choice-1 …
WRITE_ACTION = "write"

Texts = Callable[..., str]  # Instrument.text: (language, key, **values) → UI string
Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Call:
    """One Web API request. `prompt_id` marks the message that carries a prompt's buttons;
    `kept_blocks` are that message's blocks without its buttons, kept to close it later."""

    method: str
    params: dict[str, Any]
    prompt_id: str | None = None
    kept_blocks: list[Block] = field(default_factory=list, compare=False)


def escape(text: str) -> str:
    """Slack's three control characters; everything else is shown as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """What a person typed: Slack delivers message text with the same three characters escaped."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class CommandStyle:
    """Rewrites `/tauko` into `/kartoitus tauko` for the command words the instrument knows."""

    def __init__(self, command_words: Collection[str]) -> None:
        words = "|".join(map(re.escape, sorted(command_words, key=len, reverse=True)))
        self._pattern = re.compile(rf"(?<![\w/&])/({words})(?![\w/])") if words else None

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda match: f"{SLASH_COMMAND} {match.group(1)}", text)


def split_text(text: str, limit: int = SECTION_MAX) -> list[str]:
    return split_chunks(text, limit)


def _mrkdwn_sections(text: str, style: CommandStyle, *, bold: bool = False) -> Iterator[Block]:
    # Escaping can lengthen a text, so split what is escaped, with room for the bold markers.
    for chunk in split_text(style(escape(text)), SECTION_MAX - 2):
        yield {"type": "section", "text": {"type": "mrkdwn", "text": f"*{chunk}*" if bold else chunk}}


def _context(text: str, style: CommandStyle) -> Iterator[Block]:
    for chunk in split_text(style(escape(text)), SECTION_MAX):
        yield {"type": "context", "elements": [{"type": "mrkdwn", "text": chunk}]}


def _body(heading: str | None, context: tuple[str, ...], text: str, hint: str | None,
          style: CommandStyle) -> list[Block]:
    blocks: list[Block] = []
    if heading:
        blocks += _mrkdwn_sections(heading, style, bold=True)
    if context:
        blocks += _context("\n".join(context), style)
    blocks += _mrkdwn_sections(text, style)
    if hint:
        blocks += _context(hint, style)
    return blocks


def button(label: str, action_id: str, value: str, *, primary: bool = False) -> Block:
    element: Block = {"type": "button", "action_id": action_id, "value": value,
                      "text": {"type": "plain_text", "text": label[:BUTTON_MAX], "emoji": True}}
    if primary:
        element["style"] = "primary"
    return element


def _actions(prompt_id: str, buttons: list[Block]) -> list[Block]:
    return [{"type": "actions", "block_id": f"prompt-{prompt_id}-{start // ACTIONS_MAX}",
             "elements": buttons[start:start + ACTIONS_MAX]}
            for start in range(0, len(buttons), ACTIONS_MAX)]


def _choice_buttons(prompt_id: str, options: tuple[Option, ...], marked: Callable[[Option], str | None]
                    ) -> list[Block]:
    buttons = []
    for index, option in enumerate(options):
        mark = marked(option)
        label = f"{mark} {option.label}" if mark else option.label
        buttons.append(button(label, f"{CHOICE_ACTION}-{index}", choice_payload(prompt_id, option.value),
                              primary=mark in ("✓", "☑")))
    return buttons


def multi_buttons(prompt: MultiChoicePrompt) -> list[Block]:
    buttons = _choice_buttons(prompt.prompt_id, prompt.options,
                              lambda option: "☑" if option.value in prompt.selected else "☐")
    done = f"{prompt.done_label} ({len(prompt.selected)}/{prompt.count})"
    buttons.append(button(done, f"{CHOICE_ACTION}-done", choice_payload(prompt.prompt_id, prompt.done_value),
                          primary=len(prompt.selected) == prompt.count))
    return buttons


def channel_of(recipient: Recipient) -> str:
    """A person's user id posts into the app's DM with them; a team's channel id into the channel."""
    return recipient.channel if isinstance(recipient, ChannelRef) else recipient.user


def _fallback(text: str) -> str:
    flat = " ".join(text.split())
    return escape(flat if len(flat) <= FALLBACK_MAX else flat[:FALLBACK_MAX - 1] + "…")


def _messages(recipient: Recipient, blocks: list[Block], buttons: list[Block], fallback: str,
              prompt_id: str | None) -> list[Call]:
    """chat.postMessage calls: at most 50 blocks each; the buttons ride on the last message."""
    actions = _actions(prompt_id, buttons) if prompt_id is not None and buttons else []
    room = BLOCKS_MAX - len(actions)
    pages = [blocks[start:start + BLOCKS_MAX] for start in range(0, len(blocks), BLOCKS_MAX)] or [[]]
    if len(pages[-1]) > room:  # the last page must leave room for the buttons
        pages[-1:] = [pages[-1][:room], pages[-1][room:]]
    calls = [Call("chat.postMessage", {"channel": channel_of(recipient), "text": fallback, "blocks": page,
                                       "unfurl_links": False, "unfurl_media": False})
             for page in pages]
    last = calls[-1]
    if actions:
        calls[-1] = Call(last.method, {**last.params, "blocks": [*pages[-1], *actions]}, prompt_id, pages[-1])
    elif prompt_id is not None:
        calls[-1] = Call(last.method, last.params, prompt_id, pages[-1])
    return calls


def render(message: Outbound, texts: Texts, style: CommandStyle) -> list[Call]:
    """The Web API calls that show `message` (PromptClosed and redraws: see `close` and `redraw`)."""
    if isinstance(message, Notice):  # a link (never needed on Slack so far) is shown as its address
        text = f"{message.text}\n\n{message.link.label}: {message.link.url}" if message.link else message.text
        calls = _messages(message.to, _body(message.heading, (), text, None, style), [], _fallback(message.text), None)
        if message.thread is not None and isinstance(message.to, ChannelRef):  # in the thread of what it answers
            calls = [Call(call.method, {**call.params, "thread_ts": message.thread}, call.prompt_id, call.kept_blocks)
                     for call in calls]
        return calls
    if isinstance(message, ChoicePrompt):
        buttons = _choice_buttons(message.prompt_id, message.options,
                                  lambda option: "✓" if option.value == message.current else None)
        return _messages(message.to, _body(message.heading, message.context, message.text, message.hint, style),
                         buttons, _fallback(message.text), message.prompt_id)
    if isinstance(message, MultiChoicePrompt):
        return _messages(message.to, _body(message.heading, (), message.text, message.hint, style),
                         multi_buttons(message), _fallback(message.text), message.prompt_id)
    if isinstance(message, FreeTextPrompt):
        buttons = [button(texts(message.language, "slack.write_answer"), WRITE_ACTION, message.prompt_id,
                          primary=True)]
        if message.skip is not None:
            buttons.append(button(message.skip.label, f"{CHOICE_ACTION}-skip",
                                  choice_payload(message.prompt_id, message.skip.value)))
        buttons += [button(option.label, f"{CHOICE_ACTION}-{option.value}",
                           choice_payload(message.prompt_id, option.value)) for option in message.more]
        return _messages(message.to, _body(message.heading, message.context, message.text, message.hint, style),
                         buttons, _fallback(message.text), message.prompt_id)
    if isinstance(message, Image):  # files upload v2; to a person the sender opens the DM first, as for a file
        return [Call("files.uploadV2", {"channel": channel_of(message.to), "file": message.png,
                                        "filename": "kaavio.png", "title": message.caption[:250]})]
    if isinstance(message, Document):  # to a person: the sender opens the DM first (conversations.open)
        return [Call("files.uploadV2", {"channel": channel_of(message.to), "file": message.data,
                                        "filename": message.filename, "title": message.caption[:250]})]
    return []


def close(channel: str, ts: str, kept_blocks: list[Block], answer: str | None) -> Call:
    """Update the prompt's message: drop its buttons and show the chosen answer under it."""
    blocks = list(kept_blocks)
    if answer:
        shown = split_text(escape(answer), SECTION_MAX - 4)[0]
        # mrkdwn bold cannot span lines, so a written answer of several lines is shown plain
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"✓ {shown}" if "\n" in shown else f"✓ *{shown}*"}]})
    return Call("chat.update", {"channel": channel, "ts": ts, "blocks": blocks[-BLOCKS_MAX:],
                                "text": _fallback(answer or "✓")})


def draw_over(post: Call, channel: str, ts: str) -> Call:
    """The chat.postMessage call of a prompt as an update of an earlier prompt's message (blocks and text)."""
    return Call("chat.update", {"channel": channel, "ts": ts, "text": post.params["text"],
                                "blocks": post.params["blocks"]}, post.prompt_id, post.kept_blocks)


def redraw(message: MultiChoicePrompt, channel: str, ts: str, kept_blocks: list[Block]) -> Call:
    """The toggles of a multi-choice prompt as they stand now, in the same message."""
    blocks = [*kept_blocks, *_actions(message.prompt_id, multi_buttons(message))]
    return Call("chat.update", {"channel": channel, "ts": ts, "blocks": blocks, "text": _fallback(message.text)})
