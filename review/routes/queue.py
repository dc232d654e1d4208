"""The queue of cases awaiting review, its CSV export and bulk accept."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Annotated
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from cases.states import approve_case
from review.app import render
from review.deps import MAX_PAGE, Actor, CurrentUser, SessionDep, atomic, query_int, safe_next
from review.exports import Exporter
from review.routes import redirect
from store.exceptions import StoreError
from store.export import spreadsheet_safe
from store.queue import (
    BANDS,
    QueueFilter,
    author_post_counts,
    iter_queue_rows,
    list_queue,
    queue_sources,
)

router = APIRouter()
PAGE = 20
FILTER_KEYS = ("agency", "topic", "source", "band", "from", "to", "skipped")


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_filters(request: Request) -> tuple[QueueFilter, dict[str, str]]:
    """The queue filters from the query string (unknown values are ignored)."""
    params = request.query_params
    profile = request.app.state.profile
    zone = ZoneInfo(profile.timezone)
    raw = {k: params.get(k, "").strip() for k in FILTER_KEYS}
    day_from, day_to = _day(raw["from"]), _day(raw["to"])
    filters = QueueFilter(
        agency=raw["agency"] if profile.agency(raw["agency"]) else None,
        topic=raw["topic"] if profile.topic(raw["topic"]) else None,
        source=raw["source"] or None,
        band=raw["band"] if raw["band"] in BANDS else None,
        date_from=datetime.combine(day_from, time(0), tzinfo=zone) if day_from else None,
        date_to=datetime.combine(day_to + timedelta(days=1), time(0), tzinfo=zone)
        if day_to
        else None,
        include_skipped=raw["skipped"] == "1",
    )
    return filters, {k: v for k, v in raw.items() if v}


def _page(request: Request) -> int:
    return query_int(request, "page", 1, 1, MAX_PAGE)


SOURCES_TTL_S = 300.0


def _sources(request: Request, session) -> list[str]:
    """The sources for the filter, looked up at most every five minutes (a scan of all posts)."""
    cached = getattr(request.app.state, "queue_sources", None)
    now = monotonic()
    if cached is None or now - cached[0] > SOURCES_TTL_S:
        cached = (now, queue_sources(session=session))
        request.app.state.queue_sources = cached
    return cached[1]


@router.get("/")
def queue(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    filters, raw = parse_filters(request)
    page = _page(request)

    def listed(page: int):
        return list_queue(
            session=session,
            filters=filters,
            agencies=user.agencies,
            reviewer=user.name,
            limit=PAGE,
            offset=(page - 1) * PAGE,
        )

    views, total = listed(page)
    last = max(1, -(-total // PAGE))
    if page > last:  # /?page=99 of 2: the last page, not "halaman 99/2" with nothing on it
        page = last
        views, total = listed(page)
    profile = request.app.state.profile
    agencies = [a for a in profile.agencies if user.agencies is None or a.key in user.agencies]
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    context = {
        "user": user,
        "views": views,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE)),
        "raw": raw,
        "query": urlencode(raw),
        "agencies": agencies,
        "topics": profile.topics,
        "sources": _sources(request, session),
        "bands": list(BANDS),
        "here": here,
        "authors": author_post_counts(session=session, views=views),
    }
    return render(request, "queue.html", context)


CSV_STATES = ("open", "approved", "rejected", "merged")
CSV_STATE_HELP = (
    "Status CSV tidak dikenal. Pilih salah satu: open (menunggu tinjauan), approved (diterima), "
    "rejected (bukan aduan), merged (digabung)."
)


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the exact one as RFC 6266 ``filename*``."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def csv_response(
    rows: Iterator[dict], filename: str, fields: list[str] | None = None
) -> StreamingResponse:
    """Stream ``rows`` as CSV (header: ``fields`` or the first row's keys), formula-safe cells."""

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = None
        if fields:
            writer = csv.DictWriter(buffer, fieldnames=fields)
            writer.writeheader()
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(buffer, fieldnames=list(row))
                writer.writeheader()
            writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if buffer.getvalue():
            yield buffer.getvalue()

    headers = {"Content-Disposition": content_disposition(filename)}
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/queue.csv")
def queue_csv(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    filters, _ = parse_filters(request)
    state = request.query_params.get("state") or "open"
    if state not in CSV_STATES:
        raise HTTPException(status_code=400, detail=CSV_STATE_HELP)
    filters = QueueFilter(**{**filters.__dict__, "state": state})
    rows = iter_queue_rows(session=session, filters=filters, agencies=user.agencies)
    return csv_response(Exporter(request.app.state.profile).queue(rows), f"aduan-{state}.csv")


@router.post("/bulk/accept")
def bulk_accept(
    request: Request,
    user: Actor,
    session: SessionDep,
    case: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI form default
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Accept the selected cases one by one; the ones decided meanwhile are reported."""
    from review.routes.cases import UNDO_WINDOW, load_case_for_action, parse_case_version
    from review.routes.undo import UNDO_SECONDS, offer_undo

    if not case:
        return redirect(
            request,
            safe_next(next),
            "Belum ada kasus yang dipilih: centang kotak di kasus yang ingin diterima dulu.",
            "warning",
        )
    accepted, stale = [], []
    for item in case[:200]:
        parsed = parse_case_version(item)
        if parsed is None:
            continue
        case_id, version = parsed
        try:
            with atomic(session):
                load_case_for_action(session, case_id, user)
                approve_case(
                    session=session,
                    case_id=case_id,
                    actor=user.name,
                    expected_version=version,
                    action="accept",
                    hold_s=UNDO_SECONDS,
                )
            accepted.append(case_id)
        except (StoreError, StaleDataError, IntegrityError, OperationalError, HTTPException):
            stale.append(str(case_id))
    message = (
        f"{len(accepted)} kasus diterima; dikirim ke LAPOR! dalam {UNDO_SECONDS:.0f} detik."
        if accepted
        else "Tidak ada kasus yang diterima."
    )
    if stale:
        message += f" Sudah diputuskan orang lain / berubah: #{', #'.join(stale)}."
    response = redirect(request, safe_next(next), message, "warning" if stale else "success")
    offer_undo(request, response, accepted, datetime.now(UTC) + UNDO_WINDOW)
    return response
