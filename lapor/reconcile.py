"""A person settles an outbox row by hand: the one rule set of ``aduan lapor reconcile`` and the
review app's Forwarded view (which decision each state allows, and what it writes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lapor.exceptions import ReconcileError, ReconcileStateError
from store.forwards import lock_forward, settle
from store.tables import Forward

# resolution -> the states it may settle. ``sent``: LAPOR! has the complaint (give its id);
# ``retry``: it has not, send again from attempt 0 (check LAPOR! first for an ``unknown`` row);
# ``cancel``: never send it.
SETTLES = {
    "sent": ("unknown", "failed"),
    "retry": ("unknown", "failed", "pending"),
    "cancel": ("unknown", "failed", "pending"),
}


def reconcile(
    *,
    session: Session,
    forward_id: int,
    actor: str,
    resolution: str,
    complaint_id: str | None = None,
    agencies: list[str] | None = None,
    now: datetime,
) -> Forward:
    """Settle forward ``forward_id`` (of a case of ``agencies``; None: any) as ``resolution``,
    audited with the state before and after; ReconcileError when that does not fit the row."""
    if resolution not in SETTLES:
        raise ReconcileError(
            f"unknown resolution {resolution!r}: {', '.join(SETTLES)}",
            pesan="pilih salah satu: Sudah ada di LAPOR!, Kirim ulang, atau Batalkan.",
        )
    row = lock_forward(session=session, forward_id=forward_id, agencies=agencies)
    if row is None:
        raise ReconcileError(
            f"forward {forward_id} does not exist", pesan=f"kiriman {forward_id} tidak ditemukan."
        )
    allowed = SETTLES[resolution]
    if row.state not in allowed:
        raise ReconcileStateError(forward_id=forward_id, state=row.state, allowed=allowed)
    values: dict[str, Any]
    if resolution == "sent":
        complaint_id = (complaint_id or "").strip()
        if not complaint_id:
            raise ReconcileError(
                "give the LAPOR! complaint id that the complaint has there",
                pesan="isi nomor aduan yang diberikan LAPOR! untuk aduan ini.",
            )
        action = "forward.reconcile_sent"
        values = {"state": "sent", "complaint_id": complaint_id, "sent_at": now}
        values["last_error"] = f"confirmed sent by {actor}"
    elif resolution == "retry":
        action = "forward.reconcile_resend"
        values = {"state": "pending", "attempts": 0, "next_attempt_at": now}
        values["last_error"] = f"resend requested by {actor}"
    else:
        action = "forward.cancel"
        values = {"state": "cancelled", "last_error": f"cancelled by {actor}"}
    return settle(session=session, forward=row, actor=actor, action=action, values=values)
