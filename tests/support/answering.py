"""A person answering the assessment while the bot is killed under them: in the terminal and in Telegram.

The drivers answer whatever question the bot shows (so a turn that was lost with a kill is simply
answered again when the question comes back), remember every answer the bot *acknowledged*
(a rating listed among "your answers so far" on the next card, or among the ratings on the targets'
screen; the next question for an open answer), and check afterwards that each acknowledged answer is
stored, and none twice.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.shell.content import SHIPPED_CONTENT_DIR, load_instrument
from storage.database import create_database_engine
from storage.tables import answer
from tests.support.processes import ROOT, environment

INSTRUMENT = load_instrument(SHIPPED_CONTENT_DIR)
POINTS = [point.id for point in INSTRUMENT.points]
RATING = re.compile(r"Osa 1 · (\d)/8 ")
DEEPENING = re.compile(r"Osa 2 · (\d)\. ")
PROMPT_ENDINGS = ("Kirjoita numero tai vaihtoehdon nimi.", "esimerkiksi 2 5.", "Ohita: /ohita")
TEXT_QUESTIONS = {"Mikä meillä jo toimii?": "works", "Missä meillä on vielä kehitettävää?": "develop",
                  "Mitä lupaatte tässä asiassa työelämäkumppaneillenne ja miten pidätte lupauksenne?": "promise"}
TARGETS = (3, 7)  # the two development targets chosen: points 3 and 7
TITLES = {point.title["fi"]: point.id for point in INSTRUMENT.points}
RATINGS_LINE = re.compile(r"^(?:Vastauksesi tähän asti|Arviosi): (.+)$", re.MULTILINE)


def ratings_shown(text: str) -> dict[str, str]:
    """The ratings a card lists as given ("Vastauksesi tähän asti: Tavoitettavuus ja näkyvyys 4 · …", or the
    targets' screen "Arviosi: …"), by question id."""
    shown: dict[str, str] = {}
    for line in RATINGS_LINE.findall(text):
        for item in line.split(" · "):
            title, _, value = item.rpartition(" ")
            if title in TITLES:
                shown[f"rate:{TITLES[title]}"] = value
    return shown


def rating_for(number: int) -> str:
    """The same rating for a point every time, so a question asked again is answered alike."""
    return str(1 + number % 5)


@dataclass(frozen=True)
class Reply:
    """What to type for a question, and what the store should then hold (question id, value; None: nothing)."""

    line: str
    question: str | None = None
    value: str | None = None


def reply_to(prompt: str, serial: int) -> Reply | None:
    """What a person types for the terminal prompt that ends `prompt` (None: the assessment part is done)."""
    block = prompt[prompt.rfind("── "):] if "── " in prompt else prompt
    if "Kohta on valmis" in block:  # the first point of part 2 is done (said on the next question): far enough
        return None
    if (match := RATING.search(block)) is not None:
        number = int(match[1])
        return Reply(rating_for(number), f"rate:{POINTS[number - 1]}", rating_for(number))
    if "Kehittämiskohteet" in block:
        return Reply(" ".join(map(str, TARGETS)), "priorities", ",".join(POINTS[n - 1] for n in TARGETS))
    if (match := DEEPENING.search(block)) is not None:
        kind = next((kind for text, kind in TEXT_QUESTIONS.items() if text in block), None)
        if kind is None:
            return None
        text = f"Vastaus {serial}: {kind} kohdassa {match[1]}."
        return Reply(text, f"{kind}:{POINTS[int(match[1]) - 1]}", text)
    return None


@dataclass
class Acknowledged:
    answers: dict[str, str] = field(default_factory=dict)  # question id -> the value the bot confirmed
    kills: int = 0
    unconfirmed_at_kill: int = 0  # killed before the bot confirmed the answer typed


class TerminalPerson:
    """`kartoitus chat --user NAME` as a subprocess fed on stdin."""

    def __init__(self, settings: dict[str, str], log_dir: Path, user: str) -> None:
        self.settings = settings
        self.log = log_dir / f"chat-{user}.log"
        self.user = user
        self.process: asyncio.subprocess.Process | None = None
        self.output = ""
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.output = ""
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "chat", "--user", self.user, env=environment(**self.settings), cwd=ROOT,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        while chunk := await self.process.stdout.read(4096):
            text = chunk.decode(errors="replace")
            self.output += text
            with self.log.open("a") as log:
                log.write(text)

    async def prompt(self, since: int, timeout: float = 60.0) -> str:
        """The output after `since`, once it ends with a question (a loaded machine: a generous deadline)."""
        deadline = time.monotonic() + timeout
        while not self.output[since:].rstrip().endswith(PROMPT_ENDINGS):
            assert self.process is not None
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise AssertionError(f"no question from the terminal chat:\n{self.output[since:][-2000:]}")
            await asyncio.sleep(0.02)
        return self.output[since:]

    async def type(self, line: str) -> int:
        assert self.process is not None and self.process.stdin is not None
        mark = len(self.output)
        with self.log.open("a") as log:
            log.write(f"> {line}\n")
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()
        return mark

    async def kill(self) -> str:
        """SIGKILL; everything the chat printed before it died."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()
        if self._reader is not None:
            await self._reader
        return self.output

    async def leave(self) -> int:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.close()
        code = await asyncio.wait_for(self.process.wait(), 60)
        if self._reader is not None:
            await self._reader
        return code


def confirmed(reply: Reply, after: str) -> bool:
    """Did the bot confirm this answer in what it printed after it?"""
    if reply.question is None:
        return False
    if reply.question.startswith(("works:", "develop:", "promise:")):
        return after.rstrip().endswith(PROMPT_ENDINGS)  # an open answer is confirmed by the next question
    if reply.question.startswith("rate:"):
        return ratings_shown(after).get(reply.question) == reply.value
    if reply.question == "priorities":  # said on part 2's first question
        titles = ", ".join(INSTRUMENT.point(point).title["fi"] for point in str(reply.value).split(","))
        return f"Kehittämiskohteiksi valitsit: {titles}." in after
    return "✓ " in after


def stored_answers(url: str) -> tuple[dict[str, str | None], Counter[tuple[object, ...]]]:
    """(the current answers by question, how many rows each (respondent, round, question) has)."""
    engine = create_database_engine(url)
    try:
        with engine.connect() as db:
            rows = db.execute(sa.select(answer.c.respondent_key, answer.c.round_id, answer.c.question,
                                        answer.c.value).order_by(answer.c.id)).all()
    finally:
        engine.dispose()
    return ({row.question: row.value for row in rows},
            Counter((row.respondent_key, row.round_id, row.question) for row in rows))


def exported(csv_text: str) -> dict[str, str]:
    """`kartoitus export --format csv --raw` of one respondent: question id -> value."""
    return {row["question"]: row["value"] for row in csv.DictReader(io.StringIO(csv_text))}


def telegram_reply(message: dict[str, Any]) -> tuple[str, str | None, str | None] | None:
    """(the button to press, question id, value) for a Telegram question of part 1 (None: not one)."""
    text = str(message.get("text", ""))
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    labels = [button["text"] for row in rows for button in row]
    if not labels:
        return None
    if (match := RATING.search(text)) is not None:
        number = int(match[1])
        label = next(label for label in labels if label.startswith(f"{rating_for(number)} "))
        return label, f"rate:{POINTS[number - 1]}", rating_for(number)
    return None


def telegram_acknowledged(history: list[dict[str, Any]]) -> dict[str, str]:
    """The ratings the bot confirmed: listed as given on a card (the card as it stands, and any earlier card
    that a restart left behind)."""
    answers: dict[str, str] = {}
    for message in history:
        answers.update(ratings_shown(str(message.get("text", ""))))
    return answers

