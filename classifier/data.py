"""Reading labelled CSVs, negative (non-complaint) files and JSONL inputs, with clear errors."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from classifier.exceptions import BadEncoding, DataError, MissingColumn

__all__ = [
    "NEGATIVE_STATUSES",
    "FileInfo",
    "file_info",
    "read_jsonl_texts",
    "read_negatives",
    "read_rows",
    "require_columns",
]

# lapor_tweets-style files carry a sentiment `status`; only these rows are non-complaints.
NEGATIVE_STATUSES = frozenset({"netral", "positif", "neutral", "positive"})
NEGATIVE_TEXT_COLUMNS = ("text", "full_text")

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(frozen=True)
class FileInfo:
    """Provenance of one input file, as recorded in a bundle manifest."""

    path: str
    sha256: str
    rows: int

    def as_dict(self) -> dict:
        return {"path": self.path, "sha256": self.sha256, "rows": self.rows}


def file_info(path: Path, rows: int) -> FileInfo:
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return FileInfo(path=str(path), sha256=digest, rows=rows)


def _read_text(path: Path) -> str:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise DataError(f"expected a file, got a folder: {path}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadEncoding(
            f"{path} is not valid UTF-8 (byte {exc.start}); re-save it as UTF-8"
        ) from None


def read_rows(path: Path) -> tuple[list[dict[str, str]], list[str]]:
    """All rows of a CSV with a header (or a .tsv with a header); returns (rows, columns)."""
    text = _read_text(path)
    delimiter = "\t" if str(path).endswith(".tsv") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = list(reader.fieldnames or [])
    if not columns:
        raise DataError(f"{path} is empty (no header row)")
    return [{k: (v or "") for k, v in r.items() if k is not None} for r in reader], columns


def require_columns(columns: Sequence[str], needed: Iterable[str], path: Path | str) -> None:
    for name in needed:
        if name not in columns:
            raise MissingColumn(name, list(columns), str(path))


def read_negatives(path: Path) -> list[str]:
    """Non-complaint texts from a negatives file.

    Accepted: a CSV with a ``text`` or ``full_text`` column (if it also has a ``status`` column,
    as lapor_tweets does, only rows with status Netral/Positif are kept), or a header-less
    SmSA-style TSV ``text<TAB>label`` (every row kept).
    """
    path = Path(path)
    if path.suffix == ".tsv":
        text = _read_text(path)
        return [line.split("\t", 1)[0] for line in text.splitlines() if line.strip()]
    rows, columns = read_rows(path)
    column = next((c for c in NEGATIVE_TEXT_COLUMNS if c in columns), None)
    if column is None:
        raise MissingColumn("text", columns, str(path))
    if "status" in columns:
        rows = [r for r in rows if r["status"].strip().lower() in NEGATIVE_STATUSES]
    return [r[column] for r in rows]


def read_jsonl_texts(path: Path, text_column: str = "text") -> list[tuple[dict, str]]:
    """(record, text) per non-blank line of a JSONL file; a line may be an object or a string."""
    out = []
    for n, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
        if isinstance(record, str):
            record = {text_column: record}
        if not isinstance(record, dict) or text_column not in record:
            found = sorted(record) if isinstance(record, dict) else []
            raise MissingColumn(text_column, found, f"{path}:{n}")
        out.append((record, str(record[text_column] or "")))
    return out
