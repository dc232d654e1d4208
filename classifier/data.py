"""Every reader of labelled and input files (CSV/TSV, JSONL, XLSX), with clear errors; text files
are UTF-8, a byte-order mark tolerated."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from classifier.exceptions import BadEncoding, DataError, MissingColumn

__all__ = [
    "NEGATIVE_STATUSES",
    "FileInfo",
    "file_info",
    "read_jsonl",
    "read_jsonl_texts",
    "read_negatives",
    "read_rows",
    "read_xlsx",
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


def _jsonl_values(path: Path) -> Iterator[tuple[int, object]]:
    """(line number, parsed value) per non-blank line of a JSONL file."""
    for n, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{n}: not valid JSON ({exc.msg})") from None


def read_jsonl(path: Path) -> tuple[list[dict], list[str]]:
    """All rows of a JSONL file, one object a line; returns (rows, columns in first-seen order)."""
    rows, columns = [], {}
    for n, obj in _jsonl_values(path):
        if not isinstance(obj, dict):
            raise DataError(f"{path}:{n}: expected a JSON object per line")
        rows.append(obj)
        columns.update(dict.fromkeys(obj))
    return rows, list(columns)


def read_jsonl_texts(path: Path, text_column: str = "text") -> list[tuple[dict, str]]:
    """(record, text) per non-blank line of a JSONL file; a line may be an object or a string."""
    out = []
    for n, record in _jsonl_values(path):
        if isinstance(record, str):
            record = {text_column: record}
        if not isinstance(record, dict) or text_column not in record:
            found = sorted(record) if isinstance(record, dict) else []
            raise MissingColumn(text_column, found, f"{path}:{n}")
        out.append((record, str(record[text_column] or "")))
    return out


def read_xlsx(path: Path) -> tuple[list[dict], list[str]]:
    """The rows of a workbook's first sheet under its header row (empty rows left out); returns
    (rows, columns)."""
    from openpyxl import load_workbook  # only for .xlsx files

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
