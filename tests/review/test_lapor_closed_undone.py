"""LAPOR!'s Ditolak closes a complaint without dealing with it: not "✔", not counted as
finished (funnel, service levels), and listed under "Perlu tindakan"."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from cases.states import approve_case
from lapor.service_levels import service_report
from store.dashboard import build_dashboard
from store.tables import Forward, LaporStatusChange
from tests.review.conftest import add_user, login, seed_case

SENT = datetime(2026, 10, 2, 2, tzinfo=UTC)


def _closed(factory) -> tuple[int, int]:
    """Two sent cases: one LAPOR! finished (Selesai), one it refused (Ditolak)."""
    ids = [seed_case(factory, i) for i in (1, 2)]
    with factory.begin() as session:
        for case_id in ids:
            approve_case(session=session, case_id=case_id, actor="ana")
        forwards = session.scalars(select(Forward).order_by(Forward.case_id)).all()
        for forward, status, n in zip(forwards, ("Selesai", "Ditolak"), (1, 2), strict=True):
            forward.state, forward.sent_at, forward.complaint_id = "sent", SENT, f"7000{n}"
            forward.status_name, forward.status_final = status, True
            at = datetime(2026, 10, 5, 2, tzinfo=UTC)
            session.add(
                LaporStatusChange(
                    forward_id=forward.id, status_name=status, changed_at=at, observed_at=at
                )
            )
    return ids[0], ids[1]


def test_ditolak_is_not_ticked_and_needs_attention(session_factory, client):
    add_user(session_factory, "ana", "admin")
    done, refused = _closed(session_factory)
    login(client, "ana")
    page = client.get("/forwards").text
    assert "Ditolak ✔" not in page and "Ditolak <span" in page
    assert "ditutup LAPOR! tanpa diselesaikan" in page
    assert "Perlu tindakan (1)" in page
    attention = client.get("/forwards?state=attention").text
    assert f'href="/cases/{refused}"' in attention and f'href="/cases/{done}"' not in attention


def test_ditolak_is_not_counted_as_finished(session_factory, client):
    add_user(session_factory, "ana", "admin")
    _closed(session_factory)
    now = datetime(2026, 10, 20, tzinfo=UTC)
    with session_factory() as session:
        board = build_dashboard(session=session, agencies=None, now=now)
        service = service_report(session=session, agencies=None, backlog=board.backlog, now=now)
    funnel = dict(board.funnel)
    assert (funnel["LAPOR! finished"], funnel["LAPOR! closed undone"]) == (1, 1)
    closure = {s["key"]: s for s in service.levels}["closure"]
    assert (closure["reached"], closure["undone"]) == (2, 1)
    login(client, "ana")
    html = client.get("/dashboard").text
    assert "selesai di LAPOR!: 1" in html and "ditolak/diarsipkan LAPOR!: 1" in html
    assert "(1 selesai, 1 ditolak/diarsipkan LAPOR!)" in html
    assert "ditinjau fasilitator: 2" in html and "disetujui otomatis: 0" in html
