"""``aduan review serve`` and ``aduan users add|list``: the review app and its accounts."""

from __future__ import annotations

import sys

import typer

review_app = typer.Typer(help="The facilitator review web app.", no_args_is_help=True)
users_app = typer.Typer(help="Review-app accounts.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this package's commands to the root app."""
    app.add_typer(review_app, name="review")
    app.add_typer(users_app, name="users")


@review_app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes (one per CPU core at most)."),
) -> None:
    """Serve the review app with uvicorn (the store's schema must be current)."""
    import uvicorn

    from review.app import create_app

    create_app()  # fail here, with one clear line, if the settings or the schema are wrong
    typer.echo(f"review app on http://{host}:{port}/ (Ctrl+C stops it)")
    uvicorn.run(
        "review.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=False,
    )


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., help="admin, facilitator or viewer."),
    agency: list[str] = typer.Option(
        [], "--agency", help="Agency key this account serves (repeat; none = all agencies)."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (one line)."
    ),
) -> None:
    """Create an account; the password is prompted for (or read from stdin), never an argument."""
    from review.auth import MIN_PASSWORD, hash_password
    from review.exceptions import ReviewError
    from store.db import session_factory, transaction
    from store.profile import get_profile
    from store.users import create_user

    profile = get_profile()
    unknown = [a for a in agency if profile.agency(a) is None]
    if unknown:
        keys = ", ".join(a.key for a in profile.agencies)
        raise ReviewError(f"unknown agency {', '.join(unknown)}; known: {keys}")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise ReviewError(f"the password needs at least {MIN_PASSWORD} characters")
    with transaction(session_factory()) as session:
        user = create_user(
            session=session,
            name=name,
            role=role,
            agencies=list(agency),
            password_hash=hash_password(password),
        )
        scope = ", ".join(user.agencies) or "all agencies"
    typer.echo(f"user {name} ({role}, {scope}) created")


@users_app.command("list")
def users_list() -> None:
    """List the accounts (name, role, agencies, active)."""
    from store.db import session_factory
    from store.users import list_users

    with session_factory()() as session:
        for user in list_users(session=session):
            scope = ",".join(user.agencies or []) or "all"
            state = "active" if user.active else "inactive"
            typer.echo(f"{user.name}\t{user.role}\t{scope}\t{state}")
