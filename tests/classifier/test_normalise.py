from __future__ import annotations

import pytest

from classifier._lexicon import informal_lexicon, stopwords
from classifier.normalise import MAX_CHARS, TextNormalizer, normalise_text


def norm(text: str) -> str:
    return normalise_text(text, lexicon=informal_lexicon())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("JALAN Rusak", "jalan rusak"),
        ("lihat https://t.co/AbC123 dan www.surabaya.go.id", "lihat zurl dan zurl"),
        ("@pemkot_sby tolong", "zmention tolong"),
        ("#JalanRusak parah", "jalan rusak parah"),
        ("#PJUMati", "penerangan jalan umum mati"),
        ("banjir 😡😡 lagi 🙏", "banjir zemoji lagi zemoji"),
        ("rusak sekaliiii", "rusak sekali"),
        ("maaf saat", "maaf saat"),
        ("rt 05 rw 3 biaya 8,5jt", "rt znum rw znum biaya znum jt"),
        ("NIK [NIK] hp [TELEPON] email [EMAIL]", "nik znik ponsel ztelepon email zemail"),
        (
            "yg tdk sdh blm mhn utk dgn jln krn bgt",
            "yang tidak sudah belum mohon untuk dengan jalan karena banget",
        ),
        ("gak ga nggak", "tidak tidak tidak"),
        ("beta sonde su pi", "saya tidak sudah pergi"),
        ("wis durung dalane", "sudah belum jalannya"),
        ("jalan2 anak2", "jalan jalan anak anak"),
        ("", ""),
        ("   \n\t ", ""),
        ("🙏🙏🙏", "zemoji"),
        ("ｆｕｌｌ ｗｉｄｔｈ", "full width"),
    ],
)
def test_normalise_cases(raw: str, expected: str) -> None:
    assert norm(raw) == expected


def test_non_string_and_huge_input() -> None:
    assert norm(None) == ""  # type: ignore[arg-type]
    assert norm(12) == "znum"  # type: ignore[arg-type]
    huge = "jalan rusak " * 100_000  # 1.2 MB
    out = norm(huge)
    assert len(out) <= MAX_CHARS
    assert out.startswith("jalan rusak")


def test_lexicon_is_a_real_data_file() -> None:
    table = informal_lexicon()
    assert len(table) >= 300
    assert all(k != v for k, v in table.items())
    assert all(k == k.lower() and " " not in k for k in table)
    for regional in ("sonde", "katong", "durung", "opo", "wis"):
        assert regional in table


def test_stopwords_keep_negations() -> None:
    words = stopwords()
    assert "yang" in words and "sih" in words
    assert "tidak" not in words and "belum" not in words and "rusak" not in words


def test_transformer_matches_function() -> None:
    texts = ["Jln rusak!!", "#BanjirLagi di rt 5", ""]
    out = TextNormalizer().fit(texts).transform(texts)
    assert out == [norm(t) for t in texts]
    no_lexicon = TextNormalizer(lexicon=False).fit(texts).transform(["yg tdk"])
    assert no_lexicon == ["yg tdk"]
