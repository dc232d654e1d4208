"""The data team's retraining loop as plain functions (``retrain_flow`` wraps ``retrain``).

``import_file``: a labelled export (CSV, JSONL, XLSX) into ``training_labels`` with provenance.
``retrain``: assemble the training set (imports + facilitators' corrections + ``--data`` files),
hold out the latest rows by time, train a challenger on the rest, score challenger and champion
on the same held-out rows, promote by the profile's rules, and write the model card.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from classifier.exceptions import DataError, MissingColumn
from flows.exceptions import FlowError
from store.training import (
    RESOLUTION_RULE,
    ImportReport,
    LabelRecord,
    ResolvedLabel,
    import_labels,
    load_label_records,
    resolve_labels,
    split_by_time,
)

__all__ = [
    "FORMATS",
    "RetrainError",
    "RetrainResult",
    "import_file",
    "parse_mapping",
    "read_label_file",
    "retrain",
]

logger = logging.getLogger(__name__)

FORMATS = ("csv", "jsonl", "xlsx")
TRAINING_KEYS = "training_keys.txt"  # content-hash prefixes of the texts a model was trained on
KEY_CHARS = 16
DEFAULT_TARGETS = ("agency", "topic")
DEFAULT_MIN_CLASS_SIZE = 30
_TRUE = {"1", "true", "yes", "ya", "y", "complaint", "aduan"}
_FALSE = {"0", "false", "no", "tidak", "n", "other", "bukan"}


class RetrainError(FlowError):
    """Retraining or a label import cannot go ahead as asked (one line, exit 2)."""


# -- reading labelled files ------------------------------------------------------------------
def parse_mapping(spec: str) -> dict[str, str]:
    """``text=isi,agency=instansi,topic=kategori[,created_at=tanggal]`` -> {field: column}."""
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, column = part.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise RetrainError(f"--map entry {part!r} is not FIELD=COLUMN")
        mapping[name.strip()] = column.strip()
    if "text" not in mapping:
        raise RetrainError("--map must name the text column, e.g. --map text=isi,agency=instansi")
    return mapping


def _rows_csv(path: Path) -> tuple[list[dict], list[str]]:
    from classifier.data import read_rows

    return read_rows(path)


def _rows_jsonl(path: Path) -> tuple[list[dict], list[str]]:
    rows, columns = [], {}
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise DataError(f"{path}:{n}: expected a JSON object per line")
        rows.append(obj)
        columns.update(dict.fromkeys(obj))
    return rows, list(columns)


def _rows_xlsx(path: Path) -> tuple[list[dict], list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a bad file
        raise DataError(f"{path} is not a readable .xlsx workbook: {exc}") from None
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(lines, [])]
    rows = [dict(zip(header, values, strict=False)) for values in lines]
    book.close()
    return [r for r in rows if any(v not in (None, "") for v in r.values())], header


def _parse_time(value: object, tz: tzinfo) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _flag(value: object, where: str) -> bool:
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE or text == "":
        return True
    if text in _FALSE:
        return False
    raise DataError(f"{where}: is_complaint value {value!r} is not one of 1/0, true/false")


def read_label_file(
    path: Path, fmt: str | None, mapping: Mapping[str, str], timezone: str = "UTC"
) -> tuple[list[LabelRecord], dict]:
    """Labelled rows of ``path`` as LabelRecords (``where`` = row number); returns (records,
    info with sha256, columns, unparsed_times)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"file not found: {path}")
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    readers = {"csv": _rows_csv, "jsonl": _rows_jsonl, "xlsx": _rows_xlsx}
    if fmt not in readers:
        raise DataError(f"unknown format {fmt!r} for {path}; use --format csv, jsonl or xlsx")
    rows, columns = readers[fmt](path)
    for column in mapping.values():
        if column not in columns:
            raise MissingColumn(column, columns, str(path))
    tz = ZoneInfo(timezone)
    first_row = 1 if fmt == "jsonl" else 2  # line numbers a person sees (after the header)
    label_fields = [f for f in mapping if f not in ("text", "created_at", "is_complaint")]
    records, unparsed = [], 0
    for i, row in enumerate(rows):
        where = str(i + first_row)
        when = None
        if "created_at" in mapping:
            raw = row.get(mapping["created_at"])
            when = _parse_time(raw, tz)
            unparsed += when is None and raw not in (None, "")
        labels = {}
        for f in label_fields:
            value = row.get(mapping[f])
            labels[f] = str(value).strip() if value not in (None, "") else None
        is_complaint = (
            _flag(row.get(mapping["is_complaint"]), f"{path}:{where}")
            if "is_complaint" in mapping
            else True
        )
        records.append(
            LabelRecord(
                text=str(row.get(mapping["text"]) or ""),
                labels=labels if is_complaint else {f: None for f in label_fields},
                is_complaint=is_complaint,
                text_created_at=when,
                origin="import",
                where=where,
                order=i,
            )
        )
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return records, {"sha256": sha, "columns": columns, "unparsed_times": unparsed}


def import_file(
    path: Path,
    *,
    fmt: str | None,
    mapping: Mapping[str, str],
    factory=None,
    timezone: str = "UTC",
) -> tuple[ImportReport, dict]:
    """Read ``path`` and store its labels in one transaction; returns (report, file info)."""
    from store.db import session_factory, transaction

    records, info = read_label_file(path, fmt, mapping, timezone)
    with transaction(factory or session_factory()) as session:
        report = import_labels(
            session=session, records=records, file=str(path), sha256=info["sha256"]
        )
    return report, info


# -- retraining ------------------------------------------------------------------------------
@dataclass
class RetrainResult:
    """What one retrain did: the challenger, the decision and the figures behind it."""

    version: str
    path: Path
    promoted: bool
    reasons: list[str]
    champion_version: str | None
    challenger_figures: dict
    champion_figures: dict | None
    evaluation_set: dict
    training_set: dict
    card: Path
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "version": self.version,
            "path": str(self.path),
            "promoted": self.promoted,
            "reasons": self.reasons,
            "notes": self.notes,
            "champion_version": self.champion_version,
            "challenger": self.challenger_figures,
            "champion": self.champion_figures,
            "evaluation_set": self.evaluation_set,
            "training_set": self.training_set,
            "card": str(self.card),
        }


def _data_file_records(path: Path, targets: Sequence[str], text_column: str) -> list[LabelRecord]:
    from classifier.data import read_rows, require_columns

    rows, columns = read_rows(path)
    require_columns(columns, [text_column, *targets], path)
    return [
        LabelRecord(
            text=r[text_column],
            labels={t: (r.get(t) or "").strip() or None for t in targets},
            text_created_at=_parse_time(r.get("created_at"), ZoneInfo("UTC")),
            origin="data",
            where=f"{path}:{i + 2}",
            order=i,
        )
        for i, r in enumerate(rows)
    ]


def _keys_sha(labels: Sequence[ResolvedLabel]) -> str:
    return hashlib.sha256("\n".join(sorted(r.key for r in labels)).encode()).hexdigest()


def _safe_negative(text: str) -> str:
    # train_bundle reads a str ending in .csv/.tsv/.jsonl as a file path; a post never needs that.
    return text + " " if text.rstrip().endswith((".csv", ".tsv", ".jsonl")) else text


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


def _champion_overlap(champion_dir: Path | None, holdout: Sequence[ResolvedLabel]) -> str | None:
    """A note when the champion was trained on held-out rows (its figures are then optimistic)."""
    if champion_dir is None:
        return None
    keys_file = champion_dir / TRAINING_KEYS
    if not keys_file.is_file():
        return (
            "the champion's training rows are not recorded (not trained by `aduan retrain`); "
            "if it saw the held-out rows its figures are optimistic"
        )
    seen = set(keys_file.read_text(encoding="utf-8").split())
    n = sum(r.key[:KEY_CHARS] in seen for r in holdout)
    return f"the champion was trained on {n} of the {len(holdout)} held-out texts" if n else None


@dataclass
class _Sets:
    """The assembled training set and the held-out rows."""

    records: list[LabelRecord]
    stats: dict
    train: list[ResolvedLabel]
    holdout: list[ResolvedLabel]
    train_rows: list[dict]
    review_negatives: list[str]


def _assemble(factory, data_files, targets, text_column, holdout_fraction) -> _Sets:
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
    if not any(r.is_complaint and any(r.labels.get(t) for t in targets) for r in holdout):
        raise RetrainError(
            f"no held-out labelled complaints: {len(resolved)} texts, {len(holdout)} held out; "
            "import labels with a created_at column or raise --holdout-fraction"
        )
    train_rows = [
        {
            "text": r.text,
            "created_at": r.time.isoformat() if r.time else "",
            **{t: r.labels.get(t) or "" for t in targets},
        }
        for r in train
        if r.is_complaint
    ]
    negatives = [_safe_negative(r.text) for r in train if not r.is_complaint]
    return _Sets(records, stats, train, holdout, train_rows, negatives)


def _judge(challenger, champion, holdout: Sequence[ResolvedLabel], targets, rules):
    """Both models on the same held-out rows; returns (challenger, champion scores, decision)."""
    from classifier.promotion import decide, score_bundle, shared_classes

    texts = [r.text for r in holdout]
    heads = list(dict.fromkeys([*targets, *(champion.targets if champion else [])]))
    gold = {t: [r.labels.get(t) if r.is_complaint else None for r in holdout] for t in heads}
    is_complaint = [r.is_complaint for r in holdout]
    known = shared_classes(challenger, champion)
    new = score_bundle(challenger, texts, gold, is_complaint, known)
    old = score_bundle(champion, texts, gold, is_complaint, known) if champion else None
    version = champion.version if champion else None
    return new, old, decide(old, new, rules, version)


def _set_summaries(sets: _Sets, holdout_fraction: float, data_files) -> tuple[dict, dict]:
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


def retrain(
    *,
    factory=None,
    data_files: Sequence[Path] = (),
    targets: Sequence[str] | None = None,
    text_column: str = "text",
    holdout_fraction: float = 0.1,
    seed: int = 0,
    min_class_size: int | None = None,
    negatives: Sequence[Path] | None = None,
    models_dir: Path | None = None,
    max_macro_f1_drop: float | None = None,
    allow_accuracy_drop: float | None = None,
    promote: bool = True,
    params: Mapping | None = None,
    progress: Callable[[str], None] | None = None,
) -> RetrainResult:
    """Train a challenger, judge it against the champion on the same held-out rows, promote it
    if the profile's rules hold. Defaults come from the settings and the profile; targets and
    min_class_size default to the champion's (agency,topic and 30 when there is none)."""
    from classifier.bundle import load_bundle
    from classifier.card import write_card
    from classifier.registry import Registry
    from classifier.train import train_bundle
    from store.settings import get_settings

    step = progress or (lambda _s: None)
    rules = _rules(max_macro_f1_drop, allow_accuracy_drop)
    registry = Registry(Path(models_dir or get_settings().models_dir))
    # The champion is loaded (and its sha256 checked) before the long training, not after.
    champion_version = registry.champion_version()
    champion = registry.load(champion_version) if champion_version else None
    targets = [t for t in (targets or _champion_default(champion, "targets", DEFAULT_TARGETS)) if t]
    if min_class_size is None:
        min_class_size = int(_champion_default(champion, "min_class_size", DEFAULT_MIN_CLASS_SIZE))
    sets = _assemble(factory, data_files, targets, text_column, holdout_fraction)
    step("training set")
    negative_files = list(negatives) if negatives is not None else _default_negatives()
    work = Path(tempfile.mkdtemp(prefix="aduan-retrain-"))
    try:
        bundle_dir = train_bundle(
            rows=sets.train_rows,
            targets=targets,
            min_class_size=min_class_size,
            negatives=[*negative_files, *sets.review_negatives],
            out_dir=work / "bundle",
            seed=seed,
            params=params,
            validation_fraction=0,
            progress=step,
        )
        new, old, decision = _judge(load_bundle(bundle_dir), champion, sets.holdout, targets, rules)
        step("evaluation")
        overlap = _champion_overlap(champion.path if champion else None, sets.holdout)
        notes = [overlap] if overlap else []
        record = _document(bundle_dir, sets, holdout_fraction, data_files, rules, new, old)
        record["champion_version"] = champion_version
        record["decision"] = {
            "promote": decision.promote,
            "reasons": decision.reasons,
            "notes": notes,
        }
        manifest = _write_manifest(bundle_dir, record)
        write_card(
            bundle_dir,
            manifest,
            new,
            champion=old,
            champion_version=champion_version,
            decision=decision,
        )
        version = registry.add(bundle_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    promoted = bool(decision.promote and promote)
    if promoted:
        registry.promote(version)
    step("registry")
    logger.info("retrained %s: promoted=%s", version, promoted)
    return RetrainResult(
        version=version,
        path=registry.path_of(version),
        promoted=promoted,
        reasons=decision.reasons if promote else [*decision.reasons, "--no-promote given"],
        champion_version=champion_version,
        challenger_figures=record["challenger"],
        champion_figures=record["champion"],
        evaluation_set=record["evaluation_set"],
        training_set=record["training_set"],
        card=registry.path_of(version) / "MODEL_CARD.md",
        notes=notes,
    )


def _document(bundle_dir: Path, sets: _Sets, fraction, data_files, rules, new, old) -> dict:
    """The manifest's ``retrain`` record; also writes training_keys.txt beside the bundle."""
    evaluation_set, training_set = _set_summaries(sets, fraction, data_files)
    (Path(bundle_dir) / TRAINING_KEYS).write_text(
        "\n".join(sorted(r.key[:KEY_CHARS] for r in sets.train)) + "\n", encoding="utf-8"
    )
    return {
        "resolution_rule": RESOLUTION_RULE,
        "evaluation_set": evaluation_set,
        "training_set": training_set,
        "rules": {
            "max_macro_f1_drop": rules.max_macro_f1_drop,
            "allow_accuracy_drop": rules.allow_accuracy_drop,
        },
        "challenger": {t: s.figures() for t, s in new.items()},
        "champion": {t: s.figures() for t, s in old.items()} if old else None,
    }


def _write_manifest(bundle_dir: Path, record: dict) -> dict:
    """Add the retrain record to manifest.json; returns the whole manifest.

    manifest.json is not covered by the bundle's sha256 (model.joblib is), so adding the record
    after training leaves the bundle loadable.
    """
    from classifier.bundle import MANIFEST, read_manifest

    manifest = {**read_manifest(bundle_dir), "retrain": record}
    text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
    (Path(bundle_dir) / MANIFEST).write_text(text, encoding="utf-8")
    return manifest


def _champion_default(champion, key: str, default):
    return (champion.manifest.get(key) or default) if champion is not None else default


def _rules(max_f1_drop: float | None, acc_drop: float | None):
    from classifier.promotion import Rules

    if max_f1_drop is None or acc_drop is None:
        from store.profile import get_profile

        promotion = get_profile().promotion
        max_f1_drop = promotion.max_macro_f1_drop if max_f1_drop is None else max_f1_drop
        acc_drop = promotion.allow_accuracy_drop if acc_drop is None else acc_drop
    return Rules(max_macro_f1_drop=max_f1_drop, allow_accuracy_drop=acc_drop)


def _stored_records(factory) -> list[LabelRecord]:
    from store.db import session_factory

    with (factory or session_factory())() as session:
        return load_label_records(session=session)


def _default_negatives() -> list[Path]:
    from store.settings import get_settings

    seed = Path(get_settings().profile) / "seed" / "non_complaints.csv"
    return [seed] if seed.is_file() else []
