"""``aduan users add|list|unlock|passwd``: the review app's accounts."""

from __future__ import annotations

import sys

import typer

from cli.common import command_group, command_settings
from config.profile import get_profile
from review.auth import MIN_PASSWORD, hash_password, name_key
from review.exceptions import ReviewError
from store.db import session_factory, transaction
from store.throttle import forget_key
from store.users import (
    create_user,
    get_user_by_name,
    list_users,
    lockout_state,
    set_password,
    unlock_user,
)

app = command_group()


@app.command("add")
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

    profile = get_profile(command_settings().profile)
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


@app.command("list")
def users_list() -> None:
    """List the accounts (name, role, agencies, active)."""

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
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise ReviewError(f"the password needs at least {MIN_PASSWORD} characters")
    return password


def _account(session, name: str):
    user = get_user_by_name(session=session, name=name.strip())
    if user is None:
        raise ReviewError(f"no account named {name!r} (see `aduan users list`)")
    return user


@app.command("unlock")
def users_unlock(name: str = typer.Argument(..., help="Login name.")) -> None:
    """Unlock an account locked after failed logins (its open sessions end too)."""

    with transaction(session_factory()) as session:
        user = _account(session, name)
        was = lockout_state(user)
        unlock_user(session=session, user_id=user.id, actor="cli")
        key = name_key(secret=command_settings().cookie_key(), name=user.name)
        forget_key(session=session, key=key)
    if was.locked:
        typer.echo(f"user {name} unlocked (was locked until {was.locked_until:%d/%m/%Y %H:%M} UTC)")
    else:
        typer.echo(f"user {name} was not locked; failure count cleared")


@app.command("passwd")
def users_passwd(
    name: str = typer.Argument(..., help="Login name."), password_stdin: bool = PASSWORD_STDIN
) -> None:
    """Set a new password (prompted, or read from stdin); every session of the account ends."""

    password = _read_password(password_stdin)
    with transaction(session_factory()) as session:
        user = _account(session, name)
        set_password(
            session=session, user_id=user.id, password_hash=hash_password(password), actor="cli"
        )
    typer.echo(f"password of {name} changed; its sessions ended")
