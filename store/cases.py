"""Cases and the decisions on them. Approving writes the outbox row in the same transaction.

Every function takes the caller's session and does not commit: the caller's transaction makes the
decision, its review row, its audit entry and (on approval) its forward row one atomic change.
Corrections and rejections also write training labels (origin ``review``) for retraining.

    create_case / attach_post       triage opens cases and groups near-duplicates
    approve_case                    accept or correct, and write the outbox row
    reject_case                     not a complaint (posts archived)
    merge_cases / split_post        fix the grouping of near-duplicates
    skip_case                       record that a reviewer passed over a case
    reopen_case                     undo a decision whose forward was not sent yet
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import SYSTEM, record_audit
from store.exceptions import StaleAction, StoreError
from store.repository import content_hash
from store.tables import Case, Forward, PostRow, Review, TrainingLabel

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
    location=None,
) -> Case:
    """Open a new case for ``post`` (awaiting review) and attach the post to it; ``location``
    (``store.areas.Location``, optional) says where it is."""
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
    if location is not None:
        case.location = location.key
        case.location_origin = location.origin
        case.location_candidates = list(location.candidates)
        case.location_unknown = ", ".join(location.unknown) or None
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
    hold_s: float = 0.0,
) -> Case:
    """Approve a case (optionally correcting its tags) and write its outbox rows.

    ``action`` defaults to ``correct`` when the tags change, ``accept`` otherwise, and
    ``auto_approve`` for the system. A case already decided raises StaleAction: no double forward.
    ``hold_s`` keeps the outbox rows from being due for that long (the review app's undo window,
    store.undo).
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
    # A correction teaches the model; so does an accept that overrides an earlier (reopened)
    # review label of these posts, since the latest review label wins when training.
    if actor != SYSTEM and (changed or _has_review_labels(session, case)):
        add_training_labels(
            session=session,
            case=case,
            reviewer=actor,
            is_complaint=True,
            agency=new_agency,
            topic=new_topic,
        )
    case.agency, case.topic = new_agency, new_topic
    case.state = "approved"
    case.decided_by = actor
    case.decided_at = datetime.now(UTC)
    due = case.decided_at + timedelta(seconds=hold_s)
    for target in targets:
        existing = session.scalars(
            select(Forward).where(Forward.case_id == case.id, Forward.target == target)
        ).one_or_none()
        if existing is None:
            session.add(
                Forward(case_id=case.id, target=target, state="pending", next_attempt_at=due)
            )
        elif existing.state == "cancelled":
            existing.state, existing.next_attempt_at = "pending", due
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
    if actor != SYSTEM:
        add_training_labels(
            session=session, case=case, reviewer=actor, is_complaint=False, agency=None, topic=None
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


def add_training_labels(
    *,
    session: Session,
    case: Case,
    reviewer: str,
    is_complaint: bool,
    agency: str | None,
    topic: str | None,
) -> int:
    """One training label per distinct text among the case's posts; returns how many."""
    posts = session.scalars(
        select(PostRow).where(PostRow.case_id == case.id).order_by(PostRow.id)
    ).all()
    seen: set[str] = set()
    for post in posts:
        text_hash = content_hash(post.text)
        if text_hash in seen:
            continue
        seen.add(text_hash)
        session.add(
            TrainingLabel(
                text=post.text,
                text_hash=text_hash,
                is_complaint=is_complaint,
                agency=agency,
                topic=topic,
                origin="review",
                reviewer=reviewer,
                post_id=post.id,
                provenance={"case_id": case.id, "source": post.source},
                text_created_at=post.created_at,
            )
        )
    return len(seen)


def _has_review_labels(session: Session, case: Case) -> bool:
    query = (
        select(TrainingLabel.id)
        .join(PostRow, PostRow.id == TrainingLabel.post_id)
        .where(PostRow.case_id == case.id, TrainingLabel.origin == "review")
        .limit(1)
    )
    return session.scalar(query) is not None


def _require_open(case: Case) -> None:
    if case.state != "open":
        raise StaleAction(
            f"case {case.id} is already {case.state} (by {case.decided_by or 'someone else'})"
        )


def merge_cases(
    *,
    session: Session,
    case_id: int,
    into_case_id: int,
    actor: str,
    expected_version: int | None = None,
) -> Case:
    """Move every post of ``case_id`` into ``into_case_id``; the first case becomes ``merged``."""
    if case_id == into_case_id:
        raise StoreError("a case cannot be merged into itself")
    case = get_case_for_update(session=session, case_id=case_id, expected_version=expected_version)
    target = get_case_for_update(session=session, case_id=into_case_id, expected_version=None)
    _require_open(case)
    _require_open(target)
    before, target_before = case_snapshot(case), case_snapshot(target)
    posts = session.scalars(select(PostRow).where(PostRow.case_id == case.id)).all()
    for post in posts:
        attach_post(session=session, case=target, post=post)
    target.urgency = max(target.urgency, case.urgency)
    case.state = "merged"
    case.merged_into_id = target.id
    case.decided_by = actor
    case.decided_at = datetime.now(UTC)
    note = f"merged into case {target.id}"
    session.add(Review(case_id=case.id, reviewer=actor, action="merge", note=note))
    session.add(
        Review(case_id=target.id, reviewer=actor, action="merge", note=f"case {case.id} merged in")
    )
    session.flush()
    after = case_snapshot(case) | {"merged_into": target.id, "posts": [p.id for p in posts]}
    record_audit(
        session=session,
        actor=actor,
        action="case.merge",
        object_type="case",
        object_id=case.id,
        before=before | {"into_before": target_before},
        after=after,
    )
    return target


def split_post(
    *,
    session: Session,
    case_id: int,
    post_id: int,
    actor: str,
    expected_version: int | None = None,
) -> Case:
    """Take one post out of an open case into a new open case of its own (same tags)."""
    case = get_case_for_update(session=session, case_id=case_id, expected_version=expected_version)
    _require_open(case)
    post = session.get(PostRow, post_id)
    if post is None or post.case_id != case.id:
        raise StoreError(f"post {post_id} is not in case {case_id}")
    others = session.scalars(
        select(PostRow)
        .where(PostRow.case_id == case.id, PostRow.id != post.id)
        .order_by(PostRow.created_at, PostRow.id)
    ).all()
    if not others:
        raise StoreError(f"post {post_id} is the only post of case {case_id}; nothing to split")
    new_case = Case(
        state="open",
        agency=case.agency,
        topic=case.topic,
        agency_confidence=case.agency_confidence,
        topic_confidence=case.topic_confidence,
        urgency=case.urgency,
        representative_post_id=post.id,
        first_post_at=post.created_at,
    )
    session.add(new_case)
    session.flush()
    post.case_id = new_case.id
    case.first_post_at = others[0].created_at
    if case.representative_post_id == post.id:
        case.representative_post_id = others[0].id
    case.updated_at = datetime.now(
        UTC
    )  # bumps the version: forms showing the old grouping go stale
    session.add(
        Review(
            case_id=case.id,
            reviewer=actor,
            action="split",
            note=f"post {post.id} -> case {new_case.id}",
        )
    )
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="case.split",
        object_type="case",
        object_id=case.id,
        before={"post": post.id, "case": case.id},
        after={"post": post.id, "case": new_case.id},
    )
    return new_case


def skip_case(
    *, session: Session, case_id: int, actor: str, expected_version: int | None = None
) -> Case:
    """Record that ``actor`` passed over an open case (it leaves their queue, not others')."""
    case = get_case_for_update(session=session, case_id=case_id, expected_version=expected_version)
    _require_open(case)
    session.add(Review(case_id=case.id, reviewer=actor, action="skip"))
    record_audit(
        session=session,
        actor=actor,
        action="case.skip",
        object_type="case",
        object_id=case.id,
        before=case_snapshot(case),
        after=case_snapshot(case),
    )
    return case


def reopen_case(
    *, session: Session, case_id: int, actor: str, expected_version: int | None = None
) -> Case:
    """Undo an approval (e.g. an auto-approval) or a rejection: the case is open again.

    Pending forwards are cancelled. A forward that is being sent or was sent (or may have been:
    ``unknown``) cannot be undone, because LAPOR! already has the complaint: StoreError says so.
    """
    case = get_case_for_update(session=session, case_id=case_id, expected_version=expected_version)
    if case.state not in ("approved", "rejected"):
        raise StaleAction(f"case {case_id} is {case.state}; only approved or rejected reopen")
    forwards = session.scalars(select(Forward).where(Forward.case_id == case.id)).all()
    gone = [f for f in forwards if f.state in ("sending", "sent", "unknown")]
    if gone:
        ids = ", ".join(f.complaint_id or f"forward {f.id} ({f.state})" for f in gone)
        raise StoreError(
            f"case {case_id} was already sent to LAPOR! ({ids}); it cannot be undone here, "
            "withdraw it in LAPOR! itself"
        )
    before = case_snapshot(case)
    for forward in forwards:
        if forward.state in ("pending", "failed"):
            forward.state = "cancelled"
    if case.state == "rejected":
        for post in session.scalars(select(PostRow).where(PostRow.case_id == case.id)):
            post.state = "in_case"
    session.add(
        Review(
            case_id=case.id,
            reviewer=actor,
            action="reopen",
            agency_before=case.agency,
            topic_before=case.topic,
            note=f"was {case.state} by {case.decided_by}",
        )
    )
    case.state = "open"
    case.decided_by = None
    case.decided_at = None
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="case.reopen",
        object_type="case",
        object_id=case.id,
        before=before,
        after=case_snapshot(case),
    )
    return case
