"""Log privacy: no answer text (and no platform token) leaves the process in a log record, at any level.

This module owns the rule "no answer text in any log" for what the bot's own code does not write.
The bot's modules log ids, counts and type names only; the libraries under it do not: at DEBUG
slack_sdk logs every request and response body (a `chat.update` repeats an answer given in the
modal), python-telegram-bot logs `getUpdates` results and every `Update` with its text, httpcore
logs headers, SQLAlchemy logs parameters and result rows; at any level an exception from the
database carries the statement's parameters (`[parameters: ...]`) and PostgreSQL's DETAIL line
("Failing row contains (...)" quotes the whole row).

`install()` (called by `bot.shell.wiring.configure_logging`) makes every record pass `redact` once:

- records of the third-party loggers (`THIRD_PARTY_LOGGERS` and their children): arguments other than
  numbers, strings and a few harmless types are replaced by a marker, and in the formatted message
  every bracketed structure that holds a quoted string (a dict, list, JSON body or object repr) and
  every `body:`/`text:`-like value is replaced by `[redacted]`; the record itself is kept, so the
  log still shows that a request or an update happened, when, and to which endpoint;
- every record: exception text is formatted once, SQL parameters, DETAIL and CONTEXT lines and
  quoted input values are removed from it, and the exception object is dropped from the record
  (SQLAlchemy keeps the parameters on it even with `hide_parameters`);
- platform tokens in URLs and messages (`/bot<token>/`, `xoxb-...`) are replaced too.

Where: a filter on the root logger's handlers (records of child loggers reach them, while a filter on
a logger sees only records logged on that very logger), the same filter on the third-party loggers
that exist, and a record factory, so that loggers created later (the SDKs are imported lazily) and
handlers attached below the root are covered as well.
"""

from __future__ import annotations

import datetime
import enum
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

REDACTED = "[redacted]"
THIRD_PARTY_LOGGERS = ("slack_sdk", "slack_bolt", "slack", "telegram", "httpx", "httpcore", "hpack", "h2", "aiohttp",
                       "websockets", "sqlalchemy", "alembic", "apscheduler", "psycopg", "asyncio")
# Library types whose str() is made by the library from its own data (URLs, job and migration names).
_HARMLESS_TYPES = {("httpx", "URL"), ("yarl", "URL"), ("apscheduler", "Job"), ("alembic", "RevisionStep")}
_SCALARS = (bool, int, float, enum.Enum, datetime.date, datetime.time, datetime.timedelta, type(None))
_DONE = "kartoitus_redacted"  # (msg, args) of a record when redacted: the later filters pass it through
_UNCLEAN = f"{REDACTED} (a log record that could not be cleaned)"

_OPENERS = {"{": "}", "[": "]", "(": ")"}
_QUOTES = "'\""
# `body: "..."` (slack_bolt's response line), `text='...'`, `json: '...'`: a quoted value after a payload key.
_QUOTED_VALUE = re.compile(r"""(\b(?:body|text|json|data|payload|params|parameters|value)\s*[:=]\s*)"""
                           r"""("(?:[^"\\]|\\.)+"|'(?:[^'\\]|\\.)+')""", re.IGNORECASE)
# slack_sdk's "Received the following response - ..., body: <text>" when the body is not JSON.
_BARE_BODY = re.compile(r"""(\bbody:\s+)([^\s"'\[{(][^\n]*)""")
# PostgreSQL quotes the row or key in DETAIL and a parameter in CONTEXT, whatever hide_parameters says.
_SERVER_DETAIL = re.compile(r"^(\s*(?:DETAIL|CONTEXT):\s*).+$", re.MULTILINE)
# "invalid input syntax for type integer: "the value"", "... out of range: "the value"".
_QUOTED_INPUT = re.compile(r"""((?:invalid input|out of range)[^:\n]*:\s*)("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')""")
_TOKENS = re.compile(r"(?<=/bot)\d+:[\w-]+|\bx(?:ox[abeoprs]|app)-[\w-]+")
_FORMATTER = logging.Formatter()


class _Placeholder:
    """What a redacted argument formats as, with %s and %r alike."""

    def __init__(self, kind: str) -> None:
        self.text = f"[redacted {kind}]"

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def is_third_party(name: str | None) -> bool:
    return any(name == prefix or (name or "").startswith(prefix + ".") for prefix in THIRD_PARTY_LOGGERS)


def _group_end(text: str, start: int) -> tuple[int, bool]:
    """Where the bracket group opened at `start` ends (after it) and whether it holds a quoted string.

    Quotes are respected, so a bracket inside a string does not count; a group that never closes runs
    to the end (an unbalanced structure is redacted whole rather than half)."""
    closers: list[str] = []
    quote: str | None = None
    quoted = False
    index = start
    while index < len(text):
        char = text[index]
        if quote is not None:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in _QUOTES:
            quote, quoted = char, True
        elif char in _OPENERS:
            closers.append(_OPENERS[char])
        elif closers and char == closers[-1]:
            closers.pop()
            if not closers:
                return index + 1, quoted
        index += 1
    return len(text), quoted or quote is not None


def redact_structures(text: str, *, keep: Callable[[str], bool] = lambda group: False) -> str:
    """Every bracketed structure holding a quoted string (a repr, a dict, JSON) becomes [redacted].

    Strings only appear quoted in a repr or JSON, so this removes the values of any payload, whatever
    library printed it, and keeps what holds no string: "(?, ?)", "(12 millis)", "[generated in 0.01s]"."""
    parts: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char not in _OPENERS:
            parts.append(char)
            index += 1
            continue
        end, quoted = _group_end(text, index)
        group = text[index:end]
        # A group without quotes has none in its inner groups either: it is kept whole.
        parts.append(REDACTED if quoted and not keep(group) else group)
        index = end
    redacted = "".join(parts)
    redacted = _QUOTED_VALUE.sub(lambda match: match.group(1) + REDACTED, redacted)
    return _BARE_BODY.sub(lambda match: match.group(1) + REDACTED, redacted)


def redact_sql(text: str) -> str:
    """SQL parameters, PostgreSQL's DETAIL/CONTEXT lines and quoted input values out of a database error."""
    while (start := text.find("[parameters:")) >= 0:
        end, _ = _group_end(text, start)
        text = f"{text[:start]}[parameters {REDACTED}]{text[end:]}"
    text = _SERVER_DETAIL.sub(lambda match: match.group(1) + REDACTED, text)
    return _QUOTED_INPUT.sub(lambda match: match.group(1) + REDACTED, text)


def redact_tokens(text: str) -> str:
    return _TOKENS.sub("[token]", text)


def redact_exception_text(text: str) -> str:
    """A formatted traceback with the exceptions' messages cleaned; the frames (code, not data) stay."""
    lines = []
    for line in redact_sql(text).split("\n"):
        frame = line.startswith(" ") or line.startswith("Traceback (most recent call last)")
        # The statement of an SQLAlchemy error is code with placeholders; its values were removed above.
        lines.append(line if frame else redact_structures(line, keep=lambda group: group.startswith("[SQL: ")))
    return redact_tokens("\n".join(lines))


def _harmless(value: object) -> bool:
    kind = type(value)
    return (kind.__module__.split(".")[0], kind.__qualname__) in _HARMLESS_TYPES


def safe_argument(value: object) -> object:
    """A third-party log argument as it may be formatted: numbers and the like as they are, strings to be
    cleaned with the message, containers only of numbers, exceptions cleaned; anything else is a marker."""
    if isinstance(value, (str, *_SCALARS)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(item, _SCALARS) for item in value):
        return value  # python-telegram-bot's "Getting updates: [ids]"
    if isinstance(value, BaseException):
        return redact_exception_text(f"{type(value).__name__}: {value}")
    if _harmless(value):
        return str(value)
    return _Placeholder(type(value).__name__)


def _third_party_message(record: logging.LogRecord) -> str:
    args = record.args
    message = str(record.msg)
    if args:
        safe: tuple[object, ...] | dict[str, object] = (
            {key: safe_argument(value) for key, value in args.items()} if isinstance(args, Mapping)
            else tuple(safe_argument(value) for value in args))
        try:
            message = message % safe
        except (TypeError, ValueError, KeyError):  # e.g. %d given a marker: keep the template, drop the values
            message = f"{message} {REDACTED}"
    # f-strings (slack_sdk builds its request and response lines so) put the payload in the message itself.
    return redact_tokens(redact_sql(redact_structures(message)))


def redact(record: logging.LogRecord) -> logging.LogRecord:
    """Clean `record` in place and return it; never raises (a log call must not fail because of this)."""
    # Cleaned already, and not refilled since: `logging.makeLogRecord` (a QueueListener, a socket receiver)
    # makes an empty record through the factory and only then puts the message and exception in it.
    done = getattr(record, _DONE, None)
    if done is not None and done[0] is record.msg and done[1] is record.args and record.exc_info is None:
        return record
    try:
        _clean(record)
    except Exception:  # something unforeseen in a record: keep that it happened, nothing of what it said
        record.msg, record.args, record.exc_info, record.exc_text = _UNCLEAN, (), None, None
    setattr(record, _DONE, (record.msg, record.args))
    return record


def _clean(record: logging.LogRecord) -> None:
    if is_third_party(record.name):
        record.msg, record.args = _third_party_message(record), ()
    elif isinstance(record.args, tuple) and any(isinstance(arg, BaseException) for arg in record.args):
        record.args = tuple(safe_argument(arg) if isinstance(arg, BaseException) else arg for arg in record.args)
    if isinstance(record.exc_info, tuple) and record.exc_info[0] is not None:
        record.exc_text = record.exc_text or _FORMATTER.formatException(record.exc_info)
        # The exception object keeps the statement's parameters (StatementError.params) and the
        # server's diagnostics; a handler that reads it (e.g. an error reporter) would send them on.
        record.exc_info = None
    if record.exc_text:
        record.exc_text = redact_exception_text(record.exc_text)


class RedactingFilter(logging.Filter):
    """Redacts every record it sees; never drops one (that a request failed is worth knowing)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact(record)
        return True


class _RedactingFactory:
    """The process's log record factory, wrapped: every record is redacted as it is made."""

    def __init__(self, inner: Callable[..., logging.LogRecord]) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact(self.inner(*args, **kwargs))


FILTER = RedactingFilter()


def _add_once(target: logging.Filterer) -> None:
    if FILTER not in target.filters:
        target.addFilter(FILTER)


def install() -> None:
    """Redact every record from now on; safe to call again (nothing is installed twice)."""
    for handler in logging.getLogger().handlers:
        _add_once(handler)
    existing = [name for name, logger in logging.Logger.manager.loggerDict.items()
                if isinstance(logger, logging.Logger) and is_third_party(name)]
    for name in {*THIRD_PARTY_LOGGERS, *existing}:
        _add_once(logging.getLogger(name))
    if not isinstance(logging.getLogRecordFactory(), _RedactingFactory):
        logging.setLogRecordFactory(_RedactingFactory(logging.getLogRecordFactory()))
