"""The actions a team agreed in its previous round come back in its digest, and its entries in its workbook.

Right after a point's score line (shown or still hidden) the digest says what the team agreed for
that point last round ("  ↳ Viime kierroksella sovittiin: a; b"), so that the trend is read against
it; compactly (a chat message). RoundDesk takes the entries from its DiscussionStore: the workbook
gets the round's own entries, the digest the previous round's actions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from bot.app.round_desk import RoundDesk
from bot.core.discussions import TeamEntry
from bot.core.instrument import LANGUAGES, Instrument, pick
from bot.core.rounds import RoundInfo
from bot.reports.digest import TeamDigest, build_digest
from bot.reports.digest_text import digest_text
from bot.reports.workbook import Workbook, to_markdown

RATED = "tavoitettavuus"  # rated by three: its score is shown
HIDDEN = "valmiudet"  # rated by one: its score is still hidden
QUIET = "palaute"  # nothing agreed for it
PEOPLE: list[dict[str, str | None]] = [
    {"rate:tavoitettavuus": "4", "rate:valmiudet": "2"}, {"rate:tavoitettavuus": "3"}, {"rate:tavoitettavuus": "5"}]
AGREED = {RATED: ("Päivitetään yhteystiedot", "Matti soittaa työpaikoille"), HIDDEN: ("<!here> *HOKS* kuntoon",)}
LEAD = {"fi": "  ↳ Viime kierroksella sovittiin: ", "sv": "  ↳ I förra omgången kom ni överens om: ",
        "en": "  ↳ Agreed last round: "}


def text_of(instrument: Instrument, language: str, agreed: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    digest = build_digest(team="autoala", round_name="Kevät 2027", invited=5, answers=PEOPLE, instrument=instrument,
                          agreed_before=AGREED if agreed is None else agreed)
    return digest_text(digest, instrument, language)[1].splitlines()


def score_line(lines: list[str], instrument: Instrument, point_id: str, language: str) -> int:
    title = pick(instrument.point(point_id).title, language)
    return next(index for index, line in enumerate(lines) if line.startswith(f"{title}: "))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_previous_round_s_actions_follow_the_right_point_s_score(instrument: Instrument, language: str) -> None:
    lines = text_of(instrument, language)
    rated = score_line(lines, instrument, RATED, language)
    assert lines[rated + 1] == f"{LEAD[language]}Päivitetään yhteystiedot; Matti soittaa työpaikoille"
    hidden = score_line(lines, instrument, HIDDEN, language)
    assert lines[hidden + 1] == f"{LEAD[language]}<!here> *HOKS* kuntoon", "plain text: the platforms escape it"
    assert "↳" not in lines[score_line(lines, instrument, QUIET, language) + 1]
    assert sum("↳" in line for line in lines) == 2


def test_no_agreed_actions_no_line_and_the_text_is_as_before(instrument: Instrument) -> None:
    before = digest_text(build_digest(team="autoala", round_name="Kevät 2027", invited=5, answers=PEOPLE,
                                      instrument=instrument), instrument, "fi")[1]
    assert "\n".join(text_of(instrument, "fi", {})) == before and "↳" not in before
    assert "\n".join(text_of(instrument, "fi", {QUIET: ()})) == before, "a point with no actions has no line"
    assert "\n".join(text_of(instrument, "fi", {"ei_ole": ("x",)})) == before, "an unknown point is left out"


@pytest.mark.parametrize("language", LANGUAGES)
def test_many_or_long_actions_are_kept_short(instrument: Instrument, language: str) -> None:
    actions = ("x" * 300, "toinen", "kolmas", "neljäs", "viides")
    lines = text_of(instrument, language, {RATED: actions})
    line = lines[score_line(lines, instrument, RATED, language) + 1]
    assert len(line) < 200 and "…" in line and "neljäs" not in line
    assert line.endswith(instrument.text(language, "digest.agreed_more", count=2))


# RoundDesk with a DiscussionStore: small fakes of the two stores it reads.

OPENED = datetime(2026, 9, 1, 8, tzinfo=UTC)


def round_info(round_id: int, name: str) -> RoundInfo:
    return RoundInfo(id=round_id, name=name, status="closed" if round_id == 1 else "open",
                     instrument_version="test", opened_at=OPENED, closed_at=None, decision_date=None, window_end=None,
                     part1_deadline=None, part2_deadline=None, responsible=None, teams=("autoala",))


@dataclass
class FakeRounds:
    """The part of RoundStore that RoundDesk's digest and workbook read: team 7's rounds 1 and 2."""

    rounds_: list[RoundInfo] = field(default_factory=lambda: [round_info(2, "Kevät 2027"), round_info(1, "Syksy")])

    def team_titles(self) -> dict[str, int]:
        return {"autoala": 7}

    def rounds(self) -> list[RoundInfo]:
        return self.rounds_

    def round(self, round_id: int) -> RoundInfo | None:
        return next((r for r in self.rounds_ if r.id == round_id), None)

    def previous_round(self, round_id: int, team_id: int) -> int | None:
        return 1 if (round_id, team_id) == (2, 7) else None

    def team_answers(self, round_id: int, team_id: int) -> list[dict[str, str | None]]:
        return list(PEOPLE) if round_id == 2 else []

    def team_size(self, team_id: int) -> int:
        return 5


@dataclass
class FakeDiscussions:
    """A DiscussionStore that only knows the teams' entries (what RoundDesk reads)."""

    entries: dict[tuple[int, int], dict[str, TeamEntry]]
    asked: list[tuple[int, int]] = field(default_factory=list)

    def team_entries(self, team_id: int, round_id: int) -> dict[str, TeamEntry]:
        self.asked.append((team_id, round_id))
        return self.entries.get((team_id, round_id), {})


ENTRIES = {
    (7, 1): {RATED: TeamEntry(point_id=RATED, participants=3, works=("Syksyn ajatus",),
                              actions=("Syksyllä sovittu toimenpide",)),
             QUIET: TeamEntry(point_id=QUIET, participants=2, other=("Ei toimenpiteitä",))},
    (7, 2): {HIDDEN: TeamEntry(point_id=HIDDEN, participants=4, develop=("Kevään kehitettävä",),
                               promise="Kevään lupaus", actions=("Kevään toimenpide",))},
}


def desk(discussions: FakeDiscussions | None, instrument: Instrument, language: str = "fi") -> RoundDesk:
    return RoundDesk(FakeRounds(), None, instrument, None, language=language,  # type: ignore[arg-type]
                     discussions=discussions)  # type: ignore[arg-type]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_desk_s_digest_shows_the_previous_round_s_actions(instrument: Instrument, language: str) -> None:
    discussions = FakeDiscussions(ENTRIES)
    reply = desk(discussions, instrument, language).digest("autoala", 2)
    assert reply.ok and discussions.asked == [(7, 1)], "the previous round's entries, not this round's"
    lines = reply.text.splitlines()
    rated = score_line(lines, instrument, RATED, language)
    assert lines[rated + 1] == f"{LEAD[language]}Syksyllä sovittu toimenpide"
    assert "Kevään toimenpide" not in reply.text and "Syksyn ajatus" not in reply.text
    assert sum("↳" in line for line in lines) == 1, "a point without actions has no line"


def test_the_desk_s_first_round_has_nothing_agreed_before(instrument: Instrument) -> None:
    discussions = FakeDiscussions(ENTRIES)
    digest = desk(discussions, instrument).team_digest("autoala", 1)
    assert isinstance(digest, TeamDigest) and digest.agreed_before == {}
    assert discussions.asked == [], "no previous round: nothing to ask"


def test_the_desk_s_workbook_holds_the_round_s_own_entries(instrument: Instrument) -> None:
    discussions = FakeDiscussions(ENTRIES)
    book = desk(discussions, instrument).workbook("autoala", 2)
    assert isinstance(book, Workbook) and discussions.asked == [(7, 2)]
    assert dict(book.team_entries) == ENTRIES[(7, 2)]
    markdown = to_markdown(book, instrument, "fi")
    assert markdown.count("### Tiimin yhteinen keskustelu") == 1
    assert "Kevään kehitettävä" in markdown and "Kevään lupaus" in markdown and "- Kevään toimenpide" in markdown
    assert "Syksyn ajatus" not in markdown and "Syksyllä sovittu" not in markdown, "not the previous round's"


def test_the_desk_without_discussions_is_as_before(instrument: Instrument) -> None:
    book = desk(None, instrument).workbook("autoala", 2)
    assert isinstance(book, Workbook) and book.team_entries == {}
    assert "↳" not in desk(None, instrument).digest("autoala", 2).text


def test_the_chat_platforms_escape_the_agreed_actions(instrument: Instrument) -> None:
    from adapters.slack import outbound as slack_outbound
    from adapters.telegram import outbound as telegram_outbound
    from bot.core.commands import command_aliases
    from bot.core.identity import ChannelRef
    from bot.core.messages import Notice

    agreed = {RATED: ("<script>alert(1)</script>", "[x](javascript:alert(1))"), HIDDEN: ("<!here> *HOKS*",)}
    text = "\n".join(text_of(instrument, "fi", agreed))
    slack = slack_outbound.render(Notice(to=ChannelRef("slack", "T1", "C1"), heading="Kooste", text=text),
                                  instrument.text, slack_outbound.CommandStyle(command_aliases(instrument).keys()))
    sent = json.dumps([call.params for call in slack], ensure_ascii=False)
    assert "&lt;!here&gt;" in sent and "<!here>" not in sent and "<script" not in sent
    telegram = telegram_outbound.render(Notice(to=ChannelRef("telegram", "1", "-100"), heading="Kooste", text=text))
    shown = "".join(call.params["text"] for call in telegram)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script" not in shown
    assert "↳ Viime kierroksella sovittiin: &lt;!here&gt; *HOKS*" in shown
