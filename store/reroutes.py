"""Passing a case that LAPOR! already has to another agency: what the store records.

The request to LAPOR! (``POST /complaints/process/{id}/reject``) is made by ``lapor.reroute``
between ``begin_reroute`` (the intent, audited before anything leaves) and ``finish_reroute``
(the case's new agency, a review and an audit entry), so a crash in between leaves the intent in
the audit log and nothing half-changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.cases import case_snapshot
from store.exceptions import StoreError
from store.tables import Case, Forward, Review


@dataclass(frozen=True)
class SentCase:
    """A case with the id LAPOR! gave its complaint."""

    case_id: int
    agency: str | None
    complaint_id: str


def begin_reroute(*, session: Session, case_id: int, actor: str, agency: str) -> SentCase:
    """The case's LAPOR! complaint, with the intent to pass it to ``agency`` audited.

    StoreError if the case does not exist, was not sent to LAPOR! (then correct it in the review
    queue instead) or is already with ``agency``."""
    case = session.get(Case, case_id)
    if case is None:
        raise StoreError(f"no case {case_id}")
    forward = session.scalars(
        select(Forward).where(Forward.case_id == case_id, Forward.target == "lapor")
    ).one_or_none()
    if forward is None or forward.state != "sent" or not forward.complaint_id:
        state = forward.state if forward is not None else "not in the outbox"
        raise StoreError(
            f"case {case_id} is not in LAPOR! yet ({state}); change its agency in the review "
            "queue instead"
        )
    if case.agency == agency:
        raise StoreError(f"case {case_id} is already with {agency}")
    record_audit(
        session=session,
        actor=actor,
        action="case.reroute_requested",
        object_type="case",
        object_id=case_id,
        before=case_snapshot(case),
        after={"agency": agency, "complaint_id": forward.complaint_id},
    )
    return SentCase(case_id=case_id, agency=case.agency, complaint_id=forward.complaint_id)


def finish_reroute(*, session: Session, case_id: int, actor: str, agency: str, reason: str) -> Case:
    """Record that LAPOR! accepted passing the case on: new agency, review, audit entry."""
    case = session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise StoreError(f"no case {case_id}")
    before = case_snapshot(case)
    session.add(
        Review(
            case_id=case_id,
            reviewer=actor,
            action="reroute",
            agency_before=case.agency,
            agency_after=agency,
            topic_before=case.topic,
            topic_after=case.topic,
            note=reason,
        )
    )
    case.agency = agency
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="case.reroute",
        object_type="case",
        object_id=case_id,
        before=before,
        after=case_snapshot(case),
    )
    return case
