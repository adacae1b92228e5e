"""One outbox worker process for the fan-out test: drains the outbox into a JSON-lines log.

    python -m tests.support.outbox_worker DATABASE_URL LOG NOW
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.app.outbox import OutboxWorker
from bot.core.delivery import DELIVERED, Delivery
from bot.core.messages import Outbound
from storage.database import create_database_engine
from storage.sql_outbox import SqlOutbox
from tests.support.clock import FakeClock


class LoggingSender:
    """Stands in for a platform: appends every delivered message to the log, slowly enough to interleave."""

    def __init__(self, log: Path) -> None:
        self.log = log.open("a", encoding="utf-8")

    async def send(self, messages: Sequence[Outbound]) -> list[Delivery]:
        for message in messages:
            await asyncio.sleep(0.001)
            self.log.write(json.dumps({"user": message.to.key, "pid": os.getpid()}) + "\n")
            self.log.flush()
        return [DELIVERED] * len(messages)


async def main(url: str, log: Path, now: datetime) -> None:
    engine = create_database_engine(url)
    worker = OutboxWorker(SqlOutbox(engine), {"telegram": LoggingSender(log)}, FakeClock(now),
                          worker=f"worker-{os.getpid()}")
    await worker.drain()
    engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), datetime.fromisoformat(sys.argv[3])))
