"""Fault suite support: a real round's fan-out, SIGKILL campaigns, the outbox as stored, a PostgreSQL to restart.

A campaign starts `kartoitus tick` (or `kartoitus run`) as a subprocess against the fake Bot API
(tests.support.fake_bot_api), kills it with SIGKILL at a random moment, and starts it again,
until every recipient of every wave has the message. The moment of each kill is drawn from a
seeded RNG (the seed is printed) and counted from the process's first Bot API request (its
getMe), so that the kills land in claiming, sending and marking rather than in Python's imports.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import os
import pwd
import random
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.app.outbox import scheduled_notice
from bot.app.round_desk import RoundDesk
from bot.core.identity import ChannelRef, UserRef
from bot.shell.content import SHIPPED_CONTENT_DIR, load_instrument
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_outbox import SqlOutbox
from storage.sql_rounds import SqlRounds
from storage.sql_teams import SqlTeams
from storage.tables import outbox_message
from tests.support.clock import FixedClock
from tests.support.fake_bot_api import BOT_ID, TOKEN, FakeBotApi, Stats
from tests.support.postgres import _as_postgres, _bin_dir, _run, _start
from tests.support.processes import BotProcess, wait_for

HELSINKI = ZoneInfo("Europe/Helsinki")
# A Wednesday in the middle of an ordinary week, 10:00 in Helsinki: a working day and hour, no
# weekly digest (those go on Mondays), far from any Finnish public holiday.
WORKING_DAY_10 = datetime(2026, 11, 25, 10, 0, tzinfo=HELSINKI)
DECISION_DATE = date(2026, 11, 2)  # the strategy-funding decision: the round's window is open then
IN_FLIGHT = 8  # KARTOITUS_OUTBOX_IN_FLIGHT in these tests: the most one kill may send twice
LEASE_SECONDS = 120  # KARTOITUS_OUTBOX_LEASE_SECONDS for `kartoitus tick --now` campaigns
TEAM_GROUP = "-1001234567"
FIRST_USER = 70_000_000
PENDING = re.compile(r"(\d+) waiting")


def fault_settings(database_url: str, api_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `kartoitus` process in the fault suite (English operator messages)."""
    return {"KARTOITUS_DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": api_url,
            "KARTOITUS_LANGUAGE": "en", "KARTOITUS_LOG_LEVEL": "INFO", "KARTOITUS_REMINDER_MAX": "0",
            "KARTOITUS_DIGEST_WEEKDAY": "0", "KARTOITUS_OUTBOX_IN_FLIGHT": str(IN_FLIGHT),
            "KARTOITUS_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS), **extra}


def telegram_users(count: int, first: int = FIRST_USER) -> list[str]:
    return [str(first + n) for n in range(count)]


@dataclass(frozen=True)
class Wave:
    """One fan-out: its recipients, a text that is in every copy of it, and its outbox key prefix."""

    name: str
    users: tuple[str, ...]
    marker: str
    key_prefix: str


def open_round(url: str, users: Sequence[str], *, moment: datetime = WORKING_DAY_10, title: str = "autoala") -> Wave:
    """What a coordinator does: a team whose members joined in its Telegram group, a round opened for it.

    The round desk queues one invitation per member in the outbox, as `kartoitus round open` does."""
    upgrade(url)
    engine = create_database_engine(url)
    try:
        teams = SqlTeams(engine)
        team = teams.register_team(ChannelRef("telegram", str(BOT_ID), TEAM_GROUP), title, now=moment)
        for user in users:
            teams.join(team.id, UserRef("telegram", str(BOT_ID), user), now=moment)
        instrument = load_instrument(SHIPPED_CONTENT_DIR)
        desk = RoundDesk(SqlRounds(engine), SqlOutbox(engine), instrument, FixedClock(moment), language="fi")
        reply = desk.open(decision_date=DECISION_DATE, team_titles=[title], responsible="Maija Mäki",
                          opened_by="telegram:1", name="Syksy 2026")
        assert reply.ok, reply.text
        marker = html.escape(instrument.text("fi", "rounds.invitation_heading"))
    finally:
        engine.dispose()
    return Wave("invitations", tuple(users), marker, "invite:")


def queue_notices(url: str, users: Sequence[str], *, due: datetime, name: str) -> Wave:
    """A fan-out of reminders straight into the outbox, as the reminder planner queues them."""
    upgrade(url)
    engine = create_database_engine(url)
    text = f"Muistutus ({name}): kartoitus odottaa sinua."
    try:
        SqlOutbox(engine).enqueue([scheduled_notice(f"{name}:{user}", UserRef("telegram", str(BOT_ID), user), due,
                                                    text) for user in users], now=due)
    finally:
        engine.dispose()
    return Wave(name, tuple(users), html.escape(f"Muistutus ({name})"), f"{name}:")


def outbox_rows(url: str) -> list[sa.Row[tuple[object, ...]]]:
    engine = create_database_engine(url)
    try:
        with engine.connect() as db:
            return list(db.execute(sa.select(outbox_message).order_by(outbox_message.c.id)).all())
    finally:
        engine.dispose()


def pending_rows(url: str) -> int:
    """Messages neither sent nor failed."""
    return sum(1 for row in outbox_rows(url) if row.sent_at is None and row.failed_at is None)


def waiting_rows(url: str) -> list[str]:
    """What a failed assertion shows of the messages still waiting: key, attempts, outcome, lease, due time."""
    return [f"{row.key} attempts={row.attempts} outcome={row.outcome} claimed_until={row.claimed_until} "
            f"due_at={row.due_at} created_at={row.created_at}"
            for row in outbox_rows(url) if row.sent_at is None and row.failed_at is None]


def latest_lease(url: str) -> datetime | None:
    """The latest `claimed_until` among messages not yet sent or failed (None: nothing held)."""
    held = [row.claimed_until for row in outbox_rows(url)
            if row.sent_at is None and row.failed_at is None and row.claimed_until is not None]
    return max(held, default=None)


async def leases_run_out(url: str, timeout: float) -> None:
    """Wait until no unsent message is held by a lease that is still running (by the real clock)."""
    held = latest_lease(url)
    if held is not None:
        await wait_for(lambda: utc_now() > held, "the killed worker's leases to run out", timeout=timeout)


@dataclass
class Figures:
    """What a fault test prints and reports: kills, recipients, duplicates, the bound."""

    title: str
    seed: int | None = None
    kills: int = 0
    restarts: int = 0  # of the database: each cuts what is on the wire, like a kill
    runs: int = 0
    kill_delays: list[float] = field(default_factory=list)
    waves: list[Wave] = field(default_factory=list)
    duplicates: int = 0
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def recipients(self) -> int:
        return sum(len(wave.users) for wave in self.waves)

    @property
    def bound(self) -> int:
        return (self.kills + self.restarts) * IN_FLIGHT

    def show(self) -> str:
        parts = [f"seed {self.seed}"] if self.seed is not None else []
        if self.kills:
            delays = ", ".join(f"{d:.2f}" for d in self.kill_delays)
            parts.append(f"{self.kills} kills in {self.runs} runs (SIGKILL {delays} s after each run's getMe)")
        if self.restarts:
            parts.append(f"{self.restarts} database restarts")
        parts += [f"{len(self.waves)} waves, {self.recipients} messages to send",
                  f"duplicates {self.duplicates}, bound ({self.kills} kills + {self.restarts} restarts) × "
                  f"{IN_FLIGHT} in flight = {self.bound}", f"{self.elapsed:.1f} s"]
        text = "\n".join([f"\n[faults] {self.title}: " + "; ".join(parts),
                          *(f"[faults]   {note}" for note in self.notes)])
        print(text)
        return text


def unserved(stats: Stats, waves: Sequence[Wave]) -> dict[str, int]:
    """Per wave, how many recipients have no copy yet."""
    missing = {}
    for wave in waves:
        copies = stats.copies(wave.marker)
        missing[wave.name] = sum(1 for user in wave.users if copies[user] == 0)
    return missing


def duplicates(stats: Stats, waves: Sequence[Wave]) -> int:
    return sum(stats.duplicates(wave.marker) for wave in waves)


def assert_every_row_sent_once_counted(url: str, stats: Stats, waves: Sequence[Wave]) -> None:
    """Every message of every wave is marked sent (none failed, none held), and was never delivered more
    often than attempts were recorded for it: an attempt is written before its request goes out."""
    rows = outbox_rows(url)
    for wave in waves:
        copies = stats.copies(wave.marker)
        mine = {str(row.user_id): row for row in rows if str(row.key).startswith(wave.key_prefix)}
        assert sorted(mine) == sorted(wave.users), f"{wave.name}: one outbox row per recipient"
        not_sent = [(user, row.attempts, row.outcome, row.reason) for user, row in mine.items() if row.sent_at is None]
        assert not_sent == [], f"{wave.name}: stuck or failed rows (user, attempts, outcome, reason)"
        under_counted = [(user, copies[user], row.attempts) for user, row in mine.items()
                         if copies[user] > int(row.attempts)]
        assert under_counted == [], f"{wave.name}: delivered more often than attempts were counted"
        assert all(row.claimed_until is None for row in mine.values()), f"{wave.name}: a sent row still leased"


async def tick_once(settings: dict[str, str], log_dir: Path, name: str, moment: datetime | None = None, *,
                    args: Sequence[str] = ()) -> tuple[int, str, int | None]:
    """Run `kartoitus tick [--now moment]` (or another command) to its end: (exit code, its output, the
    pending count it printed)."""
    args = args or (("tick", "--now", moment.isoformat()) if moment is not None else ("tick",))
    process = await BotProcess(name, log_dir, **settings).start(*args)
    code = await process.wait(timeout=180)
    output = process.output()
    found = PENDING.findall(output)
    return code, output, int(found[-1]) if found else None


async def _get_me_count(api: FakeBotApi) -> int:
    return int((await api.stats()).calls.get("getMe", 0))


async def start_and_kill(process: BotProcess, args: Sequence[str], api: FakeBotApi, rng: random.Random,
                         figures: Figures, *, low: float = 0.2, high: float = 3.0) -> bool:
    """Start a process, wait for its getMe, then SIGKILL it after a random delay; False if it ended first."""
    before = await _get_me_count(api)
    await process.start(*args)
    figures.runs += 1

    async def reached_api() -> bool:
        return not process.running() or await _get_me_count(api) > before

    await wait_for(reached_api, f"{process.name} to reach the Bot API", timeout=90)
    delay = rng.uniform(low, high)
    assert process.process is not None
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(process.process.wait()), delay)
    if not process.running():
        return False
    await process.kill()  # SIGKILL
    figures.kills += 1
    figures.kill_delays.append(delay)
    return True


async def kill_ticks(api: FakeBotApi, url: str, settings: dict[str, str], log_dir: Path, figures: Figures, *,
                     seed: int, min_kills: int, start: datetime = WORKING_DAY_10, max_runs: int = 80) -> datetime:
    """SIGKILL `kartoitus tick --now …` at random moments until `min_kills` kills were made (a new wave of
    reminders is queued whenever the earlier ones are all served). Each run's `--now` is later than
    the previous one's by more than the lease, so a killed run's claims come back; the caller's
    clean tick after the last kill serves the rest. Returns the last moment used."""
    rng = random.Random(seed)
    figures.seed = seed
    moment = start
    began = time.monotonic()
    while figures.kills < min_kills:
        stats = await api.stats()
        if not any(unserved(stats, figures.waves).values()):
            figures.waves.append(queue_notices(url, figures.waves[0].users, due=moment,
                                               name=f"wave{len(figures.waves) + 1}"))
        assert figures.runs < max_runs, f"not served after {figures.runs} runs: {unserved(stats, figures.waves)}"
        moment += timedelta(seconds=LEASE_SECONDS + 10)
        process = BotProcess(f"tick-{figures.runs}", log_dir, **settings)
        await start_and_kill(process, ("tick", "--now", moment.isoformat()), api, rng, figures)
    figures.elapsed = time.monotonic() - began
    return moment


def utc_now() -> datetime:
    return datetime.now(UTC)


class RestartablePostgres:
    """A PostgreSQL cluster of a test's own, so that restarting it disturbs nobody else's tests."""

    def __init__(self, binaries: Path, root: Path, port: int) -> None:
        self.binaries = binaries
        self.root = root
        self.port = port
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        self.restarts = 0

    def restart(self, mode: str = "immediate") -> float:
        """`pg_ctl restart` (immediate: like a crash, every connection cut); the seconds it took."""
        started = time.monotonic()
        _run([str(self.binaries / "pg_ctl"), "-w", "-D", str(self.root / "data"), "-m", mode, "-l",
              str(self.root / "log"), "restart"], self.root / "log")
        self.restarts += 1
        return time.monotonic() - started

    def stop(self) -> None:
        import subprocess

        subprocess.run(_as_postgres([str(self.binaries / "pg_ctl"), "-D", str(self.root / "data"), "-m",
                                     "immediate", "stop"]), check=False, capture_output=True)


@pytest.fixture
def restartable_postgres() -> Iterator[RestartablePostgres]:
    """A throwaway cluster for one test, run as `postgres` when the tests run as root."""
    binaries = _bin_dir()
    if binaries is None:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on this machine")
    root = Path(tempfile.mkdtemp(prefix="kartoitus-pg-restart-"))
    if os.geteuid() == 0:  # initdb refuses root
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
    cluster = RestartablePostgres(binaries, root, _start(binaries, root))
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
