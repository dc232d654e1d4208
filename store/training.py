"""The training_labels table: labelled texts stored with provenance (``aduan data import`` and
facilitators' corrections), read back as ``LabelRecord``s for ``training.dataset``."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.repository import content_hash
from store.tables import TrainingLabel

__all__ = ["Conflict", "ImportReport", "LabelRecord", "import_labels", "load_label_records"]

CORE_COLUMNS = ("agency", "topic")
_BATCH = 500


@dataclass(frozen=True)
class LabelRecord:
    """One labelled text as read from a file or the store.

    ``labels`` holds every label column (agency, topic and any other, e.g. ``kategori``); a
    missing label is None. ``order`` breaks ties between rows of equal time (import order).
    """

    text: str
    labels: dict[str, str | None]
    is_complaint: bool = True
    text_created_at: datetime | None = None
    origin: str = "import"
    where: str = ""
    order: int = 0
    labelled_at: datetime | None = None
    weight: int = 1  # rows of its file that said exactly this (merged duplicates are votes)

    @property
    def key(self) -> str:
        return content_hash(self.text)

    def label_tuple(self) -> tuple:
        return (self.is_complaint, tuple(sorted((k, v) for k, v in self.labels.items() if v)))


@dataclass(frozen=True)
class Conflict:
    """The same text with different labels: where each version came from and what it said."""

    text_hash: str
    versions: list[tuple[str, dict[str, str | None]]]


@dataclass
class ImportReport:
    """What ``import_labels`` did with one file."""

    file: str
    sha256: str
    rows_read: int = 0
    empty_text: int = 0
    duplicates_merged: int = 0
    already_present: int = 0
    inserted: int = 0
    already_imported: bool = False
    conflicts: list[Conflict] = field(default_factory=list)
    class_counts: dict[str, dict[str, int]] = field(default_factory=dict)


def _labels_of(row: TrainingLabel) -> dict[str, str | None]:
    return {
        "agency": row.agency,
        "topic": row.topic,
        **{k: v for k, v in (row.extra or {}).items()},
    }


def _record_of(row: TrainingLabel) -> LabelRecord:
    prov = row.provenance or {}
    where = f"{prov.get('file', row.origin)}:{prov.get('row', '?')}" if prov else row.origin
    if row.origin == "review":
        where = f"review by {row.reviewer or '?'}"
    return LabelRecord(
        text=row.text,
        labels=_labels_of(row),
        is_complaint=bool(row.is_complaint),
        text_created_at=row.text_created_at,
        origin=row.origin,
        where=where,
        order=row.id,
        labelled_at=row.created_at,
        weight=1 + len(prov.get("duplicate_rows") or []),
    )


def _existing(session: Session, keys: Sequence[str]) -> dict[str, list[TrainingLabel]]:
    found: dict[str, list[TrainingLabel]] = defaultdict(list)
    for start in range(0, len(keys), _BATCH):
        chunk = keys[start : start + _BATCH]
        query = select(TrainingLabel).where(TrainingLabel.text_hash.in_(chunk))
        for row in session.scalars(query.order_by(TrainingLabel.id)):
            found[row.text_hash].append(row)
    return found


def _file_already_imported(session: Session, sha256: str) -> bool:
    # JSON path queries differ between SQLite and PostgreSQL; import rows are few enough to scan.
    query = select(TrainingLabel.provenance).where(TrainingLabel.origin == "import")
    return any((p or {}).get("sha256") == sha256 for p in session.scalars(query))


def import_labels(
    *,
    session: Session,
    records: Iterable[LabelRecord],
    file: str,
    sha256: str,
    imported_at: datetime | None = None,
) -> ImportReport:
    """Store the labelled rows of one file (``record.where`` = its row number) with provenance.

    Two rows are the same text when their ``content_hash`` is equal (case-folded, whitespace
    collapsed, as for posts). Exact duplicates (same text, same labels) are merged: the first row
    is stored, the others recorded in its provenance, ``duplicate_rows`` (same file; each is a
    vote) and ``also_in`` (a later file repeating it, e.g. an overlapping export; not a new
    vote). Conflicts (same text, different labels) are all stored and reported; they are resolved
    when a training set is assembled (``training.dataset.resolve_labels``). A file already
    imported (same sha256) is not imported again. Does not commit: the caller's transaction
    makes the whole file one change.
    """
    imported_at = imported_at or datetime.now(UTC)
    report = ImportReport(file=file, sha256=sha256)
    records = list(records)
    report.rows_read = len(records)
    if _file_already_imported(session, sha256):
        report.already_imported = True
        return report
    by_key: dict[str, list[LabelRecord]] = defaultdict(list)
    for rec in records:
        if not rec.text.strip():
            report.empty_text += 1
            continue
        by_key[rec.key].append(rec)
    existing = _existing(session, list(by_key))
    counts: dict[str, Counter] = defaultdict(Counter)
    for key, group in by_key.items():
        stored = {_record_of(r).label_tuple(): r for r in existing.get(key, [])}
        versions: list[tuple[str, dict]] = [
            (_record_of(r).where, _labels_of(r)) for r in stored.values()
        ]
        new_rows: dict[tuple, TrainingLabel] = {}
        for rec in group:
            ident = rec.label_tuple()
            if ident in stored:
                report.already_present += 1
                row = stored[ident]
                prov = dict(row.provenance or {})
                prov["also_in"] = [*prov.get("also_in", []), f"{file}:{rec.where}"]
                row.provenance = prov  # a new dict, so SQLAlchemy sees the JSON change
                continue
            if ident in new_rows:
                report.duplicates_merged += 1
                new_rows[ident].provenance["duplicate_rows"].append(rec.where)
                continue
            new_rows[ident] = _new_row(rec, key, file, sha256, imported_at)
            versions.append((f"{file}:{rec.where}", dict(rec.labels)))
            for column, label in rec.labels.items():
                if label:
                    counts[column][label] += 1
        session.add_all(new_rows.values())
        report.inserted += len(new_rows)
        if len({_freeze(v) for _, v in versions}) > 1:
            report.conflicts.append(Conflict(text_hash=key, versions=versions))
    report.class_counts = {c: dict(n.most_common()) for c, n in counts.items()}
    session.flush()
    return report


def _freeze(labels: dict) -> tuple:
    return tuple(sorted((k, v) for k, v in labels.items() if v))


def _new_row(
    rec: LabelRecord, key: str, file: str, sha256: str, imported_at: datetime
) -> TrainingLabel:
    extra = {k: v for k, v in rec.labels.items() if k not in CORE_COLUMNS}
    return TrainingLabel(
        text=rec.text,
        text_hash=key,
        is_complaint=rec.is_complaint,
        agency=rec.labels.get("agency"),
        topic=rec.labels.get("topic"),
        extra=extra,
        origin="import",
        provenance={
            "file": file,
            "sha256": sha256,
            "row": rec.where,
            "imported_at": imported_at.isoformat(timespec="seconds"),
            "duplicate_rows": [],
        },
        text_created_at=rec.text_created_at,
        created_at=imported_at,
    )


def load_label_records(*, session: Session) -> list[LabelRecord]:
    """Every stored training label (imports and facilitators' corrections), in id order."""
    query = select(TrainingLabel).order_by(TrainingLabel.id).execution_options(yield_per=1000)
    return [_record_of(row) for row in session.scalars(query)]
