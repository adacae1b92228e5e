"""Members Telegram will not let the bot message first: invited through their group, reminded once they open the chat.

The repairing proxy refuses, like Telegram, a private message to anyone who never wrote to the
bot in a private chat. Times: the round is opened now (on the suite's clock, shared by the bot, the
desk and the ticks) with its deadlines at the end of its start window, and the reminder tick runs at
the first moment a reminder can be due, computed from the round's dates, so the test holds on any date.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adapters.ratelimit import RateLimiter
from adapters.telegram.platform import PLATFORM as TELEGRAM
from bot.app.round_desk import RoundDesk
from bot.core.clock import StartedClock
from bot.core.workdays import next_reminder_time, start_window_end, working_days_before
from bot.shell import wiring
from bot.shell.settings import Settings
from storage.sql_outbox import SqlOutbox
from tests.adapters.telegram.conftest import FAST
from tests.support.clock import HELSINKI
from tests.support.telegram import TelegramPerson
from tests.support.telegram_proxy import RepairingProxy

INVITATION = "Kutsu: kriittisten pisteiden kartoitus"
REMINDER = "Muistutus"
GROUP, TITLE = -100950, "Autoala"


def start_button(message: dict[str, Any]) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    buttons = [button for row in rows for button in row]
    assert len(buttons) == 1, buttons
    return buttons[0]


async def test_members_who_never_opened_the_chat_are_invited_through_their_group_and_reminded_after_opening_it(
        settings: Settings, anna: TelegramPerson, telegram_proxy: RepairingProxy, suite_clock: StartedClock) -> None:
    quiet = settings.model_copy(update={"digest_weekday": 0})  # no weekly digest in the group on a Monday
    bo, cid = (TelegramPerson(anna.http, anna.url, name=name) for name in ("Bo", "Cid"))
    bot = wiring.platform_app(quiet, TELEGRAM, limiter=RateLimiter(**FAST), clock=suite_clock)  # type: ignore[arg-type]

    def desk() -> RoundDesk:
        return wiring.round_desk(quiet, clock=suite_clock)

    async def tick(now: datetime | None = None) -> tuple[int, int]:
        return await wiring.tick(quiet, now=now, clock=suite_clock)

    await bot.start()
    try:
        for person in (anna, bo, cid):
            await person.in_group(GROUP, TITLE).say("/liity")
            await person.in_group(GROUP, TITLE).replies(expect=f"tiimin jäsen: {TITLE}")
        await anna.say("/ohje")  # Anna has opened the private chat; Bo and Cid only joined in the group
        await anna.replies(expect="Ohje")

        decision = suite_clock.now().astimezone(HELSINKI).date() - timedelta(days=1)
        last_day = working_days_before(start_window_end(decision), 0)
        opened = desk().open(decision_date=decision, team_titles=[TITLE], responsible="Maija",
                                               opened_by="test", part1_deadline=last_day, part2_deadline=last_day)
        assert opened.ok, opened.text

        # One invitation goes out; Telegram refuses the other two, so the group is told, once.
        assert await tick() == (2, 0), "Anna's invitation and the group's notice"
        await anna.replies(expect=INVITATION)
        assert sorted(chat for _, chat in telegram_proxy.refused) == sorted([bo.id, cid.id])
        group = anna.in_group(GROUP, TITLE)
        said = await group.replies(expect="Jäseniä, jotka eivät ole vielä avanneet yksityiskeskustelua kanssani: 2.")
        assert INVITATION in said
        assert "Bo" not in said and "Cid" not in said, "counts only, never names"
        notice = (await group.history())[-1]
        button = start_button(notice)
        assert button["text"] == "Aloita kartoitus"
        assert button["url"].startswith("https://t.me/TestNameBot?start=")
        assert await tick() == (0, 0)
        assert [m for m in await group.history() if m.get("reply_markup", {}).get("inline_keyboard")] == [notice], \
            "the group's notice is not repeated"
        assert "Toimittamatta jääneitä kutsuja: 2" in desk().status().text

        # Bo opens the chat with the button: the assessment starts, and his invitation goes out once.
        await bo.say(f"/start {button['url'].split('?start=')[1]}")
        started = await bo.replies(expect="Osa 1 · 1/8")
        assert "Olet jo tiimin jäsen: Autoala." in started
        assert await tick() == (1, 0)
        await bo.replies(expect=INVITATION)
        assert "Toimittamatta jääneitä kutsuja: 1" in desk().status().text
        assert await tick() == (0, 0)

        # Reminders go to those who opened the chat; Cid's wait, and nothing more is sent to him.
        info = next(r for r in desk().rounds.rounds() if r.status == "open")
        assert info.part1_deadline is not None
        policy = wiring.reminder_planner(quiet).policy
        moment = next_reminder_time(policy, now=suite_clock.now(), deadline=info.part1_deadline,
                                    window_end=info.window_end, sent=0, last_sent=None)
        assert moment is not None
        refused = len(telegram_proxy.refused)
        assert await tick(now=moment) == (2, 0)
        for person in (anna, bo):
            await person.replies(expect=REMINDER)
        assert len(telegram_proxy.refused) == refused, "no reminder was even tried for Cid"
        assert not [key for key in keys(quiet) if key.startswith("remind:") and key.endswith(f":{cid.id}:1")]

        # Once Cid opens the chat, he gets his invitation and is reminded like everyone else.
        await cid.say("/start")
        await cid.replies(expect="Osa 1 · 1/8")
        assert await tick(now=moment) == (2, 0), "Cid's invitation and his reminder"
        await cid.replies(expect=INVITATION)
        texts = [m.get("text", "") for m in await cid.history()]
        assert sum(INVITATION in text for text in texts) == 1 and sum(REMINDER in text for text in texts) == 1
        assert sum(INVITATION in m.get("text", "") for m in await bo.history()) == 1, "no duplicate for Bo"
        assert "Toimittamatta" not in desk().status().text
        assert [m for m in await group.history() if m.get("reply_markup", {}).get("inline_keyboard")] == [notice]
    finally:
        await bot.stop()


def keys(settings: Settings) -> list[str]:
    import sqlalchemy as sa

    from storage.tables import outbox_message

    outbox = SqlOutbox(wiring.engine_for(settings))
    with outbox.engine.connect() as db:
        return list(db.execute(sa.select(outbox_message.c.key)).scalars())
