"""Local offices: the folding rule, the router, and a model trained and scored with both."""

from __future__ import annotations

import json
import random

import pytest

from classifier.bundle import load_bundle
from classifier.evaluate import evaluate
from classifier.exceptions import DataError
from classifier.routing import (
    NOT_IN_GAZETTEER,
    UNKNOWN_LOCATION,
    LocalOffices,
    location_of_row,
    parse_local_offices,
)
from classifier.train import train_bundle
from store.areas import load_gazetteer
from tests.store.test_areas import KUPANG

RULE = LocalOffices({"kelurahan": "Kelurahan {name}", "kecamatan": "Kecamatan {name}"})


def test_fold_rule_on_crafted_labels() -> None:
    assert RULE.fold("Kelurahan Putat Jaya") == "kelurahan"
    assert RULE.fold("kecamatan  Tegalsari ") == "kecamatan"
    assert RULE.fold("Dinas Lingkungan Hidup") == "Dinas Lingkungan Hidup"
    assert RULE.fold("Kelurahan") == "Kelurahan"  # no place: not an office label
    assert RULE.fold(None) is None
    assert RULE.parse("Kecamatan Tegalsari") == ("kecamatan", "Tegalsari")


def test_router_picks_the_office_of_the_location() -> None:
    where = {"kecamatan": "Tegalsari", "kelurahan": "Kedungdoro"}
    assert RULE.route("kelurahan", where).label == "Kelurahan Kedungdoro"
    assert RULE.route("kecamatan", where).label == "Kecamatan Tegalsari"
    subject = RULE.route("Dinas Sosial", where)
    assert (subject.label, subject.status) == ("Dinas Sosial", "subject")
    fallback = RULE.route("kelurahan", {"kecamatan": "Tegalsari", "kelurahan": None})
    assert (fallback.label, fallback.status) == ("Kecamatan Tegalsari", "kecamatan_fallback")
    unknown = RULE.route("kecamatan", {"kecamatan": None, "kelurahan": None})
    assert (unknown.label, unknown.status) == (UNKNOWN_LOCATION, "unknown_location")
    # compared with the data without case or spaces
    assert RULE.canonical("Kelurahan Pacar Kembang") == RULE.canonical("kelurahan pacarkembang")


def test_parse_local_offices_cli_form() -> None:
    rule = parse_local_offices("kelurahan=Kel. {name},kecamatan=Kec. {name}")
    assert rule.fold("Kel. Oebobo") == "kelurahan"
    assert parse_local_offices("") is None
    with pytest.raises(DataError, match="LEVEL=TEMPLATE"):
        parse_local_offices("kelurahan")
    with pytest.raises(DataError, match="unknown level 'rw'"):
        parse_local_offices("rw=RW {name}")


def test_location_of_row_columns_then_gazetteer() -> None:
    gazetteer = load_gazetteer(KUPANG)
    row = {"text": "sampah di kel. oebufu", "kecamatan": "Maulafa", "kelurahan": "Sikumana"}
    assert location_of_row(row, gazetteer) == {"kecamatan": "Maulafa", "kelurahan": "Sikumana"}
    from_text = location_of_row({"text": "sampah di kel. oebufu"}, gazetteer)
    assert from_text == {"kecamatan": "Oebobo", "kelurahan": "Oebufu"}
    assert location_of_row({"text": "x", "kecamatan": "Gubeng", "kelurahan": ""}) == {
        "kecamatan": "Gubeng",
        "kelurahan": None,
    }


def test_a_place_the_gazetteer_does_not_know_is_never_taken_as_given() -> None:
    gazetteer = load_gazetteer(KUPANG)
    row = {"text": "sampah di kel. oebufu", "kecamatan": "Gubeng", "kelurahan": "Airlangga"}
    assert location_of_row(row, gazetteer) == {
        "kecamatan": None,
        "kelurahan": None,
        NOT_IN_GAZETTEER: "Airlangga, Gubeng",
    }
    assert RULE.route("kelurahan", location_of_row(row, gazetteer)).status == "unknown_location"
    # a known kecamatan of an unknown kelurahan: that kecamatan's office, the name still counted
    half = location_of_row({"kecamatan": "Oebobo", "kelurahan": "Atlantis"}, gazetteer)
    assert half == {"kecamatan": "Oebobo", "kelurahan": None, NOT_IN_GAZETTEER: "Atlantis"}
    assert RULE.route("kelurahan", half).label == "Kecamatan Oebobo"


SUBJECTS = {
    "Dinas Kebersihan": ["sampah menumpuk", "truk sampah tidak datang", "bau sampah busuk"],
    "Dinas Jalan": ["jalan berlubang besar", "aspal rusak parah", "jalan retak dan amblas"],
}
LOCAL = ["surat pengantar di kantor lurah lama", "pelayanan kantor kelurahan lambat"]
KECAMATAN_TEXT = ["kantor kecamatan tutup saat jam kerja", "camat tidak menanggapi warga"]
PLACES = [("Genteng", "Ketabang"), ("Genteng", "Peneleh"), ("Sawahan", "Petemon")]


def _crafted_rows(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        kec, kel = rng.choice(PLACES)
        kind = i % 4
        if kind < 2:
            agency = list(SUBJECTS)[kind]
            text = rng.choice(SUBJECTS[agency])
        elif kind == 2:
            agency, text = f"Kelurahan {kel}", rng.choice(LOCAL)
        else:
            agency, text = f"Kecamatan {kec}", rng.choice(KECAMATAN_TEXT)
        rows.append(
            {
                "text": f"{text} nomor {i} mohon dibantu {rng.randint(0, 10**6)}",
                "agency": agency,
                "kecamatan": kec,
                "kelurahan": kel,
                "created_at": f"2022-01-{1 + i % 28:02d}T10:{i % 60:02d}:00+07:00",
            }
        )
    return rows


@pytest.fixture(scope="module")
def routed_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("routed") / "bundle"
    rows = _crafted_rows(160, seed=1)
    return train_bundle(
        rows=rows, targets=["agency"], min_class_size=5, out_dir=out, local_offices=RULE
    )


def test_training_folds_offices_into_one_class_per_level(routed_bundle) -> None:
    manifest = json.loads((routed_bundle / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["classes"]["agency"]) == [
        "Dinas Jalan",
        "Dinas Kebersihan",
        "kecamatan",
        "kelurahan",
    ]
    assert manifest["local_offices"]["rows_folded"] == {"kelurahan": 40, "kecamatan": 40}
    assert "agency_routed" in manifest["validation"]


def test_evaluate_routes_by_the_location_columns(routed_bundle) -> None:
    rows = _crafted_rows(40, seed=2)
    rows[2]["kecamatan"] = rows[2]["kelurahan"] = ""  # a local complaint with no location
    result = evaluate(load_bundle(routed_bundle), rows=rows)
    routed = result["agency_routed"]
    assert routed["n_unknown_location"] == 1
    assert routed["n_routed_office"] == 19
    # every text is easy: all right but the row without a location
    assert routed["accuracy_all"] == pytest.approx(39 / 40)
    assert result["agency"]["accuracy_all"] == pytest.approx(1.0)  # the classes themselves


def test_evaluate_with_a_gazetteer_counts_unknown_places_and_routes_them_unknown(
    routed_bundle,
) -> None:
    rows = _crafted_rows(40, seed=2)  # Surabaya's places: none is in Kupang's areas.yaml
    result = evaluate(load_bundle(routed_bundle), rows=rows, gazetteer=load_gazetteer(KUPANG))
    routed = result["agency_routed"]
    assert routed["n_location_not_in_gazetteer"] == 40
    assert routed["n_routed_office"] == 0 and routed["n_unknown_location"] == 20
    assert routed["accuracy_all"] == pytest.approx(20 / 40)  # only the subject agencies right
    without = evaluate(load_bundle(routed_bundle), rows=rows)["agency_routed"]
    assert without["n_location_not_in_gazetteer"] == 0 and without["n_routed_office"] == 20


def test_kupang_agency_map_covers_the_surabaya_labels() -> None:
    from classifier.agency_map import load_agency_map
    from config.profile import load_profile
    from tests.conftest import SHARED_DATA, need

    kupang = KUPANG.parent
    amap = load_agency_map(kupang / "agency_map_surabaya.yaml")
    amap.check_keys(a.key for a in load_profile(kupang).agencies)
    assert amap.key("Kelurahan Putat Jaya") == "kelurahan"
    assert amap.key("Dinas Lingkungan Hidup") == "dlhk"
    assert amap.key("Badan Pendapatan Daerah") is None
    path = SHARED_DATA / "surabaya" / "complaints.csv"
    if not path.exists():
        need(f"shared data not found at {SHARED_DATA}")
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        labels = {r["agency"] for r in csv.DictReader(fh)}
    assert amap.unknown(labels) == set()
