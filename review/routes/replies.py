"""A case's replies to the citizens: approve one (the key ``b`` on the case page) or decline it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from review.deps import Actor, SessionDep
from review.routes.cases import decide
from store.replies import approve_reply, decline_reply
from store.tables import Reply

router = APIRouter(prefix="/cases")

Next = Annotated[str, Form()]


def _decision(request, session, user, case_id: int, reply_id: int, next_url: str, approve: bool):
    def action() -> None:
        row = session.get(Reply, reply_id)
        if row is None or row.case_id != case_id:
            raise HTTPException(status_code=404, detail="Balasan tidak ditemukan")
        decide_reply = approve_reply if approve else decline_reply
        decide_reply(session=session, reply_id=reply_id, actor=user.name)

    done = (
        f"Balasan untuk kasus #{case_id} disetujui; dikirim pada putaran berikut."
        if approve
        else f"Balasan untuk kasus #{case_id} tidak dikirim."
    )
    return decide(request, session, user, case_id, next_url, action, done)


@router.post("/{case_id}/replies/{reply_id}/approve")
def approve(
    case_id: int,
    reply_id: int,
    request: Request,
    user: Actor,
    session: SessionDep,
    next: Next = "/",
) -> Response:
    return _decision(request, session, user, case_id, reply_id, next, True)


@router.post("/{case_id}/replies/{reply_id}/decline")
def decline(
    case_id: int,
    reply_id: int,
    request: Request,
    user: Actor,
    session: SessionDep,
    next: Next = "/",
) -> Response:
    return _decision(request, session, user, case_id, reply_id, next, False)
