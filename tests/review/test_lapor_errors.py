"""The LAPOR! client's error texts, as the outbox stores them, read in Indonesian on the
Forwarded page and in the audit log (review.labels.lapor_error)."""

from __future__ import annotations

import json

import pytest
import requests

from lapor.client import raise_for_answer, transport_error
from lapor.exceptions import LaporError, MappingMissing
from review.labels import audit_changes, lapor_error

URL = "https://api-splp.layanan.go.id/lapor/3.0.0/complaints"
ENGLISH = ("rejected", "server error", "throttled", "not found", "cannot connect", "answer", "key")


def answer(status: int, body: object, side_effect: bool = True) -> str:
    """What the client raises for this answer (str of the exception: the stored last_error)."""
    response = requests.Response()
    response.status_code = status
    response._content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    response.url = URL
    response.request = requests.Request("POST", URL).prepare()
    with pytest.raises(LaporError) as raised:
        raise_for_answer(response, side_effect=side_effect)
    return str(raised.value)


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (
            401,
            {"message": "Unauthenticated."},
            ["menolak kunci/token (HTTP 401)", "Unauthenticated."],
        ),
        (404, {"message": "Not Found"}, ["alamat LAPOR! tidak ditemukan (HTTP 404)"]),
        (
            422,
            {"message": "The given data was invalid.", "errors": {"title": ["required"]}},
            ["ditolak LAPOR! (HTTP 422): The given data was invalid.", "title: required"],
        ),
        (429, {"message": "Too Many Attempts."}, ["membatasi kiriman (HTTP 429)"]),
        (503, {"message": "down"}, ["server LAPOR! bermasalah (HTTP 503)", "dicoba lagi"]),
        (502, "<html>bad gateway</html>", ["gagal setelah aduan dikirim (HTTP 502)", "dicek"]),
        (201, "<html>ok</html>", ["tidak terbaca (HTTP 201)"]),
        (302, {"message": "moved"}, ["tak terduga (HTTP 302)"]),
    ],
)
def test_every_answer_the_client_refuses_reads_in_indonesian(status, body, said):
    text = lapor_error(answer(status, body))
    for words in said:
        assert words in text, text
    assert URL not in text
    assert not any(word in text for word in ENGLISH), text


@pytest.mark.parametrize(
    ("exc", "side_effect", "said"),
    [
        (requests.ConnectTimeout(), True, "tidak bisa dihubungi (ConnectTimeout)"),
        (requests.ReadTimeout(), True, "aduan mungkin sudah sampai"),
        (requests.ReadTimeout(), False, "tidak lengkap (ReadTimeout); dicoba lagi"),
    ],
)
def test_transport_failures_read_in_indonesian(exc, side_effect, said):
    text = lapor_error(str(transport_error(exc, f"POST {URL}", side_effect=side_effect)))
    assert said in text and not any(word in text for word in ENGLISH), text


def test_a_missing_mapping_and_an_unknown_text():
    blocked = f"blocked: {MappingMissing(['agency dinkes: lapor_disposition_id'])}"
    assert lapor_error(blocked) == (
        "tertahan: id LAPOR! belum diisi (agency dinkes: lapor_disposition_id); "
        "admin: `aduan lapor check`"
    )
    assert lapor_error("HTTP 502") == "HTTP 502"  # nothing known: as it is
    assert lapor_error(None) == ""
    lines = audit_changes({}, {"last_error": answer(422, {"message": "x"})}, {}, "forward")
    assert len(lines) == 1 and "ditolak LAPOR! (HTTP 422): x" in lines[0], lines
