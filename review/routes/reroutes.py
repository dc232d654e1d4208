"""Passing a case LAPOR! already has to another agency ("Teruskan ke instansi lain"): the request
is queued (store.reroutes); the forward run sends it to LAPOR! and the case page shows the result.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from review.deps import Actor, DbId, SessionDep, safe_next
from review.routes import redirect
from review.routes.cases import decide
from store.reroutes import request_reroute

router = APIRouter(prefix="/cases")

MAX_REASON = 2000


@router.post("/{case_id}/reroute")
def reroute(
    case_id: DbId,
    request: Request,
    user: Actor,
    session: SessionDep,
    agency: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    here = safe_next(next, f"/cases/{case_id}")
    target = request.app.state.profile.agency(agency) if agency else None
    if target is None or target.lapor_disposition_id is None:
        return redirect(request, here, "Pilih instansi tujuan (yang punya id LAPOR!).", "error")
    if target.local_level is not None:
        message = (
            f"{target.name} diteruskan lewat kantor setempat ({target.local_level}), tidak lewat "
            "satu id LAPOR!; pilih instansi lain."
        )
        return redirect(request, here, message, "error")
    reason = reason.strip()
    if not reason:
        return redirect(request, here, "Isi alasannya: alasan ini dikirim ke LAPOR!.", "error")
    if len(reason) > MAX_REASON:
        message = f"Alasan terlalu panjang: paling banyak {MAX_REASON} huruf."
        return redirect(request, here, message, "error")
    return decide(
        request,
        session,
        user,
        case_id,
        here,
        lambda: request_reroute(
            session=session,
            case_id=case_id,
            actor=user.name,
            agency=target.key,
            institution_id=target.lapor_disposition_id,
            reason=reason,
            local_level=target.local_level,
        ),
        f"Kasus #{case_id}: permintaan diteruskan ke {target.name} dicatat; menunggu dikirim ke "
        "LAPOR! pada putaran kirim berikut.",
    )
