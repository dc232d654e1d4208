"""``aduan data import``: labelled exports into the store, for `aduan run retrain`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from cli.common import command_group, command_settings
from config.profile import get_profile
from training.dataset import RESOLUTION_RULE
from training.label_import import import_file, parse_mapping

app = command_group()


class LabelFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    xlsx = "xlsx"


@app.command("import")
def data_import(
    file: Path = typer.Argument(..., help="Labelled export: CSV, JSONL or XLSX."),
    fmt: LabelFormat = typer.Option(None, "--format", help="Default: from the file suffix."),
    mapping: str = typer.Option(
        ...,
        "--map",
        help="FIELD=COLUMN pairs: text=COL required; agency, topic, created_at, is_complaint and "
        "any other label name (e.g. kategori=COL) optional.",
    ),
    show: int = typer.Option(10, "--show-conflicts", help="How many conflicts to list."),
) -> None:
    """Import labelled rows into training_labels (exact duplicates merged, conflicts reported)."""
    profile = get_profile(command_settings().profile)
    report, info = import_file(
        file,
        fmt=fmt.value if fmt else None,
        mapping=parse_mapping(mapping),
        timezone=profile.timezone,
        profile=profile,
    )
    if report.already_imported:
        typer.echo(f"{file}: already imported (sha256 {report.sha256[:12]}…); nothing to do")
        return
    typer.echo(
        f"{file}: {report.rows_read} rows read; {report.inserted} labels stored, "
        f"{report.duplicates_merged} exact duplicates merged, {report.already_present} already "
        f"stored, {report.empty_text} with empty text skipped"
    )
    if info["unparsed_times"]:
        typer.echo(f"  {info['unparsed_times']} created_at values could not be read (left empty)")
    typer.echo(f"  {len(report.conflicts)} texts with conflicting labels")
    for conflict in report.conflicts[:show]:
        versions = "; ".join(
            f"{where}: " + ", ".join(f"{k}={v}" for k, v in labels.items() if v)
            for where, labels in conflict.versions
        )
        typer.echo(f"    text {conflict.text_hash[:10]}: {versions}")
    if report.conflicts:
        typer.echo(f"  resolution at training time: {RESOLUTION_RULE}")
    for column, counts in report.class_counts.items():
        typer.echo(f"  {column}: {len(counts)} classes")
        for label, n in counts.items():
            typer.echo(f"    {n:6d}  {label}")
