"""A facilitator sets or corrects a case's location in the review app (kecamatan, then kelurahan,
or "Lokasi tidak diketahui"): audited, CSRF-checked, the local office follows, and a text naming
two kelurahan shows both candidates until the pick resolves it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from cases.location import set_case_location
from config.profile import get_profile
from lapor.compose import area_ids
from store.areas import Gazetteer, load_gazetteer
from store.exceptions import StaleAction, StoreError
from store.tables import AuditEntry, Case, Review
from tests.review.conftest import add_user, csrf_of, login, seed_case

KUPANG = Path(__file__).resolve().parents[2] / "profiles" / "kupang"
GAZETTEER = load_gazetteer(KUPANG / "areas.yaml")


def _locate_by_text(factory, case_id: int, text: str) -> None:
    """What triage stores: the areas the text names (store.areas.locate)."""
    found = GAZETTEER.extract(text)
    with factory.begin() as session:
        case = session.get(Case, case_id)
        case.location, case.location_origin = found.key, found.origin
        case.location_candidates = list(found.candidates)


def _post(client, case_id: int, **data):
    """The location form as the case page offers it (its token and the version it shows)."""
    page = client.get(f"/cases/{case_id}")
    data.setdefault("csrf_token", csrf_of(page.text))
    data.setdefault("next", f"/cases/{case_id}")
    if shown := re.search(r'name="version" value="(\d+)"', page.text):
        data.setdefault("version", shown.group(1))
    return client.post(f"/cases/{case_id}/location", data=data)


def test_two_kelurahan_show_both_candidates_and_the_pick_resolves_it(session_factory, client):
    add_user(session_factory, "nona", "facilitator")
    text = "Sampah di Airnona dan Oesapa belum diangkut seminggu."
    case_id = seed_case(session_factory, 1, agency="kelurahan", topic="pelayanan_kelurahan")
    _locate_by_text(session_factory, case_id, text)
    login(client, "nona")

    page = client.get(f"/cases/{case_id}").text
    assert "beberapa kemungkinan: Kel. Airnona, Kec. Kota Raja; Kel. Oesapa, Kec. Kelapa Lima" in (
        page
    )
    assert "kantor belum bisa ditentukan" in page
    assert 'name="kelurahan" value="kel_oesapa"' in page  # one tap per candidate
    assert '<option value="">Lokasi tidak diketahui</option>' in page

    done = _post(client, case_id, kelurahan="kel_oesapa")
    assert "Lokasi kasus #1: Kel. Oesapa, Kec. Kelapa Lima. Diteruskan ke Kantor Lurah Oesapa." in (
        done.text
    )
    assert "(dipilih fasilitator)" in done.text and "beberapa kemungkinan" not in done.text
    assert "lokasi: lokasi tidak diketahui → Kel. Oesapa, Kec. Kelapa Lima" in done.text
    with session_factory() as session:
        case = session.get(Case, case_id)
        assert (case.location, case.location_origin, case.location_candidates) == (
            "kel_oesapa",
            "review",
            [],
        )
        assert case.state == "open" and case.version == 3  # triage's write, then the pick
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "case.locate"))
        assert (entry.actor, entry.object_id) == ("nona", str(case_id))
        assert entry.before["location_candidates"] == ["kel_airnona", "kel_oesapa"]
        assert entry.after == {
            "location": "kel_oesapa",
            "location_origin": "review",
            "location_candidates": [],
        }
        [review] = session.scalars(select(Review).where(Review.action == "locate"))
        assert review.reviewer == "nona"


def test_the_local_office_follows_the_new_location(session_factory, client):
    add_user(session_factory, "nona", "facilitator")
    case_id = seed_case(session_factory, 1, agency="kelurahan", topic="pelayanan_kelurahan")
    _locate_by_text(session_factory, case_id, "Kantor kelurahan Oesapa tutup terus")
    login(client, "nona")
    assert "→ Kantor Lurah Oesapa" in client.get(f"/cases/{case_id}").text

    page = _post(client, case_id, kecamatan="kec_oebobo", kelurahan="kel_oebufu").text
    assert "→ Kantor Lurah Oebufu" in page and "Kantor Lurah Oesapa" not in page
    page = _post(client, case_id, kecamatan="kec_maulafa", kelurahan="").text
    assert "Lokasi kasus #1: Kec. Maulafa. Diteruskan ke Kantor Camat Maulafa." in page

    ids = {"kel_oebufu": (5301, 9301), "kec_maulafa": (5200, 9200)}
    areas = dict(GAZETTEER.areas)
    for key, (location_id, disposition_id) in ids.items():
        areas[key] = areas[key].model_copy(
            update={"lapor_location_id": location_id, "lapor_disposition_id": disposition_id}
        )
    with session_factory() as session:
        case = session.get(Case, case_id)
        # the LAPOR! body takes the new area's location and office
        assert area_ids(case, get_profile(), Gazetteer(GAZETTEER.region, areas)) == (5200, 9200)

    page = _post(client, case_id, kecamatan="", kelurahan="").text
    assert "Kasus #1: lokasi ditandai tidak diketahui." in page
    assert "lokasi tidak diketahui (ditetapkan fasilitator)" in page
    assert "kantor belum bisa ditentukan" in page
    with session_factory() as session:
        assert session.get(Case, case_id).location is None


def test_a_kelurahan_outside_the_kecamatan_is_refused_in_indonesian(session_factory, client):
    add_user(session_factory, "nona", "facilitator")
    case_id = seed_case(session_factory, 1)
    login(client, "nona")
    page = _post(client, case_id, kecamatan="kec_maulafa", kelurahan="kel_oebufu").text
    assert "Kelurahan Oebufu tidak ada di Kecamatan Maulafa" in page
    assert _post(client, case_id, kelurahan="kel_atlantis").status_code == 400
    assert _post(client, case_id, kecamatan="kel_oebufu").status_code == 400  # wrong level
    with session_factory() as session:
        assert session.get(Case, case_id).location is None
        locate = select(AuditEntry).where(AuditEntry.action == "case.locate")
        assert not session.scalars(locate).all()


def test_csrf_role_and_stale_version(session_factory, client, make_client):
    add_user(session_factory, "nona", "facilitator")
    add_user(session_factory, "budi", "viewer")
    case_id = seed_case(session_factory, 1)
    login(client, "nona")
    forged = client.post(
        f"/cases/{case_id}/location", data={"kelurahan": "kel_oebufu", "csrf_token": "x"}
    )
    assert forged.status_code == 403
    viewer = make_client()
    login(viewer, "budi")
    assert 'action="/cases/1/location"' not in viewer.get(f"/cases/{case_id}").text
    token = csrf_of(viewer.get("/").text)
    refused = viewer.post(
        f"/cases/{case_id}/location", data={"kelurahan": "kel_oebufu", "csrf_token": token}
    )
    assert refused.status_code == 403
    stale = _post(client, case_id, kelurahan="kel_oebufu", version=7).text
    assert "tidak diubah" in stale
    with session_factory() as session:
        assert session.get(Case, case_id).location is None


def test_store_refuses_unknown_areas_and_decided_cases(session_factory):
    case_id = seed_case(session_factory, 1)
    unknown = pytest.raises(StoreError, match="not in the profile's areas.yaml")
    with session_factory.begin() as session, unknown:
        set_case_location(
            session=session, case_id=case_id, actor="a", location="x", gazetteer=GAZETTEER
        )
    with session_factory.begin() as session:
        session.get(Case, case_id).state = "approved"
    with session_factory.begin() as session, pytest.raises(StaleAction):
        set_case_location(
            session=session, case_id=case_id, actor="a", location="kel_oebufu", gazetteer=GAZETTEER
        )
