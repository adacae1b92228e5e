"""The handlers a platform app is running, so that a stop can let them finish.

A handler enters when it starts (`enter()` registers the current task). On a stop the app first
takes no new requests, then `settle()` waits until the running handlers are done or a deadline
passes; whatever still runs after the stop's last chance is cancelled.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


class InFlight:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def enter(self) -> None:
        """Count the running task as one handler until it ends."""
        task = asyncio.current_task()
        if task is not None and task not in self._tasks:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def tracked(self, handler: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        """`handler`, entering first; keeps its signature (slack-bolt injects arguments by name)."""
        @functools.wraps(handler)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            self.enter()
            return await handler(*args, **kwargs)
        return run

    async def settle(self, timeout: float) -> bool:
        """Wait until no handler runs (True) or `timeout` seconds passed (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks:
            left = deadline - loop.time()
            if left <= 0:
                return False
            await asyncio.wait(set(self._tasks), timeout=left)
        return True

    async def cancel(self) -> int:
        """Cancel the handlers still running; returns how many there were."""
        late = [task for task in self._tasks if task is not asyncio.current_task()]
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        if late:
            log.warning("stopping: %d handlers did not finish in time and were cancelled", len(late))
        return len(late)
