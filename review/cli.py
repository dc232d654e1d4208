"""``aduan review serve`` and ``aduan users add|list|unlock|passwd``: the review app and its
accounts."""

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
    problem = port_problem(host, port)
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
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


def port_problem(host: str, port: int) -> str | None:
    """Why the app cannot listen on ``host:port`` (one line naming the option), or None."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"cannot listen on {host!r}: {exc.strerror}; change it with --host"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use; choose another with --port"
            return f"cannot listen on {host}:{port}: {exc.strerror}; change --host or --port"
    return None


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
    from review.auth import hash_password
    from review.exceptions import ReviewError
    from store.db import session_factory, transaction
    from store.profile import get_profile
    from store.users import create_user

    profile = get_profile()
    unknown = [a for a in agency if profile.agency(a) is None]
    if unknown:
        keys = ", ".join(a.key for a in profile.agencies)
        raise ReviewError(f"unknown agency {', '.join(unknown)}; known: {keys}")
    password = _read_password(password_stdin)
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
    from store.users import list_users, lockout_state

    with session_factory()() as session:
        for user in list_users(session=session):
            scope = ",".join(user.agencies or []) or "all"
            state = "active" if user.active else "inactive"
            lock = lockout_state(user)
            if lock.locked:
                state += f", locked until {lock.locked_until:%d/%m/%Y %H:%M} UTC"
            typer.echo(f"{user.name}\t{user.role}\t{scope}\t{state}")


PASSWORD_STDIN = typer.Option(
    False, "--password-stdin", help="Read the password from standard input (one line)."
)


def _read_password(from_stdin: bool) -> str:
    from review.auth import MIN_PASSWORD
    from review.exceptions import ReviewError

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise ReviewError(f"the password needs at least {MIN_PASSWORD} characters")
    return password


def _account(session, name: str):
    from review.exceptions import ReviewError
    from store.users import get_user_by_name

    user = get_user_by_name(session=session, name=name.strip())
    if user is None:
        raise ReviewError(f"no account named {name!r} (see `aduan users list`)")
    return user


@users_app.command("unlock")
def users_unlock(name: str = typer.Argument(..., help="Login name.")) -> None:
    """Unlock an account locked after failed logins (its open sessions end too)."""
    from review.auth import name_key
    from store.db import session_factory, transaction
    from store.settings import get_settings
    from store.throttle import forget_key
    from store.users import lockout_state, unlock_user

    with transaction(session_factory()) as session:
        user = _account(session, name)
        was = lockout_state(user)
        unlock_user(session=session, user_id=user.id, actor="cli")
        key = name_key(secret=get_settings().cookie_key(), name=user.name)
        forget_key(session=session, key=key)
    if was.locked:
        typer.echo(f"user {name} unlocked (was locked until {was.locked_until:%d/%m/%Y %H:%M} UTC)")
    else:
        typer.echo(f"user {name} was not locked; failure count cleared")


@users_app.command("passwd")
def users_passwd(
    name: str = typer.Argument(..., help="Login name."), password_stdin: bool = PASSWORD_STDIN
) -> None:
    """Set a new password (prompted, or read from stdin); every session of the account ends."""
    from review.auth import hash_password
    from store.db import session_factory, transaction
    from store.users import set_password

    password = _read_password(password_stdin)
    with transaction(session_factory()) as session:
        user = _account(session, name)
        set_password(
            session=session, user_id=user.id, password_hash=hash_password(password), actor="cli"
        )
    typer.echo(f"password of {name} changed; its sessions ended")
