"""`aduan run retrain` trains the relevance head on imported is_complaint labels
(aduan/bukan_aduan)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from classifier.exceptions import DataError
from classifier.registry import Registry
from tests.training.conftest import RETRAIN_ARGS, import_seed, new_store
from training.label_import import import_file
from training.retrain import retrain

# Written for this test: comments that are not complaints, and short complaints with no agency.
CHATTER = [
    "Selamat pagi bapa wali, Tuhan berkati",
    "mantap pemkot, acara semalam ramai sekali",
    "kapan pendaftaran CPNS dibuka min?",
    "harga bawang di pasar Oeba naik lagi ko",
    "wkwkwk beta ketawa lihat video ini",
    "selamat hari raya Idul Adha untuk semua warga",
    "foto-fotonya bagus, kota kita makin cantik",
    "info lowongan kerja di mana ya kaka",
    "bangga jadi orang Kupang",
    "semoga sehat selalu bapa wali dan keluarga",
    "siapa yang mau nonton bola malam ini",
    "terima kasih infonya min",
]
SHORT_COMPLAINTS = [
    "min lampu jalan di gang kami mati su seminggu",
    "tolong air son jalan dari kemarin",
    "jalan depan sekolah lubang besar bahaya",
    "sampah di pojok pasar belum diangkut 2 minggu",
]


def _import(factory, path: Path, rows: list[tuple[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["isi", "label", "tanggal"])
        for i, (text, label) in enumerate(rows):
            writer.writerow([text, label, f"2024-03-{1 + i % 28:02d}T10:00:00+08:00"])
    mapping = {"text": "isi", "is_complaint": "label", "created_at": "tanggal"}
    import_file(path, fmt="csv", mapping=mapping, factory=factory)


def test_imported_is_complaint_labels_train_the_relevance_head(loop, tmp_path: Path) -> None:
    factory = new_store(tmp_path)
    import_seed(factory)
    rows = [(t, "bukan_aduan") for t in CHATTER] + [(t, "Aduan") for t in SHORT_COMPLAINTS]
    _import(factory, tmp_path / "tweets.csv", rows)
    models = tmp_path / "models"
    result = retrain(factory=factory, models_dir=models, seed=0, **RETRAIN_ARGS)
    # every imported non-complaint is a negative of the relevance head, none is a complaint row
    assert result.training_set["n_review_negatives"] == len(CHATTER)
    assert result.training_set["n"] == (
        result.training_set["n_complaints"] + len(CHATTER)
    )  # the short complaints (no agency) are complaint rows
    before = Registry(loop.models_dir).load()
    after = Registry(models).load(result.version)
    chatter_before = [p.relevance for p in before.predict(CHATTER)]
    chatter_after = [p.relevance for p in after.predict(CHATTER)]
    assert sum(chatter_after) < sum(chatter_before)
    assert all(p.relevance >= 0.5 for p in after.predict(SHORT_COMPLAINTS))


def test_unknown_is_complaint_value_names_the_row(tmp_path: Path) -> None:
    factory = new_store(tmp_path)
    with pytest.raises(DataError, match=r"x\.csv:3: is_complaint value 'mungkin' is not one of"):
        _import(factory, tmp_path / "x.csv", [("a", "aduan"), ("b", "mungkin")])


def test_facilitators_decisions_are_in_domain_rows(tmp_path: Path) -> None:
    """A complaint a facilitator accepted is a post of the kind the model scores: retrain marks
    it in domain (complaint_share does not weigh it down); imported letters are not."""
    from datetime import UTC, datetime

    from classifier.train import IN_DOMAIN
    from tests.training.conftest import approve_posts
    from training.dataset import assemble_sets

    factory = new_store(tmp_path)
    import_seed(factory)
    approve_posts(
        factory,
        [(t, datetime(2023, 1, 1 + i, 10, tzinfo=UTC)) for i, t in enumerate(SHORT_COMPLAINTS)],
    )
    sets = assemble_sets(factory, [], ["agency", "topic"], "text", 0.1)
    marked = {r["text"] for r in sets.train_rows if r.get(IN_DOMAIN) is True}
    reviewed = {r.text for r in sets.train if r.origin == "review"}
    assert reviewed and marked == reviewed
    assert len(sets.train_rows) > len(marked)  # the imported seed rows stay unmarked
