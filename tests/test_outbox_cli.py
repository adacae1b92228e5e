"""An operator sees what the outbox holds and why a message failed, and puts it back; a coordinator sees the count.

Against the real Slack sender and a fake Web API that answers a long 429 and a permanent error.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.identity import ChannelRef, UserRef
from storage.database import create_database_engine
from storage.migrate import upgrade
from storage.sql_teams import SqlTeams
from tests.support.cli import run_kartoitus
from tests.support.clock import suite_now, suite_today
from tests.support.slack import FakeSlackApi

# The invitations are due when the round opens, on the test's clock (from the suite's moment); ticks move on from it.
NOW = suite_now()
YESTERDAY = (suite_today() - timedelta(days=1)).isoformat()  # the funding decision: inside the start window


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    upgrade(url)
    engine = create_database_engine(url)
    teams = SqlTeams(engine)
    for title, members in (("autoala", ["U0ANNA", "U0BO"]), ("sähköala", ["U0CID"])):
        team = teams.register_team(ChannelRef("slack", "T0KOULU", f"C0{title[:4].upper()}"), title, now=NOW)
        for member in members:
            teams.join(team.id, UserRef("slack", "T0KOULU", member), now=NOW)
    engine.dispose()
    yield url


async def kartoitus(database: str, api: FakeSlackApi, *args: str, in_flight: int = 8) -> tuple[int, str]:
    return await run_kartoitus(database, *args, api=api, KARTOITUS_OUTBOX_IN_FLIGHT=str(in_flight))


def invitations(api: FakeSlackApi) -> list[str]:
    return sorted(m.channel for m in api.messages if "Kutsu: kriittisten pisteiden kartoitus" in m.shown)


async def test_a_failed_invitation_is_kept_with_its_reason_shown_and_sent_when_put_back(
        database: str, slack_api: FakeSlackApi) -> None:
    decision = YESTERDAY
    code, out = await kartoitus(database, slack_api, "round", "open", "--decision-date", decision,
                                "--team", "autoala", "--team", "sähköala", "--responsible", "Maija")
    assert code == 0 and "Kutsu lähtee 3 henkilölle" in out, out

    # Slack says "later" (Retry-After 120 s, longer than a send waits) and refuses Bo's message for good.
    slack_api.rate_limit_next["chat.postMessage"] = 1
    slack_api.retry_after = 120
    slack_api.refuse["U0BO"] = "invalid_blocks"
    code, out = await kartoitus(database, slack_api, "tick", in_flight=1)  # one on the wire: the order is known
    assert code == 0 and "0 viestiä lähetetty, 3 odottaa" in out, out
    assert slack_api.count("chat.postMessage") == 1, "after a 429 the rest of the fan-out waits"
    code, out = await kartoitus(database, slack_api, "outbox")
    assert "odottaa 2, uusi yritys tulossa 1, lähetetty 0, epäonnistunut 0" in out, out

    later = (NOW + timedelta(minutes=3)).isoformat()
    code, out = await kartoitus(database, slack_api, "tick", "--now", later)
    assert code == 0 and "2 viestiä lähetetty, 0 odottaa" in out, out
    assert invitations(slack_api) == ["D0ANNA", "D0CID"]

    code, out = await kartoitus(database, slack_api, "outbox", "--failed")
    assert "lähetetty 2, epäonnistunut 1" in out and "1 × rejected: invalid_blocks" in out, out
    assert "invite:1:slack:T0KOULU:U0BO" in out and "rejected: invalid_blocks" in out
    assert "Kutsu" not in out, "no message text in the operator's listing"
    code, out = await kartoitus(database, slack_api, "round", "status")
    assert "Toimittamatta jääneitä kutsuja: 1" in out, out

    del slack_api.refuse["U0BO"]
    code, out = await kartoitus(database, slack_api, "outbox", "retry", "--failed")
    assert code == 0 and "Lähetykseen palautettiin 1 viesti" in out, out
    code, out = await kartoitus(database, slack_api, "tick", "--now", later)
    assert "1 viesti lähetetty, 0 odottaa" in out, out
    assert invitations(slack_api) == ["D0ANNA", "D0BO", "D0CID"], "each person once"
    code, out = await kartoitus(database, slack_api, "round", "status")
    assert "Toimittamatta" not in out


async def test_a_server_error_is_retried_later_and_a_person_who_left_is_not(database: str,
                                                                            slack_api: FakeSlackApi) -> None:
    decision = YESTERDAY
    await kartoitus(database, slack_api, "round", "open", "--decision-date", decision, "--team", "autoala",
                    "--team", "sähköala", "--responsible", "Maija")
    slack_api.server_errors_next = 1
    slack_api.gone.add("U0BO")
    code, out = await kartoitus(database, slack_api, "tick", in_flight=1)  # Anna's, the first, gets the 500
    assert "1 viesti lähetetty, 1 odottaa" in out, out
    code, out = await kartoitus(database, slack_api, "outbox")
    assert "uusi yritys tulossa 1" in out and "1 × unreachable: user_not_found" in out, out
    code, out = await kartoitus(database, slack_api, "tick", "--now", (NOW + timedelta(minutes=2)).isoformat())
    assert code == 0 and "1 viesti lähetetty, 0 odottaa" in out, out
    assert invitations(slack_api) == ["D0ANNA", "D0CID"]
