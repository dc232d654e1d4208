"""The case table's statements: open a case, attach posts, lock one for a decision, and the rows a
decision writes (reviews, forwards, training labels). The rules are in cases/states.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.exceptions import StaleAction, StoreError
from store.repository import content_hash
from store.tables import Case, Forward, PostRow, Review, TrainingLabel


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
        raise StoreError(f"case {case_id} does not exist", pesan="tidak ditemukan.")
    if expected_version is not None and case.version != expected_version:
        raise StaleAction(
            f"case {case_id} was changed by {case.decided_by or 'someone else'} meanwhile; "
            "reload it"
        )
    return case


def case_posts(*, session: Session, case_id: int) -> list[PostRow]:
    """The case's posts in id order."""
    return list(
        session.scalars(select(PostRow).where(PostRow.case_id == case_id).order_by(PostRow.id))
    )


def set_posts_state(*, session: Session, case_id: int, state: str) -> None:
    """Put every post of the case into ``state`` (``archived`` on rejection, ``in_case`` back)."""
    for post in session.scalars(select(PostRow).where(PostRow.case_id == case_id)):
        post.state = state


def add_review(
    *,
    session: Session,
    case_id: int,
    reviewer: str,
    action: str,
    agency_before: str | None = None,
    agency_after: str | None = None,
    topic_before: str | None = None,
    topic_after: str | None = None,
    note: str | None = None,
) -> None:
    """One row of the case's review history (who did what, the tags before and after)."""
    session.add(
        Review(
            case_id=case_id,
            reviewer=reviewer,
            action=action,
            agency_before=agency_before,
            agency_after=agency_after,
            topic_before=topic_before,
            topic_after=topic_after,
            note=note,
        )
    )


def case_forwards(*, session: Session, case_id: int) -> list[Forward]:
    """The case's outbox rows (one per target)."""
    return list(session.scalars(select(Forward).where(Forward.case_id == case_id)))


def write_forwards(
    *, session: Session, case_id: int, targets: tuple[str, ...], due: datetime
) -> None:
    """A pending outbox row per target, due at ``due``; a cancelled one is pending again."""
    for target in targets:
        existing = session.scalars(
            select(Forward).where(Forward.case_id == case_id, Forward.target == target)
        ).one_or_none()
        if existing is None:
            session.add(
                Forward(case_id=case_id, target=target, state="pending", next_attempt_at=due)
            )
        elif existing.state == "cancelled":
            existing.state, existing.next_attempt_at = "pending", due


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


def has_review_labels(*, session: Session, case_id: int) -> bool:
    """True when a facilitator's decision already wrote training labels for the case's posts."""
    query = (
        select(TrainingLabel.id)
        .join(PostRow, PostRow.id == TrainingLabel.post_id)
        .where(PostRow.case_id == case_id, TrainingLabel.origin == "review")
        .limit(1)
    )
    return session.scalar(query) is not None
