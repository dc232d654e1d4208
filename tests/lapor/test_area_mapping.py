"""``aduan lapor map --auto`` fills the areas' LAPOR! location ids from the locations listing
(paged by the strict simulator), reports what matched, is ambiguous or missing, and ``aduan lapor
check`` lists the areas still without ids; a case in a mapped area is sent with its id."""

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from cases.states import approve_case
from cli.main import app
from demo.lapor_simulator import SIM_CLASSIFICATION_ID, SIM_USER_ID
from lapor.area_mapping import LocationRow, apply_area_ids, map_areas, strip_level
from store.areas import Location, load_gazetteer
from store.cases import create_case
from store.repository import upsert_posts
from store.tables import PostRow
from tests.factories import make_post
from tests.lapor.conftest import KUPANG

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "lapor" / "locations_kupang.json"
FIXTURE_ROWS = json.loads(FIXTURE.read_text())["locations"]
FIXTURE_ID = {row["name"]: str(row["id"]) for row in FIXTURE_ROWS}


def _rows(parents: bool = True) -> list[LocationRow]:
    rows = [("300", "Provinsi Simulasi", None), ("301", "Kota Kupang", "300")]
    rows += [(str(r["id"]), r["name"], str(r["parent_id"])) for r in FIXTURE_ROWS]
    return [LocationRow(i, n, p if parents else None) for i, n, p in rows]


@pytest.mark.parametrize(
    "name,expected",
    [
        ("KEL. AIR NONA", ("kelurahan", "airnona")),
        ("Kelurahan  Oebobo", ("kelurahan", "oebobo")),
        ("kec.Kota Raja", ("kecamatan", "kotaraja")),
        ("KECAMATAN ALAK", ("kecamatan", "alak")),
        ("Lai-Lai Besi Kopan", (None, "lailaibesikopan")),
        ("Kelapa Lima", (None, "kelapalima")),  # "Kel" is a prefix only as a word of its own
    ],
)
def test_strip_level(name, expected):
    assert strip_level(name) == expected


def test_areas_matched_by_spelling_and_hierarchy():
    gazetteer = load_gazetteer(KUPANG / "areas.yaml")
    found = map_areas(gazetteer, _rows(), "301")
    ids = found.ids
    assert ids["kec_kota_raja"] == FIXTURE_ID["KEC. KOTA RAJA"]
    assert ids["kel_airnona"] == FIXTURE_ID["Kelurahan Air Nona"]  # spaces ignored
    assert ids["kel_naikoten_satu"] == FIXTURE_ID["KEL. NAIKOTEN I"]  # an alias
    assert ids["kel_lai_lai_bisi_kopan"] == FIXTURE_ID["LAI-LAI BESI KOPAN"]
    # a bare name shared by a kecamatan and its kelurahan: the prefixed one is the kecamatan
    assert ids["kec_oebobo"] == FIXTURE_ID["Kecamatan Oebobo"]
    assert ids["kel_oebobo"] == FIXTURE_ID["OEBOBO"]
    assert ids["kec_kelapa_lima"] == FIXTURE_ID["KELAPA LIMA"]
    assert ids["kel_kelapa_lima"] == FIXTURE_ID["Kel. Kelapa Lima"]
    # the neighbouring kabupaten's Kecamatan Alak and Kelurahan Oesapa are not Kupang's
    assert ids["kec_alak"] == "5371001"
    assert ids["kel_oesapa"] != "53720001"
    [fontein] = found.ambiguous
    assert fontein.startswith("area kel_fontein (kelurahan Fontein): 2 locations match")
    assert "53710041" in fontein and "53719001" in fontein
    assert found.missing == ["area kel_nefonaek (kelurahan Nefonaek): no location of that name"]
    assert len(ids) == len(gazetteer.areas) - 2 == len(found.matched)


def test_without_a_hierarchy_same_names_stay_ambiguous():
    found = map_areas(load_gazetteer(KUPANG / "areas.yaml"), _rows(parents=False))
    ambiguous = {line.split(" ")[1] for line in found.ambiguous}
    assert ambiguous == {"kec_alak", "kel_oesapa", "kel_fontein"}
    assert "kec_alak" not in found.ids and "kel_oebobo" in found.ids


def test_apply_area_ids_keeps_comments_and_adds_a_missing_line():
    text = (
        "# header\nareas:\n  - key: kec_a  # the first\n    level: kecamatan\n"
        "    lapor_location_id: null  # fill me\n\n  - key: kel_b\n    level: kelurahan\n"
    )
    out = apply_area_ids(text, {"kec_a": "501", "kel_b": "X-2"})
    assert "    lapor_location_id: 501  # fill me\n" in out and "# header" in out
    assert '  - key: kel_b\n    lapor_location_id: "X-2"\n    level: kelurahan\n' in out
    assert yaml.safe_load(out)["areas"][1]["lapor_location_id"] == "X-2"


@pytest.fixture
def sim(simulator):
    """The strict simulator serving the fixture's locations, 20 rows a page (four pages)."""
    return simulator(locations_file=str(FIXTURE), max_page_size=20)


@pytest.fixture
def run(monkeypatch, sim, engine):
    monkeypatch.setenv("ADUAN_LAPOR_BASE_URL", sim.url)
    monkeypatch.setenv("ADUAN_LAPOR_API_KEY", "simulator-key")
    monkeypatch.setenv("ADUAN_LAPOR_TOKEN", "simulator-token")
    monkeypatch.setenv("ADUAN_PROFILE", str(KUPANG))

    def invoke(*args, **env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return CliRunner().invoke(app, list(args))

    return invoke


def test_map_auto_writes_area_ids_and_check_lists_the_rest(run, tmp_path, session_factory, sim):
    result = run("lapor", "sync-reference")
    assert f"location: {3 + len(FIXTURE_ROWS)}" in result.output, result.output

    before = run("lapor", "check")
    assert "area kel_oebufu (kelurahan Oebufu): no lapor_location_id" in before.output

    printed = run("lapor", "map", "--auto", "--channel-id", "1")
    assert printed.exit_code == 0, printed.output
    pasted = yaml.safe_load(printed.stdout)["areas"]
    assert pasted["kel_airnona"] == FIXTURE_ID["Kelurahan Air Nona"]
    assert "areas: 55 of 57 matched to a LAPOR! location, 1 ambiguous, 1 missing" in printed.stderr
    assert "ambiguous: area kel_fontein (kelurahan Fontein): 2 locations match" in printed.stderr
    assert "missing: area kel_nefonaek (kelurahan Nefonaek)" in printed.stderr
    assert "matched: area kel_oebobo (kelurahan Oebobo) -> 53710027 'OEBOBO'" in printed.stderr

    out = tmp_path / "mapped"
    ids = ["--user-id", str(SIM_USER_ID), "--classification-id", str(SIM_CLASSIFICATION_ID)]
    result = run("lapor", "map", "--auto", "--channel-id", "1", *ids, "--out", str(out))
    assert result.exit_code == 0, result.output
    written = (out / "areas.yaml").read_text()
    assert written.startswith("# Administrative areas of Kota Kupang")  # comments kept
    areas = load_gazetteer(out / "areas.yaml").areas
    assert areas["kel_oebufu"].lapor_location_id == int(FIXTURE_ID["Kel. OEBUFU"])
    assert areas["kel_fontein"].lapor_location_id is None
    assert areas["kel_nefonaek"].lapor_location_id is None

    result = run("lapor", "check", ADUAN_PROFILE=str(out))
    assert result.exit_code == 0, result.output  # area ids do not block
    assert "without lapor_location_id: 2 of 57" in result.output
    assert "area kel_fontein (kelurahan Fontein): no lapor_location_id" in result.output
    assert "area kel_oebufu (kelurahan Oebufu): no lapor_disposition_id\n" in result.output

    _approved_case_in(session_factory, "kel_oebufu")
    result = run("run", "forward", ADUAN_PROFILE=str(out))
    assert "sent 1," in result.output, result.output
    [complaint] = sim.state.complaints.values()
    assert str(complaint["location_id"]) == FIXTURE_ID["Kel. OEBUFU"]


def _approved_case_in(factory, area: str) -> None:
    post = make_post(0)
    with factory.begin() as session:
        upsert_posts(session=session, posts=[post])
        row = session.scalars(select(PostRow)).one()
        case = create_case(
            session=session,
            post=row,
            agency="pupr",
            topic="jalan_rusak",
            agency_confidence=0.9,
            topic_confidence=0.9,
            location=Location(kelurahan=area, kecamatan="kec_oebobo", origin="text"),
        )
        approve_case(session=session, case_id=case.id, actor="tester")
