"""What `aduan run retrain` says: what it trains on before it starts, why it cannot judge a
challenger (without contradicting itself), and the same notes in the model card as on screen."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from classifier.registry import Registry
from tests.training.conftest import MAPPING, RETRAIN_ARGS, SEED, copy_registry, new_store
from training.exceptions import RetrainError
from training.label_import import import_file
from training.retrain import TRAINING_KEYS, retrain


def _write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_nothing_to_judge_says_why_and_what_to_do(tmp_path: Path) -> None:
    # 11 labelled complaints, then one later non-complaint: the held-out 10% is that one row.
    rows = [
        {
            "text": f"jalan rusak berlubang di kelurahan nomor {i}",
            "agency": "pupr",
            "topic": "jalan_rusak",
            "is_complaint": "1",
            "created_at": f"2024-01-{i + 1:02d}T08:00:00+08:00",
        }
        for i in range(11)
    ]
    rows.append(
        {
            "text": "selamat pagi kota kupang",
            "agency": "",
            "topic": "",
            "is_complaint": "0",
            "created_at": "2024-02-01T08:00:00+08:00",
        }
    )
    factory = new_store(tmp_path)
    mapping = {**MAPPING, "is_complaint": "is_complaint"}
    import_file(_write(tmp_path / "few.csv", rows), fmt="csv", mapping=mapping, factory=factory)
    with pytest.raises(RetrainError) as raised:
        retrain(factory=factory, models_dir=tmp_path / "models", **RETRAIN_ARGS)
    message = str(raised.value)
    assert "no held-out labelled complaints" not in message
    assert "1 of 12 labelled texts" in message
    assert "only 11 labelled complaints" in message
    assert "aduan data import" in message


def test_retrain_announces_its_data_before_training(loop, tmp_path: Path) -> None:
    events: list[str] = []
    models = copy_registry(loop, tmp_path / "models")
    retrain(
        factory=loop.factory,
        models_dir=models,
        seed=0,
        promote=False,
        progress=lambda name: events.append(f"step {name}"),
        announce=lambda line: events.append(f"say {line}"),
        **RETRAIN_ARGS,
    )
    said = [i for i, e in enumerate(events) if e.startswith("say ")]
    assert len(said) == 1
    line = events[said[0]]
    # said after the training set is assembled and before any training step
    assert events[: said[0]] == ["step training set"]
    assert "labelled complaints" in line and "held-out texts" in line
    assert f"champion {loop.first.version}" in line
    with open(SEED / "complaints.csv", encoding="utf-8", newline="") as fh:
        seeds = sum(1 for _ in csv.DictReader(fh))
    assert f"complaints.csv {seeds}" in line


def test_model_card_says_what_the_cli_says_about_an_optimistic_champion(loop, tmp_path) -> None:
    models = copy_registry(loop, tmp_path / "models")
    champion = Registry(models).champion_version()
    (Registry(models).path_of(champion) / TRAINING_KEYS).unlink()
    result = retrain(factory=loop.factory, models_dir=models, seed=0, promote=False, **RETRAIN_ARGS)
    assert result.notes and "optimistic" in result.notes[0]
    card = result.card.read_text(encoding="utf-8")
    for note in result.notes:
        assert note in card
