"""An invitation rush: N people start the assessment within a minute of their invitation.

    .venv/bin/python bench/invite_rush.py [--people 500] [--platform telegram|slack|both]
                                          [--spread-seconds 60] [--seed 1]

For each platform, in turn: a team with N members is registered (SqlTeams) in a fresh SQLite
file, the bot starts in its own process (the real adapter, as in bench/telegram.py and
bench/slack.py: polling the tests' repairing proxy in front of the npm Bot API emulator, or the
bolt app in HTTP mode against the tests' fake Web API) with the scheduler ticking every
--tick-seconds, and a round is opened for the team (RoundDesk, as `kartoitus round open` does).
The bot's own scheduler sends the invitations through its real sender and rate limits, the
same ones its replies use. Each simulated person, at a random moment within --spread-seconds
after their invitation arrives (seeded), starts (/aloita on Telegram, `/kartoitus aloita` on
Slack, as the invitation says) and answers part 1: eight ratings (continuing at the break) and
the two development targets (typed on Telegram, toggled and "Valmis" on Slack).

On Telegram a person who never opened the private chat cannot be messaged first (the tests'
proxy refuses it too), so every person has opened it before the round: by default the proxy is
told so (as Telegram remembers it); with --prestart message each person sends /start through the
bot first.

Prints per platform: answers/s over the rush (each person's 8 ratings and targets answer, 9
stored answers, from the first invitation to the last reply), reply latency p50/p95 (an answer
→ the next question arrives) and start latency (/aloita → the first question), errors
(timeouts, unexpected replies, failed requests, and ERROR lines in the bot's log), the answer
rows stored, and the bot process's peak RSS (VmHWM). Telegram's real send limits apply (30
messages/s overall, 1/s per chat), and Slack's pace of about one message a second per channel.
Every wait has a timeout (--reply-timeout) and each platform's rush a deadline (--deadline), so
the run ends by itself.
Needs `npm ci` for the emulator (make test does it).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: bench/telegram.py and bench/slack.py would hide those packages

import sqlalchemy as sa  # noqa: E402

from bench.harness import clean_environment, cpu_seconds, ms, peak_rss_mb, start_emulator  # noqa: E402
from bench.slack import RATINGS as SLACK_RATINGS  # noqa: E402
from bench.slack import TARGETS as SLACK_TARGETS  # noqa: E402
from bench.slack import WatchingSlackApi  # noqa: E402
from bench.telegram import RATINGS as TELEGRAM_RATINGS  # noqa: E402
from bench.telegram import WatchingProxy  # noqa: E402
from bot.core.identity import ChannelRef, UserRef  # noqa: E402
from tests.support.slack import BOT_TOKEN, SIGNING_SECRET, TEAM, Posted, SlackPerson, free_port  # noqa: E402
from tests.support.telegram import TOKEN, TelegramPerson  # noqa: E402

TEAM_TITLE = "Kutsuryntäys"
ANSWERS_PER_PERSON = 9  # eight ratings and the development targets (one answer: the two chosen)
TELEGRAM_TARGETS = "3 7"  # the two development targets, typed by number
FIRST_USER = 700000
SENT = {"sendMessage", "editMessageText", "editMessageReplyMarkup"}  # Telegram: what counts as a message sent


class Unexpected(Exception):
    """The bot answered something other than what a person taking part 1 expects."""


@dataclass(slots=True)
class Seen:
    """One message the bot sent (or redrew) in a person's chat, as the harness saw it."""

    at: float
    kind: str  # "invitation", "question" (it has buttons), "error" (the bot's internal error text), "other"
    prompt: str | None = None
    data: Any = None  # Telegram: the message; Slack: the blocks


class Inbox:
    """What the bot sent one person, in order; a person reads it from a cursor."""

    def __init__(self) -> None:
        self.items: list[Seen] = []
        self.cursor = 0
        self.changed = asyncio.Event()

    def add(self, item: Seen) -> None:
        self.items.append(item)
        self.changed.set()

    async def next(self, accept: Callable[[Seen], bool], timeout: float, what: str) -> Seen:
        """The first new item `accept` takes; items before it are passed over, an error text raises."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            while self.cursor < len(self.items):
                item = self.items[self.cursor]
                self.cursor += 1
                if item.kind == "error":
                    raise Unexpected(f"the bot's error message while waiting for {what}")
                if accept(item):
                    return item
            self.changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(what)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)

    def skip(self) -> None:
        """Pass over everything received so far."""
        self.cursor = len(self.items)


class Classifier:
    """Tells an invitation, a question and the bot's internal error message apart by their texts."""

    def __init__(self, invitation_heading: str, error_texts: set[str]) -> None:
        self.heading = invitation_heading
        self.errors = error_texts

    def kind(self, text: str, has_buttons: bool) -> str:
        if self.heading in text:
            return "invitation"
        if any(error in text for error in self.errors):
            return "error"
        return "question" if has_buttons else "other"


class TelegramWatch(WatchingProxy):
    """The repairing proxy, also putting every message the bot sends a private chat into its inbox."""

    def __init__(self, emulator_url: str) -> None:
        super().__init__(emulator_url)
        self.inboxes: dict[str, Inbox] = {}
        self.classifier: Classifier | None = None
        self.sends: list[float] = []  # when the bot sent or edited a message

    async def bot_method(self, request: Any) -> Any:
        if request.match_info["method"] in SENT:  # when the request reaches "Telegram", as its limits count
            self.sends.append(time.perf_counter())
        return await super().bot_method(request)

    def _repair_answer(self, method: str, answer: dict[str, Any]) -> Any:
        result = answer.get("result")
        if method in ("sendMessage", "editMessageText") and isinstance(result, dict):
            inbox = self.inboxes.get(str((result.get("chat") or {}).get("id", "")))
            if inbox is not None and self.classifier is not None:
                rows = (result.get("reply_markup") or {}).get("inline_keyboard") or []
                buttons = [button for row in rows for button in row if "callback_data" in button]
                kind = self.classifier.kind(str(result.get("text", "")), bool(buttons))
                if method == "editMessageText" and kind == "question":
                    kind = "other"  # a redraw of an old prompt is not the next question
                prompt = buttons[0]["callback_data"].split(":")[0] if buttons else None
                inbox.add(Seen(time.perf_counter(), kind, prompt,
                               {"message_id": result.get("message_id"), "text": result.get("text", "")}))
        return super()._repair_answer(method, answer)


def slack_text(blocks: list[dict[str, Any]]) -> str:
    try:
        return Posted("", "", "", blocks).shown
    except (KeyError, TypeError):  # a block the reader does not know: its raw form still holds the texts
        return str(blocks)


class SlackWatch(WatchingSlackApi):
    """The fake Web API (memory kept flat), also putting every message the app posts or redraws into an inbox."""

    def __init__(self) -> None:
        super().__init__()
        self.inboxes: dict[str, Inbox] = {}
        self.classifier: Classifier | None = None
        self.sends: list[float] = []  # when the app posted or redrew a message

    def _notify(self, channel: str, blocks: Any) -> None:
        inbox = self.inboxes.get(channel)
        self.sends.append(time.perf_counter())
        if inbox is None or self.classifier is None:
            return
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks or []
        buttons = [element for block in blocks if block.get("type") == "actions"
                   for element in block.get("elements", []) if element.get("type") == "button"]
        kind = self.classifier.kind(slack_text(blocks), bool(buttons))
        prompt = str(buttons[0].get("value", "")).split(":")[0] if buttons else None
        inbox.add(Seen(time.perf_counter(), kind, prompt, blocks))


@dataclass
class Figures:
    """What one platform's rush measured."""

    platform: str
    people: int
    limits: str
    started_at: float = 0.0  # the round was opened
    invitations: list[float] = field(default_factory=list)  # arrival times
    last_reply: float = 0.0  # when the latest reply to an answer came
    starts: list[float] = field(default_factory=list)  # /aloita → the first question, seconds
    replies: list[float] = field(default_factory=list)  # an answer → the next question, seconds
    acks: list[float] = field(default_factory=list)  # Slack: a signed request → the app's HTTP answer
    answers: int = 0
    actions: int = 0
    completed: int = 0
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    error_examples: dict[str, str] = field(default_factory=dict)
    stored_rows: int = 0
    stored_pairs: int = 0
    bot_errors: int = 0
    bot_log: str = ""
    rss_mb: float = 0.0
    bot_cpu: float = 0.0
    prestart: str = ""  # Telegram: how the people had opened the private chat
    refused: int | None = None  # Telegram: private messages refused as "can't initiate conversation"
    lags: list[float] = field(default_factory=list)  # the driver's event-loop lag, sampled every 50 ms
    sends: list[float] = field(default_factory=list)  # when the bot sent or edited a message, from the opening on

    def replied(self, began: float, reply: Seen, *, answered: bool) -> None:
        """The next question came after an action (`answered`: the action gave an answer, not a toggle)."""
        self.replies.append(reply.at - began)
        self.actions += 1
        self.answers += answered
        self.last_reply = max(self.last_reply, reply.at)

    def send_rate(self) -> str:
        """How many messages the bot sent (or edited) a second: overall, in the busiest second, and how steadily."""
        if not self.sends:
            return "the bot sent no messages"
        start = self.started_at
        per_second = collections.Counter(int(at - start) for at in self.sends)
        seconds = range(int(max(self.sends) - start) + 1)
        counts = sorted(per_second.get(second, 0) for second in seconds)
        times, window, first = sorted(self.sends), 0, 0
        for last, at in enumerate(times):  # the most requests in any one-second window
            while at - times[first] >= 1.0:
                first += 1
            window = max(window, last - first + 1)
        at_cap = f", seconds at the cap (27 or more): {sum(count >= 27 for count in counts)}" \
            if self.platform == "telegram" else ""
        return (f"messages sent or edited: {len(self.sends)} ({len(self.sends) / len(counts):.1f}/s over "
                f"{len(counts)} s; most in any 1-s window {window}, median second {counts[len(counts) // 2]}{at_cap}; "
                f"{len(self.sends) / max(self.actions + len(self.starts), 1):.1f} per action, invitations included)")

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        self.error_examples.setdefault(kind, detail)

    def report(self) -> str:
        first = min(self.invitations, default=self.started_at)
        end = max(self.last_reply, first)
        rush = max(end - first, 1e-9)
        arrivals = [at - self.started_at for at in self.invitations]
        fanout = f"{max(arrivals):.1f} s (p50 {ms(arrivals, 50)})" if arrivals else "–"
        lines = [
            f"== {self.platform}: {self.people} people, limits: {self.limits}",
            f"invitations: {len(self.invitations)} arrived within {fanout} of opening the round"
            + (f"; {self.prestart}" if self.prestart else "")
            + (f"; refused as never started: {self.refused}" if self.refused is not None else ""),
            f"completed part 1: {self.completed}/{self.people}; answers: {self.answers} ({ANSWERS_PER_PERSON} a person)"
            f", actions: {self.actions}, rush: {rush:.1f} s (first invitation → last reply)",
            f"answers/s: {self.answers / rush:.1f}",
            self.send_rate(),
            f"reply latency (answer → next question): p50 {ms(self.replies, 50)}, p95 {ms(self.replies, 95)}, "
            f"max {ms([max(self.replies)], 50) if self.replies else '–'}",
            f"start latency (/aloita → first question): p50 {ms(self.starts, 50)}, p95 {ms(self.starts, 95)}",
        ]
        if self.acks:
            lines.append(f"ack latency (request → HTTP answer): p50 {ms(self.acks, 50)}, p95 {ms(self.acks, 95)}")
        errors = ", ".join(f"{kind} {count}" for kind, count in self.errors.most_common()) or "none"
        lines.append(f"errors: {sum(self.errors.values())} ({errors}); ERROR lines in the bot's log while running: "
                     f"{self.bot_errors}" + (f" ({self.bot_log})" if self.bot_errors else ""))
        lines += [f"  e.g. {kind}: {detail}" for kind, detail in self.error_examples.items()]
        lines.append(f"stored: {self.stored_rows} answer rows, {self.stored_pairs} distinct (person, question)")
        lines.append(f"bot peak RSS: {self.rss_mb:.0f} MB; bot CPU {self.bot_cpu:.1f} s; this driver's event-loop "
                     f"lag (it plays the people and the API): p95 {ms(self.lags, 95)}, "
                     f"max {ms([max(self.lags)], 50) if self.lags else '–'}")
        return "\n".join(lines)


@contextlib.contextmanager
def environment(settings: dict[str, str]) -> Iterator[None]:
    """This process's environment set to `settings` for a while (to load the same Settings as the bot)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(settings)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Rush:
    """One platform's run: the database, the bot process, the round, the people."""

    def __init__(self, platform: str, options: argparse.Namespace, env: dict[str, str]) -> None:
        self.platform = platform
        self.options = options
        self.folder = Path(tempfile.mkdtemp(prefix=f"kartoitus-rush-{platform}-"))
        self.env = clean_environment(KARTOITUS_DATABASE_URL=f"sqlite:///{self.folder / 'rush.db'}",
                                     KARTOITUS_LOG_LEVEL="WARNING", KARTOITUS_DIGEST_WEEKDAY="0",
                                     KARTOITUS_LANGUAGE="fi", **env)
        with environment(self.env):
            from bot.shell.settings import load_settings

            self.settings = load_settings(env_file=None)
        self.process: subprocess.Popen[bytes] | None = None
        rng = random.Random(f"{options.seed}:{platform}")
        self.offsets = [rng.uniform(0, options.spread_seconds) for _ in range(options.people)]

    def prepare(self, team_channel: ChannelRef, members: list[UserRef]) -> Classifier:
        """The schema, the team and its members, before the bot starts; the texts to tell messages apart."""
        from bot.shell import wiring
        from storage.sql_teams import SqlTeams

        wiring.prepare_database(self.settings)
        teams = SqlTeams(wiring.engine_for(self.settings))
        now = datetime.now(UTC)
        registered = teams.register_team(team_channel, TEAM_TITLE, now=now)
        for member in members:
            teams.join(registered.id, member, now=now)
        instrument = wiring.instrument_for(self.settings)
        return Classifier(instrument.text("fi", "rounds.invitation_heading"),
                          {instrument.text(language, "errors.internal") for language in ("fi", "sv", "en")})

    def start_bot(self) -> subprocess.Popen[bytes]:
        log = (self.folder / "bot.log").open("wb")
        self.process = subprocess.Popen([sys.executable, __file__, "--serve", self.platform,
                                         "--tick-seconds", str(self.options.tick_seconds)],
                                        env=self.env, stdout=log, stderr=log, cwd=ROOT)
        return self.process

    def check_running(self) -> None:
        """Stop the run at once when the bot process has died (e.g. it could not start)."""
        assert self.process is not None
        if self.process.poll() is not None:
            tail = (self.folder / "bot.log").read_text(errors="replace")[-3000:]
            raise SystemExit(f"{self.platform}: the bot process ended ({self.process.returncode}):\n{tail}")

    def open_round(self) -> None:
        from bot.shell import wiring

        reply = wiring.round_desk(self.settings).open(
            decision_date=date.today() - timedelta(days=7), team_titles=[TEAM_TITLE], responsible="Rehtori",
            opened_by="bench:invite_rush", name="Kutsuryntäys")
        if not reply.ok:
            raise SystemExit(f"{self.platform}: the round did not open: {reply.text}")

    def stored(self) -> tuple[int, int]:
        """(answer rows, distinct (respondent, question)) of the round opened here."""
        from bot.shell import wiring
        from storage.tables import answer, assessment_round

        with wiring.engine_for(self.settings).connect() as db:
            round_id = db.execute(sa.select(assessment_round.c.id).where(
                assessment_round.c.name == "Kutsuryntäys")).scalar()
            rows = db.execute(sa.select(sa.func.count()).select_from(answer)
                              .where(answer.c.round_id == round_id)).scalar() or 0
            pairs = db.execute(sa.select(sa.func.count()).select_from(
                sa.select(answer.c.respondent_key, answer.c.question).where(answer.c.round_id == round_id)
                .distinct().subquery())).scalar() or 0
        return int(rows), int(pairs)

    def stop_bot(self, figures: Figures) -> None:
        assert self.process is not None
        figures.rss_mb = peak_rss_mb(self.process.pid)
        figures.bot_cpu = cpu_seconds(self.process.pid)
        log = self.folder / "bot.log"
        figures.bot_log = str(log)
        figures.bot_errors = sum(" ERROR " in line for line in log.read_text(errors="replace").splitlines())
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    async def people(self, figures: Figures, person: Callable[[int, Figures], Any]) -> None:
        """Every person's part, within the deadline; whoever is still busy then counts as timed out."""
        tasks = [asyncio.create_task(person(number, figures)) for number in range(self.options.people)]
        watching = asyncio.create_task(watch_lag(figures.lags))
        _, late = await asyncio.wait(tasks, timeout=self.options.deadline)
        for task in late:
            task.cancel()
            figures.error("deadline", f"still busy after {self.options.deadline:.0f} s")
        await asyncio.gather(*tasks, return_exceptions=True)
        watching.cancel()


async def watch_lag(lags: list[float], every: float = 0.05) -> None:
    """How late this process's event loop wakes up (it plays the people and the platform's API)."""
    loop = asyncio.get_running_loop()
    while True:
        began = loop.time()
        await asyncio.sleep(every)
        lags.append(loop.time() - began - every)


async def guarded(figures: Figures, act: Callable[[], Any]) -> None:
    """A person's whole part; the first thing that goes wrong is counted and ends it."""
    try:
        await act()
    except TimeoutError as error:
        figures.error("timeout", f"no {error} in time")
    except Unexpected as error:
        figures.error("unexpected reply", str(error))
    except httpx.HTTPError as error:
        figures.error("failed request", f"{type(error).__name__}: {error}")


async def telegram_rush(options: argparse.Namespace) -> Figures:
    from adapters.telegram.inbound import bot_id_from_token

    emulator_port = free_port()
    emulator = start_emulator(emulator_port)
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    proxy = TelegramWatch(emulator_url)
    proxy_url = await proxy.start()
    rush = Rush("telegram", options, {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": proxy_url})
    workspace = bot_id_from_token(TOKEN)
    ids = [FIRST_USER + number for number in range(options.people)]
    proxy.classifier = rush.prepare(ChannelRef("telegram", workspace, "-1000700"),
                                    [UserRef("telegram", workspace, str(user_id)) for user_id in ids])
    proxy.inboxes = {str(user_id): Inbox() for user_id in ids}
    figures = Figures("telegram", options.people, "Telegram (30 messages/s overall, 1/s per chat)")
    bot = rush.start_bot()
    timeout = options.reply_timeout
    invitation_timeout = timeout + options.tick_seconds + options.people / 20  # the fan-out takes its time
    try:
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=100)) as http:
            people = [TelegramPerson(http, emulator_url, name=f"P{n}", user_id=user_id) for n, user_id in
                      enumerate(ids)]
            for _ in range(600):  # until the bot polls
                if any(method == "getUpdates" for method, _ in proxy.calls) or bot.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            rush.check_running()
            if options.prestart == "seed":  # Telegram remembers who opened the chat; so does the harness
                proxy.started.update(ids)
                figures.prestart = "each person had opened the private chat before (the harness told so)"
            else:
                began = time.perf_counter()

                async def prestart(person: TelegramPerson) -> None:
                    await person.say("/start")
                    await proxy.inboxes[str(person.id)].next(lambda seen: seen.kind == "question", timeout,
                                                              "an answer to /start before the round")

                pre = Figures("telegram", options.people, "")
                await asyncio.gather(*(guarded(pre, lambda p=p: prestart(p)) for p in people))  # type: ignore[misc]
                for kind, count in pre.errors.items():
                    figures.errors[f"before the round: {kind}"] += count
                figures.prestart = f"each person sent /start before the round ({time.perf_counter() - began:.1f} s)"
                for inbox in proxy.inboxes.values():
                    inbox.skip()
            proxy.calls.clear()  # the harness reads nothing back; keep memory flat
            proxy.sends.clear()
            figures.started_at = time.perf_counter()
            await asyncio.to_thread(rush.open_round)

            async def take_part(number: int, figures: Figures) -> None:
                person, inbox = people[number], proxy.inboxes[str(people[number].id)]

                async def act() -> None:
                    invitation = await inbox.next(lambda seen: seen.kind == "invitation",
                                                  invitation_timeout, "invitation")
                    figures.invitations.append(invitation.at)
                    await asyncio.sleep(max(0.0, invitation.at + rush.offsets[number] - time.perf_counter()))
                    began = time.perf_counter()
                    await person.say("/aloita")
                    question = await inbox.next(lambda seen: seen.kind == "question", timeout, "first question")
                    figures.starts.append(time.perf_counter() - began)
                    steps: list[tuple[str, str]] = [("press", c.split(":")[1]) for c in TELEGRAM_RATINGS]
                    steps.append(("say", TELEGRAM_TARGETS))
                    for how, value in steps:
                        answered = question.prompt
                        began = time.perf_counter()
                        if how == "press":
                            await person.press_data(question.data, f"{answered}:{value}")
                        else:
                            await person.say(value)
                        question = await inbox.next(lambda seen, a=answered: seen.kind == "question"  # type: ignore[misc]
                                                    and seen.prompt != a, timeout, f"the question after {value}")
                        figures.replied(began, question, answered=value != "continue")
                    figures.completed += 1

                await guarded(figures, act)

            await rush.people(figures, take_part)
    finally:
        rush.stop_bot(figures)
        figures.refused, figures.sends = len(proxy.refused), proxy.sends
        await proxy.stop()
        emulator.terminate()
        emulator.wait(timeout=10)
    figures.stored_rows, figures.stored_pairs = rush.stored()
    return figures


async def slack_rush(options: argparse.Namespace) -> Figures:
    api = SlackWatch()
    api_url = await api.start()
    port = free_port()
    rush = Rush("slack", options, {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                                   "SLACK_API_URL": api_url, "KARTOITUS_HTTP_PORT": str(port)})
    users = [f"U{number:08d}" for number in range(options.people)]
    api.classifier = rush.prepare(ChannelRef("slack", TEAM, "C0RUSH"), [UserRef("slack", TEAM, u) for u in users])
    api.inboxes = {"D" + user[1:]: Inbox() for user in users}
    api.locales.update({user: "fi-FI" for user in users})
    figures = Figures("slack", options.people, "Slack (about 1 message/s per channel)")
    app_url = f"http://127.0.0.1:{port}/slack/events"
    app = rush.start_bot()
    timeout = options.reply_timeout
    invitation_timeout = timeout + options.tick_seconds + options.people / 20  # the fan-out takes its time
    try:
        async with httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=100)) as http:
            for _ in range(600):  # until the app listens
                try:
                    await http.post(app_url, content=b"")
                    break
                except httpx.TransportError:
                    if app.poll() is not None:
                        break
                    await asyncio.sleep(0.05)
            rush.check_running()
            people = [SlackPerson(app_url, api, http, user) for user in users]
            api.calls.clear()
            api.sends.clear()
            figures.started_at = time.perf_counter()
            await asyncio.to_thread(rush.open_round)

            async def post(person: SlackPerson, send: Callable[[], Any]) -> None:
                began = time.perf_counter()
                response = await send()
                figures.acks.append(time.perf_counter() - began)
                if response.status_code != 200:
                    raise Unexpected(f"HTTP {response.status_code} from the app")

            async def take_part(number: int, figures: Figures) -> None:
                person, inbox = people[number], api.inboxes["D" + users[number][1:]]

                async def act() -> None:
                    invitation = await inbox.next(lambda seen: seen.kind == "invitation",
                                                  invitation_timeout, "invitation")
                    figures.invitations.append(invitation.at)
                    await asyncio.sleep(max(0.0, invitation.at + rush.offsets[number] - time.perf_counter()))
                    began = time.perf_counter()
                    await post(person, lambda: person.command("aloita"))
                    question = await inbox.next(lambda seen: seen.kind == "question", timeout, "first question")
                    figures.starts.append(time.perf_counter() - began)
                    for value in [*SLACK_RATINGS, *SLACK_TARGETS]:
                        answered, blocks = question.prompt, question.data
                        block, element = next((b, e) for b in blocks if b["type"] == "actions"
                                              for e in b["elements"]
                                              if str(e.get("value", "")).split(":", 1)[-1] == value)
                        message = Posted("D" + person.user[1:], "1.1", "", blocks)
                        began = time.perf_counter()
                        await post(person, lambda m=message, b=block, e=element: person.press(m, b, e))  # type: ignore[misc]
                        toggle = value in SLACK_TARGETS and value != "done"  # redraws the same prompt
                        question = await inbox.next(
                            lambda seen, a=answered, t=toggle: seen.kind == "question"  # type: ignore[misc]
                            and (seen.prompt == a) == t, timeout, f"the question after {value}")
                        figures.replied(began, question, answered=value not in ("continue", *SLACK_TARGETS[:-1]))
                    figures.completed += 1

                await guarded(figures, act)

            await rush.people(figures, take_part)
    finally:
        rush.stop_bot(figures)
        figures.sends = api.sends
        await api.stop()
    figures.stored_rows, figures.stored_pairs = rush.stored()
    return figures


async def drive(options: argparse.Namespace) -> None:
    platforms = ["telegram", "slack"] if options.platform == "both" else [options.platform]
    print(f"invite rush: {options.people} people, starts spread over {options.spread_seconds:.0f} s after each "
          f"invitation (seed {options.seed}), platforms: {', '.join(platforms)}; "
          f"machine load before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    reports = []
    for platform in platforms:
        figures = await (telegram_rush if platform == "telegram" else slack_rush)(options)
        reports.append(figures.report())
        print(reports[-1], flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--platform", choices=["telegram", "slack", "both"], default="both")
    parser.add_argument("--spread-seconds", type=float, default=60.0,
                        help="each person starts at a random moment this long after their invitation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reply-timeout", type=float, default=300.0, help="the longest wait for one reply")
    parser.add_argument("--deadline", type=float, default=1800.0, help="the longest a platform's rush may take")
    parser.add_argument("--prestart", choices=["seed", "message"], default="seed",
                        help="Telegram: how each person has opened the private chat before the round: the harness "
                        "is told (seed), or each sends /start through the bot first (message)")
    parser.add_argument("--tick-seconds", type=float, default=2.0, help="the bot's scheduler interval")
    parser.add_argument("--serve", choices=["telegram", "slack"], help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve == "telegram":
        from bench.harness import serve_telegram

        serve_telegram(unlimited=False, tick_seconds=options.tick_seconds)
    elif options.serve == "slack":
        from bench.harness import serve_slack

        serve_slack(unpaced=False, tick_seconds=options.tick_seconds)
    else:
        asyncio.run(drive(options))
