"""Who may use the role commands, and that a refusal tells nothing: every command × every actor ×
an existing and a non-existing team or round, through the real dispatcher (bot.shell.wiring) on SQLite.

- `/yhteenveto TIIMI` in a private chat and `/yhteenveto` in a team's group: the team's lead and
  coordinators; a lead of other teams is told only their own teams, the same whether the named
  team exists or not; anyone else gets one refusal.
- `/kierros …` (lista, tila, sulje, avaa, uusi, tyokirja, raportti): coordinators only (named in the settings
  or granted the role); in a group it only points to a private chat, the same for everyone.
- `/keskustelu KOHTA` and `/keskustelu valmis KOHTA` in a team's group: its lead and coordinators.
- The coordinator role is granted and revoked only with `kartoitus role grant|revoke` on the server: no chat
  command grants it (test_no_chat_command_changes_a_role); a team's lead is named in its group by a
  coordinator with `/vetaja` (and by no one else).

A refused command changes nothing: no team is registered, no round opened or closed, no role.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app.dispatcher import Dispatcher
from bot.app.round_desk import RoundDesk
from bot.core.events import CommandReceived
from bot.core.identity import ChannelRef, UserRef
from bot.core.instrument import Instrument
from bot.core.messages import Document, Image, Notice, Outbound
from bot.shell import wiring
from bot.shell.settings import Settings
from storage.database import create_database_engine
from storage.sql_outbox import SqlOutbox
from storage.sql_roles import SqlRoles
from storage.sql_rounds import SqlRounds
from storage.sql_teams import SqlTeams
from tests.support.clock import FakeClock, suite_now, suite_today
from tests.support.conversation import RecordingSender

WORKSPACE = "bot1"
AUTOALA = ChannelRef("telegram", WORKSPACE, "-100901")
SAHKOALA = ChannelRef("telegram", WORKSPACE, "-100902")
UNKNOWN_GROUP = ChannelRef("telegram", WORKSPACE, "-100999")
ACTORS = {
    "staff": UserRef("telegram", WORKSPACE, "101"),  # a member of Autoala, no role
    "other_lead": UserRef("telegram", WORKSPACE, "102"),  # leads Sähköala
    "lead": UserRef("telegram", WORKSPACE, "103"),  # leads Autoala
    "coordinator": UserRef("telegram", WORKSPACE, "900"),  # named in KARTOITUS_COORDINATORS
    "granted_coordinator": UserRef("telegram", WORKSPACE, "901"),  # granted the role
}
DECISION = suite_today().replace(day=1)


@dataclass(frozen=True)
class Command:
    name: str  # canonical command name
    existing: str  # the argument naming an existing team or round
    missing: str  # the same naming one that does not exist
    group: bool = False  # said in a group: `existing` is then in the team's group, `missing` in an unknown one


COMMANDS = {
    "digest_private": Command("digest", "Autoala", "Olematon"),
    "digest_group": Command("digest", "", "", group=True),
    "round_list": Command("round", "lista", "lista 99"),
    "round_status": Command("round", "tila 1", "tila 99"),
    "round_close": Command("round", "sulje 1", "sulje 99"),
    "round_reopen": Command("round", "avaa 1", "avaa 99"),
    "round_new": Command("round", f"uusi {DECISION:%d.%m.%Y} Autoala", f"uusi {DECISION:%d.%m.%Y} Olematon"),
    "round_workbook": Command("round", "tyokirja Autoala md", "tyokirja Olematon md"),
    "round_report": Command("round", "raportti 1", "raportti 99"),
    "round_in_group": Command("round", "tila 1", "tila 1", group=True),
}
COORDINATORS = ("coordinator", "granted_coordinator")
NOBODY = ("staff", "other_lead", "lead")
# (outcome for the existing target, outcome for the missing one), per command and actor.
EXPECTED: dict[str, dict[str, tuple[str, str]]] = {
    "digest_private": {"staff": ("not_allowed", "not_allowed"), "other_lead": ("your_teams", "your_teams"),
                       "lead": ("digest", "your_teams"),
                       **{actor: ("digest", "which_team") for actor in COORDINATORS}},
    "digest_group": {"staff": ("not_allowed", "not_allowed"), "other_lead": ("not_allowed", "not_allowed"),
                     "lead": ("digest", "not_allowed"), **{actor: ("digest", "digest") for actor in COORDINATORS}},
    **{name: {**{actor: ("coordinators_only", "coordinators_only") for actor in NOBODY},
              **{actor: ("answered", "answered") for actor in COORDINATORS}}
       for name in ("round_list", "round_status", "round_close", "round_reopen", "round_new")},
    "round_workbook": {**{actor: ("coordinators_only", "coordinators_only") for actor in NOBODY},
                       **{actor: ("document", "answered") for actor in COORDINATORS}},
    "round_report": {**{actor: ("coordinators_only", "coordinators_only") for actor in NOBODY},
                     **{actor: ("report", "answered") for actor in COORDINATORS}},
    "round_in_group": {actor: ("private_only", "private_only") for actor in ACTORS},
}
REFUSALS = {"not_allowed", "your_teams", "coordinators_only", "private_only"}
_ids = itertools.count(1)


def _settings(database: Path) -> Settings:
    values = {"KARTOITUS_DATABASE_URL": f"sqlite:///{database}",
              "KARTOITUS_COORDINATORS": f"telegram:{ACTORS['coordinator'].user}"}
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two teams in an open round (no. 1), a lead for each, a granted coordinator."""
    database = tmp_path_factory.mktemp("matrix") / "template.db"
    settings = _settings(database)
    wiring.prepare_database(settings)
    engine = create_database_engine(settings.database_url)
    now = suite_now()
    teams, roles = SqlTeams(engine), SqlRoles(engine)
    autoala = teams.register_team(AUTOALA, "Autoala", now=now)
    sahkoala = teams.register_team(SAHKOALA, "Sähköala", now=now)
    for actor, team in (("staff", autoala), ("lead", autoala), ("other_lead", sahkoala)):
        teams.join(team.id, ACTORS[actor], now=now)
    roles.grant(f"telegram:{ACTORS['lead'].user}", "lead", team_id=autoala.id, granted_by="test", now=now)
    roles.grant(f"telegram:{ACTORS['other_lead'].user}", "lead", team_id=sahkoala.id, granted_by="test", now=now)
    roles.grant(f"telegram:{ACTORS['granted_coordinator'].user}", "coordinator", granted_by="test", now=now)
    desk = RoundDesk(SqlRounds(engine), SqlOutbox(engine), wiring.instrument_for(settings), FakeClock(now))
    opened = desk.open(decision_date=DECISION, team_titles=["Autoala", "Sähköala"], responsible="Maija",
                       opened_by="test")
    assert opened.ok, opened.text
    engine.dispose()
    return database


class World:
    """A copy of the template database and the dispatcher the platforms get from bot.shell.wiring."""

    def __init__(self, database: Path) -> None:
        self.settings = _settings(database)
        self.clock = FakeClock(suite_now())
        self.instrument: Instrument = wiring.instrument_for(self.settings)
        self.engine = wiring.engine_for(self.settings)
        build = wiring.dispatcher_factory(self.settings, self.instrument, SqlTeams(self.engine), self.clock)
        self.dispatcher: Dispatcher = build(RecordingSender(), lambda code: f"https://t.me/TestNameBot?start={code}")

    def t(self, key: str, **values: object) -> str:
        return self.instrument.text("fi", key, **values)

    def send(self, actor: str, command: Command, argument: str, *, where: ChannelRef | None = None
             ) -> tuple[Outbound, ...]:
        titles = {AUTOALA: "Autoala", UNKNOWN_GROUP: "Olematon"}
        raw = {"digest": "yhteenveto", "round": "kierros"}[command.name]
        event = CommandReceived(event_id=f"m{next(_ids)}", user=ACTORS[actor], at=self.clock.now(), locale="fi",
                                name=command.name, argument=argument, raw=raw, channel=where,
                                channel_title=titles.get(where, "") if where is not None else "")
        return tuple(asyncio.run(self.dispatcher.handle(event)))

    def state(self) -> tuple[object, ...]:
        """What a refused command must not change: teams, rounds, roles, members, queued messages."""
        rounds, teams = SqlRounds(self.engine), SqlTeams(self.engine)
        return (rounds.team_titles(), [(r.id, r.status, r.teams) for r in rounds.rounds()],
                SqlRoles(self.engine).grants(), {t: len(teams.members(i)) for t, i in rounds.team_titles().items()},
                SqlOutbox(self.engine).pending())

    def outcome(self, replies: tuple[Outbound, ...]) -> str:
        if len(replies) == 1 and isinstance(replies[0], Document):
            return "document"
        if [type(reply) for reply in replies] == [Image, Document]:  # the organisation's heatmap and its PDF
            return "report"
        assert replies and isinstance(replies[0], Notice), replies
        notice = replies[0]
        if notice.heading is not None and notice.heading.startswith("Kooste – tiimi: ") and " · " in notice.heading:
            return "digest"
        labels = {self.t("digest.digest_not_allowed"): "not_allowed", self.t("rounds.coordinators_only"):
                  "coordinators_only", self.t("rounds.private_only"): "private_only",
                  self.t("digest.digest_which_team"): "which_team"}
        if notice.text in labels:
            return labels[notice.text]
        if notice.text.startswith(self.t("digest.digest_your_teams", teams="").split(":")[0]):
            return "your_teams"
        return "answered"

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def world(template: Path, tmp_path: Path) -> Iterator[World]:
    database = tmp_path / "kartoitus.db"
    shutil.copyfile(template, database)
    made = World(database)
    yield made
    made.close()


def shown(replies: tuple[Outbound, ...]) -> list[tuple[str, str | None, str]]:
    """What the person reads (the recipient aside: a group's reply goes to that group)."""
    return [(type(m).__name__, getattr(m, "heading", None), getattr(m, "text", getattr(m, "filename", "")))
            for m in replies]


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("command_name", list(COMMANDS))
def test_who_may_use_each_role_command_and_refusals_tell_nothing(world: World, command_name: str,
                                                                   actor: str) -> None:
    command = COMMANDS[command_name]
    expected_existing, expected_missing = EXPECTED[command_name][actor]
    replies: dict[str, tuple[Outbound, ...]] = {}
    for target, argument, expected in (("existing", command.existing, expected_existing),
                                       ("missing", command.missing, expected_missing)):
        where = (AUTOALA if target == "existing" else UNKNOWN_GROUP) if command.group else None
        before = world.state()
        replies[target] = world.send(actor, command, argument, where=where)
        outcome = world.outcome(replies[target])
        assert outcome == expected, f"{actor} {command_name} ({target}): {shown(replies[target])}"
        if outcome in REFUSALS:
            assert world.state() == before, f"a refused {command_name} changed something"
            assert all(isinstance(m, Notice) for m in replies[target]), "a refusal is one notice, no file"
    if expected_existing in REFUSALS and expected_missing in REFUSALS:
        assert shown(replies["existing"]) == shown(replies["missing"]), \
            "the refusal differs between an existing and a non-existing target"


def test_a_lead_is_told_only_their_own_teams(world: World) -> None:
    command = COMMANDS["digest_private"]
    for argument in ("Autoala", "Olematon", "", "Sähköala"):
        replies = world.send("other_lead", command, argument)
        if argument == "Sähköala":
            digest = replies[0]
            assert world.outcome(replies) == "digest" and isinstance(digest, Notice) and digest.heading is not None
            assert digest.heading.startswith("Kooste – tiimi: Sähköala ·")
            continue
        if argument == "":  # the only team they lead: its digest, without naming it
            assert world.outcome(replies) == "digest"
            continue
        [notice] = replies
        assert isinstance(notice, Notice)
        assert notice.text == world.t("digest.digest_your_teams", teams="Sähköala")
        assert "Autoala" not in notice.text


def test_the_same_refusal_in_every_language(world: World) -> None:
    """The refusal is the same for an existing and a non-existing team in Swedish and English too."""
    for locale in ("sv", "en"):
        for command_name in ("digest_private", "round_workbook", "round_close"):
            command = COMMANDS[command_name]
            texts = set()
            for argument in (command.existing, command.missing):
                event = CommandReceived(event_id=f"m{next(_ids)}", user=ACTORS["staff"], at=world.clock.now(),
                                        locale=locale, name=command.name, argument=argument)
                [notice] = asyncio.run(world.dispatcher.handle(event))
                assert isinstance(notice, Notice) and notice.language == locale
                texts.add(notice.text)
            key = "digest.digest_not_allowed" if command.name == "digest" else "rounds.coordinators_only"
            assert texts == {world.instrument.text(locale, key)}


def test_an_outsiders_digest_in_an_unknown_group_registers_no_team(world: World) -> None:
    for actor in ("staff", "other_lead", "lead"):
        world.send(actor, COMMANDS["digest_group"], "", where=UNKNOWN_GROUP)
        world.send(actor, COMMANDS["round_in_group"], "tila 1", where=UNKNOWN_GROUP)
    assert "Olematon" not in SqlRounds(world.engine).team_titles()
    world.send("coordinator", COMMANDS["digest_group"], "", where=UNKNOWN_GROUP)
    assert "Olematon" in SqlRounds(world.engine).team_titles(), "a coordinator's digest makes the group a team"


def test_refused_round_commands_leave_the_round_open(world: World) -> None:
    for actor in NOBODY:
        world.send(actor, COMMANDS["round_close"], "sulje 1")
    assert SqlRounds(world.engine).round(1).status == "open"  # type: ignore[union-attr]
    world.send("granted_coordinator", COMMANDS["round_close"], "sulje 1")
    assert SqlRounds(world.engine).round(1).status == "closed"  # type: ignore[union-attr]


def test_no_chat_command_changes_a_role(world: World) -> None:
    """Roles change only with `kartoitus role grant|revoke`; no command in any language grants one."""
    names = {spec.name for spec in world.instrument.commands}
    assert not names & {"role", "roles", "grant", "revoke"}
    before = SqlRoles(world.engine).grants()
    for word in ("rooli", "roll", "role", "grant"):
        event = CommandReceived(event_id=f"m{next(_ids)}", user=ACTORS["staff"], at=world.clock.now(),
                                locale="fi", name="unknown", argument=f"coordinator telegram:{ACTORS['staff'].user}",
                                raw=word)
        asyncio.run(world.dispatcher.handle(event))
    assert SqlRoles(world.engine).grants() == before


@pytest.mark.parametrize(("actor", "listed"), [
    ("staff", ()), ("lead", ("/yhteenveto",)), ("other_lead", ("/yhteenveto",)),
    ("coordinator", ("/kierros", "/yhteenveto")), ("granted_coordinator", ("/kierros", "/yhteenveto"))])
def test_the_help_lists_the_role_commands_the_person_may_use(world: World, actor: str,
                                                               listed: tuple[str, ...]) -> None:
    event = CommandReceived(event_id=f"m{next(_ids)}", user=ACTORS[actor], at=world.clock.now(), locale="fi",
                            name="help", raw="ohje")
    replies = asyncio.run(world.dispatcher.handle(event))
    text = "\n".join(getattr(reply, "text", "") for reply in replies)
    assert "/tauko – Pidä tauko" in text and "/vastaukset – Näytä omat vastauksesi" in text
    _, heading, roles = text.partition(world.t("help.role_heading"))
    assert bool(heading) == bool(listed), text
    assert [word for word in ("/kierros", "/yhteenveto") if word in text] == list(listed), text
    assert all(word in roles for word in listed), "after the heading of the role holders' commands"


def _team_command(world: World, actor: str, name: str, argument: str, *, where: ChannelRef = AUTOALA,
                  target: str | None = None) -> tuple[Outbound, ...]:
    titles = {AUTOALA: "Autoala", UNKNOWN_GROUP: "Olematon"}
    event = CommandReceived(event_id=f"m{next(_ids)}", user=ACTORS[actor], at=world.clock.now(), locale="fi",
                            name=name, argument=argument, raw=name, channel=where, channel_title=titles[where],
                            target=ACTORS[target] if target else None, target_name=target or "")
    return tuple(asyncio.run(world.dispatcher.handle(event)))


def _discussions(world: World) -> list[object]:
    from storage.sql_discussions import SqlDiscussions
    team_id = SqlRounds(world.engine).team_titles()["Autoala"]
    return [(d.point_id, d.is_open) for d in SqlDiscussions(world.engine).of_team(team_id, 1)]


@pytest.mark.parametrize("actor", list(ACTORS))
def test_who_may_open_and_close_a_team_discussion(world: World, actor: str) -> None:
    allowed = actor in ("lead", *COORDINATORS)
    refusal = world.t("discussion.not_allowed")
    for argument, opened in (("1", [("tavoitettavuus", True)]), ("valmis 1", [("tavoitettavuus", False)])):
        before = world.state()
        replies = _team_command(world, actor, "discuss", argument)
        if allowed:
            assert _discussions(world) == opened, argument
            heading = replies[0].heading if isinstance(replies[0], Notice) else None
            assert heading == ("Tiimin keskustelu: 1. Tavoitettavuus ja näkyvyys" if argument == "1"
                               else "Yhteenveto keskustelusta: 1. Tavoitettavuus ja näkyvyys"), shown(replies)
        else:
            assert [(type(m).__name__, getattr(m, "text", "")) for m in replies] == [("Notice", refusal)]
            assert world.state() == before and _discussions(world) == [], "a refused command writes nothing"
    # In a group that is no team, an outsider's command registers nothing and reads the same.
    replies = _team_command(world, actor, "discuss", "1", where=UNKNOWN_GROUP)
    if actor not in COORDINATORS:
        assert [getattr(m, "text", "") for m in replies] == [refusal]
        assert "Olematon" not in SqlRounds(world.engine).team_titles()


@pytest.mark.parametrize("actor", list(ACTORS))
def test_only_a_coordinator_names_or_removes_a_lead_in_chat(world: World, actor: str) -> None:
    before = SqlRoles(world.engine).grants()
    named = _team_command(world, actor, "lead", "", target="staff")
    if actor not in COORDINATORS:
        assert [getattr(m, "text", "") for m in named] == [world.t("lead.not_allowed")]
        assert SqlRoles(world.engine).grants() == before
        return
    assert [getattr(m, "text", "") for m in named] == [world.t("lead.named", name="staff", team="Autoala"),
                                                       world.t("lead.told_named", team="Autoala")]
    assert named[1].to == ACTORS["staff"], "the person is told in a private message"
    assert (f"telegram:{ACTORS['staff'].user}", "lead", "Autoala") in SqlRoles(world.engine).grants()
    again = _team_command(world, actor, "lead", "", target="staff")
    assert [getattr(m, "text", "") for m in again] == [world.t("lead.already", name="staff", team="Autoala")]
    removed = _team_command(world, actor, "lead", "pois", target="staff")
    assert [getattr(m, "text", "") for m in removed] == [world.t("lead.removed", name="staff", team="Autoala"),
                                                         world.t("lead.told_removed", team="Autoala")]
    assert SqlRoles(world.engine).grants() == before
    without = _team_command(world, actor, "lead", "")
    assert [getattr(m, "text", "") for m in without] == [world.t("lead.how")]
