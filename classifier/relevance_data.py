"""Relevance data: texts labelled complaint or not for the relevance head (``--relevance-data``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from classifier.data import read_rows
from classifier.exceptions import DataError, TooFewClasses

__all__ = [
    "ALLOWED",
    "LABEL_COLUMNS",
    "RelevanceRow",
    "label_column",
    "parse_flag",
    "read_relevance_file",
    "read_relevance_files",
]

LABEL_COLUMNS = ("is_complaint", "label")
TRUE_VALUES = frozenset({"aduan", "keluhan", "1", "true", "ya", "yes", "y", "complaint"})
FALSE_VALUES = frozenset(
    {"bukan_aduan", "bukan", "0", "false", "tidak", "no", "n", "other", "bukan_keluhan"}
)
ALLOWED = "aduan/bukan_aduan, keluhan/bukan, 1/0, true/false, ya/tidak"
TIME_COLUMNS = ("created_at", "date")


@dataclass(frozen=True)
class RelevanceRow:
    """One labelled text: complaint (True) or not (False); ``created_at`` as written, or ''."""

    text: str
    is_complaint: bool
    created_at: str = ""


def parse_flag(value: object) -> bool | None:
    """True / False for a known label value (case and spaces ignored), None for anything else."""
    text = str(value if value is not None else "").strip().lower()
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    return None


def label_column(columns: Sequence[str]) -> str | None:
    """The relevance label column of a file (``is_complaint`` before ``label``), or None."""
    return next((c for c in LABEL_COLUMNS if c in columns), None)


# A CSV with a ``text`` column and a label column, ``is_complaint`` or ``label`` (the first found,
# in that order). Label values, case-insensitive: aduan/bukan_aduan, keluhan/bukan, 1/0, true/false,
# ya/tidak (yes/no, complaint/other, y/n, bukan_keluhan are accepted too, as ``aduan data import``
# always did). A file is read whole and checked before anything is trained: an unknown value, an
# empty text, one class only or non-UTF-8 bytes is one ``DataError`` naming the file and row.
def read_relevance_file(path: Path, text_column: str = "text") -> list[RelevanceRow]:
    """Every row of `path` as a RelevanceRow; raises DataError on the first bad row."""
    path = Path(path)
    rows, columns = read_rows(path)
    if text_column not in columns:
        raise DataError(
            f"{path}: no {text_column!r} column; columns found: {', '.join(columns) or '(none)'}"
        )
    column = label_column(columns)
    if column is None:
        raise DataError(
            f"{path}: no label column (is_complaint or label); columns found: {', '.join(columns)}"
        )
    when = next((c for c in TIME_COLUMNS if c in columns), None)
    out = []
    for i, r in enumerate(rows, start=2):  # row 1 is the header
        text = r.get(text_column) or ""
        if not text.strip():
            raise DataError(f"{path}:{i}: empty {text_column!r}; every row needs a text")
        flag = parse_flag(r.get(column))
        if flag is None:
            raise DataError(
                f"{path}:{i}: {column} value {r.get(column)!r} is not one of {ALLOWED} "
                "(case-insensitive)"
            )
        out.append(RelevanceRow(text=text, is_complaint=flag, created_at=r.get(when, "") or ""))
    if not out:
        raise DataError(f"{path}: no rows under the header")
    if len({r.is_complaint for r in out}) < 2:
        kind = "complaints" if out[0].is_complaint else "non-complaints"
        raise TooFewClasses(
            f"{path}: all {len(out)} rows are {kind}; a relevance file needs both complaints "
            "and non-complaints"
        )
    return out


def read_relevance_files(
    paths: Sequence[Path], text_column: str = "text"
) -> tuple[list[RelevanceRow], list[tuple[Path, int]]]:
    """All rows of all files (each checked whole first); returns (rows, [(path, n rows)])."""
    rows, counts = [], []
    for path in paths:
        found = read_relevance_file(Path(path), text_column)
        rows.extend(found)
        counts.append((Path(path), len(found)))
    return rows, counts
