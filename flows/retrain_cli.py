"""``aduan data import`` and ``aduan retrain``: the data team's retraining loop."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

data_app = typer.Typer(help="Labelled training data: import exports with provenance.")


class LabelFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    xlsx = "xlsx"


def register(app: typer.Typer) -> None:
    """Add ``data import`` and ``retrain`` to the root app."""
    app.add_typer(data_app, name="data")
    app.command("retrain")(retrain)


@data_app.command("import")
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
    from store.profile import get_profile
    from training.dataset import RESOLUTION_RULE
    from training.label_import import import_file, parse_mapping

    profile = get_profile()
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


def retrain(
    data: list[Path] = typer.Option(
        None, "--data", help="Extra labelled CSV with text and target columns (repeatable)."
    ),
    holdout_fraction: float = typer.Option(
        0.1,  # = training.dataset.HOLDOUT_FRACTION (not imported: the CLI starts fast)
        "--holdout-fraction",
        help="Latest fraction of texts (by time) held out.",
    ),
    seed: int = typer.Option(0, "--seed"),
    targets: str = typer.Option(
        None, "--targets", help="Label heads, e.g. agency,topic (default: the champion's)."
    ),
    min_class_size: int = typer.Option(
        None, "--min-class-size", help="Smaller classes left out (default: the champion's, or 30)."
    ),
    negatives: list[Path] = typer.Option(
        None,
        "--negatives",
        help="Non-complaint files (default: the profile's seed/non_complaints.csv).",
    ),
    promote: bool = typer.Option(True, "--promote/--no-promote", help="Promote if rules hold."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Train a challenger, judge it against the champion on held-out rows, promote by the rules.

    The training set is the imported labels plus facilitators' corrections plus any --data file;
    the latest --holdout-fraction of texts (by time) is held out and recorded in the manifest.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from training.retrain import retrain as run_retrain

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True
    ) as bar:
        task = bar.add_task("assembling the training set", total=None)

        def step(name: str) -> None:
            bar.update(task, description=f"{name} done")

        result = run_retrain(
            data_files=list(data or []),
            targets=[t.strip() for t in targets.split(",") if t.strip()] if targets else None,
            holdout_fraction=holdout_fraction,
            seed=seed,
            min_class_size=min_class_size,
            negatives=list(negatives) if negatives else None,
            promote=promote,
            progress=step,
            announce=lambda line: bar.console.print(line, markup=False, highlight=False),
        )
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    held = result.evaluation_set
    typer.echo(
        f"challenger {result.version}: trained on {result.training_set['n']} texts, judged on "
        f"{held['n']} held-out texts ({held['from'][:10]} .. {held['to'][:10]})"
    )
    for target, figures in result.challenger_figures.items():
        old = (result.champion_figures or {}).get(target)
        line = (
            f"  {target}: accuracy {figures['accuracy']:.3f} "
            f"(all rows {figures.get('accuracy_all', 0):.3f}), macro-F1 {figures['macro_f1']:.3f}"
        )
        if old:
            line += f"  (champion {old['accuracy']:.3f}, {old['macro_f1']:.3f})"
        typer.echo(line)
    verdict = "promoted to champion" if result.promoted else "NOT promoted; champion kept"
    typer.echo(f"{verdict}:")
    for reason in result.reasons + result.notes:
        typer.echo(f"  - {reason}")
    typer.echo(f"model card: {result.card}")
