"""`/kartoitus omat_tiedot` and `/kartoitus poista_tiedot` in the real Slack app (bolt in HTTP mode)."""

from __future__ import annotations

import json

import httpx

from bot.shell.settings import Settings
from tests.support.privacy import answer_owners, traces
from tests.support.slack import FakeSlackApi, SlackPerson


async def test_my_data_and_erasure_in_slack(app_url: str, anna: SlackPerson, slack_api: FakeSlackApi,
                                            http: httpx.AsyncClient, settings: Settings) -> None:
    tuulikki = SlackPerson(app_url, slack_api, http, "U0TUULIKKI")
    for members, person in enumerate((tuulikki, anna), 1):
        await person.command("liity", channel="C0AUTO", channel_name="autoala")
        await person.wait_for(lambda n=members: len(slack_api.in_channel("C0AUTO")) >= n,
                              "the team's confirmation")
        await person.say("hei")
        await person.expect("Osa 1 · 1/8")
        await person.click("4 Toimii hyvin")
        await person.expect("Osa 1 · 2/8")

    await tuulikki.command("omat_tiedot")
    preview = await tuulikki.expect("Näin vastauksesi näkyvät tiimin koosteessa", "Tiimi autoala")
    assert "vähintään 3 (nyt 2)" in preview.shown
    await tuulikki.wait_for(lambda: bool(slack_api.files) and bool(slack_api.files[-1]["channel"]), "the JSON file")
    sent = slack_api.files[-1]
    assert sent["channel"] == "D0TUULIKKI" and sent["filename"] == "omat-tiedot.json"
    data = json.loads(sent["data"])
    assert data["person"]["user_id"] == "U0TUULIKKI" and data["teams"][0]["team"] == "autoala"

    await tuulikki.command("poista_tiedot")
    asked = await tuulikki.expect("Vahvista kirjoittamalla")
    assert "/kartoitus poista_tiedot vahvista" in asked.shown, "Slack shows the command as it is typed there"
    assert answer_owners(settings.database_url)["slack:U0TUULIKKI"] == 1
    await tuulikki.command("poista_tiedot vahvista")
    erased = await tuulikki.expect("Tietosi on poistettu")
    assert "avoimen kierroksen vastaukset (1)" in erased.shown

    assert traces(settings.database_url, "TUULIKKI") == [], "neither the user id nor the DM channel id remain"
    assert answer_owners(settings.database_url) == {"slack:U0ANNA": 1}
