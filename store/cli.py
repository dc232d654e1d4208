"""``aduan db ...`` and ``aduan export ...``: schema management and streaming exports."""

from __future__ import annotations

import csv
import json
import sys
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path

import typer

db_app = typer.Typer(
    help="Database schema: upgrade, current revision, check.", no_args_is_help=True
)
export_app = typer.Typer(help="Export stored data without loading it all in memory.")

EXPORT_FIELDS = [
    "id",
    "source",
    "external_id",
    "parent_external_id",
    "url",
    "author_ref",
    "created_at",
    "fetched_at",
    "state",
    "case_id",
    "text",
]


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(export_app, name="export")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create or upgrade the schema of ADUAN_DATABASE_URL to the newest revision."""
    from store.db import check_connection, get_engine
    from store.migrate import current_revision, upgrade

    engine = get_engine(check=False)
    check_connection(engine)
    before = current_revision(engine)
    upgrade(engine, revision)
    after = current_revision(engine)
    url = engine.url.render_as_string(hide_password=True)
    typer.echo(f"{url}: schema {before or 'empty'} -> {after}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database and the one this code needs."""
    from store.db import check_connection, get_engine
    from store.migrate import current_revision, head_revision

    engine = get_engine(check=False)
    check_connection(engine)
    current = current_revision(engine)
    head = head_revision()
    note = "up to date" if current == head else "run `aduan db upgrade`"
    typer.echo(f"current: {current or 'none'}  head: {head}  ({note})")


@db_app.command("downgrade")
def db_downgrade(
    revision: str = typer.Argument(..., help="Target revision, e.g. base."),
    yes: bool = typer.Option(False, "--yes", help="Confirm: this drops tables and data."),
) -> None:
    """Downgrade the schema (drops data of the removed tables)."""
    from store.db import get_engine
    from store.migrate import downgrade

    if not yes:
        raise typer.BadParameter("downgrading drops data; add --yes to confirm")
    downgrade(get_engine(check=False), revision)
    typer.echo(f"downgraded to {revision}")


def _output(out: Path | None):
    """The file to write, or stdout (left open) when no file is given."""
    if out is None:
        return nullcontext(sys.stdout)
    return open(out, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed by the caller


@export_app.command("posts")
def export_posts(
    format: ExportFormat = typer.Option(ExportFormat.jsonl, "--format", help="jsonl or csv."),
    out: Path | None = typer.Option(None, "--out", help="File to write; default stdout."),
    source: str | None = typer.Option(None, "--source", help="Only posts of this source."),
    state: str | None = typer.Option(None, "--state", help="Only posts in this state."),
) -> None:
    """Stream stored posts as JSON lines or CSV (rows are read in chunks, never all at once)."""
    from store.db import session_factory
    from store.export import spreadsheet_safe
    from store.repository import stream_posts

    count = 0
    with _output(out) as fh, session_factory()() as session:
        writer = csv.DictWriter(fh, EXPORT_FIELDS) if format is ExportFormat.csv else None
        if writer:
            writer.writeheader()
        for row in stream_posts(session=session, source=source, state=state):
            record = {name: getattr(row, name) for name in EXPORT_FIELDS}
            for name in ("created_at", "fetched_at"):
                record[name] = record[name].isoformat()
            if writer:
                writer.writerow({k: spreadsheet_safe(v) for k, v in record.items()})
            else:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    if out:
        typer.echo(f"wrote {count} posts to {out}", err=True)
