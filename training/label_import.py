"""Labelled exports (CSV, JSONL, XLSX) into ``training_labels`` with provenance: ``aduan data
import`` calls ``import_file`` (rows mapped to ``LabelRecord``s by ``--map``, stored in one go)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from classifier.data import read_jsonl, read_rows, read_xlsx
from classifier.exceptions import DataError, MissingColumn
from classifier.relevance_data import ALLOWED, parse_flag
from store.db import session_factory, transaction
from store.training import ImportReport, LabelRecord, import_labels
from training.exceptions import RetrainError

__all__ = ["FORMATS", "import_file", "parse_mapping", "parse_time", "read_label_file"]

FORMATS = ("csv", "jsonl", "xlsx")
MAX_TEXT_CHARS = 100_000  # as a harvested Post.text
MAX_LABEL_CHARS = 200  # the label columns of training_labels


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


def parse_time(value: object, tz: tzinfo) -> datetime | None:
    """A cell as an aware datetime (naive ones in ``tz``); None when empty or unreadable, so one
    odd date does not stop an import (the import counts them instead)."""
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
    """The relevance label vocabulary of ``--relevance-data``; an empty cell is a complaint."""
    if str(value if value is not None else "").strip() == "":
        return True
    flag = parse_flag(value)
    if flag is None:
        raise DataError(f"{where}: is_complaint value {value!r} is not one of {ALLOWED}")
    return flag


def read_label_file(
    path: Path, fmt: str | None, mapping: Mapping[str, str], timezone: str = "UTC"
) -> tuple[list[LabelRecord], dict]:
    """Labelled rows of ``path`` as LabelRecords (``where`` = row number); returns (records,
    info with sha256, columns, unparsed_times)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"file not found: {path}")
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    readers = {"csv": read_rows, "jsonl": read_jsonl, "xlsx": read_xlsx}
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
            when = parse_time(raw, tz)
            unparsed += when is None and raw not in (None, "")
        labels = {}
        for f in label_fields:
            value = row.get(mapping[f])
            labels[f] = str(value).strip() if value not in (None, "") else None
            _check_length(labels[f], MAX_LABEL_CHARS, f"{path}:{where}: {f}")
        text = str(row.get(mapping["text"]) or "")
        _check_length(text, MAX_TEXT_CHARS, f"{path}:{where}: text")
        is_complaint = (
            _flag(row.get(mapping["is_complaint"]), f"{path}:{where}")
            if "is_complaint" in mapping
            else True
        )
        records.append(
            LabelRecord(
                text=text,
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


def _check_length(value: str | None, limit: int, where: str) -> None:
    if value is not None and len(value) > limit:
        raise DataError(f"{where} is {len(value)} characters long, longer than the {limit} allowed")


def check_taxonomy(records: list[LabelRecord], profile: Any, path: Path) -> None:
    """DataError naming every agency/topic label that is not a key of the profile's taxonomy,
    with its rows (nothing is imported then: fix the file or the taxonomy first)."""
    known = {
        "agency": {a.key for a in profile.agencies},
        "topic": {t.key for t in profile.topics},
    }
    unknown: dict[tuple[str, str], list[str]] = {}
    for record in records:
        for field_name, keys in known.items():
            value = record.labels.get(field_name)
            if value is not None and value not in keys:
                unknown.setdefault((field_name, value), []).append(record.where)
    if not unknown:
        return
    listed = []
    for (field_name, value), rows in list(unknown.items())[:10]:
        shown = ", ".join(rows[:5]) + (", …" if len(rows) > 5 else "")
        listed.append(f"{field_name} {value!r} ({'rows' if len(rows) > 1 else 'row'} {shown})")
    more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
    raise DataError(
        f"{path}: labels not in the taxonomy ({profile.folder}/taxonomy.yaml): "
        f"{'; '.join(listed)}{more}; nothing imported — use the taxonomy's keys"
    )


def import_file(
    path: Path,
    *,
    fmt: str | None,
    mapping: Mapping[str, str],
    factory=None,
    timezone: str = "UTC",
    profile: Any = None,
) -> tuple[ImportReport, dict]:
    """Read ``path`` and store its labels in one transaction; returns (report, file info).
    With ``profile``, agency and topic labels must be keys of its taxonomy."""
    records, info = read_label_file(path, fmt, mapping, timezone)
    if profile is not None:
        check_taxonomy(records, profile, Path(path))
    with transaction(factory or session_factory()) as session:
        report = import_labels(
            session=session, records=records, file=str(path), sha256=info["sha256"]
        )
    return report, info
