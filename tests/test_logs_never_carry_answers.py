"""No answer text in any log at any level: Slack, Telegram and the terminal at DEBUG, and a failed insert.

Each platform runs for real (the bolt app against the fake Web API, the Telegram bot against the
emulator, the terminal chat on its SQLite file) with every logger at DEBUG, SQLAlchemy's included,
while a person types a marker as an open answer (in Slack also in the answer modal) and asks for
their answers back. Every record is captured and searched: its formatted text, its attributes and
any exception it carries. Each scenario also runs without the privacy filter, which shows that the
capture sees the libraries' records and that they do carry the marker there.
"""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa

from adapters.ratelimit import RateLimiter
from adapters.slack.platform import PLATFORM as SLACK
from adapters.telegram.platform import PLATFORM as TELEGRAM
from bot.core.clock import StartedClock
from bot.shell import log_privacy, wiring
from bot.shell.settings import Settings
from storage.database import create_database_engine
from tests.support.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlackApi, SlackPerson, free_port
from tests.support.telegram import TOKEN, TelegramPerson
from tests.support.telegram_proxy import RepairingProxy

MARKER = "MARKER-7f3a91c2"
TYPED = f"{MARKER} kirjoitettu vastaus"
IN_MODAL = f"{MARKER} modaalissa annettu vastaus"
TELEGRAM_SECRET = TOKEN.split(":", 1)[1]
FAST = {"overall_per_second": 1000, "chat_per_second": 1000, "chat_burst": 100, "group_per_minute": 60000}
# Part 1 typed as text, with what the bot answers to each line: eight ratings straight through, and the two
# development targets, answered with part 2's first question at once.
PART1 = [("4", "Osa 1 · 2/8"), ("4", "Osa 1 · 3/8"), ("4", "Osa 1 · 4/8"), ("4", "Osa 1 · 5/8"), ("4", "Osa 1 · 6/8"),
         ("4", "Osa 1 · 7/8"), ("4", "Osa 1 · 8/8"), ("4", "Kehittämiskohteet"),
         ("3 7", "Mikä meillä jo toimii?")]
TYPED_PART1 = [line for line, _ in PART1]


class Capture(logging.Handler):
    """Keeps every record that reaches the root logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.text_formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def shown(self, record: logging.LogRecord) -> str:
        """Everything a record could put in front of someone: formatted, its attributes, its exceptions."""
        parts = [self.text_formatter.format(record), repr(vars(record))]
        error = record.exc_info[1] if isinstance(record.exc_info, tuple) else None
        seen: list[BaseException] = []
        while error is not None and error not in seen:  # SQLAlchemy keeps the parameters on it (.params)
            seen.append(error)
            parts += [str(error), repr(error.args), repr(getattr(error, "params", None))]
            error = error.__cause__ or error.__context__
        return "\n".join(parts)

    def from_logger(self, prefix: str) -> list[logging.LogRecord]:
        return [r for r in self.records if r.name == prefix or r.name.startswith(prefix + ".")]

    def carrying(self, secret: str) -> dict[str, str]:
        """Logger name → the first record of that logger that shows `secret`."""
        found: dict[str, str] = {}
        for record in self.records:
            text = self.shown(record)
            if secret in text:
                found.setdefault(record.name, text[:1500])
        return found


@pytest.fixture
def capture() -> Iterator[Capture]:
    """Every logger at DEBUG into one handler on the root; the logging setup is put back afterwards."""
    root, manager = logging.getLogger(), logging.Logger.manager
    factory, root_level, root_handlers = logging.getLogRecordFactory(), root.level, list(root.handlers)
    levels = {name: logging.getLogger(name).level for name in log_privacy.THIRD_PARTY_LOGGERS}
    handler = Capture()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in log_privacy.THIRD_PARTY_LOGGERS:  # SQLAlchemy sets its own logger to WARNING on import
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    logging.setLogRecordFactory(factory)
    root.handlers[:] = root_handlers
    root.setLevel(root_level)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    for each in [*root_handlers, handler, *manager.loggerDict.values()]:
        if isinstance(each, logging.Filterer):
            each.removeFilter(log_privacy.FILTER)


def configure(settings: Settings, protected: bool) -> None:
    """What `kartoitus` does at start, at DEBUG; without protection only the level (the state before the filter)."""
    if protected:
        wiring.configure_logging(settings.model_copy(update={"log_level": "DEBUG"}))


def check(capture: Capture, protected: bool, sdk_loggers: tuple[str, ...]) -> None:
    for name in sdk_loggers:
        assert capture.from_logger(name), f"no records from {name}: the capture would prove nothing"
    leaks = capture.carrying(MARKER)
    if protected:
        assert not leaks, "answer text in the logs:\n" + "\n---\n".join(f"{k}: {v}" for k, v in leaks.items())
        for token in (TELEGRAM_SECRET, BOT_TOKEN):
            assert not capture.carrying(token), f"a platform token in the logs: {capture.carrying(token)}"
    else:
        assert any(log_privacy.is_third_party(name) for name in leaks), \
            f"without the filter the libraries should log the answer; leaking loggers: {sorted(leaks)}"


PROTECTION = pytest.mark.parametrize("protected", [False, True], ids=["without-filter", "with-filter"])


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as client:  # a loaded 2-core machine can be slow
        yield client


def database(tmp_path: Path, name: str) -> dict[str, str]:
    return {"KARTOITUS_DATABASE_URL": f"sqlite:///{tmp_path / name}"}


@PROTECTION
async def test_slack_at_debug_logs_no_answer(protected: bool, capture: Capture, slack_api: FakeSlackApi,
                                             tmp_path: Path, suite_clock: StartedClock,
                                             http: httpx.AsyncClient) -> None:
    values = {**database(tmp_path, "slack.db"), "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
              "SLACK_API_URL": slack_api.url}
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    configure(settings, protected)
    wiring.prepare_database(settings)
    bot = wiring.platform_app(settings, SLACK, limiter=RateLimiter(**FAST), clock=suite_clock)  # type: ignore[arg-type]
    port = free_port()
    await bot.start(host="127.0.0.1", port=port)
    try:
        anna = SlackPerson(f"http://127.0.0.1:{port}/slack/events", slack_api, http, "U0ANNA")
        await anna.say("hei")
        await anna.expect("Osa 1 · 1/8")
        for line, answer in PART1:
            await anna.say(line)
            await anna.expect(answer)
        await anna.say(TYPED)
        develop = await anna.expect("Missä meillä on vielä kehitettävää?")
        await anna.click("Kirjoita vastaus", develop)
        await anna.wait_for(lambda: len(slack_api.opened) == 1, "the answer modal")
        await anna.submit(IN_MODAL)
        await anna.expect("Mitä lupaatte tässä asiassa työelämäkumppaneillenne ja miten pidätte lupauksenne?")
        await anna.say("/vastaukset")
        await anna.expect(MARKER)  # the person sees their answers; the log does not
    finally:
        await bot.stop()
    check(capture, protected, ("slack_sdk", "slack_bolt", "aiohttp"))
    if protected:  # the requests are still logged, only their bodies are not
        assert any("/api/chat.update" in r.getMessage() and "json: [redacted]" in r.getMessage()
                   for r in capture.from_logger("slack_sdk"))


@PROTECTION
async def test_telegram_at_debug_logs_no_answer(protected: bool, capture: Capture, telegram_proxy: RepairingProxy,
                                                telegram_emulator: str, tmp_path: Path, suite_clock: StartedClock,
                                                http: httpx.AsyncClient) -> None:
    values = {**database(tmp_path, "telegram.db"), "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": telegram_proxy.url}
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    configure(settings, protected)
    wiring.prepare_database(settings)
    bot = wiring.platform_app(settings, TELEGRAM, limiter=RateLimiter(**FAST), clock=suite_clock)  # type: ignore[arg-type]
    await bot.start()
    try:
        anna = TelegramPerson(http, telegram_emulator, name="Anna", language="fi")
        await anna.say("/start")
        await anna.replies(expect="Osa 1 · 1/8")
        for line, answer in PART1:
            await anna.say(line)
            await anna.replies(expect=answer)
        await anna.say(TYPED)
        await anna.replies(expect="Missä meillä on vielä kehitettävää?")
        await anna.say("/vastaukset")
        await anna.replies(expect=MARKER)
    finally:
        await bot.stop()
    check(capture, protected, ("telegram.ext", "httpx", "httpcore"))
    if protected:
        messages = [r.getMessage() for r in capture.from_logger("telegram")]
        assert any(m.startswith("Processing update [redacted Update]") for m in messages)
        assert any("Calling Bot API endpoint `sendMessage` with parameters `[redacted dict]`" in m for m in messages)


def chat(settings: Settings, clock: StartedClock, lines: list[str]) -> str:
    """The terminal chat in this process, fed `lines`; returns what it printed."""
    terminal = wiring.terminal_chat(settings, "anna", clock=clock)
    terminal.input, terminal.interactive = io.StringIO("\n".join(lines) + "\n"), False
    terminal.output = terminal.sender.output = io.StringIO()
    assert terminal.run() == 0
    return terminal.output.getvalue()


@PROTECTION
def test_the_terminal_at_debug_logs_no_answer(protected: bool, capture: Capture, tmp_path: Path,
                                              suite_clock: StartedClock) -> None:
    settings = Settings(_env_file=None, **database(tmp_path, "terminal.db"))  # type: ignore[arg-type]
    configure(settings, protected)
    wiring.prepare_database(settings)
    printed = chat(settings, suite_clock, [*TYPED_PART1, TYPED, "/vastaukset"])
    assert "Missä meillä on vielä kehitettävää?" in printed and printed.count(MARKER) >= 1
    check(capture, protected, ("sqlalchemy.engine",))  # parameters, and rows read back, at INFO and DEBUG


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'refusing.db'}"
    return str(request.getfixturevalue("fresh_postgres_url"))  # skipped where PostgreSQL is not installed


def refuse_marked_answers(url: str) -> None:
    """Make the database refuse the marker's answer row, as it refused a NUL (PostgreSQL) or a locked file."""
    engine = create_database_engine(url)
    with engine.begin() as db:
        if engine.dialect.name == "postgresql":  # its DETAIL quotes the refused row: "Failing row contains (...)"
            db.execute(sa.text("ALTER TABLE answer ADD CONSTRAINT refuse_marker CHECK (value NOT LIKE 'MARKER%')"))
        else:
            db.execute(sa.text("CREATE TRIGGER refuse_marker BEFORE INSERT ON answer WHEN NEW.value LIKE 'MARKER%' "
                               "BEGIN SELECT RAISE(ABORT, 'refused'); END"))
    engine.dispose()


@PROTECTION
def test_a_failed_insert_logs_its_error_without_the_answer(protected: bool, capture: Capture, database_url: str,
                                                           suite_clock: StartedClock) -> None:
    settings = Settings(_env_file=None, KARTOITUS_DATABASE_URL=database_url)
    configure(settings, protected)
    wiring.prepare_database(settings)
    refuse_marked_answers(database_url)
    printed = chat(settings, suite_clock, [*TYPED_PART1, TYPED])
    assert "Mikä meillä jo toimii?" in printed and "Missä meillä" not in printed, "the answer was refused"
    errors = [r for r in capture.records if r.levelno >= logging.ERROR and r.name == "bot.app.service"]
    assert errors and "turn failed" in errors[0].getMessage(), "the failure itself is logged, at ERROR"
    assert "Traceback" in capture.shown(errors[0]) and "answer" in capture.shown(errors[0])
    leaks = capture.carrying(MARKER)
    if protected:
        assert not leaks, "answer text in the logs:\n" + "\n---\n".join(f"{k}: {v}" for k, v in leaks.items())
    else:  # even with hide_parameters the exception object keeps them (.params)
        assert "bot.app.service" in leaks
        if database_url.startswith("postgresql"):  # and PostgreSQL's DETAIL quotes the refused row in the text
            assert "DETAIL:  Failing row contains" in capture.text_formatter.format(errors[0])
            assert MARKER in capture.text_formatter.format(errors[0])


def test_a_record_made_outside_the_factory_is_cleaned_by_the_handler_filter(capture: Capture) -> None:
    """Records rebuilt from elsewhere (a QueueListener, a socket receiver) bypass the record factory;
    the filter on the root handlers still cleans them, and keeps the record."""
    wiring.configure_logging(Settings(_env_file=None, KARTOITUS_LOG_LEVEL="DEBUG"))

    def rebuilt() -> logging.LogRecord:
        return logging.makeLogRecord({"name": "telegram.ext.ExtBot", "levelno": logging.DEBUG, "levelname": "DEBUG",
                                      "msg": "Call to Bot API endpoint `%s` finished with return value `%s`",
                                      "args": ("getUpdates", [{"message": {"text": TYPED}}])})

    capture.handle(rebuilt())
    assert capture.records[-1].getMessage() == \
        "Call to Bot API endpoint `getUpdates` finished with return value `[redacted list]`"
    capture.removeFilter(log_privacy.FILTER)  # the same record on a handler without the filter
    capture.handle(rebuilt())
    assert MARKER in capture.records[-1].getMessage()


def test_a_logger_made_later_with_its_own_handler_is_cleaned_too(capture: Capture) -> None:
    """The SDKs are imported when a platform starts, after logging is set up, and a library may give its
    logger a handler of its own that the root's filter never sees: the record factory covers both."""
    wiring.configure_logging(Settings(_env_file=None, KARTOITUS_LOG_LEVEL="DEBUG"))
    late = logging.getLogger("slack_sdk.socket_mode.made_later")
    own = Capture()
    late.addHandler(own)
    late.propagate = False
    try:
        late.debug(f"Received message: {{'event': {{'text': '{TYPED}'}}}}")
    finally:
        late.removeHandler(own)
        late.propagate = True
    assert [record.getMessage() for record in own.records] == ["Received message: [redacted]"]
