"""The case page's "Teruskan ke instansi lain": shown only for a case LAPOR! already has, to
facilitators; checks in Indonesian; the request is queued (sent by the forward run) and the page
shows it waiting, then LAPOR!'s answer."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cases.states import approve_case
from store.tables import AuditEntry, Forward, Reroute
from tests.lapor.conftest import kupang, mapped, mapped_folder  # noqa: F401 (fixtures)
from tests.review.conftest import add_user, csrf_of, login, seed_case

FORM = 'action="/cases/{}/reroute"'


@pytest.fixture
def client(session_factory, mapped):  # noqa: F811
    """The app on a profile whose agencies have LAPOR! ids."""
    from review.app import create_app

    with TestClient(create_app(factory=session_factory, profile=mapped)) as test_client:
        yield test_client


def a_case(factory, i: int = 1, forward: str | None = "sent") -> int:
    case_id = seed_case(factory, i)
    if forward is None:
        return case_id
    with factory.begin() as session:
        approve_case(session=session, case_id=case_id, actor="ana", action="accept")
        row = session.scalars(select(Forward).where(Forward.case_id == case_id)).one()
        if forward == "sent":
            row.state, row.complaint_id = "sent", f"70000{i}"
    return case_id


def post(client, case_id: int, page: str, **data):
    form = {"csrf_token": csrf_of(page), "next": f"/cases/{case_id}", **data}
    return client.post(f"/cases/{case_id}/reroute", data=form)


def requests_of(factory) -> list[Reroute]:
    with factory() as session:
        return list(session.scalars(select(Reroute)))


def test_the_form_is_shown_only_for_a_case_in_lapor_and_to_facilitators(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    add_user(session_factory, "vira", "viewer")
    open_case = a_case(session_factory, 1, forward=None)
    waiting = a_case(session_factory, 2, forward="pending")
    sent = a_case(session_factory, 3)
    login(client, "ana")
    for case_id in (open_case, waiting):
        page = client.get(f"/cases/{case_id}").text
        assert FORM.format(case_id) not in page and "Teruskan ke instansi lain" not in page
    page = client.get(f"/cases/{sent}").text
    assert FORM.format(sent) in page and "sudah ada di LAPOR! (no. 700003)" in page
    assert '<option value="dinkes">' in page and '<option value="pupr">' not in page  # its own
    assert 'name="reason"' in page and "Alasan (dikirim ke LAPOR!)" in page
    client.cookies.clear()
    login(client, "vira")
    page = client.get(f"/cases/{sent}").text
    assert FORM.format(sent) not in page
    refused = post(client, sent, page, agency="dinkes", reason="bukan wewenang")
    assert refused.status_code == 403
    assert requests_of(session_factory) == []


@pytest.mark.parametrize(
    ("agency", "reason", "message"),
    [
        ("", "bukan wewenang", "Pilih instansi tujuan"),
        ("tidak-ada", "bukan wewenang", "Pilih instansi tujuan"),
        ("dinkes", "   ", "Isi alasannya: alasan ini dikirim ke LAPOR!."),
        ("dinkes", "x" * 2001, "Alasan terlalu panjang"),
        ("pupr", "bukan wewenang", "sudah di instansi itu"),
    ],
)
def test_checks_are_in_indonesian_and_nothing_is_queued(
    session_factory, client, agency, reason, message
):
    add_user(session_factory, "ana", "facilitator")
    case_id = a_case(session_factory)
    login(client, "ana")
    page = client.get(f"/cases/{case_id}").text
    answer = post(client, case_id, page, agency=agency, reason=reason)
    assert answer.status_code == 200 and message in answer.text
    assert requests_of(session_factory) == []


def test_a_case_not_in_lapor_yet_is_refused_in_indonesian(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    case_id = a_case(session_factory, forward="pending")
    login(client, "ana")
    page = client.get(f"/cases/{case_id}").text
    answer = post(client, case_id, page, agency="dinkes", reason="bukan wewenang")
    assert "belum ada di LAPOR!; koreksi instansinya di antrean tinjauan." in answer.text
    assert requests_of(session_factory) == []


def test_no_csrf_token_no_request(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    case_id = a_case(session_factory)
    login(client, "ana")
    answer = client.post(
        f"/cases/{case_id}/reroute", data={"agency": "dinkes", "reason": "bukan wewenang"}
    )
    assert answer.status_code == 403
    assert requests_of(session_factory) == []


def test_a_request_is_queued_then_the_page_shows_lapors_answer(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    case_id = a_case(session_factory)
    login(client, "ana")
    page = client.get(f"/cases/{case_id}").text
    answer = post(client, case_id, page, agency="dinkes", reason="  genangan air, bukan jalan  ")
    assert "permintaan diteruskan ke Dinas Kesehatan" in answer.text
    assert "Menunggu dikirim ke LAPOR!" in answer.text and "Alasan: genangan air" in answer.text
    assert FORM.format(case_id) not in answer.text  # one open request per case
    [row] = requests_of(session_factory)
    assert (row.state, row.agency, row.reason, row.requested_by) == (
        "pending",
        "dinkes",
        "genangan air, bukan jalan",
        "ana",
    )
    with session_factory() as session:
        audit = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (audit.action, audit.actor) == ("case.reroute_requested", "ana")
    again = post(client, case_id, page, agency="dlhk", reason="lagi")
    assert "sudah ada permintaan penerusan yang menunggu dikirim ke LAPOR!" in again.text
    assert len(requests_of(session_factory)) == 1

    with session_factory.begin() as session:
        stored = session.get(Reroute, row.id)
        stored.state = "failed"  # the client's text for a 422 (lapor.client.raise_for_answer)
        stored.last_error = (
            "POST https://lapor.test/x: HTTP 422: rejected (The selected reason is invalid.)"
        )
    page = client.get(f"/cases/{case_id}").text
    assert "Tidak diterima LAPOR!" in page
    assert ">ditolak LAPOR! (HTTP 422): The selected reason is invalid.</span>" in page
    assert FORM.format(case_id) in page  # it can be asked again
    with session_factory.begin() as session:
        session.get(Reroute, row.id).state = "sent"
    assert "Diteruskan di LAPOR!" in client.get(f"/cases/{case_id}").text


def test_an_agency_routed_to_local_offices_is_neither_offered_nor_taken(
    session_factory,
    client,
    mapped,  # noqa: F811
):
    local = [a for a in mapped.agencies if a.local_level is not None]
    assert local, "the Kupang profile routes an agency to local offices"
    add_user(session_factory, "ana", "facilitator")
    case_id = a_case(session_factory)
    login(client, "ana")
    page = client.get(f"/cases/{case_id}").text
    for agency in local:
        assert f'<option value="{agency.key}">' not in page
        answer = post(client, case_id, page, agency=agency.key, reason="bukan wewenang")
        assert answer.status_code == 200
        assert "kantor setempat" in answer.text or "Pilih instansi tujuan" in answer.text
    assert requests_of(session_factory) == []


def test_the_store_refuses_a_local_office_agency_so_the_cli_does_too(session_factory):
    from store.exceptions import StoreError
    from store.reroutes import request_reroute

    case_id = a_case(session_factory)
    with session_factory.begin() as session, pytest.raises(StoreError, match="local offices"):
        request_reroute(
            session=session,
            case_id=case_id,
            actor="ana",
            agency="kelurahan",
            institution_id="9",
            reason="bukan wewenang",
            local_level="kelurahan",
        )
    assert requests_of(session_factory) == []


@pytest.mark.parametrize("status", ["Selesai", "Ditolak"])
def test_a_case_lapor_has_closed_is_not_offered_and_is_refused_with_why(
    session_factory, client, status
):
    add_user(session_factory, "ana", "facilitator")
    case_id = a_case(session_factory)
    with session_factory.begin() as session:
        row = session.scalars(select(Forward).where(Forward.case_id == case_id)).one()
        row.status_name, row.status_final = status, True
    login(client, "ana")
    page = client.get(f"/cases/{case_id}").text
    assert FORM.format(case_id) not in page
    assert f"LAPOR! sudah menutup aduan ini (status {status})" in page
    answer = post(client, case_id, page, agency="dinkes", reason="bukan wewenang")
    assert f"sudah ditutup di LAPOR! (status {status})" in answer.text
    assert requests_of(session_factory) == []
