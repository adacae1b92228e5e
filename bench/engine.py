"""Turns per second: the pure engine alone, and full turns on a real SQLite file.

    .venv/bin/python bench/engine.py [--people 200] [--seconds 3]

A full turn is what the service does for every message: dedupe, load the conversation and
its answers, step, save with the version check and append the answers, commit.
Aims (issue 2): at least 20,000 pure steps/s and 1,000 SQLite turns/s on one core.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app.service import TurnService
from bot.core.commands import command_aliases, parse_command
from bot.core.conversation import Conversation, RoundRef
from bot.core.delivery import DELIVERED, Delivery
from bot.core.engine import step
from bot.core.events import CommandReceived, Event, TextReceived
from bot.core.identity import UserRef
from bot.core.instrument import Instrument
from bot.core.messages import Outbound
from bot.shell.content import load_instrument
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_store import SqlStore

# A whole assessment as typed in the terminal: part 1 with its break, two points, the hub,
# the partnership levels and the plan.
SCRIPT = ["/start", "4", "3", "2", "0", "5", "1", "4", "3", "2", "3 7", "1",
          "HOKS toimii.", "Digi puuttuu.", "Ajan varaus.", "1", "Arviointi.", "Ostetut näytöt.", "/ohita", "1",
          "0", "1", "Käynnit.", "/ohita", "Strategia.", "Verkosto.", "1", "Edetään yhdessä."]


def events_for(user: UserRef, instrument: Instrument, start: datetime) -> Iterator[Event]:
    aliases = command_aliases(instrument)
    for index, line in enumerate(SCRIPT):
        at = start + timedelta(seconds=index)
        command = parse_command(line, aliases)
        event_id = f"{user.user}-{index}"
        if command:
            yield CommandReceived(event_id=event_id, user=user, at=at, name=command.name, argument=command.argument)
        else:
            yield TextReceived(event_id=event_id, user=user, at=at, text=line)


def pure_steps_per_second(instrument: Instrument, seconds: float) -> tuple[float, int]:
    round_ref = RoundRef(1, instrument.version)
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    user = UserRef("bench", "w", "u")
    events = list(events_for(user, instrument, now))
    steps, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        conversation = Conversation(user=user, round=round_ref)
        for event in events:
            conversation = step(conversation, event, instrument=instrument, now=now).conversation
            steps += 1
        assert conversation.step == "done", conversation.step
    return steps / (time.perf_counter() - started), steps


class NullSender:
    async def send(self, messages: Sequence[Outbound]) -> list[Delivery]:
        return [DELIVERED] * len(messages)


class StepClock:
    def __init__(self) -> None:
        self.current = datetime(2026, 11, 23, 9, tzinfo=UTC)

    def now(self) -> datetime:
        self.current += timedelta(milliseconds=1)
        return self.current


def sqlite_turns_per_second(instrument: Instrument, people: int) -> tuple[float, int, Path]:
    folder = Path(tempfile.mkdtemp(prefix="kartoitus-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    store = SqlStore(create_database_engine(url))
    service = TurnService(store, instrument, NullSender(), StepClock())
    start = datetime(2026, 11, 23, 9, tzinfo=UTC)
    streams = [list(events_for(UserRef("bench", "w", f"u{n}"), instrument, start)) for n in range(people)]
    turns, began = 0, time.perf_counter()
    for position in range(len(SCRIPT)):  # people interleave, as they would in a real round
        for stream in streams:
            service.process(stream[position])
            turns += 1
    return turns / (time.perf_counter() - began), turns, folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=200, help="simulated people on SQLite (default 200)")
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to run the pure engine (default 3)")
    options = parser.parse_args()
    instrument = load_instrument()
    rate, steps = pure_steps_per_second(instrument, options.seconds)
    print(f"pure engine:        {rate:>10,.0f} steps/s   ({steps:,} steps, {len(SCRIPT)} per full assessment)")
    rate, turns, folder = sqlite_turns_per_second(instrument, options.people)
    print(f"full SQLite turns:  {rate:>10,.0f} turns/s   ({turns:,} turns by {options.people} people, "
          f"WAL, synchronous=NORMAL, file in {folder})")


if __name__ == "__main__":
    main()
