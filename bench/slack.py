"""N simulated people take part 1 in Slack at once, with correctly signed requests.

    .venv/bin/python bench/slack.py [--people 200] [--unpaced] [--think 0] [--spread 0]

The app runs in its own process (the real bolt adapter in HTTP mode, SQLite file) with its Web
API client pointed at the fake Web API of the tests, which runs here; this process plays the
people: a DM message, eight rating buttons (continuing at the break), two toggles and "Valmis".
Prints requests/s, p50/p95 ack latency (a signed request → the app's HTTP answer), p50/p95
reply latency (a click → the next question posted) and the app process's peak RSS. By default
the app keeps Slack's pace of about one message per second per channel; --unpaced lifts it to
show the app's own capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: this file's name would hide the `slack` packages

from slack_sdk.signature import SignatureVerifier  # noqa: E402

from bench.harness import cpu_seconds, ms, peak_rss_mb, serve_slack  # noqa: E402
from tests.support.slack import APP_ID, BOT_TOKEN, SIGNING_SECRET, TEAM, FakeSlackApi, free_port  # noqa: E402

RATINGS = ["4", "3", "2", "cant_say", "5", "4", "3", "2"]  # part 1 runs straight through
TARGETS = ["ennakkosuunnittelu", "naytot", "done"]


class WatchingSlackApi(FakeSlackApi):
    """The fake Web API, also telling a waiting person when the app shows them buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.waiters: dict[str, asyncio.Future[list[dict[str, Any]]]] = {}

    def _notify(self, channel: str, blocks: Any) -> None:
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks or []
        if any(block.get("type") == "actions" for block in blocks):
            waiter = self.waiters.pop(channel, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(blocks)

    def api_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        answer = super().api_chat_postMessage(params)
        self.messages.clear()  # the bench reads nothing back; keep memory flat
        self._notify(answer["channel"], params.get("blocks"))
        return answer

    def api_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        self._notify(str(params["channel"]), params.get("blocks"))
        return {"ok": True, "channel": params["channel"], "ts": params["ts"]}


class Stats:
    def __init__(self) -> None:
        self.acks: list[float] = []
        self.replies: list[float] = []
        self.requests = 0


async def person(number: int, http: httpx.AsyncClient, app_url: str, api: WatchingSlackApi, stats: Stats,
                 think: float, arrival: float) -> int:
    user = f"U{number:08d}"
    channel = "D" + user[1:]
    verifier = SignatureVerifier(SIGNING_SECRET)
    loop = asyncio.get_running_loop()

    async def post(body: str, content_type: str) -> list[dict[str, Any]]:
        waiter: asyncio.Future[list[dict[str, Any]]] = loop.create_future()
        api.waiters[channel] = waiter
        timestamp = str(int(time.time()))
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp,
                   "X-Slack-Signature": verifier.generate_signature(timestamp=timestamp, body=body)}
        began = time.perf_counter()
        response = await http.post(app_url, content=body.encode(), headers=headers)
        stats.acks.append(time.perf_counter() - began)
        stats.requests += 1
        response.raise_for_status()
        blocks = await asyncio.wait_for(waiter, 600)
        stats.replies.append(time.perf_counter() - began)
        return blocks

    def press(blocks: list[dict[str, Any]], value: str) -> str:
        buttons = [element for block in blocks if block["type"] == "actions" for element in block["elements"]]
        button = next(b for b in buttons if b["value"].split(":", 1)[1] == value)
        block = next(b for b in blocks if b["type"] == "actions" and button in b["elements"])
        payload = {"type": "block_actions", "team": {"id": TEAM}, "api_app_id": APP_ID,
                   "user": {"id": user, "team_id": TEAM}, "trigger_id": f"t{number}.{time.time()}",
                   "container": {"type": "message", "channel_id": channel, "message_ts": "1.1"},
                   "channel": {"id": channel},
                   "actions": [{"type": "button", "action_id": button["action_id"], "block_id": block["block_id"],
                                "value": button["value"], "action_ts": f"{time.time():.6f}"}]}
        return urllib.parse.urlencode({"payload": json.dumps(payload)})

    event = {"token": "t", "team_id": TEAM, "api_app_id": APP_ID, "type": "event_callback",
             "event_id": f"Ev{number:08d}", "event_time": int(time.time()),
             "event": {"type": "message", "channel_type": "im", "channel": channel, "user": user, "text": "hei",
                       "ts": f"{time.time():.6f}"}}
    await asyncio.sleep(arrival)  # when this person opens the DM
    blocks = await post(json.dumps(event), "application/json")
    answers = 0
    for value in [*RATINGS, *TARGETS]:
        await asyncio.sleep(think)  # reading the question before answering it
        blocks = await post(press(blocks, value), "application/x-www-form-urlencoded")
        answers += value not in ("continue", "done")
    return answers


async def drive(people: int, unpaced: bool, think: float, spread: float) -> None:
    api = WatchingSlackApi()
    api_url = await api.start()
    folder = Path(tempfile.mkdtemp(prefix="kartoitus-slack-bench-"))
    port = free_port()
    env = {**os.environ, "KARTOITUS_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}", "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": api_url, "KARTOITUS_HTTP_PORT": str(port),
           "KARTOITUS_LOG_LEVEL": "WARNING"}
    app = subprocess.Popen([sys.executable, __file__, "--serve", *(["--unpaced"] if unpaced else [])], env=env)
    app_url = f"http://127.0.0.1:{port}/slack/events"
    try:
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=100)) as http:
            for _ in range(400):  # until the app listens
                try:
                    await http.post(app_url, content=b"")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            stats = Stats()
            began = time.perf_counter()
            answers = sum(await asyncio.gather(*(person(n, http, app_url, api, stats, think, spread * n / people)
                                                 for n in range(people))))
            elapsed = time.perf_counter() - began
        print(f"people: {people}, requests: {stats.requests}, answers: {answers}, time: {elapsed:.1f} s, "
              f"pacing: {'lifted' if unpaced else 'Slack (about 1 message/s per channel)'}, think time {think:.1f} s, "
              f"starts spread over {spread:.1f} s")
        print(f"requests/s: {stats.requests / elapsed:.1f}, answers/s: {answers / elapsed:.1f}")
        print(f"ack latency: p50 {ms(stats.acks, 50)}, p95 {ms(stats.acks, 95)}")
        print(f"reply latency: p50 {ms(stats.replies, 50)}, p95 {ms(stats.replies, 95)}")
        print(f"app peak RSS: {peak_rss_mb(app.pid):.0f} MB; app CPU {cpu_seconds(app.pid):.1f} s, "
              f"this driver (people and the fake Web API) CPU {time.process_time():.1f} s, in {elapsed:.1f} s wall "
              f"on {os.cpu_count()} cores")
    finally:
        app.terminate()
        app.wait(timeout=30)
        await api.stop()


def serve(unpaced: bool) -> None:
    """The app process: the real adapter in HTTP mode, until terminated."""
    serve_slack(unpaced=unpaced)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--unpaced", action="store_true", help="lift the per-channel pacing")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds each person reads a question before clicking (default 0: at once)")
    parser.add_argument("--spread", type=float, default=0.0,
                        help="seconds over which the people open the DM (default 0: all at once)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        serve(options.unpaced)
    else:
        asyncio.run(drive(options.people, options.unpaced, options.think, options.spread))
