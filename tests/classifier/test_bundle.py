from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from classifier.bundle import MANIFEST, MODEL_FILE, HeadPrediction, Prediction, load_bundle
from classifier.exceptions import BundleMissingFile, BundleTampered, TargetMismatch

ODD_TEXTS = ["", "   ", "🙏🙏🙏", "\x00\x01", "😡" * 50, "x" * 1_000_000, "1234 5678", "#"]


def test_round_trip_gives_identical_predictions(small_bundle: Path, later_rows, tmp_path) -> None:
    texts = [r["text"] for r in later_rows[:60]]
    first = load_bundle(small_bundle).predict(texts)
    copy = tmp_path / "copy"
    shutil.copytree(small_bundle, copy)
    again = load_bundle(copy).predict(texts)
    assert first == again
    assert all(isinstance(p, Prediction) for p in first)


def test_prediction_shape(small_bundle: Path) -> None:
    bundle = load_bundle(small_bundle)
    assert bundle.targets == ["agency", "topic"]
    (pred,) = bundle.predict(["jalan rusak berlubang di depan sekolah mohon segera diperbaiki"])
    assert 0.0 <= pred.relevance <= 1.0
    for name in ("agency", "topic"):
        head = pred.heads[name]
        assert isinstance(head, HeadPrediction)
        assert len(head.alternatives) == 3
        assert head.alternatives[0] == (head.label, head.confidence)
        probs = [p for _, p in head.alternatives]
        assert probs == sorted(probs, reverse=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        pred.relevance = 1.0  # type: ignore[misc]
    assert json.loads(json.dumps(pred.as_dict()))["agency"]["label"] == pred.heads["agency"].label


def test_odd_text_never_crashes_and_has_low_relevance(small_bundle: Path) -> None:
    preds = load_bundle(small_bundle).predict(ODD_TEXTS)
    assert len(preds) == len(ODD_TEXTS)
    for text, pred in zip(ODD_TEXTS, preds, strict=True):
        assert pred.relevance < 0.5, text[:20]
        assert pred.heads["agency"].label


def test_complaint_scores_higher_than_greeting(small_bundle: Path) -> None:
    complaint, greeting = load_bundle(small_bundle).predict(
        [
            "Mohon ditindaklanjuti saluran air mampet dan banjir di depan rumah kami pak",
            "Selamat hari raya Idul Fitri mohon maaf lahir dan batin untuk semua warga",
        ]
    )
    assert complaint.relevance > 0.5 > greeting.relevance


def test_tampered_model_is_refused(small_bundle: Path, tmp_path: Path) -> None:
    copy = tmp_path / "tampered"
    shutil.copytree(small_bundle, copy)
    with open(copy / MODEL_FILE, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(BundleTampered, match="refusing"):
        load_bundle(copy)


def test_manifest_hash_edit_is_refused(small_bundle: Path, tmp_path: Path) -> None:
    copy = tmp_path / "edited"
    shutil.copytree(small_bundle, copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["model_sha256"] = "0" * 64
    (copy / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BundleTampered):
        load_bundle(copy)


@pytest.mark.parametrize("missing", [MODEL_FILE, MANIFEST])
def test_missing_file_is_refused(small_bundle: Path, tmp_path: Path, missing: str) -> None:
    copy = tmp_path / "incomplete"
    shutil.copytree(small_bundle, copy)
    (copy / missing).unlink()
    with pytest.raises(BundleMissingFile, match=missing):
        load_bundle(copy)


def test_other_targets_are_refused(small_bundle: Path) -> None:
    with pytest.raises(TargetMismatch, match="kategori"):
        load_bundle(small_bundle, targets=["kategori"])


def test_manifest_contents(small_bundle: Path) -> None:
    m = json.loads((small_bundle / MANIFEST).read_text())
    for key in ("version", "created_at", "libraries", "data_files", "classes", "validation"):
        assert m[key], key
    assert m["data_files"][0]["rows"] == 400 and len(m["data_files"][0]["sha256"]) == 64
    assert set(m["libraries"]) >= {"scikit-learn", "PySastrawi", "numpy"}
    assert set(m["validation"]["agency"]) >= {"accuracy", "macro_f1", "coverage_at_95"}
