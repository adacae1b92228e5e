"""The real Slack adapter (slack-bolt in HTTP mode) receiving signed requests, with its Web API
client pointed at a local fake that records calls."""

from __future__ import annotations

from tests.support.slack import FakeSlackApi, SlackPerson


async def test_a_dm_starts_the_review_with_buttons(anna: SlackPerson, slack_api: FakeSlackApi) -> None:
    response = await anna.say("hei")
    assert response.status_code == 200
    question = await anna.expect("Tervetuloa", "Osa 1 · 1/8")
    labels = [element["text"]["text"] for _, element in question.buttons()]
    assert labels == ["1 Ei toimi", "2 Toimii heikosti", "3 Toimii osittain", "4 Toimii hyvin",
                      "5 Toimii erinomaisesti", "En osaa sanoa"]
    await anna.click("4 Toimii hyvin")
    await anna.expect("Osa 1 · 2/8")
    assert "✓ *4 Toimii hyvin*" in question.shown
    assert not question.buttons(), "no stale buttons are left to press"
