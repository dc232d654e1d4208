"""Statements of undoing an approval whose forward is still held back (cases.states.undo_approval):
its deadline, the conditional cancel of its outbox rows, the labels it wrote."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from store.tables import Case, Forward, PostRow, Review, TrainingLabel

__all__ = ["cancel_held_forwards", "drop_decision_labels", "last_approval", "undo_deadline"]


def undo_deadline(*, session: Session, case_id: int) -> datetime | None:
    """Until when the case's approval can be undone (its pending forwards' earliest due time)."""
    due = session.scalars(
        select(Forward.next_attempt_at).where(
            Forward.case_id == case_id, Forward.state == "pending"
        )
    ).all()
    return min(due) if due else None


def cancel_held_forwards(*, session: Session, case_id: int, now: datetime) -> bool:
    """Cancel the case's outbox rows if every one is still pending and not yet due (one
    conditional UPDATE); False when one is due, claimed or sent (then nothing may be undone)."""
    forwards = session.scalars(select(Forward).where(Forward.case_id == case_id)).all()
    cancelled = session.execute(
        update(Forward)
        .where(
            Forward.case_id == case_id,
            Forward.state == "pending",
            Forward.next_attempt_at > now,
        )
        .values(state="cancelled")
        .execution_options(synchronize_session=False)
    ).rowcount
    if cancelled != len(forwards):
        return False
    for forward in forwards:
        session.refresh(forward)
    return True


def drop_decision_labels(*, session: Session, case: Case, actor: str) -> None:
    """The training labels this approval wrote (a correction's): an undone decision teaches
    nothing."""
    if case.decided_at is None:
        return
    posts = select(PostRow.id).where(PostRow.case_id == case.id)
    session.execute(
        delete(TrainingLabel)
        .where(
            TrainingLabel.post_id.in_(posts),
            TrainingLabel.origin == "review",
            TrainingLabel.reviewer == actor,
            TrainingLabel.created_at >= case.decided_at - timedelta(seconds=1),
        )
        .execution_options(synchronize_session=False)
    )


def last_approval(*, session: Session, case_id: int, actor: str) -> Review | None:
    """``actor``'s latest accept or correction of the case: the tags it replaced are on it."""
    return session.scalars(
        select(Review)
        .where(
            Review.case_id == case_id,
            Review.reviewer == actor,
            Review.action.in_(("accept", "correct")),
        )
        .order_by(Review.id.desc())
        .limit(1)
    ).first()
