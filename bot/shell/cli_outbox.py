"""`kartoitus outbox`: what the outbox holds (waiting, retrying, failed by reason) and putting messages back.

Counts and keys only: message text is never printed, so an operator's terminal or a support
ticket never carries what a person was sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.shell.cli_common import app, say, say_text, settings_or_exit

if TYPE_CHECKING:
    from bot.core.ports import Outbox

outbox_app = typer.Typer(help="Scheduled messages: what waits, what is retried, what failed and why.",
                         invoke_without_command=True)
app.add_typer(outbox_app, name="outbox")


def _outbox() -> Outbox:
    from bot.shell import wiring

    settings = settings_or_exit()
    wiring.prepare_database(settings)
    return wiring.outbox_store(settings)


@outbox_app.callback()
def outbox_summary(ctx: typer.Context,
                   failed: Annotated[bool, typer.Option("--failed", help="List every failed message.")] = False
                   ) -> None:
    """Counts of waiting, retrying, sent and failed messages, the failures by reason."""
    if ctx.invoked_subcommand is not None:
        return
    outbox = _outbox()
    counts = outbox.counts()
    say("outbox.summary", waiting=counts.waiting, retrying=counts.retrying, sent=counts.sent,
        failed=sum(counts.failed.values()))
    for reason, count in sorted(counts.failed.items(), key=lambda item: (-item[1], item[0])):
        say("outbox.failed_reason", count=count, reason=reason)
    if failed:
        rows = outbox.failed(limit=10_000)
        if not rows:
            say("outbox.none_failed")
            return
        say("outbox.failed_heading")
        for row in rows:
            typer.echo(say_text("outbox.failed_line", id=row.id, message=row.key, recipient=row.recipient,
                                attempts=row.attempts, outcome=row.outcome, reason=row.reason or "–",
                                failed_at=f"{row.failed_at:%Y-%m-%d %H:%M} UTC"))


@outbox_app.command("retry")
def outbox_retry(failed: Annotated[bool, typer.Option("--failed", help="Put failed messages back too.")] = False
                 ) -> None:
    """Send the messages that wait for a retry at the next tick; with --failed, the failed ones too."""
    from bot.shell import wiring

    outbox = _outbox()
    now = wiring.clock_for(settings_or_exit()).now()  # KARTOITUS_CLOCK_START: due on the rehearsal's clock
    count = outbox.retry_now(now=now) + (outbox.retry_failed(now=now) if failed else 0)
    say("outbox.retried", count=count)
