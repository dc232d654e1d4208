"""The case's area in the LAPOR! body: location_id, and a local-office case's disposition_id."""

from datetime import UTC, datetime
from types import SimpleNamespace

from lapor.compose import compose_complaint
from store.areas import Gazetteer, load_gazetteer
from tests.lapor.conftest import KUPANG


def _gazetteer(**ids) -> Gazetteer:
    """Kupang's areas with LAPOR! ids: ids[key] = (location_id, disposition_id)."""
    base = load_gazetteer(KUPANG / "areas.yaml")
    areas = dict(base.areas)
    for key, (location_id, disposition_id) in ids.items():
        areas[key] = areas[key].model_copy(
            update={"lapor_location_id": location_id, "lapor_disposition_id": disposition_id}
        )
    return Gazetteer(region=base.region, areas=areas)


def _case(agency, topic, location):
    return SimpleNamespace(id=7, agency=agency, topic=topic, urgency=1, location=location)


POSTS = [SimpleNamespace(text="x", url=None, created_at=datetime(2026, 10, 1, tzinfo=UTC))]


def test_local_office_case_goes_to_its_area_office(mapped):
    gazetteer = _gazetteer(kel_oebufu=(5301, 9301), kec_oebobo=(5300, 9300))
    case = _case("kelurahan", "pelayanan_kelurahan", "kel_oebufu")
    body = compose_complaint(case, POSTS, mapped, gazetteer)
    assert (body["location_id"], body["disposition_id"]) == (5301, 9301)


def test_kelurahan_without_ids_falls_back_to_its_kecamatan_then_defaults(mapped):
    gazetteer = _gazetteer(kec_oebobo=(5300, 9300))
    case = _case("kelurahan", "pelayanan_kelurahan", "kel_oebufu")
    body = compose_complaint(case, POSTS, mapped, gazetteer)
    assert (body["location_id"], body["disposition_id"]) == (5300, 9300)
    nowhere = compose_complaint(
        _case("kelurahan", "pelayanan_kelurahan", None), POSTS, mapped, gazetteer
    )
    assert nowhere["location_id"] == mapped.lapor.default_location_id
    assert nowhere["disposition_id"] == mapped.agency("kelurahan").lapor_disposition_id


def test_subject_agency_keeps_its_disposition_but_takes_the_area_location(mapped):
    gazetteer = _gazetteer(kel_oesapa=(5400, 9400))
    body = compose_complaint(_case("pupr", "jalan_rusak", "kel_oesapa"), POSTS, mapped, gazetteer)
    assert body["location_id"] == 5400
    assert body["disposition_id"] == mapped.agency("pupr").lapor_disposition_id
