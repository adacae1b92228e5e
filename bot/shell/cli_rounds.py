"""`kartoitus round …` and `kartoitus tick`: a coordinator's rounds from the command line, and one scheduler tick."""

from __future__ import annotations

import getpass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from bot.shell.cli_common import app, say, settings_or_exit, with_content

if TYPE_CHECKING:  # the desk comes with the wiring, imported when a command runs (bot.shell.cli)
    from bot.app.round_desk import Reply, RoundDesk

round_app = typer.Typer(help="Open, follow and close assessment rounds (coordinators).")
app.add_typer(round_app, name="round")


def _desk() -> RoundDesk:
    settings = settings_or_exit()
    from bot.shell import wiring

    wiring.prepare_database(settings)
    return with_content(settings, lambda: wiring.round_desk(settings))


def _finish(reply: Reply) -> None:
    typer.echo(reply.text)
    if not reply.ok:
        raise typer.Exit(1)


@round_app.command("open")
def round_open(
    decision_date: Annotated[str, typer.Option("--decision-date", help="Date of the strategy-funding decision "
                                               "(16.11.2026 or 2026-11-16).")],
    team: Annotated[list[str], typer.Option("--team", help="A team (its group or channel title); repeat for more.")],
    responsible: Annotated[str, typer.Option("--responsible", help="The responsible person (vastuuhenkilö).")],
    name: Annotated[str, typer.Option("--name", help="Name of the round.")] = "",
    part1_deadline: Annotated[str, typer.Option("--part1-deadline", help="Default: about three weeks.")] = "",
    part2_deadline: Annotated[str, typer.Option("--part2-deadline", help="Default: the end of the window.")] = "",
    reminder_days: Annotated[str, typer.Option("--reminder-days", help="This round's own reminder days, e.g. 5,2 "
                                               "(working days before each deadline).")] = "",
    reminder_max: Annotated[int | None, typer.Option("--reminder-max", min=0, max=50,
                                                     help="This round's own cap of reminders per person.")] = None,
) -> None:
    """Open a round for teams; every member gets an invitation."""
    def day(text: str) -> date | None:
        """A date as people write it; a polite stop (in the operator's language) for anything else."""
        if not text:
            return None
        from bot.core.rounds import parse_date

        parsed = parse_date(text)
        if parsed is None:
            say("rounds.bad_date", error=True, text=text)
            raise typer.Exit(1)
        return parsed

    decision = day(decision_date)
    assert decision is not None  # the option is required, so it is never empty
    _finish(_desk().open(decision_date=decision, team_titles=team, responsible=responsible,
                         opened_by=f"cli:{getpass.getuser()}", name=name, part1_deadline=day(part1_deadline),
                         part2_deadline=day(part2_deadline), reminder_max=reminder_max,
                         reminder_days=[int(d) for d in reminder_days.split(",") if d.strip().isdigit()] or None))


@round_app.command("list")
def round_list() -> None:
    """Every round, newest first."""
    _finish(_desk().list())


@round_app.command("status")
def round_status(round_id: Annotated[int | None, typer.Argument(help="Round number (default: the open one).")]
                 = None) -> None:
    """Participation counts per team (never names)."""
    _finish(_desk().status(round_id))


@round_app.command("close")
def round_close(round_id: Annotated[int | None, typer.Argument(help="Round number (default: the open one).")]
                = None) -> None:
    """Close a round early; answers can no longer change."""
    _finish(_desk().set_status(round_id, "closed"))


@round_app.command("reopen")
def round_reopen(round_id: Annotated[int, typer.Argument(help="Round number.")]) -> None:
    """Open a closed round again."""
    _finish(_desk().set_status(round_id, "open"))


@app.command()
def digest(team: Annotated[str, typer.Option("--team", help="The team (its group or channel title).")],
           round_id: Annotated[int | None, typer.Option("--round", help="Round number (default: the open one).")]
           = None,
           post: Annotated[bool, typer.Option("--post", help="Also post it to the team's channel now.")] = False
           ) -> None:
    """Print a team's digest of a round: participation, scores, targets, open answers (with the thresholds)."""
    settings = settings_or_exit()
    from bot.shell import wiring

    wiring.prepare_database(settings)
    desk = with_content(settings, lambda: wiring.round_desk(settings))
    reply = desk.digest(team, round_id, min_scores=settings.min_scores, min_texts=settings.min_texts)
    typer.echo(reply.text)
    if not reply.ok:
        raise typer.Exit(1)
    if post:
        if not wiring.queue_digest(settings, team, round_id):
            say("digest.not_in_round", error=True, team=team)
            raise typer.Exit(1)
        import asyncio

        sent, pending = asyncio.run(wiring.tick(settings))
        say("rounds.tick", sent=sent, pending=pending)


@app.command()
def tick(now: Annotated[datetime | None, typer.Option("--now", help="Act as if it were this moment (ISO 8601; "
                                                    "without an offset, in KARTOITUS_TIMEZONE).")] = None) -> None:
    """Run the scheduler once: send what is due (invitations, reminders) and exit."""
    import asyncio
    from zoneinfo import ZoneInfo

    settings = settings_or_exit()
    from bot.shell import wiring

    wiring.prepare_database(settings)
    moment = now if now is None or now.tzinfo is not None else now.replace(tzinfo=ZoneInfo(settings.timezone))
    sent, pending = with_content(settings, lambda: asyncio.run(wiring.tick(settings, now=moment)))
    say("rounds.tick", sent=sent, pending=pending)


role_app = typer.Typer(help="Grant and revoke roles: coordinator, team lead.")
app.add_typer(role_app, name="role")


class Role(StrEnum):
    coordinator = "coordinator"
    lead = "lead"


def _role_text(role: Role, team: str) -> str:
    from bot.shell.cli_common import say_text

    return say_text("roles.lead", team=team) if role is Role.lead else say_text("roles.coordinator")


@role_app.command("grant")
def role_grant(role: Annotated[Role, typer.Argument(help="coordinator or lead")],
               person: Annotated[str, typer.Argument(help="platform:user_id, e.g. slack:U0123ABCD")],
               team: Annotated[str, typer.Option("--team", help="The team a lead leads.")] = "") -> None:
    """Grant a role (a lead is granted per team)."""
    _change_role(role, person, team, grant=True)


@role_app.command("revoke")
def role_revoke(role: Annotated[Role, typer.Argument(help="coordinator or lead")],
                person: Annotated[str, typer.Argument(help="platform:user_id")],
                team: Annotated[str, typer.Option("--team", help="The team a lead leads.")] = "") -> None:
    """Take a role away."""
    _change_role(role, person, team, grant=False)


def _change_role(role: Role, person: str, team: str, *, grant: bool) -> None:
    settings = settings_or_exit()
    from bot.shell import wiring

    wiring.prepare_database(settings)
    platform, _, user = person.partition(":")
    if platform not in {known.name for known in settings.platforms} or not user:
        say("roles.bad_user", error=True)
        raise typer.Exit(1)
    if role is Role.lead and not team:
        say("roles.needs_team", error=True)
        raise typer.Exit(1)
    roles, rounds = wiring.role_store(settings), wiring.round_desk(settings).rounds
    team_id = 0
    if team:
        titles = {title.casefold(): team_id for title, team_id in rounds.team_titles().items()}
        if team.casefold() not in titles:
            say("rounds.unknown_team", error=True, title=team, known=", ".join(rounds.team_titles()) or "–")
            raise typer.Exit(1)
        team_id = titles[team.casefold()]
    label = _role_text(role, team)
    if grant:
        changed = roles.grant(person, role.value, team_id=team_id, granted_by=f"cli:{getpass.getuser()}",
                              now=wiring.clock_for(settings).now())
        say("roles.granted" if changed else "roles.already", user=person, role=label)
    else:
        changed = roles.revoke(person, role.value, team_id=team_id)
        say("roles.revoked" if changed else "roles.not_found", user=person, role=label)
        if not changed:
            raise typer.Exit(1)


@role_app.command("list")
def role_list() -> None:
    """Every granted role (coordinators named in the settings are listed too)."""
    settings = settings_or_exit()
    from bot.shell import wiring

    wiring.prepare_database(settings)
    grants = wiring.role_store(settings).grants()
    if not grants:
        say("roles.none", configured=", ".join(sorted(settings.coordinator_ids)) or "–")
        return
    for person, role, team in grants:
        say("roles.line", user=person, role=_role_text(Role(role), team))
