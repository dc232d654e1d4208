"""The retrain loop's data: stored labels + ``--data`` files, resolved, split by time.

``assemble_sets`` gathers the labelled texts (imports and facilitators' corrections from the store,
plus labelled CSVs), resolves conflicting labels (``store.training.resolve_labels``), holds out
the latest texts by time and shapes the rest into ``train_bundle`` rows and non-complaint texts.
``summarise_sets`` describes both parts for the manifest (counts, time range, key hashes,
sources), so a retrained model says exactly what it was trained and judged on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from flows.exceptions import RetrainError
from flows.label_import import parse_time
from store.training import (
    LabelRecord,
    ResolvedLabel,
    load_label_records,
    resolve_labels,
    split_by_time,
)

__all__ = [
    "TrainingSets",
    "assemble_sets",
    "default_negatives",
    "default_relevance_data",
    "describe_sets",
    "split_file",
    "summarise_sets",
    "train_rows_of",
]

MIN_HELD_OUT_COMPLAINTS = 10  # below twice this in all, the answer is "import more"
HOLDOUT_FRACTION = 0.1  # `aduan run retrain`'s default: the latest 10% of the texts by time


@dataclass
class TrainingSets:
    """The assembled training set and the held-out rows."""

    records: list[LabelRecord]
    stats: dict
    train: list[ResolvedLabel]
    holdout: list[ResolvedLabel]
    train_rows: list[dict]
    review_negatives: list[str]


def _stored_records(factory) -> list[LabelRecord]:
    from store.db import session_factory

    with (factory or session_factory())() as session:
        return load_label_records(session=session)


def _data_file_records(path: Path, targets: Sequence[str], text_column: str) -> list[LabelRecord]:
    from classifier.data import read_rows, require_columns

    rows, columns = read_rows(path)
    require_columns(columns, [text_column, *targets], path)
    return [
        LabelRecord(
            text=r[text_column],
            labels={t: (r.get(t) or "").strip() or None for t in targets},
            text_created_at=parse_time(r.get("created_at"), ZoneInfo("UTC")),
            origin="data",
            where=f"{path}:{i + 2}",
            order=i,
        )
        for i, r in enumerate(rows)
    ]


def _safe_negative(text: str) -> str:
    # train_bundle reads a str ending in .csv/.tsv/.jsonl as a file path; a post never needs that.
    return text + " " if text.rstrip().endswith((".csv", ".tsv", ".jsonl")) else text


def split_file(
    path: Path,
    targets: Sequence[str],
    text_column: str = "text",
    holdout_fraction: float = HOLDOUT_FRACTION,
) -> tuple[list[ResolvedLabel], list[ResolvedLabel]]:
    """A labelled file resolved and split as ``aduan run retrain`` splits it once it is the store's
    only labels: (train, held out) by the same keys and times."""
    resolved, _ = resolve_labels(_data_file_records(Path(path), targets, text_column))
    return split_by_time(resolved, holdout_fraction)


def train_rows_of(train: Sequence[ResolvedLabel], targets: Sequence[str]) -> list[dict]:
    """The labelled complaints of ``train`` as ``train_bundle`` rows (a facilitator's label
    marked in-domain)."""
    from classifier.train import IN_DOMAIN

    return [
        {
            "text": r.text,
            "created_at": r.time.isoformat() if r.time else "",
            **{t: r.labels.get(t) or "" for t in targets},
            **({IN_DOMAIN: True} if r.origin == "review" else {}),
        }
        for r in train
        if r.is_complaint
    ]


def assemble_sets(factory, data_files, targets, text_column, holdout_fraction) -> TrainingSets:
    """Stored labels + ``data_files``, resolved and split; raises RetrainError when there is
    nothing to train on or no labelled complaint among the held-out rows to judge by."""
    records = _stored_records(factory)
    for path in data_files:
        records += _data_file_records(Path(path), targets, text_column)
    resolved, stats = resolve_labels(records)
    if not resolved:
        raise RetrainError(
            "no training labels: import some with `aduan data import FILE --map text=...` "
            "or give labelled CSVs with --data"
        )
    train, holdout = split_by_time(resolved, holdout_fraction)
    if not any(_labelled_complaint(r, targets) for r in holdout):
        raise RetrainError(_nothing_to_judge(resolved, holdout, targets, holdout_fraction))
    train_rows = train_rows_of(train, targets)
    negatives = [_safe_negative(r.text) for r in train if not r.is_complaint]
    return TrainingSets(records, stats, train, holdout, train_rows, negatives)


def _labelled_complaint(label: ResolvedLabel, targets: Sequence[str]) -> bool:
    return label.is_complaint and any(label.labels.get(t) for t in targets)


def _nothing_to_judge(resolved, holdout, targets, fraction: float) -> str:
    """Why the challenger cannot be judged, and what to do about it (one line)."""
    complaints = sum(_labelled_complaint(r, targets) for r in resolved)
    heads = "/".join(targets)
    what = (
        f"nothing to judge a challenger on: the held-out rows (the latest {fraction:.0%} by "
        f"time: {len(holdout)} of {len(resolved)} labelled texts) contain no complaint with "
        f"a {heads} label"
    )
    if complaints < 2 * MIN_HELD_OUT_COMPLAINTS:
        return (
            f"{what}, and only {complaints} labelled complaints exist in all; import more with "
            f"`aduan data import FILE --map text=COL,{targets[0]}=COL,created_at=COL` "
            "(or give labelled CSVs with --data)"
        )
    return (
        f"{what}; raise --holdout-fraction (now {fraction}) or import labelled complaints "
        "with a created_at column (`--map ...,created_at=COL`) so the latest are complaints too"
    )


def describe_sets(
    sets: TrainingSets, targets: Sequence[str], negatives: Sequence[Path], champion: str | None
) -> str:
    """What a retrain is about to train and judge on, said before the training starts."""
    sources = ", ".join(f"{s['name']} {s['texts']}" for s in _sources(sets.records, []))
    data = sum(1 for r in sets.records if r.origin == "data")
    if data:
        sources += f", --data files {data}"
    hold = sets.holdout
    return (
        f"training on {len(sets.train_rows)} labelled complaints ({'/'.join(targets)}) and "
        f"{len(sets.review_negatives)} non-complaints from reviews, plus the negatives in "
        f"{', '.join(Path(n).name for n in negatives) or 'no file'}; judged on {len(hold)} "
        f"held-out texts ({sum(r.is_complaint for r in hold)} complaints, "
        f"{min(r.time for r in hold).date()} .. {max(r.time for r in hold).date()}) against "
        f"champion {champion or '(none)'}. Labels from: {sources}"
    )


def default_negatives() -> list[Path]:
    """The profile's seed non-complaints, when it has them (the relevance head's negatives)."""
    from store.settings import get_settings

    seed = Path(get_settings().profile) / "seed" / "non_complaints.csv"
    return [seed] if seed.is_file() else []


def default_relevance_data() -> list[Path]:
    """The profile's seed relevance files (``seed/relevance*.csv``: comments labelled complaint
    or not), used with the default negatives."""
    from store.settings import get_settings

    return sorted((Path(get_settings().profile) / "seed").glob("relevance*.csv"))


def _keys_sha(labels: Sequence[ResolvedLabel]) -> str:
    return hashlib.sha256("\n".join(sorted(r.key for r in labels)).encode()).hexdigest()


def _sources(records: Sequence[LabelRecord], data_files: Sequence[Path]) -> list[dict]:
    files: dict[str, int] = {}
    reviews = 0
    for r in records:
        if r.origin == "review":
            reviews += 1
        elif r.origin == "import":
            name = r.where.rsplit(":", 1)[0]
            files[name] = files.get(name, 0) + 1
    out = [
        {"name": f"import {n}", "texts": c, "detail": "training_labels"} for n, c in files.items()
    ]
    out.append({"name": "facilitator labels", "texts": reviews, "detail": "review app"})
    for p in data_files:
        n = sum(1 for r in records if r.origin == "data" and r.where.startswith(f"{p}:"))
        out.append({"name": f"--data {Path(p).name}", "texts": n, "detail": str(p)})
    return out


def summarise_sets(sets: TrainingSets, holdout_fraction: float, data_files) -> tuple[dict, dict]:
    """(evaluation_set, training_set) records of the manifest."""
    hold = sets.holdout
    evaluation_set = {
        "fraction": holdout_fraction,
        "n": len(hold),
        "n_complaints": sum(r.is_complaint for r in hold),
        "from": min(r.time for r in hold).isoformat(),
        "to": max(r.time for r in hold).isoformat(),
        "keys_sha256": _keys_sha(hold),
    }
    training_set = {
        "n": len(sets.train),
        "n_complaints": len(sets.train_rows),
        "n_review_negatives": len(sets.review_negatives),
        "keys_sha256": _keys_sha(sets.train),
        "label_stats": sets.stats,
        "sources": _sources(sets.records, data_files),
    }
    return evaluation_set, training_set
