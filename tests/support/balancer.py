"""A small reverse proxy: one entry point in front of several `kartoitus run` processes.

Requests are routed by path prefix to a pool of backends (e.g. `/slack` to the Slack processes,
`/telegram` to the Telegram ones) and spread round-robin within the pool, as a load balancer in
front of the service would. A backend that refuses the connection is skipped for the next one.
For tests, `mirror(pool)` delivers the pool's next request to every backend of the pool at once
(a platform retrying a delivery that is still being handled elsewhere) and answers with the first
response. `handled` records which backend got what.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import aiohttp
from aiohttp import web

HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}


@dataclass(frozen=True)
class Forwarded:
    path: str
    backend: str
    status: int
    mirrored: bool


class Balancer:
    def __init__(self, pools: dict[str, list[str]]) -> None:
        self.pools = pools  # path prefix -> backend base URLs ("http://127.0.0.1:8081")
        self._turns: dict[str, Iterator[int]] = {prefix: itertools.cycle(range(len(urls)))
                                                 for prefix, urls in pools.items()}
        self._mirror: dict[str, int] = {prefix: 0 for prefix in pools}
        self.handled: list[Forwarded] = []
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    def mirror(self, prefix: str, requests: int = 1) -> None:
        """Deliver each of the pool's next `requests` requests to every backend of the pool at the same time."""
        self._mirror[prefix] += requests

    def count(self, backend: str, prefix: str = "/") -> int:
        return sum(1 for f in self.handled if f.backend == backend and f.path.startswith(prefix))

    async def start(self) -> str:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def handle(self, request: web.Request) -> web.Response:
        prefix = next((p for p in sorted(self.pools, key=len, reverse=True) if request.path.startswith(p)), None)
        if prefix is None:
            return web.Response(status=404, text="no pool for this path")
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        backends = self.pools[prefix]
        if self._mirror[prefix] > 0:
            self._mirror[prefix] -= 1
            answers = await asyncio.gather(*(self._forward(request, url, headers, body, mirrored=True)
                                             for url in backends))
            return next((a for a in answers if a is not None), web.Response(status=502))
        first = next(self._turns[prefix])
        for step in range(len(backends)):  # the next one in turn; skip a backend that is down
            answer = await self._forward(request, backends[(first + step) % len(backends)], headers, body)
            if answer is not None:
                return answer
        return web.Response(status=502, text="no backend answered")

    async def _forward(self, request: web.Request, backend: str, headers: dict[str, str], body: bytes, *,
                       mirrored: bool = False) -> web.Response | None:
        assert self._session is not None
        try:
            async with self._session.request(request.method, backend + request.path_qs, headers=headers,
                                             data=body) as answer:
                content = await answer.read()
                self.handled.append(Forwarded(request.path, backend, answer.status, mirrored))
                kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
                return web.Response(status=answer.status, body=content, headers=kept)
        except aiohttp.ClientConnectionError:
            return None
