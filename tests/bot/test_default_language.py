"""The configured language (KARTOITUS_LANGUAGE) speaks to a person who chose no language and whose
platform names none of ours; a locale of ours, and a language the person chose, still win."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from adapters.terminal.outbound import render
from bot.app.service import TurnService
from bot.core.events import CommandReceived, Event, TextReceived
from bot.core.identity import UserRef
from bot.core.instrument import Instrument
from bot.core.messages import Notice
from storage.memory_store import MemoryStore
from tests.support.clock import FakeClock
from tests.support.conversation import RecordingSender


def command(user: UserRef, name: str, event_id: str, *, locale: str | None, argument: str = "") -> CommandReceived:
    return CommandReceived(event_id=event_id, user=user, at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
                           locale=locale, name=name, argument=argument, raw=name)


def replies(service: TurnService, sender: RecordingSender, event: Event, instrument: Instrument) -> str:
    before = len(sender.sent)
    asyncio.run(service.handle(event))
    return "\n".join(filter(None, (render(message, instrument) for message in sender.sent[before:])))


def test_a_person_whose_locale_is_none_of_ours_is_spoken_to_in_the_configured_language(
        store: MemoryStore, instrument: Instrument) -> None:
    sender = RecordingSender()
    service = TurnService(store, instrument, sender, FakeClock(), language="sv")
    ola = UserRef("terminal", "local", "ola")
    text = replies(service, sender, command(ola, "start", "e1", locale="nb-NO"), instrument)
    assert "Välkommen!" in text and "Del 1 · 1/8" in text
    emma = UserRef("terminal", "local", "emma")
    assert "Welcome!" in replies(service, sender, command(emma, "start", "e2", locale="en-GB"), instrument)
    chosen = replies(service, sender, command(ola, "language", "e3", locale="nb-NO", argument="fi"), instrument)
    assert "Kieleksi vaihdettiin suomi" in chosen and "Osa 1 · 1/8" in chosen


def test_progress_of_someone_not_started_is_in_the_configured_language(store: MemoryStore,
                                                                        instrument: Instrument) -> None:
    service = TurnService(store, instrument, RecordingSender(), FakeClock(), language="en")
    nobody = UserRef("slack", "T1", "U1")
    assert asyncio.run(service.progress(nobody)).language == "en"
    assert asyncio.run(service.progress(nobody, locale="sv-FI")).language == "sv"


class BrokenStore(MemoryStore):
    def load_turn(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        raise RuntimeError("the database went away")


def test_the_apology_for_a_failed_turn_is_in_the_configured_language(instrument: Instrument) -> None:
    service = TurnService(BrokenStore(), instrument, RecordingSender(), FakeClock(), language="en")
    event = TextReceived(event_id="e1", user=UserRef("terminal", "local", "ola"),
                         at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC), locale=None, text="4")
    (apology,) = service.process_safely(event)
    assert isinstance(apology, Notice) and apology.language == "en"
    assert apology.text == instrument.text("en", "errors.internal")
