"""The outbox (``forwards``) as people see it: a person's decision on a row, listings, counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.forward_status import closed_undone
from store.tables import Case, Forward, LaporStatusChange

__all__ = [
    "FORWARD_STATES",
    "ForwardView",
    "count_attention",
    "count_by_state",
    "count_due",
    "list_forwards",
    "lock_forward",
    "needs_attention",
    "settle",
]

FORWARD_STATES = ("pending", "sending", "sent", "failed", "unknown", "cancelled")


def _snapshot(row: Any) -> dict[str, Any]:
    return {
        "state": row.state,
        "attempts": row.attempts,
        "complaint_id": row.complaint_id,
        "last_error": row.last_error,
    }


def lock_forward(
    *, session: Session, forward_id: int, agencies: list[str] | None = None
) -> Forward | None:
    """The forward, locked for the caller's transaction on PostgreSQL; None if it does not exist
    or its case is not of ``agencies`` (None: every agency)."""
    query = select(Forward).where(Forward.id == forward_id)
    if agencies is not None:
        query = query.join(Case, Case.id == Forward.case_id).where(Case.agency.in_(agencies))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Forward)
    return session.scalars(query).one_or_none()


# A row's way:  pending --claim--> sending --> sent | pending (retry) | failed | unknown
#     store.forward_claims    the sender claims due rows (``sending``, committed before sending)
#     store.forward_outcomes  the sender records each attempt's outcome; stale leases -> ``unknown``
#     store.forwards          a person's decision (``settle``, rules in lapor.reconcile); listings
#     store.forward_status    the target's status of sent rows, and its history
def settle(
    *, session: Session, forward: Forward, actor: str, action: str, values: dict[str, Any]
) -> Forward:
    """Write a person's decision ``values`` on ``forward``, audited as ``action`` with the state
    before and after (lapor.reconcile decides which decisions a state allows)."""
    before = _snapshot(forward)
    for column, value in values.items():
        setattr(forward, column, value)
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action=action,
        object_type="forward",
        object_id=forward.id,
        before=before,
        after=_snapshot(forward),
    )
    return forward


# --- listings for the review app and the CLI -------------------------------------------------


@dataclass
class ForwardView:
    """A forward with its case and the LAPOR! statuses it went through (oldest first)."""

    forward: Forward
    case: Case
    history: list[LaporStatusChange] = field(default_factory=list)


def needs_attention() -> Any:
    """SQL: a forward a person must look at: failed, unknown, or closed undone by LAPOR!."""
    return Forward.state.in_(("failed", "unknown")) | closed_undone()


def list_forwards(
    *,
    session: Session,
    agencies: list[str] | None = None,
    states: Sequence[str] | None = None,
    attention: bool = False,
    changed_first: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ForwardView], int]:
    """One page of forwards with their case and status history, and how many match.

    Newest first, or most recently changed first with ``changed_first``; only cases of
    ``agencies`` (None: all); ``attention``: the ones a person must look at (``needs_attention``),
    else optionally only ``states``.
    """
    query = select(Forward, Case).join(Case, Case.id == Forward.case_id)
    if agencies is not None:
        query = query.where(Case.agency.in_(agencies))
    if attention:
        query = query.where(needs_attention())
    elif states:
        query = query.where(Forward.state.in_(list(states)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    newest = (Forward.updated_at.desc(),) if changed_first else ()
    rows = session.execute(
        query.order_by(*newest, Forward.id.desc()).limit(limit).offset(offset)
    ).all()
    views = [ForwardView(forward=f, case=c) for f, c in rows]
    if views:
        by_id = {v.forward.id: v for v in views}
        changes = session.scalars(
            select(LaporStatusChange)
            .where(LaporStatusChange.forward_id.in_(by_id))
            .order_by(LaporStatusChange.observed_at, LaporStatusChange.id)
        )
        for change in changes:
            by_id[change.forward_id].history.append(change)
    return views, total


def count_by_state(*, session: Session, agencies: list[str] | None = None) -> dict[str, int]:
    """How many forwards (of cases of ``agencies``; None: all) are in each state."""
    query = select(Forward.state, func.count()).join(Case, Case.id == Forward.case_id)
    if agencies is not None:
        query = query.where(Case.agency.in_(agencies))
    return dict(session.execute(query.group_by(Forward.state)).all())


def count_attention(*, session: Session, agencies: list[str] | None = None) -> int:
    """How many forwards (of cases of ``agencies``; None: all) need a person."""
    query = select(func.count()).select_from(Forward).join(Case, Case.id == Forward.case_id)
    if agencies is not None:
        query = query.where(Case.agency.in_(agencies))
    return session.scalar(query.where(needs_attention())) or 0


def count_due(*, session: Session, now: datetime, targets: Sequence[str] = ("lapor",)) -> int:
    """How many pending rows of ``targets`` are due at ``now``."""
    return session.scalar(
        select(func.count()).where(
            Forward.state == "pending",
            Forward.next_attempt_at <= now,
            Forward.target.in_(list(targets)),
        )
    )
