"""The dashboard: complaints per agency and topic per week, funnel, speed, backlog (SVG)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lapor.service_levels import LEVELS, REVIEW_LEVEL_DAYS, calendar_known, service_report
from review.app import render
from review.charts import bar_chart, funnel_chart, line_chart
from review.deps import CurrentUser, SessionDep, query_int
from review.exports import Exporter
from review.routes.queue import csv_response
from store.dashboard import build_dashboard
from store.locations import open_cases_by_area

router = APIRouter()
CSV_FIELDS = ["instansi", "minggu mulai", "aduan"]
FUNNEL_LABELS = {
    "harvested posts": "posting terkumpul",
    "complaint cases": "kasus aduan",
    "reviewed": "ditinjau fasilitator",
    "auto-approved": "disetujui otomatis",
    "forwarded": "terkirim ke LAPOR!",
    "LAPOR! finished": "selesai di LAPOR!",
    "LAPOR! closed undone": "ditolak/diarsipkan LAPOR!",
}


def _weeks(request: Request) -> int:
    return query_int(request, "weeks", 8, 2, 52)


@router.get("/dashboard")
def dashboard(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    profile = request.app.state.profile
    now = datetime.now(UTC)
    board = build_dashboard(
        session=session,
        agencies=user.agencies,
        weeks=_weeks(request),
        now=now,
        timezone=profile.timezone,
    )
    service = service_report(
        session=session,
        agencies=user.agencies,
        backlog=board.backlog,
        now=now,
        timezone=profile.timezone,
    )
    names = {a.key: a.short or a.name for a in profile.agencies}
    topics = {t.key: t.name for t in profile.topics}
    labels = [w.strftime("%d/%m") for w in board.weeks]
    top_agencies = dict(list(board.per_agency_week.items())[:6])
    top_topics = dict(list(board.per_topic_week.items())[:6])
    # Red zone: an agency with a complaint past a LAPOR! service level (lapor.service_levels)
    red = sorted(service.overdue.items(), key=lambda kv: -sum(kv[1].values()))
    context = {
        "user": user,
        "board": board,
        "service": service,
        "agency_chart": line_chart(
            {names.get(k, k): v for k, v in top_agencies.items()}, labels, "Aduan per instansi"
        ),
        "topic_chart": line_chart(
            {topics.get(k, k): v for k, v in top_topics.items()}, labels, "Aduan per topik"
        ),
        "funnel_chart": funnel_chart([(FUNNEL_LABELS.get(k, k), n) for k, n in board.funnel]),
        "backlog_chart": bar_chart(
            [(names.get(a, a), c, a in service.overdue) for a, c, _ in board.backlog],
            "Antrean terbuka per instansi",
        ),
        "red": red,
        "levels": LEVELS,
        "review_days": REVIEW_LEVEL_DAYS,
        "calendar_known": calendar_known(now.year),
        "names": names,
        "topics": topics,
        "areas": open_cases_by_area(session=session, agencies=user.agencies),
    }
    return render(request, "dashboard.html", context)


@router.get("/dashboard.csv")
def dashboard_csv(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """Complaints per agency and week, the table behind the first chart."""
    profile = request.app.state.profile
    board = build_dashboard(
        session=session, agencies=user.agencies, weeks=_weeks(request), timezone=profile.timezone
    )
    export = Exporter(profile)
    rows = (
        {"instansi": export.agency(agency), "minggu mulai": export.day(week), "aduan": count}
        for agency, series in board.per_agency_week.items()
        for week, count in zip(board.weeks, series, strict=True)
    )
    return csv_response(rows, "aduan-per-instansi-minggu.csv", CSV_FIELDS)
