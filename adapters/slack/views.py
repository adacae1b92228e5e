"""Slack views: the answer modal (a multi-line input) and the App Home tab. Pure functions.

The modal keeps what was typed when validation fails: Slack leaves the input as it is when
the submission is answered with `response_action: errors`.
"""

from __future__ import annotations

import json
from typing import Any

from adapters.slack.outbound import SECTION_MAX, Block, CommandStyle, Texts, button, escape, split_text
from bot.core.instrument import LANGUAGES, Instrument, pick
from bot.core.progress import Progress

ANSWER_VIEW = "answer"  # callback_id of the modal
ANSWER_BLOCK = "answer"
ANSWER_INPUT = "text"
INPUT_MAX = 3000  # plain_text_input max_length
TITLE_MAX = 24  # a modal's title, submit and close labels
HOME_RESUME_ACTION = "home-resume"
HOME_LANGUAGE_ACTION = "home-language"
QUESTION_SHOWN_MAX = 2900


def _plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit], "emoji": True}


def answer_modal(*, prompt_id: str, channel: str, question: str, current: str | None, max_length: int,
                 language: str, texts: Texts, style: CommandStyle) -> dict[str, Any]:
    """The modal for one open question; `private_metadata` says which question it answers."""
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": ANSWER_INPUT, "multiline": True,
                               "max_length": min(max_length, INPUT_MAX), "focus_on_load": True}
    if current:
        element["initial_value"] = current[:INPUT_MAX]
    shown = split_text(style(escape(question)), QUESTION_SHOWN_MAX)[0]
    return {
        "type": "modal",
        "callback_id": ANSWER_VIEW,
        "private_metadata": json.dumps({"prompt": prompt_id, "channel": channel, "language": language}),
        "title": _plain(texts(language, "slack.modal_title"), TITLE_MAX),
        "submit": _plain(texts(language, "slack.modal_submit"), TITLE_MAX),
        "close": _plain(texts(language, "slack.modal_cancel"), TITLE_MAX),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": shown}},
            {"type": "input", "block_id": ANSWER_BLOCK, "label": _plain(texts(language, "slack.modal_label")),
             "hint": _plain(texts(language, "slack.modal_hint")), "element": element},
        ],
    }


def submitted_text(view: dict[str, Any]) -> str:
    value = view.get("state", {}).get("values", {}).get(ANSWER_BLOCK, {}).get(ANSWER_INPUT, {}).get("value")
    return value if isinstance(value, str) else ""


def modal_metadata(view: dict[str, Any]) -> dict[str, str]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return {key: str(value) for key, value in data.items()} if isinstance(data, dict) else {}


def validation_errors(text: str, *, max_length: int, language: str, texts: Texts) -> dict[str, str]:
    """Errors to show under the input (Slack keeps the typed text); empty when the answer is fine."""
    if not text.strip():
        return {ANSWER_BLOCK: texts(language, "slack.modal_empty")}
    if len(text) > max_length:
        return {ANSWER_BLOCK: texts(language, "slack.modal_too_long", length=len(text), limit=max_length)}
    return {}


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": split_text(text, SECTION_MAX)[0]}}


def home_view(progress: Progress, instrument: Instrument, texts: Texts, style: CommandStyle) -> dict[str, Any]:
    """The App Home: progress in the open round, a button to continue, the language choice."""
    language = progress.language

    def t(key: str, **values: object) -> str:
        return escape(texts(language, key, **values))

    titles = {point.id: pick(point.title, language) for point in instrument.points}
    blocks: list[Block] = [{"type": "header", "text": _plain(texts(language, "slack.home_heading"))},
                           _section(t("slack.home_intro"))]
    if not progress.started:
        blocks.append(_section(t("slack.home_not_started")))
    else:
        if progress.part1_done:
            targets = ", ".join(titles[point] for point in progress.priorities)
            blocks.append(_section("✅ " + t("slack.home_part1_done", targets=targets)))
        else:
            blocks.append(_section("◻️ " + t("slack.home_part1_todo", rated=progress.rated, total=progress.points)))
        lines = [("✅ " if point.id in progress.deepened else "◻️ ") + escape(titles[point.id])
                 for point in instrument.points]
        mark = "✅ " if not progress.part2_remaining else "◻️ "
        blocks.append(_section(mark + t("slack.home_part2", done=progress.deepened_targets, total=progress.targets)
                               + "\n" + "\n".join(lines)))
        if progress.finished:
            blocks.append(_section("🎉 " + t("slack.home_finished")))
        elif progress.paused:
            blocks.append(_section(t("slack.home_paused")))
    label = texts(language, "slack.home_resume" if progress.started else "slack.home_start")
    options = [{"text": _plain(texts(code, "language.name")), "value": code} for code in LANGUAGES]
    current = next(option for option in options if option["value"] == language)
    blocks.append({"type": "actions", "block_id": "home-actions", "elements": [
        button(label, HOME_RESUME_ACTION, "resume", primary=True),
        {"type": "static_select", "action_id": HOME_LANGUAGE_ACTION, "options": options, "initial_option": current,
         "placeholder": _plain(texts(language, "slack.home_language"))},
    ]})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": style(t("slack.home_help"))}]})
    return {"type": "home", "blocks": blocks}
