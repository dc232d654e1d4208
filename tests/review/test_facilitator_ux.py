"""The review app as a facilitator reads it: Indonesian everywhere, local dd/mm/yyyy times,
readable CSV and audit log, a quiet card, "Batalkan" after accept, a clear empty bulk accept."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from store.tables import Case, Forward, PostRow, TrainingLabel
from tests.review.conftest import add_user, csrf_of, login, seed_case

AUTHOR = "a" * 64  # an author_ref is a 64-character HMAC


def _accept(client, case_id: int, **extra):
    html = client.get(f"/cases/{case_id}").text
    data = {"csrf_token": csrf_of(html), "next": "/", **extra}
    action = "correct" if extra else "accept"
    return client.post(f"/cases/{case_id}/{action}", data=data)


def test_indonesian_words_local_dates_and_a_readable_history(session_factory, client):
    add_user(session_factory, "nona", "facilitator")
    case_id = seed_case(session_factory, 1)
    login(client, "nona")
    queue = client.get("/").text
    assert "nona · fasilitator" in queue and "facilitator" not in queue
    assert "01/10/2026 16:01 WITA" in queue  # 08:01 UTC in Asia/Makassar, dd/mm/yyyy
    _accept(client, case_id)
    with session_factory.begin() as session:  # let the undo window pass, then reopen
        session.execute(update(Forward).values(next_attempt_at=datetime.now(UTC)))
    page = client.get(f"/cases/{case_id}").text
    for english in (">approved<", ">accept<", ">pending<", "was approved by"):
        assert english not in page
    assert ">diterima<" in page and "menunggu kirim" in page
    client.post(
        f"/cases/{case_id}/reopen",
        data={"csrf_token": csrf_of(page), "next": f"/cases/{case_id}"},
    )
    page = client.get(f"/cases/{case_id}").text
    assert "dibuka lagi" in page and "sebelumnya diterima oleh nona" in page
    assert "menunggu tinjauan" in page and ">open<" not in page


def test_403_and_audit_log_in_indonesian(session_factory, client, make_client):
    add_user(session_factory, "ana", "admin")
    add_user(session_factory, "nona", "facilitator")
    case_id = seed_case(session_factory, 1)
    login(client, "nona")
    forbidden = client.get("/audit")
    assert forbidden.status_code == 403
    assert (
        "Halaman ini hanya untuk admin." in forbidden.text and "only admins" not in forbidden.text
    )
    _accept(client, case_id, agency="dlhk", topic="sampah")
    admin = make_client()
    login(admin, "ana")
    audit = admin.get("/audit").text
    assert "kasus dikoreksi" in audit and "case.correct" not in audit
    assert "instansi: Dinas PUPR → DLHK" in audit or "instansi: PUPR → DLHK" in audit
    assert "{&#34;" not in audit and '{"state"' not in audit  # no raw JSON
    rows = list(csv.DictReader(io.StringIO(admin.get("/audit.csv").text)))
    assert "tindakan" in rows[0] and "kasus dikoreksi" in {r["tindakan"] for r in rows}


def test_csv_exports_have_indonesian_headers_names_and_local_times(session_factory, client):
    add_user(session_factory, "nona", "facilitator")
    case_id = seed_case(session_factory, 1, confidence=0.8765)
    login(client, "nona")
    rows = list(csv.DictReader(io.StringIO(client.get("/queue.csv").text)))
    assert rows[0]["no. kasus"] == str(case_id)
    assert rows[0]["status"] == "menunggu tinjauan"
    assert rows[0]["topik"] == "Jalan Rusak" or rows[0]["topik"] != "jalan_rusak"
    assert rows[0]["keyakinan instansi (%)"] == "88"  # rounded, not 0.8765
    assert rows[0]["waktu posting pertama (WITA)"] == "01/10/2026 16:01"
    _accept(client, case_id)
    forwards = list(csv.DictReader(io.StringIO(client.get("/forwards.csv").text)))
    assert forwards[0]["status kirim"] == "menunggu kirim" and forwards[0]["no. kasus"] == str(
        case_id
    )
    assert "state" not in forwards[0] and "agency" not in forwards[0]


def test_card_hides_the_author_hash_and_model_version_and_links_the_original(
    session_factory, client
):
    add_user(session_factory, "nona", "facilitator")
    first = seed_case(session_factory, 1, author_ref=AUTHOR, urgency=3)
    seed_case(session_factory, 2, author_ref=AUTHOR)
    comment = seed_case(session_factory, 3, url=None, parent_external_id="ext-1")
    login(client, "nona")
    queue = client.get("/").text
    assert AUTHOR not in queue and "penulis yang sama: 2 posting" in queue
    assert "urgensi" in queue and "tinggi (3/3)" in queue and "rendah (1/3)" in queue
    assert "skala 1–3" in queue  # the scale is explained
    case = client.get(f"/cases/{first}").text
    assert AUTHOR not in case and "versi 1" not in case and "model" not in case
    assert 'href="https://example.test/p/1"' in case and "lihat posting asli" in case
    reply = client.get(f"/cases/{comment}").text
    assert 'href="https://example.test/p/1"' in reply  # a comment without a URL: its post's


def test_undo_after_accept_and_bulk_accept(session_factory, client):
    add_user(session_factory, "nona", "facilitator")
    one = seed_case(session_factory, 1)
    two, three = seed_case(session_factory, 2), seed_case(session_factory, 3)
    login(client, "nona")
    page = _accept(client, one, agency="dlhk", topic="sampah").text
    assert "Batalkan" in page and 'action="/undo"' in page
    with session_factory() as session:
        forward = session.scalars(select(Forward).where(Forward.case_id == one)).one()
        assert forward.next_attempt_at > datetime.now(UTC) + timedelta(seconds=5)  # held back
        assert session.scalars(select(TrainingLabel)).all()  # the correction's label
    page = client.post("/undo", data={"csrf_token": csrf_of(page), "case": [one], "next": "/"})
    assert f"Dibatalkan: kasus #{one} kembali ke antrean" in page.text
    with session_factory() as session:
        undone = session.get(Case, one)
        assert undone.state == "open"
        # the correction is undone too: the model's tags are back, not the corrected ones
        assert (undone.agency, undone.topic) == ("pupr", "jalan_rusak")
        states = session.scalars(select(Forward.state).where(Forward.case_id == one)).all()
        assert states == ["cancelled"]
        assert session.scalars(select(TrainingLabel)).all() == []  # an undone correction
    html = client.get("/").text
    page = client.post(
        "/bulk/accept",
        data={"csrf_token": csrf_of(html), "case": [f"{two}:", f"{three}:"], "next": "/"},
    )
    assert "2 kasus diterima" in page.text and page.text.count('name="case" value=') >= 2
    with session_factory.begin() as session:  # the forward of `three` falls due
        session.execute(
            update(Forward)
            .where(Forward.case_id == three)
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    page = client.post(
        "/undo", data={"csrf_token": csrf_of(page.text), "case": [two, three], "next": "/"}
    )
    assert f"Dibatalkan: kasus #{two}" in page.text
    assert f"Terlambat untuk kasus #{three}" in page.text
    with session_factory() as session:
        assert session.get(Case, two).state == "open"
        assert session.get(Case, three).state == "approved"


def test_undo_after_bukan_aduan_reopens_and_drops_its_label(session_factory, client):
    add_user(session_factory, "nona", "facilitator")
    one, two = seed_case(session_factory, 1), seed_case(session_factory, 2)
    login(client, "nona")
    for case_id in (one, two):
        html = client.get(f"/cases/{case_id}").text
        page = client.post(
            f"/cases/{case_id}/reject", data={"csrf_token": csrf_of(html), "next": "/"}
        ).text
        assert "ditandai bukan aduan" in page and 'action="/undo"' in page and "Batalkan" in page
    with session_factory() as session:
        labels = session.scalars(select(TrainingLabel)).all()
        assert [lb.is_complaint for lb in labels] == [False, False]
    with session_factory.begin() as session:  # the second one's window is over
        session.execute(
            update(Case)
            .where(Case.id == two)
            .values(decided_at=datetime.now(UTC) - timedelta(minutes=5))
        )
    page = client.post("/undo", data={"csrf_token": csrf_of(page), "case": [one, two], "next": "/"})
    assert f"Dibatalkan: kasus #{one} kembali ke antrean." in page.text
    assert "tidak dikirim ke LAPOR!" not in page.text  # nothing was on its way there
    assert f"Terlambat untuk kasus #{two}: buka lagi" in page.text
    with session_factory() as session:
        assert session.get(Case, one).state == "open"
        assert session.get(Case, two).state == "rejected"
        posts = session.scalars(select(PostRow).order_by(PostRow.case_id)).all()
        assert [p.state for p in posts] == ["in_case", "archived"]
        # the undone "Bukan aduan" teaches nothing; the one that stands still does
        assert [lb.is_complaint for lb in session.scalars(select(TrainingLabel))] == [False]


def test_bulk_accept_with_nothing_ticked_says_so(session_factory, client):
    add_user(session_factory, "nona", "facilitator")
    seed_case(session_factory, 1)
    login(client, "nona")
    html = client.get("/").text
    page = client.post("/bulk/accept", data={"csrf_token": csrf_of(html), "next": "/"})
    assert "Belum ada kasus yang dipilih" in page.text and "0 kasus diterima" not in page.text
    with session_factory() as session:
        assert session.scalars(select(Forward)).all() == []
        assert {p.state for p in session.scalars(select(PostRow))} == {"in_case"}
