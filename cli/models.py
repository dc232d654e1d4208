"""``aduan train | evaluate | classify | models ...``: models from files, and the registry."""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from classifier.bundle import load_bundle, read_manifest
from classifier.card import CARD_FILE
from classifier.chances import LEGEND_EN, by_chance
from classifier.data import read_jsonl_texts
from classifier.evaluate import evaluate as evaluate_model
from classifier.exceptions import DataError, NoChampion
from classifier.registry import Registry
from classifier.routing import parse_local_offices
from classifier.train import train_bundle
from cli.common import command_group, command_settings
from config.profile import get_profile
from store.areas import get_gazetteer
from training.dataset import default_negatives, default_relevance_data

app = command_group()

MODEL_HELP = "Bundle folder or registry version (default: the champion)."


def _registry() -> Registry:
    return Registry(Path(command_settings().models_dir))


def _split_targets(targets: str) -> list[str]:
    return [t.strip() for t in targets.split(",") if t.strip()]


def _load(model: str | None, targets: list[str] | None = None):
    """--model: a bundle folder, a registry version, or None for the champion."""

    registry = _registry()
    is_folder = bool(model) and Path(model).is_dir()
    if is_folder and Path(model).resolve().parent == registry.models_dir.resolve():
        model, is_folder = Path(model).name, False  # a registry version: the trusted index rules
    bundle = load_bundle(Path(model)) if is_folder else registry.load(model)
    if targets:
        bundle.require_targets(targets)
    return bundle


def train(
    data: list[Path] = typer.Option(..., "--data", help="Labelled CSV (repeatable)."),
    targets: str = typer.Option(..., "--targets", help="Label columns, e.g. agency,topic."),
    text_column: str = typer.Option("text", "--text-column"),
    min_class_size: int = typer.Option(30, "--min-class-size", help="Smaller classes left out."),
    negatives: list[Path] = typer.Option(
        None,
        "--negatives",
        help="Non-complaint texts: CSV (text/full_text; status Netral/Positif rows only when a "
        "status column exists) or SmSA TSV. Default: the profile's seed/non_complaints.csv.",
    ),
    relevance_data: list[Path] = typer.Option(
        None,
        "--relevance-data",
        help="CSV of texts labelled complaint or not (repeatable): a text column and is_complaint "
        "or label (aduan/bukan_aduan, keluhan/bukan, 1/0, true/false, ya/tidak). Trains the "
        "relevance head only, beside --data and --negatives. Without --negatives, the profile's "
        "seed/relevance*.csv are used too.",
    ),
    out: Path = typer.Option(None, "--out", help="Bundle folder (default: new registry version)."),
    seed: int = typer.Option(0, "--seed"),
    validation_fraction: float = typer.Option(
        0.1, "--validation-fraction", help="Latest rows held out for the manifest's figures."
    ),
    promote: bool = typer.Option(False, "--promote", help="Make the new model the champion."),
    local_offices: str = typer.Option(
        None,
        "--local-offices",
        help="How the data names a local office, per level: e.g. 'kelurahan=Kelurahan {name},"
        "kecamatan=Kecamatan {name}'. Such agency labels are learned as one class per level "
        "and routed to the office of the complaint's location.",
    ),
) -> None:
    """Train relevance + label heads from files and save a model bundle (the store is not read;
    `aduan run retrain` trains from the store's labels)."""

    rule = parse_local_offices(local_offices)
    target_list = _split_targets(targets)
    profile_dir = command_settings().profile
    negs = list(negatives) if negatives else default_negatives(profile_dir)
    relevance = list(relevance_data or []) + (
        [] if negatives else default_relevance_data(profile_dir)
    )
    registry = _registry()
    into_registry = out is None
    out_dir = out or registry.models_dir / f".training-{uuid.uuid4().hex[:8]}"
    steps = 3 + len(target_list) + (1 if validation_fraction > 0 else 0) + (1 if negs else 0)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True
    ) as bar:
        task = bar.add_task("reading data", total=steps)

        def step(name: str) -> None:
            bar.update(task, advance=1, description=f"{name} done")

        try:
            path = train_bundle(
                data_files=list(data),
                targets=target_list,
                text_column=text_column,
                min_class_size=min_class_size,
                negatives=negs,
                relevance_data=relevance,
                out_dir=out_dir,
                seed=seed,
                progress=step,
                validation_fraction=validation_fraction,
                local_offices=rule,
            )
        except BaseException:
            if into_registry:
                shutil.rmtree(out_dir, ignore_errors=True)
            raise
    if into_registry:
        version = registry.add(path, move=True)
        path = registry.path_of(version)

    manifest = read_manifest(path)
    typer.echo(f"model {manifest['version']} saved to {path}")
    typer.echo(f"  model card: {path / CARD_FILE}")
    for t in [*target_list, *(f"{t}_routed" for t in target_list)]:
        figures = manifest.get("validation", {}).get(t)
        if figures:
            typer.echo(
                f"  {t}: {len(manifest['classes'].get(t, [])) or 'offices by location,'} "
                f"classes; validation accuracy "
                f"{figures['accuracy']:.3f} (all rows {figures['accuracy_all']:.3f}), "
                f"macro-F1 {figures['macro_f1']:.3f}, "
                f"coverage@95 {figures['coverage_at_95']:.3f}"
            )
    rel = manifest.get("validation", {}).get("relevance")
    if rel:
        typer.echo(f"  relevance: validation {_relevance_line(rel)}")
    if promote:
        if not into_registry:
            registry.add(path)
        registry.promote(manifest["version"])
        typer.echo(f"model {manifest['version']} is now the champion")


def _relevance_line(f: dict) -> str:
    auc = "n/a" if f.get("auc") is None else f"{f['auc']:.3f}"
    return (
        f"n={f['n']} precision={f['precision']:.3f} recall={f['recall']:.3f} "
        f"f1={f['f1']:.3f} auc={auc} (threshold {f.get('threshold', 0.5):g})"
    )


def _profile_threshold() -> float:
    return get_profile(command_settings().profile).triage.relevance_threshold


def evaluate(
    model: str = typer.Option(None, "--model", help=MODEL_HELP),
    data: list[Path] = typer.Option(..., "--data", help="Labelled CSV (repeatable)."),
    targets: str = typer.Option(
        None, "--targets", help="Default: the model's targets found in the files."
    ),
    text_column: str = typer.Option("text", "--text-column"),
    relevance_threshold: float = typer.Option(
        None,
        "--relevance-threshold",
        min=0.0,
        max=1.0,
        help="Relevance at or above: a complaint (default: the profile's triage threshold).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    use_gazetteer: bool = typer.Option(
        True,
        "--gazetteer/--no-gazetteer",
        help="Check the files' kecamatan/kelurahan against the profile's areas.yaml (a place it "
        "does not know routes as unknown location); --no-gazetteer takes them as given (another "
        "region's data).",
    ),
) -> None:
    """Score a model on labelled CSV files: accuracy (rows whose label the model knows),
    accuracy_all (every labelled row; a label it cannot produce counts as wrong), macro-F1,
    coverage at 95% and 90%; and relevance precision, recall, F1, AUC when the files have an
    is_complaint or label column."""

    target_list = _split_targets(targets) if targets else None
    bundle = _load(model, target_list)
    threshold = _profile_threshold() if relevance_threshold is None else relevance_threshold
    result = evaluate_model(
        bundle,
        data_files=list(data),
        targets=target_list,
        text_column=text_column,
        relevance_threshold=threshold,
        gazetteer=get_gazetteer(Path(command_settings().profile)) if use_gazetteer else None,
    )
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"model {bundle.version}")
    for t, f in result.items():
        if t == "posts_per_s":
            continue
        if t == "relevance":
            typer.echo(f"  relevance: {_relevance_line(f)}")
            continue
        acc = "n/a" if f["accuracy"] is None else f"{f['accuracy']:.3f}"
        f1 = "n/a" if f["macro_f1"] is None else f"{f['macro_f1']:.3f}"
        acc_all = "n/a" if f["accuracy_all"] is None else f"{f['accuracy_all']:.3f}"
        typer.echo(
            f"  {t}: n={f['n']} unknown={f['n_unknown_label']} accuracy={acc} "
            f"accuracy_all={acc_all} macro_f1={f1} "
            f"coverage@95={f['coverage_at_95']:.3f} coverage@90={f['coverage_at_90']:.3f}"
        )
        if "n_unknown_location" in f:
            typer.echo(
                f"    routed to a local office {f['n_routed_office']}, "
                f"unknown location {f['n_unknown_location']} (left for a facilitator)"
            )
        if f.get("n_location_not_in_gazetteer"):
            typer.echo(
                f"    {f['n_location_not_in_gazetteer']} row(s) name a kecamatan/kelurahan that "
                "areas.yaml does not know: routed as unknown location, never guessed "
                "(--no-gazetteer takes the files' names as given)"
            )
    typer.echo(f"  {result['posts_per_s']:.0f} posts/s")


def classify(
    text: str = typer.Argument(None, help="A text to classify (or use --input)."),
    model: str = typer.Option(None, "--model", help=MODEL_HELP),
    input_file: Path = typer.Option(None, "--input", help='JSONL file, one {"text": …} a line.'),
    text_column: str = typer.Option("text", "--text-column", help="Key of the text in --input."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines output."),
) -> None:
    """Print relevance, labels, confidences and alternatives for texts."""

    if (text is None) == (input_file is None):
        raise DataError("give either a TEXT argument or --input FILE.jsonl")
    bundle = _load(model)
    if input_file is not None:
        records = read_jsonl_texts(input_file, text_column)
    else:
        records = [({text_column: text}, text)]
    for start in range(0, len(records), 1000):
        chunk = records[start : start + 1000]
        for (record, _), pred in zip(chunk, bundle.predict([t for _, t in chunk]), strict=True):
            if as_json:
                extra = {k: v for k, v in record.items() if k != text_column}
                sys.stdout.write(json.dumps({**extra, **_by_chance(pred)}) + "\n")
                continue
            typer.echo(f"relevance {pred.relevance:.3f} (a score, not a percentage)")
            for name, head in _by_chance(pred).items():
                if name == "relevance":
                    continue
                alts = ", ".join(f"{lab} {p:.0%}" for lab, p in head["alternatives"][1:])
                typer.echo(f"  {name}: {head['label']} ({head['confidence']:.0%}); also {alts}")
            typer.echo(f"  ({LEGEND_EN})")


def _by_chance(pred) -> dict:
    """The prediction with every head's labels highest chance first (one meaning per number)."""
    out = pred.as_dict()
    for name, head in pred.heads.items():
        ranked = by_chance(head.label, head.confidence, head.alternatives)
        out[name] = {
            "label": ranked[0][0],
            "confidence": round(ranked[0][1], 4),
            "alternatives": [[lab, round(p, 4)] for lab, p in ranked],
        }
    return out


@app.command("list")
def models_list() -> None:
    """List the versions in ADUAN_MODELS_DIR; * marks the champion."""
    rows = _registry().list()
    if not rows:
        typer.echo(f"no models in {_registry().models_dir}")
    for s in rows:
        mark = "*" if s.is_champion else " "
        typer.echo(f"{mark} {s.version}  {s.created_at}  {','.join(s.targets)}  {s.n_rows} rows")


@app.command("show")
def models_show(version: str = typer.Argument(None, help="Default: the champion.")) -> None:
    """Print a version's manifest (JSON)."""

    registry = _registry()
    version = version or registry.champion_version()
    if version is None:
        raise NoChampion(f"no champion model in {registry.models_dir}")
    typer.echo(json.dumps(registry.manifest(version), indent=2, ensure_ascii=False))


@app.command("promote")
def models_promote(version: str = typer.Argument(...)) -> None:
    """Make VERSION the champion (verified before)."""
    _registry().promote(version)
    typer.echo(f"model {version} is now the champion")


@app.command("rollback")
def models_rollback() -> None:
    """Make the previous champion the champion again."""
    version = _registry().rollback()
    typer.echo(f"rolled back: model {version} is the champion again")
