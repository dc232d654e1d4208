"""The Forwarded view: LAPOR! complaint ids, statuses and their history; settle failed/unknown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from config.exceptions import facilitator_message
from lapor.exceptions import ReconcileError, ReconcileStateError
from lapor.reconcile import reconcile as settle_forward
from review import labels
from review.app import render
from review.deps import MAX_PAGE, Actor, CurrentUser, DbId, SessionDep, atomic, query_int
from review.exports import Exporter
from review.routes import redirect
from review.routes.queue import csv_response
from store.forwards import FORWARD_STATES, count_attention, count_by_state, list_forwards

router = APIRouter()
PAGE = 50


def _states(request: Request) -> tuple[str, ...] | None:
    state = request.query_params.get("state", "")
    return (state,) if state in FORWARD_STATES else None


def _attention(request: Request) -> bool:
    return request.query_params.get("state", "") == "attention"


@router.get("/forwards")
def forwards(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    page = query_int(request, "page", 1, 1, MAX_PAGE)
    views, total = list_forwards(
        session=session,
        agencies=user.agencies,
        states=_states(request),
        attention=_attention(request),
        limit=PAGE,
        offset=(page - 1) * PAGE,
    )
    context = {
        "user": user,
        "views": views,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE)),
        "state": request.query_params.get("state", ""),
        "counts": {
            **count_by_state(session=session, agencies=user.agencies),
            "attention": count_attention(session=session, agencies=user.agencies),
        },
        "states": FORWARD_STATES,
        "lapor_url": request.app.state.settings.lapor_public_link("{id}"),
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    return render(request, "forwards.html", context)


@router.get("/forwards.csv")
def forwards_csv(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    views, _ = list_forwards(
        session=session,
        agencies=user.agencies,
        states=_states(request),
        attention=_attention(request),
        limit=100_000,
    )
    rows = Exporter(request.app.state.profile).forwards(views)
    return csv_response(rows, "aduan-forwards.csv")


@router.post("/forwards/{forward_id}/reconcile")
def reconcile(
    forward_id: DbId,
    request: Request,
    user: Actor,
    session: SessionDep,
    resolution: Annotated[str, Form()] = "",
    complaint_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        with atomic(session):
            settle_forward(
                session=session,
                forward_id=forward_id,
                actor=user.name,
                agencies=user.agencies,
                resolution=resolution,
                complaint_id=complaint_id,
                now=datetime.now(UTC),
            )
    except ReconcileStateError as exc:
        allowed = " atau ".join(labels.FORWARD_STATES[s] for s in exc.allowed)
        message = (
            f"Kiriman {forward_id} tidak diubah: statusnya {labels.FORWARD_STATES[exc.state]}; "
            f"«{labels.RECONCILE[resolution]}» hanya untuk kiriman yang {allowed}."
        )
        return redirect(request, "/forwards?state=attention", message, "error")
    except ReconcileError as exc:
        message = f"Kiriman {forward_id} tidak diubah: {facilitator_message(exc)}"
        return redirect(request, "/forwards?state=attention", message, "error")
    return redirect(
        request,
        "/forwards?state=attention",
        f"Kiriman {forward_id}: «{labels.RECONCILE[resolution]}» dicatat.",
        "success",
    )
