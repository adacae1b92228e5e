"""The composition root: builds stores, content and adapters from settings.

The only bot module (with bot.shell.cli and bot.shell.settings) that may import adapters/ and storage/.
"""

from __future__ import annotations

import asyncio
import functools
import getpass
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

from sqlalchemy.engine import Engine

from adapters.platform import Connected, PlatformApp, Surroundings
from adapters.terminal.app import TerminalChat, TerminalSender
from bot.app.digest_commands import DigestCommands
from bot.app.digest_schedule import DigestSchedule
from bot.app.discussions import DiscussionDesk, IdleDiscussions
from bot.app.dispatcher import Dispatcher
from bot.app.draining import DrainingSender
from bot.app.group_invitations import GroupInvitations
from bot.app.leads import LeadDesk
from bot.app.outbox import OutboxWorker
from bot.app.privacy import PrivacyDesk
from bot.app.reminders import ReminderDesk, ReminderPlanner
from bot.app.roles import Roles
from bot.app.round_commands import RoundCommands
from bot.app.round_desk import RoundDesk
from bot.app.service import TurnService
from bot.app.teams import TeamDesk
from bot.core.clock import StartedClock, SystemClock
from bot.core.identity import UserRef
from bot.core.instrument import Instrument
from bot.core.ports import Clock, Sender
from bot.core.workdays import ReminderPolicy, WorkingHours
from bot.shell import log_privacy
from bot.shell.content import SHIPPED_CONTENT_DIR, load_instrument
from bot.shell.platforms import connected
from bot.shell.scheduler import Ticker
from bot.shell.settings import Settings
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_discussions import SqlDiscussions
from storage.sql_outbox import SqlOutbox
from storage.sql_privacy import SqlPrivacy
from storage.sql_roles import SqlRoles
from storage.sql_rounds import SqlRounds
from storage.sql_store import SqlStore
from storage.sql_teams import SqlTeams


def connected_platforms(settings: Settings) -> list[Connected]:
    """The connected platforms configured in this process, in registry order."""
    return [platform for platform in connected(settings.platforms) if platform.enabled(settings)]


log = logging.getLogger(__name__)
# After SIGTERM: turns already taken may send their replies this long; then what still waits for
# its slot goes to the outbox. The whole stop stays well under the 10 s a service manager waits.
SHUTDOWN_GRACE_SECONDS = 4.0
SHUTDOWN_STEP_SECONDS = 2.5  # at most for each later step: the outbox worker, the platforms' own stop


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # After basicConfig, so that its handler gets the filter too: at DEBUG the SDKs log bodies and updates,
    # and at any level a database error carries its parameters; none of that may reach a log (log_privacy).
    log_privacy.install()


@functools.cache
def _instrument(directory: Path) -> Instrument:
    return load_instrument(directory)


def instrument_for(settings: Settings) -> Instrument:
    """The content, parsed once per folder and process."""
    return _instrument(settings.content_dir or SHIPPED_CONTENT_DIR)


@functools.cache
def _engine(url: str) -> Engine:
    return create_database_engine(url)


def engine_for(settings: Settings) -> Engine:
    """One engine (one connection pool) per database and process, shared by every store."""
    return _engine(settings.database_url)


def prepare_database(settings: Settings) -> str:
    """Create or upgrade the schema; returns the revision now in place."""
    return upgrade(settings.database_url)


@functools.cache
def _started_clock(start: datetime) -> StartedClock:
    return StartedClock(start)


def clock_for(settings: Settings) -> Clock:
    """The process's clock: the real time, or with KARTOITUS_CLOCK_START one clock for the whole process
    that started at that moment and runs on in real time (every part of the process shares it)."""
    return _started_clock(settings.clock_start) if settings.clock_start is not None else SystemClock()


def store_for(settings: Settings) -> SqlStore:
    return SqlStore(engine_for(settings))


def dispatcher_factory(settings: Settings, instrument: Instrument, teams: SqlTeams, clock: Clock,
                       drains: list[DrainingSender] | None = None
                       ) -> Callable[[Sender, Callable[[str], str]], Dispatcher]:
    """What a platform app calls with its sender and join links: the whole core around one person's turn.

    Replies go through a DrainingSender (collected in `drains`), so a stop can hand them to the outbox."""
    store = SqlStore(teams.engine)
    roles = Roles(settings.coordinator_ids, SqlRoles(teams.engine))

    def build(platform_sender: Sender, join_link: Callable[[str], str]) -> Dispatcher:
        sender = DrainingSender(platform_sender, SqlOutbox(teams.engine), clock)
        if drains is not None:
            drains.append(sender)
        discussions = discussion_desk(settings, teams, sender, clock, join_link)
        turns = TurnService(store, instrument, sender, clock, language=settings.language,
                            role_commands=roles.commands, shown=teams, side_questions=discussions.side_question)
        return Dispatcher(turns, TeamDesk(teams, instrument, sender, clock, join_link, language=settings.language),
                          ReminderDesk(reminder_planner(settings, clock)), round_commands(settings, teams, clock),
                          digest_commands(settings, teams, clock), opened=group_invitations(settings, clock).opened,
                          privacy=privacy_desk(settings, clock, teams), reachability=teams, discussions=discussions,
                          leads=LeadDesk(SqlRoles(teams.engine), roles, teams, instrument, sender, clock,
                                         language=settings.language))

    return build


def discussion_desk(settings: Settings, teams: SqlTeams, sender: Sender, clock: Clock,
                    join_link: Callable[[str], str] = lambda code: "") -> DiscussionDesk:
    """Team discussions in a platform app, with its sender."""
    engine = teams.engine
    return DiscussionDesk(SqlDiscussions(engine), teams, SqlRounds(engine),
                          Roles(settings.coordinator_ids, SqlRoles(engine)), SqlRoles(engine), instrument_for(settings),
                          sender, clock, teams, join_link=join_link, language=settings.language,
                          outbox=SqlOutbox(engine))


def surroundings(settings: Settings, clock: Clock | None = None) -> Surroundings:
    """What every platform is handed: content, clock, the stores it needs, its share of the limits, the port."""
    teams = SqlTeams(engine_for(settings))
    return Surroundings(instrument=instrument_for(settings), clock=clock or clock_for(settings), refs=teams,
                        reachability=teams, directory=teams, processes=settings.processes,
                        http_host=settings.http_host, http_port=settings.http_port)


def platform_app(settings: Settings, platform: Connected, *, drains: list[DrainingSender] | None = None,
                 clock: Clock | None = None, **options: object) -> PlatformApp:
    """A platform's app around the whole core (options are the platform's own: a limiter, a poll interval)."""
    around = surroundings(settings, clock)
    build_dispatcher = dispatcher_factory(settings, around.instrument, SqlTeams(engine_for(settings)), around.clock,
                                          drains)
    return platform.build_app(settings, around, build_dispatcher, **options)


@dataclass
class Running:
    """The platforms a process runs, their senders, the scheduler, and the drains of their replies."""

    apps: dict[str, PlatformApp] = field(default_factory=dict)
    drains: list[DrainingSender] = field(default_factory=list)
    ticker: Ticker | None = None

    @property
    def senders(self) -> dict[str, Sender]:
        return {name: app.sender for name, app in self.apps.items()}

    async def stop(self) -> None:
        await shut_down(list(self.apps.values()), self.ticker, self.drains)


async def start_platforms(settings: Settings, *, clock: Clock | None = None, interval_seconds: float | None = None
                          ) -> Running:
    """Start every configured platform of the registry and the scheduler that sends through them."""
    running = Running()
    try:
        for platform in connected_platforms(settings):
            app = platform_app(settings, platform, drains=running.drains, clock=clock)
            await platform.start(app, settings, surroundings(settings, clock))
            running.apps[platform.name] = app
        running.ticker = scheduler_for(settings, running.senders, interval_seconds=interval_seconds, clock=clock)
        running.ticker.start()
    except BaseException:
        await running.stop()
        raise
    return running


async def run_platforms(settings: Settings) -> None:
    """Run every configured platform in this process until SIGINT or SIGTERM, then stop gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    running = await start_platforms(settings)
    try:
        await stop.wait()
    finally:
        await running.stop()


async def shut_down(apps: Sequence[PlatformApp], ticker: Ticker | None, drains: Sequence[DrainingSender], *,
                    grace: float = SHUTDOWN_GRACE_SECONDS, step: float = SHUTDOWN_STEP_SECONDS) -> None:
    """Stop taking work, then finish or hand over what is in flight, in about `grace` + 2 × `step` seconds.

    1. No new work: the platforms take no more requests or updates, the scheduler starts no tick
       and its outbox worker claims nothing more; what it has on the wire may finish for `step`
       seconds, the rest of its claims are given back at once (not after the lease).
    2. The turns already taken run on for `grace` seconds (their answers are committed within
       milliseconds; only replies wait, for the platforms' limits).
    3. Replies still waiting are kept for the outbox (DrainingSender.hand_over); the platforms stop,
       and the kept replies are written to the outbox in one transaction each.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    await _each("taking no new work", [app.stop_intake() for app in apps])
    closing = asyncio.ensure_future(ticker.close(timeout=step)) if ticker is not None else None
    await _each("letting turns finish", [app.settle(grace - (loop.time() - started)) for app in apps])
    if closing is not None:  # before the platforms close their clients: a send cut off there would go twice
        await _each("stopping the scheduler", [closing])
    for drain in drains:
        drain.hand_over()
    await _each("stopping the platforms", [app.stop(timeout=step) for app in apps])
    for drain in drains:  # one after the other, once nothing else in this process writes
        await _each("handing replies to the outbox", [drain.flush()])
    handed, dropped = sum(d.handed_over for d in drains), sum(d.dropped for d in drains)
    log.info("stopped in %.1f s; %d replies handed to the outbox, %d not sent", loop.time() - started, handed, dropped)


async def _each(what: str, steps: Sequence[Awaitable[object]]) -> None:
    for outcome in await asyncio.gather(*steps, return_exceptions=True):
        if isinstance(outcome, BaseException):
            log.error("stopping: %s failed", what, exc_info=outcome)


def working_hours(settings: Settings) -> WorkingHours:
    start, end = settings.working_hour_range
    return WorkingHours(start=time(start), end=time(end) if end < 24 else time(23, 59), zone=settings.timezone)


def reminder_planner(settings: Settings, clock: Clock | None = None) -> ReminderPlanner:
    engine = engine_for(settings)
    hours = working_hours(settings)
    policy = ReminderPolicy(before_deadline=settings.reminder_offsets, max_per_round=settings.reminder_max, hours=hours)
    return ReminderPlanner(SqlRounds(engine), SqlOutbox(engine), instrument_for(settings), clock or clock_for(settings),
                           policy=policy, language=settings.language, coordinators=settings.coordinator_ids)


def digest_schedule(settings: Settings, clock: Clock) -> DigestSchedule:
    engine = engine_for(settings)
    hours = working_hours(settings)
    roles = SqlRoles(engine)

    def granted() -> list[str]:
        return [name for name, role, _ in roles.grants() if role == "coordinator"]

    return DigestSchedule(SqlRounds(engine), SqlOutbox(engine), lambda language: round_desk(settings, language, clock),
                          clock, hours=hours, language=settings.language, min_scores=settings.min_scores,
                          min_texts=settings.min_texts, results_during_round=settings.digest_during_round == "results",
                          weekday=settings.digest_weekday - 1 if settings.digest_weekday else None,
                          coordinators=settings.coordinator_ids, coordinators_granted=granted,
                          chosen_language=SqlTeams(engine).chosen_language)


def queue_digest(settings: Settings, team_title: str, round_id: int | None, clock: Clock | None = None) -> bool:
    """Queue a team's digest for its channel now (`kartoitus digest --post`); False if the team is unknown."""
    clock = clock or clock_for(settings)
    schedule = digest_schedule(settings, clock)
    rounds = schedule.rounds
    info = rounds.round(round_id) if round_id is not None else next(
        (r for r in rounds.rounds() if r.status == "open"), next(iter(rounds.rounds()), None))
    team = next((t for t in rounds.round_teams(info.id) if t.title.casefold() == team_title.casefold()), None) \
        if info is not None else None
    if info is None or team is None:
        return False
    schedule.post_team(info, team, f"manual-{clock.now():%Y%m%dT%H%M%S}", clock.now())
    return True


class ScheduledWork:
    """One tick's work: close rounds whose time is over, queue due reminders and digests, send the outbox;
    then tell each team's group of members the platform would not let the bot message first, and send that."""

    def __init__(self, settings: Settings, senders: dict[str, Sender], clock: Clock) -> None:
        self.planner = reminder_planner(settings, clock)
        self.privacy = privacy_desk(settings, clock)
        self.digests = digest_schedule(settings, clock)
        self.groups = group_invitations(settings, clock, join_links(settings, senders))
        self.discussions = IdleDiscussions(SqlDiscussions(engine_for(settings)), instrument_for(settings), clock,
                                           idle_days=settings.discussion_idle_days, hours=working_hours(settings),
                                           language=settings.language)
        self.senders = senders
        self.worker = OutboxWorker(SqlOutbox(engine_for(settings)), senders, clock, worker=f"worker-{os.getpid()}",
                                   in_flight=settings.outbox_in_flight, lease_seconds=settings.outbox_lease_seconds)

    async def __call__(self) -> int:
        await asyncio.to_thread(self.privacy.expire)  # retention: long-closed rounds' raw answers and links go
        await asyncio.to_thread(self.planner.plan)
        await asyncio.to_thread(self.digests.plan)
        await asyncio.to_thread(self.discussions.plan, self.worker.outbox)
        if not self.senders:
            return 0
        sent = await self.worker.drain()
        if await asyncio.to_thread(self.groups.plan):  # members the platform refused: told in their group
            sent += await self.worker.drain()
        return sent

    async def stop(self, timeout: float) -> None:
        """Claim nothing more; what is on the wire may finish for `timeout` s, the other claims are given back."""
        await self.worker.stop(timeout=timeout)


def join_links(settings: Settings, senders: dict[str, Sender]) -> dict[str, Callable[[str], str]]:
    """Per platform, the link that opens the private chat with the bot and joins a team (Telegram's deep link)."""
    links: dict[str, Callable[[str], str]] = {}
    for platform in connected(settings.platforms):
        sender = senders.get(platform.name)
        link = platform.join_link(sender) if sender is not None else None
        if link is not None:
            links[platform.name] = link
    return links


def group_invitations(settings: Settings, clock: Clock, links: dict[str, Callable[[str], str]] | None = None
                      ) -> GroupInvitations:
    engine = engine_for(settings)
    return GroupInvitations(SqlRounds(engine), SqlTeams(engine), SqlOutbox(engine), instrument_for(settings), clock,
                            links=links or {}, language=settings.language)


def scheduled_work(settings: Settings, senders: dict[str, Sender], clock: Clock) -> ScheduledWork:
    """One tick's work: close rounds whose time is over, queue due reminders, send the outbox."""
    return ScheduledWork(settings, senders, clock)


def scheduler_for(settings: Settings, senders: dict[str, Sender], *, interval_seconds: float | None = None,
                  clock: Clock | None = None) -> Ticker:
    """The ticker of a running process: each tick does the due work through the running platforms."""
    work = scheduled_work(settings, senders, clock or clock_for(settings))
    return Ticker(work, interval_seconds=interval_seconds or settings.tick_seconds, stop_work=work.stop)


def round_desk(settings: Settings, language: str | None = None, clock: Clock | None = None) -> RoundDesk:
    engine = engine_for(settings)
    return RoundDesk(SqlRounds(engine), SqlOutbox(engine), instrument_for(settings), clock or clock_for(settings),
                     language=language or settings.language, zone=settings.timezone,
                     discussions=SqlDiscussions(engine))


def privacy_desk(settings: Settings, clock: Clock | None = None, teams: SqlTeams | None = None) -> PrivacyDesk:
    """Data subjects' requests (in chat and `kartoitus person`) and the retention step of the tick."""
    engine = engine_for(settings)
    return PrivacyDesk(SqlPrivacy(engine), SqlRounds(engine), instrument_for(settings), clock or clock_for(settings),
                       mark_processed=teams.mark_processed if teams is not None else None,
                       min_scores=settings.min_scores, min_texts=settings.min_texts,
                       retention_months=settings.retention_months, zone=settings.timezone, language=settings.language)


def role_store(settings: Settings) -> SqlRoles:
    return SqlRoles(engine_for(settings))


def outbox_store(settings: Settings) -> SqlOutbox:
    return SqlOutbox(engine_for(settings))


def digest_commands(settings: Settings, teams: SqlTeams, clock: Clock | None = None) -> DigestCommands:
    roles = role_store(settings)
    return DigestCommands(lambda language: round_desk(settings, language, clock),
                          Roles(settings.coordinator_ids, roles), roles, teams, min_scores=settings.min_scores,
                          min_texts=settings.min_texts, language=settings.language)


def round_commands(settings: Settings, teams: SqlTeams | None = None, clock: Clock | None = None) -> RoundCommands:
    desks: dict[str, RoundDesk] = {}

    def desk_for(language: str) -> RoundDesk:
        return desks.setdefault(language, round_desk(settings, language, clock))

    roles = Roles(settings.coordinator_ids, SqlRoles(engine_for(settings)))
    return RoundCommands(desk_for, roles, instrument_for(settings),
                         teams.mark_processed if teams is not None else None, language=settings.language,
                         chosen_language=teams.chosen_language if teams is not None else None,
                         min_scores=settings.min_scores)


async def platform_senders(settings: Settings, stack: AsyncExitStack, clock: Clock | None = None
                           ) -> dict[str, Sender]:
    """Senders for the configured platforms, for sending outside a conversation (the scheduler)."""
    around = surroundings(settings, clock)
    return {platform.name: await platform.open_sender(settings, around, stack)
            for platform in connected_platforms(settings)}


async def tick(settings: Settings, *, now: datetime | None = None, clock: Clock | None = None) -> tuple[int, int]:
    """One scheduler tick: send what is due through the configured platforms; (sent, still pending).

    At `now` if given (a clock that starts there and runs on for the tick), else on `clock` or the process's clock."""
    engine = engine_for(settings)
    outbox = SqlOutbox(engine)
    clock = StartedClock(now) if now is not None else clock or clock_for(settings)
    async with AsyncExitStack() as stack:
        senders = await platform_senders(settings, stack, clock)
        sent = await scheduled_work(settings, senders, clock)()
    return sent, outbox.pending()


def terminal_chat(settings: Settings, user_name: str | None = None, clock: Clock | None = None) -> TerminalChat:
    instrument = instrument_for(settings)
    store = store_for(settings)
    clock = clock or clock_for(settings)
    user = UserRef("terminal", "local", user_name or getpass.getuser())

    teams = SqlTeams(store.engine)

    def build_service(sender: TerminalSender) -> Dispatcher:
        desk = TeamDesk(teams, instrument, sender, clock, join_link=lambda code: "kartoitus chat",
                        language=settings.language)
        turns = TurnService(store, instrument, sender, clock, language=settings.language,
                            role_commands=Roles(settings.coordinator_ids, SqlRoles(store.engine)).commands)
        return Dispatcher(turns, desk, rounds=round_commands(settings, teams, clock),
                          digests=digest_commands(settings, teams, clock), privacy=privacy_desk(settings, clock, teams))

    from bot.app.outbox import Collection  # what was sent to the person while the terminal was closed

    held = Collection(SqlOutbox(store.engine), clock, worker=f"terminal-{os.getpid()}",
                      lease_seconds=settings.outbox_lease_seconds)
    return TerminalChat(build_service=build_service, instrument=instrument, clock=clock, user=user,
                        language=settings.language, collect=lambda sender: held.deliver(user, sender))
