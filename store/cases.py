"""Cases and the decisions on them. Approving writes the outbox row in the same transaction.

Every function takes the caller's session and does not commit: the caller's transaction makes the
decision, its review row, its audit entry and (on approval) its forward row one atomic change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.exceptions import StaleAction, StoreError
from store.tables import Case, Forward, PostRow, Review

SYSTEM = "system"
DECIDED = ("approved", "rejected", "merged")


def case_snapshot(case: Case) -> dict[str, Any]:
    """The fields of a case that the audit log keeps before and after a change."""
    return {
        "state": case.state,
        "agency": case.agency,
        "topic": case.topic,
        "decided_by": case.decided_by,
    }


def create_case(
    *,
    session: Session,
    post: PostRow,
    agency: str | None,
    topic: str | None,
    agency_confidence: float | None,
    topic_confidence: float | None,
    urgency: int = 1,
) -> Case:
    """Open a new case for ``post`` (awaiting review) and attach the post to it."""
    case = Case(
        state="open",
        agency=agency,
        topic=topic,
        agency_confidence=agency_confidence,
        topic_confidence=topic_confidence,
        urgency=urgency,
        representative_post_id=post.id,
        first_post_at=post.created_at,
    )
    session.add(case)
    session.flush()
    attach_post(session=session, case=case, post=post)
    return case


def attach_post(*, session: Session, case: Case, post: PostRow) -> None:
    """Put ``post`` into ``case`` (a near-duplicate, or the case's first post)."""
    post.case_id = case.id
    post.state = "in_case"
    if case.first_post_at is None or post.created_at < case.first_post_at:
        case.first_post_at = post.created_at


def get_case_for_update(*, session: Session, case_id: int, expected_version: int | None) -> Case:
    """The case, locked for this transaction; StaleAction if it changed since it was read."""
    query = select(Case).where(Case.id == case_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    case = session.scalars(query).one_or_none()
    if case is None:
        raise StoreError(f"case {case_id} does not exist")
    if expected_version is not None and case.version != expected_version:
        raise StaleAction(
            f"case {case_id} was changed by {case.decided_by or 'someone else'} meanwhile; "
            "reload it"
        )
    return case


def approve_case(
    *,
    session: Session,
    case_id: int,
    actor: str,
    agency: str | None = None,
    topic: str | None = None,
    expected_version: int | None = None,
    action: str | None = None,
    targets: tuple[str, ...] = ("lapor",),
) -> Case:
    """Approve a case (optionally correcting its tags) and write its outbox rows.

    ``action`` defaults to ``correct`` when the tags change, ``accept`` otherwise, and
    ``auto_approve`` for the system. A case already decided raises StaleAction: no double forward.
    """
    case = get_case_for_update(session=session, case_id=case_id, expected_version=expected_version)
    if case.state in DECIDED:
        raise StaleAction(f"case {case_id} is already {case.state} (by {case.decided_by})")
    before = case_snapshot(case)
    new_agency = agency or case.agency
    new_topic = topic or case.topic
    changed = (new_agency, new_topic) != (case.agency, case.topic)
    if action is None:
        action = "auto_approve" if actor == SYSTEM else ("correct" if changed else "accept")
    session.add(
        Review(
            case_id=case.id,
            reviewer=actor,
            action=action,
            agency_before=case.agency,
            agency_after=new_agency,
            topic_before=case.topic,
            topic_after=new_topic,
        )
    )
    case.agency, case.topic = new_agency, new_topic
    case.state = "approved"
    case.decided_by = actor
    case.decided_at = datetime.now(UTC)
    for target in targets:
        existing = session.scalars(
            select(Forward).where(Forward.case_id == case.id, Forward.target == target)
        ).one_or_none()
        if existing is None:
            session.add(Forward(case_id=case.id, target=target, state="pending"))
        elif existing.state == "cancelled":
            existing.state = "pending"
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action=f"case.{action}",
        object_type="case",
        object_id=case.id,
        before=before,
        after=case_snapshot(case),
    )
    return case


def reject_case(
    *, session: Session, case_id: int, actor: str, expected_version: int | None = None
) -> Case:
    """Mark a case as not a complaint (its posts are archived)."""
    case = get_case_for_update(session=session, case_id=case_id, expected_version=expected_version)
    if case.state in DECIDED:
        raise StaleAction(f"case {case_id} is already {case.state} (by {case.decided_by})")
    before = case_snapshot(case)
    session.add(
        Review(
            case_id=case.id,
            reviewer=actor,
            action="reject",
            agency_before=case.agency,
            topic_before=case.topic,
        )
    )
    case.state = "rejected"
    case.decided_by = actor
    case.decided_at = datetime.now(UTC)
    for post in session.scalars(select(PostRow).where(PostRow.case_id == case.id)):
        post.state = "archived"
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="case.reject",
        object_type="case",
        object_id=case.id,
        before=before,
        after=case_snapshot(case),
    )
    return case
