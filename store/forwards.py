"""The outbox (``forwards``) as people see it: reconcile a row by hand, list and count rows.

A row's way:  pending --claim--> sending --> sent | pending (retry) | failed | unknown
    store.forward_claims    the sender claims due rows (``sending``, committed before sending)
    store.forward_outcomes  the sender records each attempt's outcome; stale leases -> ``unknown``
    store.forwards          a human settles ``unknown``/``failed`` rows (``reconcile``); listings
    store.forward_status    the target's status of sent rows, and its history
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.exceptions import StaleAction, StoreError
from store.tables import Forward

__all__ = [
    "case_",
    "count_by_state",
    "count_due",
    "get_forward",
    "list_forwards",
    "reconcile",
]


def _snapshot(row: Any) -> dict[str, Any]:
    return {
        "state": row.state,
        "attempts": row.attempts,
        "complaint_id": row.complaint_id,
        "last_error": row.last_error,
    }


def case_(condition: Any) -> Any:
    """0 when ``condition`` holds, else 1 (sorts matching rows first)."""
    return case((condition, 0), else_=1)


def reconcile(
    *,
    session: Session,
    forward_id: int,
    actor: str,
    complaint_id: str | None = None,
    resend: bool = False,
    cancel: bool = False,
    now: datetime,
) -> Forward:
    """A human's decision on a forward: confirm it was sent (with the target's id), send it again,
    or cancel it. Audited with the state before and after."""
    if sum([complaint_id is not None, resend, cancel]) != 1:
        raise StoreError("reconcile needs exactly one of: a complaint id, resend, cancel")
    query = select(Forward).where(Forward.id == forward_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        raise StoreError(f"forward {forward_id} does not exist")
    allowed = (
        ("unknown", "failed") if complaint_id is not None else ("unknown", "failed", "pending")
    )
    if row.state not in allowed:
        raise StaleAction(
            f"forward {forward_id} is {row.state}; "
            f"only {'/'.join(allowed)} can be reconciled that way"
        )
    before = _snapshot(row)
    if complaint_id is not None:
        action = "forward.reconcile_sent"
        row.state, row.complaint_id, row.sent_at = "sent", complaint_id, now
        row.last_error = f"confirmed sent by {actor}"
    elif resend:
        action = "forward.reconcile_resend"
        row.state, row.attempts, row.next_attempt_at = "pending", 0, now
        row.last_error = f"resend requested by {actor}"
    else:
        action = "forward.cancel"
        row.state, row.last_error = "cancelled", f"cancelled by {actor}"
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action=action,
        object_type="forward",
        object_id=forward_id,
        before=before,
        after=_snapshot(row),
    )
    return row


# --- listings for the review app and the CLI -------------------------------------------------


def get_forward(*, session: Session, forward_id: int) -> Forward | None:
    return session.get(Forward, forward_id)


def list_forwards(
    *,
    session: Session,
    states: Sequence[str] | None = None,
    target: str | None = None,
    case_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Forward]:
    """Forwards, most recently changed first, optionally of some states / one target / one case."""
    query = select(Forward).order_by(Forward.updated_at.desc(), Forward.id.desc())
    if states:
        query = query.where(Forward.state.in_(list(states)))
    if target:
        query = query.where(Forward.target == target)
    if case_id is not None:
        query = query.where(Forward.case_id == case_id)
    return list(session.scalars(query.limit(limit).offset(offset)))


def count_by_state(*, session: Session) -> dict[str, int]:
    """How many forwards are in each state (e.g. for the dashboard)."""
    rows = session.execute(select(Forward.state, func.count()).group_by(Forward.state))
    return {state: count for state, count in rows}


def count_due(*, session: Session, now: datetime, targets: Sequence[str] = ("lapor",)) -> int:
    """How many pending rows of ``targets`` are due at ``now``."""
    return session.scalar(
        select(func.count()).where(
            Forward.state == "pending",
            Forward.next_attempt_at <= now,
            Forward.target.in_(list(targets)),
        )
    )
