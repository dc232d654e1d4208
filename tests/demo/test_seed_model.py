"""The default model, trained on the Kupang seed corpus, on complaints written here (not in it)."""

from pathlib import Path

import pytest

from classifier.registry import Registry
from demo.run import default_model

PROFILE = Path(__file__).resolve().parents[2] / "profiles" / "kupang"

UNSEEN = [
    (
        "sampah di pinggir jln dekat pasar oeba su menumpuk 1 minggu, bau busuk sampe ke rumah2",
        "dlhk",
    ),
    (
        "air PAM di liliba son jalan dari hari senin, katong beli air tangki terus, mahal bgt",
        "perumda_air",
    ),
    (
        "lampu jalan di depan gereja oepura mati semua, malam gelap gulita, rawan kecelakaan",
        "dishub",
    ),
    (
        "jalan ke kampung lasiana banyak lubang besar, motor jatuh kemarin, tolong diaspal ulang",
        "pupr",
    ),
    ("listrik padam lagi di kelapa lima dari jam 7 malam, kulkas rusak, PLN kapan beres?", "pln"),
    (
        "urus KTP elektronik su 3 bulan blm jadi, tiap ke kantor dukcapil disuru tunggu trus",
        "dukcapil",
    ),
    (
        "pedagang kaki lima pake trotoar di el tari, pejalan kaki terpaksa lewat jalan raya",
        "satpolpp",
    ),
    (
        "di puskesmas oebobo antrian lama skali, dokter datang jam 11, pasien anak2 su lemas",
        "dinkes",
    ),
]


@pytest.fixture(scope="module")
def seed_model(tmp_path_factory):
    models = tmp_path_factory.mktemp("models")
    version, trained = default_model(PROFILE, models)
    assert trained
    return Registry(models).load(version)


def test_seed_model_tags_unseen_kupang_complaints_to_the_right_agency(seed_model):
    predictions = seed_model.predict([text for text, _ in UNSEEN])
    got = [p.heads["agency"].label for p in predictions]
    assert got == [agency for _, agency in UNSEEN]
    assert all(p.relevance >= 0.5 for p in predictions)


def test_seed_model_gives_low_relevance_to_greetings(seed_model):
    greetings = [
        "selamat pagi bapa wali, Tuhan berkati kota kupang 🙏",
        "mantap, terima kasih pemkot su bikin acara car free day",
    ]
    assert all(p.relevance < 0.5 for p in seed_model.predict(greetings))


def test_the_seed_model_never_saw_the_rows_a_retrain_holds_out(seed_model):
    """The first `aduan run retrain` after the demo judges on the latest seed complaints; the demo's
    champion was trained without them, and says which texts it was trained on."""
    from training.dataset import split_file
    from training.retrain import KEY_CHARS, TRAINING_KEYS

    train, held_out = split_file(PROFILE / "seed" / "complaints.csv", ["agency", "topic"])
    seen = set((seed_model.path / TRAINING_KEYS).read_text(encoding="utf-8").split())
    assert len(held_out) >= 50
    assert not {r.key[:KEY_CHARS] for r in held_out} & seen
    assert {r.key[:KEY_CHARS] for r in train} <= seen
