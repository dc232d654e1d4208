from __future__ import annotations

from pathlib import Path

import pytest

from classifier.bundle import load_bundle
from classifier.exceptions import BadEncoding, MissingColumn, TooFewClasses
from classifier.train import clean_labels, train_bundle

from .conftest import NEGATIVE_TEXTS, write_csv


def test_clean_labels_majority_then_latest() -> None:
    rows = [
        {"text": "Jalan rusak", "agency": "A", "created_at": "2022-01-01"},
        {"text": "jalan  RUSAK", "agency": "B", "created_at": "2022-01-03"},
        {"text": "jalan rusak", "agency": "A", "created_at": "2022-01-02"},
        {"text": "lampu mati", "agency": "A", "created_at": "2022-01-01"},
        {"text": "lampu mati", "agency": "B", "created_at": "2022-02-01"},
        {"text": "   ", "agency": "A", "created_at": "2022-02-01"},
        {"text": "sampah", "agency": "", "created_at": "2022-02-01"},
    ]
    out, report = clean_labels(rows, ["agency"], "text")
    by_text = {" ".join(r["text"].lower().split()): r["agency"] for r in out}
    assert by_text["jalan rusak"] == "A"  # 2 votes to 1
    assert by_text["lampu mati"] == "B"  # tie -> most recent
    assert by_text["sampah"] is None
    assert report["rows_out"] == 3 and report["empty_text"] == 1
    assert report["duplicate_rows_merged"] == 3 and report["conflicting_labels_resolved"] == 2


def test_same_seed_same_predictions(corpus_rows, tmp_path: Path) -> None:
    texts = [r["text"] for r in corpus_rows[-30:]]
    runs = []
    for name in ("a", "b"):
        out = train_bundle(
            rows=corpus_rows[:250],
            targets=["agency"],
            min_class_size=10,
            negatives=NEGATIVE_TEXTS,
            out_dir=tmp_path / name,
            seed=3,
            validation_fraction=0,
        )
        runs.append(load_bundle(out).predict(texts))
    assert runs[0] == runs[1]


def test_single_class_label_is_refused(corpus_rows, tmp_path: Path) -> None:
    rows = [{**r, "agency": "Dinas Sosial"} for r in corpus_rows[:50]]
    with pytest.raises(TooFewClasses, match="'agency' has 1 class"):
        train_bundle(rows=rows, targets=["agency"], min_class_size=1, out_dir=tmp_path / "x")


def test_missing_column_names_it_and_lists_found(small_csv: Path, tmp_path: Path) -> None:
    with pytest.raises(MissingColumn) as err:
        train_bundle(data_files=[small_csv], targets=["kategori"], out_dir=tmp_path / "x")
    assert "'kategori'" in str(err.value) and "agency, kecamatan" in str(err.value).replace(
        "topic, ", ""
    )


def test_non_utf8_csv_is_refused(corpus_rows, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "data.csv", corpus_rows[:20])
    path.write_bytes(path.read_bytes() + "caf\xe9,x\n".encode("latin-1"))
    with pytest.raises(BadEncoding, match="not valid UTF-8"):
        train_bundle(data_files=[path], targets=["agency"], out_dir=tmp_path / "x")
