"""The client against the simulator on 127.0.0.1: each answer maps to the right exception."""

import socket
from types import SimpleNamespace

import pytest
import requests
from pydantic import SecretStr

from demo.lapor_simulator import SIM_CLASSIFICATION_ID, SIM_USER_ID
from lapor import client as client_module
from lapor.client import LaporClient, parse_lapor_time
from lapor.exceptions import (
    AmbiguousOutcome,
    AuthRejected,
    LaporConfigError,
    NotFound,
    ServerError,
    Throttled,
    ValidationFailed,
)
from tests.lapor.conftest import client_for

# The body as the public v3 clients build it (see tests/lapor/test_real_clients.py).
PAYLOAD = {
    "title": "Jalan Rusak di Kota Kupang",
    "content": "Jalan berlubang besar sejak dua bulan, mohon diperbaiki.",
    "channel": 1,
    "is_new_user_slider": False,
    "user_id": SIM_USER_ID,
    "is_disposisi_slider": True,
    "classification_id": SIM_CLASSIFICATION_ID,
    "disposition_id": 106,
    "info_disposition": "Diteruskan oleh Aduan dari unggahan publik di media sosial.",
    "category_id": 204,
    "priority_program_id": None,
    "location_id": 301,
    "community_id": None,
    "copy_externals": None,
    "date_of_incident": "2026-11-27",
    "tags_raw": "aduan",
    "is_approval": False,
    "is_anonymous": True,
    "is_secret": False,
    "is_priority": False,
    "attachments": "[]",
}


def test_create_then_read_status_and_followups(sim):
    client = client_for(sim)
    complaint_id = client.create_complaint(PAYLOAD)
    status = client.get_complaint(complaint_id)
    assert status.status_name == "Belum Terverifikasi" and not status.final
    assert status.disposition_name == "Dinas Pekerjaan Umum dan Penataan Ruang Kota Kupang"
    assert status.logs[0].at is not None
    assert client.get_followups(complaint_id) == []


def test_the_public_report_page_shows_the_complaint_marked_simulator(sim):
    complaint_id = client_for(sim).create_complaint(PAYLOAD)
    page = requests.get(f"{sim.url}/pengaduan/{complaint_id}", timeout=5)  # no keys: public
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "SIMULATOR" in page.text and PAYLOAD["title"] in page.text
    assert "Belum Terverifikasi" in page.text
    missing = requests.get(f"{sim.url}/pengaduan/<b>99</b>", timeout=5)
    assert missing.status_code == 404 and "<b>99" not in missing.text


def test_every_answer_is_labelled_as_the_simulator(sim):
    response = requests.get(f"{sim.url}/masters/categories", timeout=5)
    assert "NOT SP4N-LAPOR" in response.headers["x-simulator"]
    assert response.json()["simulator"] is True


def test_validation_error_carries_the_field_messages(sim):
    with pytest.raises(ValidationFailed) as info:
        client_for(sim).create_complaint({**PAYLOAD, "title": "", "disposition_id": 999})
    assert info.value.field_errors == {
        "title": ["The title field is required."],
        "disposition_id": ["The selected disposition_id is invalid."],
    }
    assert "The title field is required." in str(info.value)
    assert sim.state.complaints == {}


@pytest.mark.parametrize(
    "kw", [{"api_key": "wrong"}, {"token": "wrong"}, {"auth_header": "X-Api-Key"}]
)
def test_wrong_credentials_are_an_auth_error(sim, kw):
    with pytest.raises(AuthRejected, match="ADUAN_LAPOR_API_KEY"):
        client_for(sim, **kw).create_complaint(PAYLOAD)


def test_both_auth_headers_are_accepted(sim):
    assert client_for(sim, auth_header="both").create_complaint(PAYLOAD)


def test_secrets_are_required_and_never_shown():
    with pytest.raises(LaporConfigError, match="ADUAN_LAPOR_TOKEN"):
        LaporClient("http://127.0.0.1:1", "key", None)
    settings = SimpleNamespace(
        lapor_base_url="http://127.0.0.1:1",
        lapor_api_key=SecretStr("very-secret-key"),
        lapor_token=SecretStr("very-secret-token"),
        lapor_auth_header="auth",
        lapor_timeout_s=3.0,
    )
    client = LaporClient.from_settings(settings)
    assert "secret" not in repr(client)
    assert client.session.headers["auth"] == "Bearer very-secret-key"
    assert client.timeout == 3.0


def test_faults_before_commit_are_definite(simulator):
    sim = simulator(fault_rate=1.0, retry_after_s=7)
    client = client_for(sim)
    seen = set()
    for _ in range(12):
        with pytest.raises((ServerError, Throttled)) as info:
            client.create_complaint(PAYLOAD)
        seen.add(type(info.value))
        if isinstance(info.value, Throttled):
            assert info.value.retry_after == 7
    assert seen == {ServerError, Throttled}
    assert sim.state.complaints == {}


def test_dropped_connection_after_commit_is_ambiguous(simulator):
    sim = simulator(drop_after_commit=1.0)
    with pytest.raises(AmbiguousOutcome):
        client_for(sim).create_complaint(PAYLOAD)
    assert len(sim.state.complaints) == 1


def test_timeout_after_sending_is_ambiguous(simulator):
    sim = simulator(latency_ms=1500)
    with pytest.raises(AmbiguousOutcome):
        client_for(sim, timeout=0.3).create_complaint(PAYLOAD)
    assert len(sim.state.complaints) == 1


def test_refused_connection_is_definite():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(ServerError, match="cannot connect"):
            LaporClient(f"http://127.0.0.1:{port}", "k", "t", timeout=2).create_complaint(PAYLOAD)


def test_unknown_complaint_is_not_found(sim):
    with pytest.raises(NotFound):
        client_for(sim).get_complaint("123")


def test_reference_lists_are_paged(sim, monkeypatch, kupang):
    monkeypatch.setattr(client_module, "PAGE_SIZE", 5)
    institutions = client_for(sim).institutions()
    assert len(institutions) == len(kupang.agencies) + 2
    assert institutions[0].name == kupang.agencies[0].name
    locations = client_for(sim).locations()
    assert [loc.parent_id for loc in locations] == [None, "300", "300"]


def test_lapor_times_are_wib():
    assert parse_lapor_time("02-10-2026 08:00:00").isoformat() == "2026-10-02T01:00:00+00:00"
    assert parse_lapor_time("garbage") is None


def test_exception_tree_is_exported_and_user_facing():
    import lapor.exceptions as module
    from config.exceptions import UserError

    public = {
        name
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, Exception)
        and value.__module__ == module.__name__
    }
    assert set(module.__all__) == public
    assert all(issubclass(getattr(module, name), UserError) for name in public)
    for name in public:  # the drawn tree names every class
        assert name in module.__doc__
