""" "Batalkan": the undo a facilitator is offered for a few seconds after accept, bulk accept and
"Bukan aduan"."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from cases.states import undo_decision
from review.deps import Actor, SessionDep, atomic, safe_next
from review.routes import redirect
from store.exceptions import StaleAction, StoreError
from store.tables import Case

log = logging.getLogger(__name__)
router = APIRouter()
UNDO_SECONDS = 10.0  # how long an accepted case waits before its forward is due
UNDO_COOKIE = "aduan_undo"
# A "Bukan aduan" holds nothing back; its undo is refused this long after it (the offer's seconds
# plus a click still on its way), after that "Buka lagi" on the case page reopens it.
REJECT_UNDO_S = UNDO_SECONDS + 5


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.cookie_key(), salt="aduan.review.undo")


# The offer travels like the flash message, in a signed short-lived cookie (case ids and the
# moment the forwards fall due); the page shows a "Batalkan" button until then. The case rules
# decide (cases.states.undo_approval): once the forward is due or claimed, the approval stands and
# the answer says so.
def offer_undo(request: Request, response: Response, case_ids: list[int], until: datetime) -> None:
    """Attach an undo offer for ``case_ids`` (valid until ``until``) to a redirect."""
    if not case_ids:
        return
    value = _serializer(request).dumps({"c": case_ids[:200], "u": until.timestamp()})
    response.set_cookie(
        UNDO_COOKIE,
        value,
        max_age=int(UNDO_SECONDS) + 30,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def take_undo(request: Request) -> dict | None:
    """The pending undo offer, if it is still valid: ``{"cases": [...], "until_ms": ...}``."""
    cookie = request.cookies.get(UNDO_COOKIE)
    if not cookie:
        return None
    try:
        raw = _serializer(request).loads(cookie, max_age=int(UNDO_SECONDS) + 30)
        cases, until = [int(c) for c in raw["c"]], float(raw["u"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    left = until - datetime.now(UTC).timestamp()
    if left <= 0 or not cases:
        return None
    return {"cases": cases, "until_ms": int(until * 1000), "seconds": max(1, int(left))}


@router.post("/undo")
def undo(
    request: Request,
    user: Actor,
    session: SessionDep,
    case: Annotated[list[int], Form()] = [],  # noqa: B006 - FastAPI form default
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Undo the user's fresh decisions on ``case``; say which came too late."""
    undone, late, late_rejections, approvals = [], [], [], 0
    for case_id in case[:200]:
        try:
            with atomic(session):
                was = undo_decision(
                    session=session, case_id=case_id, actor=user.name, window_s=REJECT_UNDO_S
                )
            undone.append(case_id)
            approvals += was == "approve"
        except (StaleAction, StoreError):  # rolled back: the case as it stands now
            found = session.get(Case, case_id)
            rejected = found is not None and found.state == "rejected"
            (late_rejections if rejected else late).append(case_id)
    parts = []
    if undone:
        held = " dan tidak dikirim ke LAPOR!" if approvals else ""
        parts.append(f"Dibatalkan: {_ids(undone)} kembali ke antrean{held}.")
    if late:
        parts.append(f"Terlambat untuk {_ids(late)}: sudah dalam pengiriman ke LAPOR!.")
    if late_rejections:
        parts.append(
            f"Terlambat untuk {_ids(late_rejections)}: buka lagi dari halaman kasusnya (Buka lagi)."
        )
    too_late = len(late) + len(late_rejections)
    if not parts:
        parts.append("Tidak ada yang dibatalkan.")
    response = redirect(
        request, safe_next(next), " ".join(parts), "warning" if too_late else "info"
    )
    response.delete_cookie(UNDO_COOKIE, path="/")
    log.info("undo by %r: %d undone, %d too late", user.name, len(undone), too_late)
    return response


def _ids(ids: list[int]) -> str:
    return "kasus " + ", ".join(f"#{i}" for i in ids)
