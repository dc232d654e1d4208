"""``aduan replies plan|send|list|approve|decline``: replies to citizens under their comment."""

from __future__ import annotations

import typer

from cli.common import command_group, command_settings
from config.profile import get_profile
from lapor.replies.run import counts, run_replies
from store.db import session_factory, transaction
from store.replies import approve_reply, decline_reply, list_replies

app = command_group()

STATES = "approval, pending, sending, unknown, sent, failed, gone, blocked, cancelled"


@app.command("plan")
def plan() -> None:
    """Make the reply rows now due (cases sent to LAPOR!, status changes); send nothing."""

    settings = command_settings()
    stats = run_replies(
        factory=session_factory(),
        profile=get_profile(settings.profile),
        settings=settings,
        send=False,
    )
    typer.echo(f"replies planned {stats.planned}")


@app.command("send")
def send(
    limit: int | None = typer.Option(None, "--limit", min=1, help="Send at most N replies."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, max=16, help="In flight."),
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Seconds per request."),
) -> None:
    """Plan the due replies, then post them (approved ones, or all with policy auto)."""

    settings = command_settings()
    stats = run_replies(
        factory=session_factory(),
        profile=get_profile(settings.profile),
        settings=settings,
        limit=limit,
        concurrency=concurrency,
        timeout=timeout,
    )
    typer.echo("replies " + ", ".join(f"{k} {v}" for k, v in counts(stats).items()))
    for problem in stats.problems[:10]:
        typer.echo(f"  {problem}", err=True)


@app.command("list")
def list_(
    state: list[str] | None = typer.Option(None, "--state", help=f"Only these ({STATES})."),
    limit: int = typer.Option(50, "--limit", min=1),
) -> None:
    """The latest replies with their state, target comment and link."""

    with session_factory()() as session:
        rows = list_replies(session=session, states=state, limit=limit)
    for row in rows:
        link = row.reply_url or "-"
        error = f"  ({row.last_error})" if row.last_error else ""
        typer.echo(
            f"{row.id}\tcase {row.case_id}\t{row.source}\t{row.kind}\t{row.state}\t{link}{error}"
        )


def _decide(reply_id: int, actor: str, approve: bool) -> None:
    with transaction(session_factory()) as session:
        decide = approve_reply if approve else decline_reply
        row = decide(session=session, reply_id=reply_id, actor=actor)
        typer.echo(f"reply {row.id}: {row.state}")


@app.command("approve")
def approve(
    reply_id: int = typer.Argument(..., help="Reply id (see `aduan replies list`)."),
    actor: str = typer.Option(..., "--actor", help="Who approves (audit log)."),
) -> None:
    """Approve a reply waiting for approval: it is posted on the next send."""
    _decide(reply_id, actor, True)


@app.command("decline")
def decline(
    reply_id: int = typer.Argument(..., help="Reply id."),
    actor: str = typer.Option(..., "--actor", help="Who declines (audit log)."),
) -> None:
    """Decide that a waiting, blocked or failed reply is not posted."""
    _decide(reply_id, actor, False)
