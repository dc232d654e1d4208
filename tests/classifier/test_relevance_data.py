"""`--relevance-data`: parsing, errors (one line, exit 2, nothing stored), training, evaluation."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from classifier.exceptions import BadEncoding, DataError, TooFewClasses
from classifier.relevance_data import parse_flag, read_relevance_file

from .conftest import NEGATIVE_TEXTS, SMALL_TARGETS
from .test_cli import _one_line_error, aduan  # noqa: F401  (aduan is a fixture)

# Written for these tests: chatter under a city government's posts, and short complaints.
CHATTER = [
    "Selamat Natal pak wali, Tuhan berkati keluarga",
    "mantap min, acaranya meriah sekali",
    "jam berapa car free day mulai besok min?",
    "harga cabe di pasar naik lagi ya sekarang",
    "wkwkwk lucu banget videonya",
    "semoga sukses terus buat pemkot",
]
SHORT_COMPLAINTS = [
    "min lampu jalan depan rumah mati sudah seminggu",
    "tolong pak air PDAM tidak mengalir dari kemarin",
    "jalan berlubang besar di dekat pasar, bahaya",
    "sampah numpuk tidak diangkut dua minggu",
    "mohon ditindak parkir liar di depan sekolah",
    "banjir lagi di gang kami, selokan mampet",
]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _relevance_csv(path: Path, column: str = "label") -> Path:
    rows = [[t, "aduan"] for t in SHORT_COMPLAINTS] + [[t, "bukan_aduan"] for t in CHATTER]
    return _write(path, ["text", column], rows * 3)


@pytest.mark.parametrize(
    ("value", "flag"),
    [
        ("aduan", True),
        ("ADUAN", True),
        (" keluhan ", True),
        ("1", True),
        ("True", True),
        ("ya", True),
        ("bukan_aduan", False),
        ("Bukan", False),
        ("0", False),
        ("false", False),
        ("TIDAK", False),
        ("maybe", None),
        ("", None),
        ("2", None),
    ],
)
def test_label_values(value: str, flag: bool | None) -> None:
    assert parse_flag(value) is flag


def test_file_is_read_with_either_label_column(tmp_path: Path) -> None:
    rows = read_relevance_file(_relevance_csv(tmp_path / "a.csv", "is_complaint"))
    assert len(rows) == 36
    assert sum(r.is_complaint for r in rows) == 18
    assert rows[0].text == SHORT_COMPLAINTS[0] and rows[0].is_complaint
    assert not rows[len(SHORT_COMPLAINTS)].is_complaint


def test_bad_files_are_refused_naming_the_row(tmp_path: Path) -> None:
    no_label = _write(tmp_path / "n.csv", ["text", "kind"], [["halo", "x"]])
    with pytest.raises(DataError, match="no label column.*columns found: text, kind"):
        read_relevance_file(no_label)
    unknown = _write(tmp_path / "u.csv", ["text", "label"], [["a", "aduan"], ["b", "mungkin"]])
    with pytest.raises(DataError, match=r"u\.csv:3: label value 'mungkin' is not one of aduan/"):
        read_relevance_file(unknown)
    one = _write(tmp_path / "o.csv", ["text", "label"], [["a", "aduan"], ["b", "1"]])
    with pytest.raises(TooFewClasses, match="all 2 rows are complaints"):
        read_relevance_file(one)
    empty = _write(tmp_path / "e.csv", ["text", "label"], [["a", "aduan"], ["  ", "0"]])
    with pytest.raises(DataError, match=r"e\.csv:3: empty 'text'"):
        read_relevance_file(empty)
    latin = tmp_path / "l.csv"
    latin.write_bytes("text,label\ncaf\xe9 rusak,aduan\nhalo,bukan\n".encode("latin-1"))
    with pytest.raises(BadEncoding, match="UTF-8"):
        read_relevance_file(latin)


def test_cli_refuses_bad_relevance_data_and_stores_nothing(aduan, small_csv, tmp_path) -> None:  # noqa: F811
    bad = _write(tmp_path / "bad.csv", ["text", "label"], [["a", "aduan"], ["b", "mungkin"]])
    result = aduan(
        "train", "--data", str(small_csv), "--targets", "agency", "--relevance-data", str(bad)
    )
    _one_line_error(result, "bad.csv:3", "mungkin", "aduan/bukan_aduan")
    models = tmp_path / "models"
    assert not models.exists() or not any(models.iterdir())


def test_relevance_rows_train_the_relevance_head(small_csv, tmp_path: Path) -> None:
    from classifier.bundle import load_bundle
    from classifier.train import train_bundle

    common = dict(
        data_files=[small_csv],
        targets=SMALL_TARGETS,
        min_class_size=8,
        negatives=NEGATIVE_TEXTS,
        validation_fraction=0,
    )
    without = load_bundle(train_bundle(**common, out_dir=tmp_path / "without"))
    path = train_bundle(
        **common, relevance_data=[_relevance_csv(tmp_path / "r.csv")], out_dir=tmp_path / "with"
    )
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["n_relevance_complaints"] == len(SHORT_COMPLAINTS)
    assert manifest["n_relevance_non_complaints"] == len(CHATTER)
    assert manifest["relevance_files"][0]["rows"] == 36
    with_data = load_bundle(path)
    chatter_before = [p.relevance for p in without.predict(CHATTER)]
    chatter_after = [p.relevance for p in with_data.predict(CHATTER)]
    assert sum(chatter_after) < sum(chatter_before)
    assert max(chatter_after) < 0.5
    # label heads still only learn from the labelled complaints
    assert with_data.model.classes_ == without.model.classes_


def test_evaluate_reports_relevance_on_a_relevance_only_file(aduan, small_bundle, tmp_path) -> None:  # noqa: F811
    data = _relevance_csv(tmp_path / "r.csv")
    code, out, err = aduan(
        "evaluate", "--model", str(small_bundle), "--data", str(data), "--json",
        "--relevance-threshold", "0.5",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert set(result["relevance"]) == {"precision", "recall", "f1", "auc", "n", "threshold"}
    assert result["relevance"]["n"] == 36
    assert "agency" not in result  # the file has no agency column
    code, out, err = aduan("evaluate", "--model", str(small_bundle), "--data", str(data))
    assert code == 0, err
    assert "relevance: n=36 precision=" in out


def test_relevance_metrics_by_hand() -> None:
    from classifier.evaluate import relevance_metrics

    m = relevance_metrics([True, True, False, False], [0.9, 0.4, 0.6, 0.1], threshold=0.5)
    assert m["precision"] == 0.5 and m["recall"] == 0.5 and m["f1"] == 0.5
    assert m["auc"] == 0.75 and m["n"] == 4
    assert relevance_metrics([True, True], [0.9, 0.1])["auc"] is None
