"""The client speaks LAPOR! v3 as the public agency clients do (headers, create body, Laravel
paging, passing a case on), and the strict simulator refuses the older shape."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import requests

from demo.lapor_simulator import SIM_CLASSIFICATION_ID, SIM_USER_ID
from lapor.client import LaporClient
from lapor.compose import compose_complaint, lapor_ids
from lapor.exceptions import AuthRejected, MappingMissing, ValidationFailed
from tests.lapor.conftest import client_for

# What Aduan sent before: no classification, no disposition fields, no reporter.
OLD_SHAPE = {
    "title": "Jalan Rusak di Kota Kupang",
    "content": "Jalan berlubang besar sejak dua bulan, mohon diperbaiki.",
    "channel": 1,
    "category_id": 204,
    "disposition_id": 106,
    "location_id": 301,
    "is_anonymous": True,
    "is_secret": False,
}


def post(text: str = "Jalan di depan SDN Oebobo 2 berlubang besar, sudah dua motor jatuh."):
    return SimpleNamespace(
        text=text,
        url="https://www.facebook.com/1/posts/2",
        created_at=datetime(2026, 11, 27, 1, 0, tzinfo=UTC),
        raw=None,
    )


CASE = SimpleNamespace(id=41, agency="pupr", topic="jalan_rusak", urgency=1)


def body(mapped, **changes):
    return {**compose_complaint(CASE, [post()], mapped), **changes}


# --- headers ----------------------------------------------------------------------------------


def test_the_default_headers_are_auth_and_token_as_real_clients_send():
    client = LaporClient("http://127.0.0.1:1", "key", "{GUID}")
    headers = client.session.headers
    assert headers["auth"] == "Bearer key" and headers["token"] == "{GUID}"
    assert "Authorization" not in headers


def test_both_headers_when_configured():
    headers = LaporClient("http://127.0.0.1:1", "key", "t", auth_header="both").session.headers
    assert headers["auth"] == headers["Authorization"] == "Bearer key"


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer simulator-key", "token": "simulator-token"},  # no auth
        {"auth": "Bearer simulator-key"},  # no token
        {"token": "simulator-token"},
    ],
    ids=["authorization-only", "no-token", "no-key"],
)
def test_the_simulator_refuses_a_missing_auth_or_token(sim, mapped, headers):
    response = requests.post(f"{sim.url}/complaints/complaint", json=body(mapped), headers=headers)
    assert response.status_code == 401
    assert sim.state.complaints == {}


def test_a_client_sending_only_authorization_is_refused(sim, mapped):
    with pytest.raises(AuthRejected):
        client_for(sim, auth_header="Authorization").create_complaint(body(mapped))


# --- create body ------------------------------------------------------------------------------


def test_the_composed_body_is_what_real_clients_send(mapped):
    sent = body(mapped)
    assert sent["classification_id"] == SIM_CLASSIFICATION_ID
    assert sent["is_disposisi_slider"] is True and sent["disposition_id"]
    assert isinstance(sent["info_disposition"], str) and sent["info_disposition"]
    assert sent["is_approval"] is False
    assert {"copy_externals", "community_id", "priority_program_id"} <= set(sent)
    assert sent["attachments"] == "[]"
    assert sent["user_id"] == SIM_USER_ID and sent["is_new_user_slider"] is False


def test_the_real_shape_is_accepted_and_the_old_shape_refused(sim, mapped):
    client = client_for(sim)
    assert client.create_complaint(body(mapped))
    with pytest.raises(ValidationFailed) as refused:
        client.create_complaint(OLD_SHAPE)
    fields = set(refused.value.field_errors)
    assert {"classification_id", "is_disposisi_slider", "info_disposition", "user_id"} <= fields
    assert len(sim.state.complaints) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"classification_id": None}, "classification_id"),
        ({"classification_id": 999}, "classification_id"),
        ({"is_disposisi_slider": False}, "is_disposisi_slider"),
        ({"info_disposition": None}, "info_disposition"),
        ({"attachments": [9001]}, "attachments"),
        ({"attachments": "9001"}, "attachments"),
        ({"attachments": "[77]"}, "attachments"),  # never uploaded
        ({"user_id": 12345}, "user_id"),
        ({"is_approval": "ya"}, "is_approval"),
    ],
)
def test_the_simulator_is_strict_about_each_field(sim, mapped, change, field):
    with pytest.raises(ValidationFailed) as refused:
        client_for(sim).create_complaint(body(mapped, **change))
    assert field in refused.value.field_errors


def test_a_new_user_reporter_instead_of_the_integration_user(sim, mapped):
    sent = body(mapped, is_new_user_slider=True)
    del sent["user_id"]
    with pytest.raises(ValidationFailed, match="emailUser"):
        client_for(sim).create_complaint(sent)
    sent.update(emailUser="pengaduan@kupangkota.go.id", nameUser="Aduan Kota Kupang")
    sent["phoneUser"] = "0380000000"
    assert client_for(sim).create_complaint(sent)


def test_profile_ids_are_null_until_filled_and_listed(kupang, mapped):
    assert kupang.lapor.user_id is None and kupang.lapor.classification_id is None
    unfilled = mapped.model_copy(
        update={
            "lapor": mapped.lapor.model_copy(update={"user_id": None, "classification_id": None})
        }
    )
    with pytest.raises(MappingMissing) as missing:
        lapor_ids(CASE, unfilled)
    text = str(missing.value)
    assert "lapor.user_id" in text and "lapor.classification_id" in text


# --- attachments ------------------------------------------------------------------------------


def test_uploaded_photos_are_sent_by_id(sim, mapped, tmp_path):
    photo = tmp_path / "jalan.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 contoh foto")
    client = client_for(sim)
    ids = client.upload_attachment([photo])
    assert len(ids) == 1
    complaint_id = client.create_complaint(body(mapped, attachments=f"[{ids[0]}]"))
    assert sim.state.complaints[int(complaint_id)]["attachments"] == f"[{ids[0]}]"


# --- Laravel pagination -----------------------------------------------------------------------


def test_reference_lists_are_read_to_the_last_page(simulator):
    sim = simulator(extra_institutions=1000, max_page_size=1000)
    total = len(sim.state.institutions)
    assert total > 1000
    client = client_for(sim)
    assert len(client.institutions()) == total
    assert len(client.categories()) == len(sim.state.categories)
    small = simulator(max_page_size=2)
    assert len(client_for(small).locations()) == len(small.state.locations) == 3


def test_every_followup_is_read(sim, mapped):
    client = client_for(sim)
    complaint_id = client.create_complaint(body(mapped))
    sim.state.add_followups(int(complaint_id), 11)
    followups = client.get_followups(complaint_id)
    assert len(followups) == 11
    assert all(f["created_at_utc"] is not None for f in followups)


def test_the_simulator_pages_like_laravel(sim):
    answer = requests.get(
        f"{sim.url}/masters/categories",
        params={"page": 1, "page_size": 2},
        headers={"auth": "Bearer simulator-key", "token": "simulator-token"},
        timeout=5,
    ).json()["results"]
    assert answer["current_page"] == 1 and answer["per_page"] == 2
    assert answer["next_page_url"].endswith("page=2") and answer["prev_page_url"] is None
    assert answer["last_page"] == -(-answer["total"] // 2) and len(answer["data"]) == 2


# --- passing a case on ------------------------------------------------------------------------


def test_pass_on_to_another_institution(sim, mapped):
    client = client_for(sim)
    complaint_id = client.create_complaint(body(mapped))
    client.pass_on(complaint_id, institution_id="102", reason="Bukan wewenang Dinas PUPR")
    stored = sim.state.complaints[int(complaint_id)]
    assert stored["disposition_id"] == 102 and stored["passed_on"][0]["not_authority"] == 1
    response = requests.post(
        f"{sim.url}/complaints/process/{complaint_id}/reject",
        json={"reason": 103},
        headers={"auth": "Bearer simulator-key", "token": "simulator-token"},
        timeout=5,
    )
    assert response.status_code == 422
    assert {"not_authority", "reason_description"} <= set(response.json()["errors"])
