"""A retrain's data: stored labels + ``--data`` files, one label per text by the conflict rule
(``resolve_labels``), the latest texts held out by time (``split_by_time``)."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from classifier.data import read_rows, require_columns
from config.settings import load_settings
from store.db import session_factory
from store.training import LabelRecord, load_label_records
from training.exceptions import RetrainError
from training.label_import import parse_time

__all__ = [
    "HOLDOUT_FRACTION",
    "RESOLUTION_RULE",
    "ResolvedLabel",
    "TrainingSets",
    "assemble_sets",
    "default_negatives",
    "default_relevance_data",
    "describe_sets",
    "resolve_labels",
    "split_by_time",
    "split_file",
    "summarise_sets",
    "train_rows_of",
]

MIN_HELD_OUT_COMPLAINTS = 10  # below twice this in all, the answer is "import more"
HOLDOUT_FRACTION = 0.1  # `aduan run retrain`'s default: the latest 10% of the texts by time
# The conflict rule, as `aduan data import` prints it and every retrained manifest records it.
RESOLUTION_RULE = (
    "a facilitator's correction overrides imported labels for that text (latest correction "
    "wins); among imported labels each column takes the majority vote of the rows (duplicates "
    "within a file count, a later export repeating a row does not), ties to the most recent row"
)
_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ResolvedLabel:
    """The label a text gets in the training set after the resolution rule."""

    text: str
    key: str
    labels: dict[str, str | None]
    is_complaint: bool
    time: datetime | None
    origin: str
    conflicting: bool


@dataclass
class TrainingSets:
    """The assembled training set and the held-out rows."""

    records: list[LabelRecord]
    stats: dict
    train: list[ResolvedLabel]
    holdout: list[ResolvedLabel]
    train_rows: list[dict]
    review_negatives: list[str]


def _time(rec: LabelRecord) -> datetime:
    return rec.text_created_at or rec.labelled_at or _EPOCH


def resolve_labels(records: Iterable[LabelRecord]) -> tuple[list[ResolvedLabel], dict[str, int]]:
    """One label per text by ``RESOLUTION_RULE``; returns (resolved labels, counts).

    "Most recent" orders by the text's time, then import order; a review's own time orders the
    facilitators' labels.
    """
    groups: dict[str, list[LabelRecord]] = defaultdict(list)
    n_in = 0
    for rec in records:
        n_in += 1
        if rec.text.strip():
            groups[rec.key].append(rec)
    out, stats = [], Counter()
    for key, group in groups.items():
        group.sort(key=lambda r: (_time(r), r.order))
        reviews = sorted(
            (r for r in group if r.origin == "review"),
            key=lambda r: (r.labelled_at or _EPOCH, r.order),
        )
        imports = [r for r in group if r.origin != "review"]
        conflicting = len({r.label_tuple() for r in group}) > 1
        labels = _majority(imports) if imports else {}
        is_complaint = (
            _vote([r.is_complaint for r in imports], [r.weight for r in imports])
            if imports
            else True
        )
        if reviews:
            latest = reviews[-1]
            is_complaint = latest.is_complaint
            labels = {**labels, **{k: v for k, v in latest.labels.items() if v}}
            stats["texts_with_review_label"] += 1
        if not is_complaint:
            labels = {k: None for k in labels}
        stats["conflicting_texts"] += conflicting
        times = [r.text_created_at for r in group if r.text_created_at is not None]
        if not times and reviews:
            times = [reviews[-1].labelled_at] if reviews[-1].labelled_at else []
        out.append(
            ResolvedLabel(
                text=group[-1].text,
                key=key,
                labels=labels,
                is_complaint=is_complaint,
                time=min(times) if times else None,
                origin="review" if reviews else group[-1].origin,
                conflicting=conflicting,
            )
        )
    stats.update({"label_rows": n_in, "texts": len(out)})
    return out, dict(stats)


def _vote(values: Sequence[Any], weights: Sequence[int] | None = None) -> Any:
    """Weighted majority; ties to the value seen last (values are in time order)."""
    counts: Counter = Counter()
    for value, weight in zip(values, weights or [1] * len(values), strict=True):
        counts[value] += weight
    best = max(counts.values())
    return next(v for v in reversed(values) if counts[v] == best)


def _majority(group: Sequence[LabelRecord]) -> dict[str, str | None]:
    columns = dict.fromkeys(c for r in group for c in r.labels)
    out: dict[str, str | None] = {}
    for column in columns:
        voters = [r for r in group if r.labels.get(column)]
        values = [r.labels[column] for r in voters]
        out[column] = _vote(values, [r.weight for r in voters]) if values else None
    return out


def split_by_time(
    labels: Sequence[ResolvedLabel], fraction: float
) -> tuple[list[ResolvedLabel], list[ResolvedLabel]]:
    """(train, held out): the latest ``fraction`` of the texts that have a time are held out.

    Texts without any time are always trained on. Ordering is (time, key), so the split is the
    same for the same data whatever order it was read in.
    """
    if not 0 <= fraction < 1:
        raise ValueError("the held-out fraction must be in [0, 1)")
    dated = sorted((r for r in labels if r.time is not None), key=lambda r: (r.time, r.key))
    undated = sorted((r for r in labels if r.time is None), key=lambda r: r.key)
    n_hold = int(round(len(dated) * fraction))
    cut = len(dated) - n_hold
    return undated + dated[:cut], dated[cut:]


def _stored_records(factory) -> list[LabelRecord]:
    with (factory or session_factory())() as session:
        return load_label_records(session=session)


def _data_file_records(path: Path, targets: Sequence[str], text_column: str) -> list[LabelRecord]:
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


def default_negatives(profile_dir: Path | None = None) -> list[Path]:
    """The profile's seed non-complaints, when it has them (the relevance head's negatives);
    ``profile_dir`` None: ADUAN_PROFILE, read from the environment now."""
    seed = Path(profile_dir or load_settings().profile) / "seed" / "non_complaints.csv"
    return [seed] if seed.is_file() else []


def default_relevance_data(profile_dir: Path | None = None) -> list[Path]:
    """The profile's seed relevance files (``seed/relevance*.csv``: comments labelled complaint
    or not), used with the default negatives; ``profile_dir`` None: as default_negatives."""
    return sorted((Path(profile_dir or load_settings().profile) / "seed").glob("relevance*.csv"))


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
