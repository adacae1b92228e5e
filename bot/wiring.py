"""The composition root: builds stores, content and adapters from settings.

The only bot module (with bot.cli and bot.settings) that may import adapters/ and storage/.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Sequence

from adapters.slack.capabilities import CAPABILITIES as SLACK
from adapters.telegram.capabilities import CAPABILITIES as TELEGRAM
from adapters.terminal.app import TerminalChat, TerminalSender
from adapters.terminal.capabilities import CAPABILITIES as TERMINAL
from bot.capabilities import Capabilities
from bot.clock import SystemClock
from bot.content import SHIPPED_CONTENT_DIR, load_instrument
from bot.identity import UserRef
from bot.instrument import Instrument
from bot.service import TurnService
from bot.settings import Settings
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_store import SqlStore

PLATFORM_CAPABILITIES: Sequence[Capabilities] = (TERMINAL, TELEGRAM, SLACK)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def instrument_for(settings: Settings) -> Instrument:
    return load_instrument(settings.content_dir or SHIPPED_CONTENT_DIR)


def prepare_database(settings: Settings) -> str:
    """Create or upgrade the schema; returns the revision now in place."""
    return upgrade(settings.database_url)


def store_for(settings: Settings) -> SqlStore:
    return SqlStore(create_database_engine(settings.database_url))


def terminal_chat(settings: Settings, user_name: str | None = None) -> TerminalChat:
    instrument = instrument_for(settings)
    store = store_for(settings)
    clock = SystemClock()
    user = UserRef("terminal", "local", user_name or getpass.getuser())

    def build_service(sender: TerminalSender) -> TurnService:
        return TurnService(store, instrument, sender, clock)

    return TerminalChat(build_service=build_service, instrument=instrument, clock=clock, user=user,
                        language=settings.language)
