"""Dashboard figures from the store: weekly counts, funnel, median hours to forward, backlog."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cases.states import approve_case, reject_case
from store.dashboard import build_dashboard, week_start
from store.tables import Forward
from tests.factories import T0
from tests.review.conftest import seed_case


def test_figures_per_week_funnel_speed_and_backlog(session_factory):
    ids = [seed_case(session_factory, i, agency="dlhk" if i < 4 else "pln") for i in range(1, 6)]
    late = seed_case(session_factory, 6, agency="pln", created_at=T0 + timedelta(days=8))
    with session_factory.begin() as session:
        approve_case(session=session, case_id=ids[0], actor="a")
        approve_case(session=session, case_id=ids[1], actor="a")
        reject_case(session=session, case_id=ids[2], actor="a")
        forwards = session.scalars(select(Forward).order_by(Forward.case_id)).all()
        for forward, hours in zip(forwards, (2, 6), strict=True):
            forward.state = "sent"
            forward.sent_at = T0 + timedelta(hours=hours)
        forwards[0].status_final, forwards[0].status_name = True, "Selesai"
        forwards[1].status_final, forwards[1].status_name = True, "Ditolak"
    now = T0 + timedelta(days=10)
    with session_factory() as session:
        board = build_dashboard(session=session, agencies=None, weeks=3, now=now)
        scoped = build_dashboard(session=session, agencies=["pln"], weeks=3, now=now)
    # complete weeks only: the week of `now` (with the late case) is not compared yet
    assert board.weeks[-1] == week_start(now) - timedelta(weeks=1) and len(board.weeks) == 3
    assert board.per_agency_week == {"dlhk": [0, 0, 2], "pln": [0, 0, 2]}  # rejected not counted
    assert board.trend(board.per_agency_week["pln"]) == 2
    assert board.funnel == [
        ("harvested posts", 6),
        ("complaint cases", 6),
        ("reviewed", 3),
        ("auto-approved", 0),
        ("forwarded", 2),
        ("LAPOR! finished", 1),  # Ditolak is closed, not finished
        ("LAPOR! closed undone", 1),
    ]
    # case 1's post is at T0+1 min, case 2's at T0+2 min: 2 h - 1 min and 6 h - 2 min
    assert abs(board.median_hours_to_forward - (2 - 1 / 60 + 6 - 2 / 60) / 2) < 1e-6
    # open: cases 4, 5 and the late one, all pln; the oldest posted at T0 + 4 min
    [(agency, count, age)] = board.backlog
    assert (agency, count) == ("pln", 3) and abs(age - (240 - 4 / 60)) < 1e-6
    assert "dlhk" not in scoped.per_agency_week and scoped.median_hours_to_forward is None
    assert scoped.funnel[0] == ("harvested posts", 3) and late not in ids


def test_auto_approved_cases_are_not_counted_as_reviewed(session_factory):
    ids = [seed_case(session_factory, i) for i in range(1, 4)]
    with session_factory.begin() as session:
        approve_case(session=session, case_id=ids[0], actor="system")
        approve_case(session=session, case_id=ids[1], actor="system")
        approve_case(session=session, case_id=ids[2], actor="ana")
    with session_factory() as session:
        funnel = dict(build_dashboard(session=session, agencies=None).funnel)
    assert (funnel["reviewed"], funnel["auto-approved"]) == (1, 2)
