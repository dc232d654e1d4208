"""The retraining loop on the Kupang seed: corrections, promotion rules, rollback, determinism."""

from __future__ import annotations

import csv
import random
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from classifier.exceptions import BundleTampered
from classifier.registry import Registry
from tests.training.conftest import (
    RETRAIN_ARGS,
    SEED,
    approve_posts,
    copy_registry,
    import_seed,
    new_store,
)
from training.retrain import retrain

# Street-light complaints written for this test (not in the seed), and the seed's agency for them.
STREET_LIGHTS = [
    "Lampu jalan di depan gang kami mati sudah dua minggu, malam gelap sekali",
    "PJU di dekat gereja mati semua, mohon segera diperbaiki",
]


def _seed_rows() -> list[dict]:
    with open(SEED / "complaints.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _agency(registry: Registry, texts: list[str]) -> list[str]:
    return [p.heads["agency"].label for p in registry.load().predict(texts)]


def test_corrections_change_the_next_model(loop, tmp_path: Path) -> None:
    """Facilitators move street lights from dishub to pln; the next model follows them."""
    before = _agency(Registry(loop.models_dir), STREET_LIGHTS)
    assert before == ["dishub", "dishub"]
    factory = new_store(tmp_path)
    import_seed(factory)
    lights = [r for r in _seed_rows() if r["topic"] == "penerangan_jalan_umum"]
    approve_posts(factory, [(r["text"], datetime.fromisoformat(r["created_at"])) for r in lights])
    models = copy_registry(loop, tmp_path / "models")
    result = retrain(factory=factory, models_dir=models, seed=0, **RETRAIN_ARGS)
    assert result.training_set["label_stats"]["texts_with_review_label"] == len(lights)
    assert _agency(Registry(models), STREET_LIGHTS) == ["pln", "pln"]


def test_worse_challenger_is_not_promoted(loop, tmp_path: Path) -> None:
    """Labels shuffled on the training months only: judged on the true held-out labels."""
    rows = _seed_rows()
    cut = sorted(r["created_at"] for r in rows)[int(len(rows) * 0.9) - 1]
    rng = random.Random(0)
    early = [r for r in rows if r["created_at"] <= cut]
    shuffled = [(r["agency"], r["topic"]) for r in early]
    rng.shuffle(shuffled)
    for r, (agency, topic) in zip(early, shuffled, strict=True):
        r["agency"], r["topic"] = agency, topic
    path = tmp_path / "shuffled.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    factory = new_store(tmp_path)
    import_seed(factory, path)
    models = copy_registry(loop, tmp_path / "models")
    result = retrain(factory=factory, models_dir=models, seed=0, **RETRAIN_ARGS)
    assert result.evaluation_set["keys_sha256"] == loop.first.evaluation_set["keys_sha256"]
    assert not result.promoted
    assert Registry(models).champion_version() == loop.first.version
    assert any("agency: macro-F1" in r and "lower by" in r for r in result.reasons)
    card = result.card.read_text(encoding="utf-8")
    assert "NOT promoted" in card and "Most confused pairs" in card


@pytest.fixture(scope="module")
def second(loop, tmp_path_factory: pytest.TempPathFactory):
    """The same data and seed retrained into a copy of the loop's registry."""
    models = copy_registry(loop, tmp_path_factory.mktemp("second") / "models")
    return models, retrain(factory=loop.factory, models_dir=models, seed=0, **RETRAIN_ARGS)


def test_same_data_and_seed_give_identical_predictions(loop, second) -> None:
    models, result = second
    assert result.version != loop.first.version
    registry = Registry(models)
    texts = [r["text"] for r in _seed_rows()[::7]] + STREET_LIGHTS + ["", "🙂🙂", "x" * 5000]
    a = registry.load(loop.first.version).predict_proba(texts)
    b = registry.load(result.version).predict_proba(texts)
    assert a.keys() == b.keys()
    for head in a:
        np.testing.assert_array_equal(a[head], b[head])
    manifests = [registry.manifest(v) for v in (loop.first.version, result.version)]
    assert manifests[0]["libraries"]["scikit-learn"]
    for key in ("training_set", "evaluation_set"):
        assert (
            manifests[0]["retrain"][key]["keys_sha256"]
            == manifests[1]["retrain"][key]["keys_sha256"]
        )
    assert (
        manifests[0]["negative_files"][0]["sha256"] == manifests[1]["negative_files"][0]["sha256"]
    )


def test_rollback_restores_the_previous_champion(loop, second, tmp_path: Path) -> None:
    models, result = second
    registry = Registry(shutil.copytree(models, tmp_path / "models"))
    assert result.promoted and registry.champion_version() == result.version
    assert registry.rollback() == loop.first.version
    assert registry.champion_version() == loop.first.version
    assert registry.load().version == loop.first.version


def test_tampered_bundle_is_refused(loop, tmp_path: Path) -> None:
    models = copy_registry(loop, tmp_path / "models")
    model_file = models / loop.first.version / "model.joblib"
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model_file.write_bytes(bytes(data))
    with pytest.raises(BundleTampered, match="refusing to load"):
        Registry(models).load()
    # retrain checks the champion before it trains, so a tampered registry fails fast
    with pytest.raises(BundleTampered):
        retrain(factory=loop.factory, models_dir=models, seed=0, **RETRAIN_ARGS)


def _agency_only_import(tmp_path: Path) -> Path:
    """Real-looking labels with an agency but no topic column: seed texts reworded slightly."""
    path = tmp_path / "agency_only.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["text", "agency", "created_at"])
        writer.writeheader()
        for r in _seed_rows():
            writer.writerow(
                {
                    "text": r["text"] + " (dari warga)",
                    "agency": r["agency"],
                    "created_at": r["created_at"],
                }
            )
    return path


def test_retrain_without_topic_labels_keeps_the_topic_head(loop, tmp_path: Path) -> None:
    """An import with no topic column: the topic head is kept (from the seeds), not an error."""
    from training.label_import import import_file

    factory = new_store(tmp_path)
    mapping = {"text": "text", "agency": "agency", "created_at": "created_at"}
    import_file(_agency_only_import(tmp_path), fmt="csv", mapping=mapping, factory=factory)
    models = copy_registry(loop, tmp_path / "models")
    result = retrain(factory=factory, models_dir=models, seed=0, **RETRAIN_ARGS)
    manifest = Registry(models).manifest(result.version)
    assert manifest["targets"] == ["agency", "topic"]
    seed_topics = {r["topic"] for r in _seed_rows()}
    assert set(manifest["classes"]["topic"]) == seed_topics
    assert any(
        n.startswith("topic: the new labels have too few topic labels") for n in result.notes
    )
    bundle = Registry(models).load(result.version)
    topic = bundle.predict(["sampah menumpuk di TPS sudah seminggu tidak diangkut"])[0]
    assert topic.heads["topic"].label == "sampah"
