"""LAPOR!'s service levels in working days (lokal-id's holidays) and the honest dashboard."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from cases.states import approve_case
from lapor.service_levels import breached, service_report, working_days_between
from store.dashboard import build_dashboard
from store.tables import Forward, LaporStatusChange
from tests.review.conftest import add_user, login, seed_case

WITA = ZoneInfo("Asia/Makassar")


def _at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00")


def test_working_days_skip_weekends_holidays_and_cuti_bersama():
    # Wed 23 Dec 2026 -> Mon 28 Dec: 24th cuti bersama, 25th Christmas, then the weekend
    assert working_days_between(_at("2026-12-23"), _at("2026-12-28"), WITA) == 1
    # Tue 17 Mar 2026 -> Wed 25 Mar: Nyepi and Idulfitri (libur + cuti bersama) in between
    assert working_days_between(_at("2026-03-17"), _at("2026-03-25"), WITA) == 1
    # an ordinary week: Friday -> next Friday = 5
    assert working_days_between(_at("2026-10-02"), _at("2026-10-09"), WITA) == 5
    # late evening in UTC is the next morning in Kupang
    late = datetime(2026, 10, 1, 23, 0, tzinfo=UTC)  # Fri 2 Oct 07:00 WITA
    assert working_days_between(late, _at("2026-10-05"), WITA) == 1
    # a year lokal-id has no decree for: weekends only
    assert working_days_between(_at("2030-01-04"), _at("2030-01-07"), WITA) == 1
    assert not breached(_at("2026-12-23"), _at("2026-12-29"), 3, WITA)  # 2 working days
    assert breached(_at("2026-10-01"), _at("2026-10-07"), 3, WITA)  # 4 working days


def test_dashboard_counts_service_levels_and_red_zone_in_working_days(session_factory, client):
    add_user(session_factory, "ana", "admin")
    ids = [seed_case(session_factory, i, agency="dlhk" if i < 3 else "pln") for i in (1, 2, 3)]
    sent_at = _at("2026-10-02")  # a Friday
    with session_factory.begin() as session:
        for case_id in ids[:2]:
            approve_case(session=session, case_id=case_id, actor="ana")
        forwards = session.scalars(select(Forward).order_by(Forward.case_id)).all()
        for forward in forwards:
            forward.state, forward.sent_at = "sent", sent_at
        # the first: verified on Monday (1 working day), done in the week after
        session.add_all(
            [
                LaporStatusChange(
                    forward_id=forwards[0].id, status_name=name, changed_at=at, observed_at=at
                )
                for name, at in (
                    ("Belum Terverifikasi", sent_at),
                    ("Terverifikasi", _at("2026-10-05")),
                    ("Dalam Proses", _at("2026-10-07")),
                    ("Selesai", _at("2026-10-14")),
                )
            ]
        )
    now = _at("2026-10-08")  # Thursday: 4 working days after sending
    with session_factory() as session:
        board = build_dashboard(
            session=session, agencies=None, weeks=4, now=now, timezone="Asia/Makassar"
        )
        service = service_report(
            session=session, agencies=None, backlog=board.backlog, now=now, timezone="Asia/Makassar"
        )
    levels = {s["key"]: s for s in service.levels}
    assert levels["verification"]["reached"] == 1 and levels["verification"]["overdue"] == 1
    assert levels["verification"]["median_working_days"] == 1
    assert levels["response"]["median_working_days"] == 3 and levels["response"]["overdue"] == 0
    assert levels["closure"]["overdue"] == 0  # 4 of 10 days: not late yet
    assert service.overdue["dlhk"] == {"verification": 1}
    assert "pln" in service.overdue and "review" in service.overdue["pln"]  # waited since 1 Oct
    login(client, "ana")
    html = client.get("/dashboard?weeks=8").text
    assert "hari kerja" in html and 'id="red-zone-definition"' in html
    assert "belum diverifikasi 3 hari kerja setelah terkirim" in html
    assert "minggu lengkap" in html
    median = html.split('id="median-forward">')[1].split("<")[0]
    assert median.endswith(" hari") and " j" not in median  # days, not hours
