"""``aduan export posts``: stored posts streamed as JSON lines or CSV."""

from __future__ import annotations

import csv
import json
import sys
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path

import typer

from cli.common import command_group
from config.exceptions import UserError
from store.db import session_factory
from store.export import spreadsheet_safe
from store.repository import stream_posts

app = command_group()

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


def _output(out: Path | None):
    """The file to write, or stdout (left open) when no file is given."""
    if out is None:
        return nullcontext(sys.stdout)
    try:
        return open(out, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None


@app.command("posts")
def export_posts(
    format: ExportFormat = typer.Option(ExportFormat.jsonl, "--format", help="jsonl or csv."),
    out: Path | None = typer.Option(None, "--out", help="File to write; default stdout."),
    source: str | None = typer.Option(None, "--source", help="Only posts of this source."),
    state: str | None = typer.Option(None, "--state", help="Only posts in this state."),
) -> None:
    """Stream stored posts as JSON lines or CSV (rows are read in chunks, never all at once)."""

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
