"""``aduan db upgrade|current|downgrade``: the store's schema."""

from __future__ import annotations

import typer

from cli.common import command_group
from store.db import check_connection, get_engine
from store.migrate import current_revision, downgrade, head_revision, upgrade

app = command_group()


@app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create or upgrade the schema of ADUAN_DATABASE_URL to the newest revision."""
    engine = get_engine(check=False)
    check_connection(engine)
    before = current_revision(engine)
    upgrade(engine, revision)
    after = current_revision(engine)
    url = engine.url.render_as_string(hide_password=True)
    typer.echo(f"{url}: schema {before or 'empty'} -> {after}")


@app.command("current")
def db_current() -> None:
    """Print the schema revision of the database and the one this code needs."""
    engine = get_engine(check=False)
    check_connection(engine)
    current = current_revision(engine)
    head = head_revision()
    note = "up to date" if current == head else "run `aduan db upgrade`"
    typer.echo(f"current: {current or 'none'}  head: {head}  ({note})")


@app.command("downgrade")
def db_downgrade(
    revision: str = typer.Argument(..., help="Target revision, e.g. base."),
    yes: bool = typer.Option(False, "--yes", help="Confirm: this drops tables and data."),
) -> None:
    """Downgrade the schema (drops data of the removed tables)."""
    if not yes:
        raise typer.BadParameter("downgrading drops data; add --yes to confirm")
    downgrade(get_engine(check=False), revision)
    typer.echo(f"downgraded to {revision}")
