"""Slack: `/kartoitus ändra`, `hjälp`, `språk`, `fortsätt` with the Swedish letters, and the ASCII forms."""

from __future__ import annotations

from tests.support.slack import FakeSlackApi, SlackPerson


async def test_swedish_letters_in_slash_commands(anna: SlackPerson, slack_api: FakeSlackApi) -> None:
    await anna.command("språk sv")
    await anna.expect("Språket har bytts till svenska")
    await anna.command("hjälp")
    await anna.expect("Hjälp", "/kartoitus paus")
    await anna.command("starta")
    await anna.expect("Del 1 · 1/8")
    await anna.say("bra")
    await anna.expect("Del 1 · 2/8")
    await anna.command("paus")
    await anna.expect("Paus.")
    await anna.command("fortsätt")
    await anna.expect("Välkommen tillbaka")
    await anna.command("ändra")
    await anna.expect("Vilket svar vill du ändra?")
    await anna.say("/andra")
    await anna.expect("Vilket svar vill du ändra?")
    assert "Jag känner inte till" not in anna.transcript()
