"""Decisions through the app and the store: outbox, training labels, audit, merge/split, reopen,
forwards, dashboard, accounts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cases.states import approve_case, merge_cases, reopen_case, split_post
from store.exceptions import StaleAction, StoreError
from store.tables import (
    AuditEntry,
    Case,
    Forward,
    LaporStatusChange,
    PostRow,
    Review,
    TrainingLabel,
    User,
)
from tests.review.conftest import add_user, csrf_of, login, seed_case


def count(session, table) -> int:
    return session.scalar(select(func.count()).select_from(table))


def act(client, path: str, **data):
    data.setdefault("csrf_token", csrf_of(client.get("/").text))
    return client.post(path, data=data)


def test_accept_correct_reject_through_the_app(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    a, b, c = (seed_case(session_factory, i, duplicates=1 if i == 2 else 0) for i in (1, 2, 3))
    login(client, "ana")
    assert "diterima" in act(client, f"/cases/{a}/accept", version=1).text
    act(client, f"/cases/{b}/correct", version=1, agency="dlhk", topic="sampah")
    act(client, f"/cases/{c}/reject", version=1)
    with session_factory() as session:
        states = {i: session.get(Case, i) for i in (a, b, c)}
        assert [states[i].state for i in (a, b, c)] == ["approved", "approved", "rejected"]
        assert (states[b].agency, states[b].topic) == ("dlhk", "sampah")
        forwards = session.scalars(select(Forward).order_by(Forward.case_id)).all()
        assert [(f.case_id, f.state) for f in forwards] == [(a, "pending"), (b, "pending")]
        labels = session.scalars(select(TrainingLabel).order_by(TrainingLabel.id)).all()
        # the correction labels both distinct texts of case b; the rejection its one post
        assert [(lb.is_complaint, lb.agency, lb.topic) for lb in labels] == [
            (True, "dlhk", "sampah"),
            (True, "dlhk", "sampah"),
            (False, None, None),
        ]
        assert {lb.origin for lb in labels} == {"review"} and {lb.reviewer for lb in labels} == {
            "ana"
        }
        assert all(lb.text and lb.text_hash and lb.created_at for lb in labels)
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions[-3:] == ["case.accept", "case.correct", "case.reject"]


def test_correction_outside_the_taxonomy_is_refused(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    case_id = seed_case(session_factory, 1)
    login(client, "ana")
    response = act(client, f"/cases/{case_id}/correct", agency="not-an-agency", topic="sampah")
    assert response.status_code == 400
    with session_factory() as session:
        assert session.get(Case, case_id).state == "open"


def test_bulk_accept_reports_cases_decided_meanwhile(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    ids = [seed_case(session_factory, i) for i in (1, 2, 3)]
    with session_factory.begin() as session:
        approve_case(session=session, case_id=ids[1], actor="budi")
    login(client, "ana")
    response = act(client, "/bulk/accept", case=[f"{i}:1" for i in ids])
    assert "2 kasus diterima" in response.text and f"#{ids[1]}" in response.text
    with session_factory() as session:
        assert count(session, Forward) == 3
        assert session.get(Case, ids[1]).decided_by == "budi"
        assert count(session, Review) == 3


def test_merge_and_split(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    a = seed_case(session_factory, 1, duplicates=1)
    b = seed_case(session_factory, 2, urgency=3)
    login(client, "ana")
    response = act(client, f"/cases/{b}/merge", into=str(a), version=1)
    assert f"digabung ke kasus #{a}" in response.text
    with session_factory() as session:
        assert session.get(Case, b).state == "merged" and session.get(Case, b).merged_into_id == a
        assert session.get(Case, a).urgency == 3
        assert count(session, PostRow) == 3
        assert {p.case_id for p in session.scalars(select(PostRow))} == {a}
        moved = session.scalars(select(PostRow).where(PostRow.external_id == "ext-2")).one().id
    response = act(client, f"/cases/{a}/split", post_id=str(moved))
    assert "menjadi kasus baru" in response.text
    with session_factory() as session:
        new_case = session.scalars(
            select(Case).where(Case.representative_post_id == moved, Case.state == "open")
        ).one()
        assert new_case.state == "open" and session.get(PostRow, moved).case_id == new_case.id


def test_store_refuses_bad_merges_and_splits(session_factory):
    a, b = seed_case(session_factory, 1), seed_case(session_factory, 2)
    with pytest.raises(StoreError), session_factory.begin() as session:
        merge_cases(session=session, case_id=a, into_case_id=a, actor="x")
    with pytest.raises(StoreError), session_factory.begin() as session:
        only = session.get(Case, a).representative_post_id
        split_post(session=session, case_id=a, post_id=only, actor="x")
    with session_factory.begin() as session:
        approve_case(session=session, case_id=b, actor="x")
    with pytest.raises(StaleAction), session_factory.begin() as session:
        merge_cases(session=session, case_id=a, into_case_id=b, actor="x")


def test_reopen_cancels_a_pending_forward_but_not_a_sent_one(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    a, b = seed_case(session_factory, 1), seed_case(session_factory, 2)
    with session_factory.begin() as session:
        approve_case(session=session, case_id=a, actor="system")
        approve_case(session=session, case_id=b, actor="system")
        sent = session.scalars(select(Forward).where(Forward.case_id == b)).one()
        sent.state, sent.complaint_id = "sent", "LPR-77"
    login(client, "ana")
    page = client.get(f"/cases/{a}").text
    response = client.post(f"/cases/{a}/reopen", data={"csrf_token": csrf_of(page), "version": 2})
    assert "dibuka lagi" in response.text
    response = client.post(f"/cases/{b}/reopen", data={"csrf_token": csrf_of(page)})
    assert "LPR-77" in response.text and "tidak bisa dibatalkan" in response.text
    with session_factory() as session:
        assert session.get(Case, a).state == "open" and session.get(Case, b).state == "approved"
        states = dict(session.execute(select(Forward.case_id, Forward.state)).all())
        assert states == {a: "cancelled", b: "sent"}
    act(client, f"/cases/{a}/accept")  # approving again re-arms the same outbox row
    with session_factory() as session:
        assert dict(session.execute(select(Forward.case_id, Forward.state)).all())[a] == "pending"
        assert count(session, Forward) == 2


def test_store_reopen_of_an_open_case_is_stale(session_factory):
    a = seed_case(session_factory, 1)
    with pytest.raises(StaleAction), session_factory.begin() as session:
        reopen_case(session=session, case_id=a, actor="x")


def test_forwarded_view_and_reconcile(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    ids = [seed_case(session_factory, i) for i in (1, 2, 3)]
    with session_factory.begin() as session:
        for i in ids:
            approve_case(session=session, case_id=i, actor="system")
        forwards = {f.case_id: f for f in session.scalars(select(Forward))}
        forwards[ids[0]].state, forwards[ids[0]].complaint_id = "sent", "LPR-1001"
        forwards[ids[0]].status_name = "Dalam Proses"
        session.flush()
        session.add(LaporStatusChange(forward_id=forwards[ids[0]].id, status_name="Terverifikasi"))
        forwards[ids[1]].state, forwards[ids[1]].last_error = "failed", "HTTP 502"
        forwards[ids[2]].state = "unknown"
        unknown_id, failed_id = forwards[ids[2]].id, forwards[ids[1]].id
    login(client, "ana")
    html = client.get("/forwards").text
    assert "LPR-1001" in html and "Dalam Proses" in html and "Terverifikasi" in html
    assert 'href="https://www.lapor.go.id/pengaduan/LPR-1001"' in html  # ADUAN_LAPOR_PUBLIC_URL
    attention = client.get("/forwards?state=attention").text
    assert "HTTP 502" in attention and "LPR-1001" not in attention
    csrf = csrf_of(attention)
    client.post(
        f"/forwards/{failed_id}/reconcile", data={"csrf_token": csrf, "resolution": "retry"}
    )
    response = client.post(
        f"/forwards/{unknown_id}/reconcile",
        data={"csrf_token": csrf, "resolution": "sent", "complaint_id": "LPR-2002"},
    )
    assert "dicatat" in response.text
    with session_factory() as session:
        assert session.get(Forward, failed_id).state == "pending"
        settled = session.get(Forward, unknown_id)
        assert (settled.state, settled.complaint_id) == ("sent", "LPR-2002")
        assert count(session, AuditEntry) >= 2
    assert "LPR-2002" in client.get("/forwards.csv").text

    # a settlement the row's state does not allow, or a missing id: said in Indonesian, nothing
    # changed (the sent row cannot be resent; "sent" needs the LAPOR! number)
    sent_id = forwards[ids[0]].id
    wrong = client.post(
        f"/forwards/{sent_id}/reconcile", data={"csrf_token": csrf, "resolution": "retry"}
    )
    assert "statusnya terkirim" in wrong.text and "«Kirim ulang» hanya untuk kiriman" in wrong.text
    assert "can be reconciled" not in wrong.text
    with session_factory.begin() as session:
        session.get(Forward, failed_id).state = "failed"
    no_id = client.post(
        f"/forwards/{failed_id}/reconcile",
        data={"csrf_token": csrf, "resolution": "sent", "complaint_id": " "},
    )
    assert "isi nomor aduan" in no_id.text and "give the LAPOR!" not in no_id.text
    with session_factory() as session:
        assert session.get(Forward, sent_id).state == "sent"
        assert session.get(Forward, failed_id).state == "failed"


def test_dashboard_renders_svg_charts_and_csv(session_factory, client):
    add_user(session_factory, "ana", "admin")
    for i in range(1, 6):
        seed_case(session_factory, i, agency="dlhk" if i % 2 else "pln")
    with session_factory.begin() as session:
        approve_case(session=session, case_id=1, actor="ana")
    login(client, "ana")
    assert "belum ada data" in client.get("/dashboard?weeks=4").text  # seeded 2026-10-01
    html = client.get("/dashboard?weeks=52").text
    assert html.count('role="img"') == 4 and "belum ada data" not in html
    assert "posting terkumpul: 5" in html and "ditinjau fasilitator: 1" in html
    assert "Zona merah:" in html  # the seeded cases wait > 3 working days: past the level
    rows = client.get("/dashboard.csv?weeks=52").text.splitlines()
    assert rows[0] == "instansi,minggu mulai,aduan" and "DLHK,28/09/2026,3" in rows
    assert client.get("/dashboard.csv?weeks=2").text.strip() == "instansi,minggu mulai,aduan"


def test_admin_adds_and_deactivates_an_account(session_factory, client, make_client):
    add_user(session_factory, "ana", "admin")
    login(client, "ana")
    html = client.get("/users").text
    client.post(
        "/users",
        data={
            "csrf_token": csrf_of(html),
            "name": "citra",
            "role": "facilitator",
            "password": "citra-pw-123",
            "agency": ["dlhk", "bogus"],
        },
    )
    with session_factory() as session:
        citra = session.scalars(select(User).where(User.name == "citra")).one()
        assert citra.agencies == ["dlhk"] and citra.role == "facilitator"
    other = make_client()
    assert login(other, "citra", "citra-pw-123").status_code == 303
    client.post(f"/users/{citra.id}", data={"csrf_token": csrf_of(html), "change": "deactivate"})
    assert other.get("/", follow_redirects=False).status_code == 303  # its session ends
    audit = client.get("/audit").text
    assert "akun dibuat" in audit and "akun diubah" in audit and "citra-pw" not in audit
    assert "aktif: ya → tidak" in audit and "user.create" not in audit  # readable, not raw JSON


def test_cli_users_add_reads_the_password_from_stdin(engine):
    from cli.main import app

    runner = CliRunner()
    result = runner.invoke(
        app,
        ["users", "add", "dina", "--role", "facilitator", "--agency", "dlhk", "--password-stdin"],
        input="dina-pw-12345\n",
    )
    assert result.exit_code == 0, result.output
    assert "dina-pw" not in result.output
    result = runner.invoke(app, ["users", "list"])
    assert "dina\tfacilitator\tdlhk\tactive" in result.output
    result = runner.invoke(
        app, ["users", "add", "eko", "--role", "viewer", "--password-stdin"], input="short\n"
    )
    assert result.exit_code != 0


def test_a_reopened_rejection_teaches_nothing_and_the_next_decision_does(session_factory):
    from cases.states import reject_case

    case_id = seed_case(session_factory, 1)
    with session_factory.begin() as session:
        reject_case(session=session, case_id=case_id, actor="ana")
    with session_factory() as session:
        assert [lb.is_complaint for lb in session.scalars(select(TrainingLabel))] == [False]
    with session_factory.begin() as session:
        reopen_case(session=session, case_id=case_id, actor="budi")
    with session_factory() as session:  # ana's "not a complaint" is withdrawn with it
        assert session.scalars(select(TrainingLabel)).all() == []
        assert session.scalars(select(PostRow.state)).all() == ["in_case"]
    with session_factory.begin() as session:
        approve_case(session=session, case_id=case_id, actor="budi", agency="dlhk")
    with session_factory() as session:
        labels = session.scalars(select(TrainingLabel)).all()
        assert [(lb.reviewer, lb.is_complaint, lb.agency) for lb in labels] == [
            ("budi", True, "dlhk")
        ]


def test_simultaneous_decisions_forward_once(session_factory):
    import threading

    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    case_id = seed_case(session_factory, 1)
    start = threading.Barrier(6)
    outcomes: list[str] = []

    def decide(n: int) -> None:
        start.wait()
        try:
            with session_factory.begin() as session:
                approve_case(session=session, case_id=case_id, actor=f"u{n}", expected_version=1)
            outcomes.append("ok")
        except (StaleAction, StaleDataError, OperationalError):
            outcomes.append("refused")

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 5
    with session_factory() as session:
        assert count(session, Forward) == 1 and count(session, Review) == 1
        assert count(session, AuditEntry) == 1
