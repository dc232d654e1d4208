"""Small slices of the shared corpus and one small model trained once per test session."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA, need

SMALL_TARGETS = ["agency", "topic"]
NEGATIVE_TEXTS = [
    "Selamat pagi warga kota, jangan lupa hadir di car free day hari Minggu ini ya!",
    "Terima kasih bapak wali kota atas kunjungannya ke kampung kami, sukses selalu",
    "Info lowongan kerja kirim CV ke inbox, gaji jutaan per hari klik link di bio",
    "Selamat hari raya Idul Fitri mohon maaf lahir dan batin untuk semua warga",
    "Mantap pak, kotanya makin bersih dan indah, bangga jadi warga sini",
    "Pendaftaran lomba kebersihan antar RT dibuka sampai tanggal 10, hadiah menarik",
    "restoran ini enak sekali, harganya terjangkau dan pelayanannya ramah",
    "film nya bagus banget, pemainnya keren dan ceritanya menyentuh",
    "Hari ini upacara peringatan hari jadi kota di halaman balai kota pukul 07.00",
    "Semoga sehat selalu pak camat, terima kasih sudah hadir di acara kami",
] * 6


def corpus_slice(limit: int, offset: int = 0) -> list[dict[str, str]]:
    """`limit` Surabaya complaints from the `offset`-th, by date; skips when the data is absent."""
    path = SHARED_DATA / "surabaya" / "complaints.csv"
    if not path.exists():
        need(f"shared data not found at {SHARED_DATA}")
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows.sort(key=lambda r: r["created_at"])
    return rows[offset : offset + limit]


@pytest.fixture(scope="session")
def corpus_rows() -> list[dict[str, str]]:
    """400 real complaints (earliest by date) with agency and topic labels."""
    return corpus_slice(400)


@pytest.fixture(scope="session")
def later_rows() -> list[dict[str, str]]:
    """150 later complaints, for evaluation."""
    return corpus_slice(150, offset=2000)


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="session")
def small_csv(tmp_path_factory: pytest.TempPathFactory, corpus_rows) -> Path:
    return write_csv(tmp_path_factory.mktemp("data") / "small.csv", corpus_rows)


@pytest.fixture(scope="session")
def small_bundle(tmp_path_factory: pytest.TempPathFactory, small_csv: Path) -> Path:
    """A bundle trained on the small slice (min class size 8) with written negatives."""
    from classifier.train import train_bundle

    return train_bundle(
        data_files=[small_csv],
        targets=SMALL_TARGETS,
        min_class_size=8,
        negatives=NEGATIVE_TEXTS,
        out_dir=tmp_path_factory.mktemp("bundle") / "b",
        validation_fraction=0.2,
    )
