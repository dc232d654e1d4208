"""Undo ("Batalkan") a facilitator's approval while its forward is still held back.

A facilitator's accept or correction writes the outbox row with ``next_attempt_at`` a few
seconds ahead (``hold_s`` of cases.states.approve_case): the forwarder does not claim it before
then, so the decision can still be taken back. The cancel is one conditional UPDATE (still
``pending`` and not yet due), so a forwarder that claimed the row meanwhile wins and the undo
says it came too late; nothing is sent and then undone, nothing undone is sent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from store.audit import case_snapshot, record_audit
from store.cases import get_case_for_update
from store.exceptions import StaleAction
from store.tables import Case, Forward, PostRow, Review, TrainingLabel

__all__ = ["TooLate", "undo_approval", "undo_deadline"]


class TooLate(StaleAction):
    """The forward is due or already claimed: the approval stands."""


def undo_deadline(*, session: Session, case_id: int) -> datetime | None:
    """Until when the case's approval can be undone (its pending forwards' earliest due time)."""
    due = session.scalars(
        select(Forward.next_attempt_at).where(
            Forward.case_id == case_id, Forward.state == "pending"
        )
    ).all()
    return min(due) if due else None


def undo_approval(
    *, session: Session, case_id: int, actor: str, now: datetime | None = None
) -> Case:
    """Take back ``actor``'s approval of ``case_id``: the case is open again, its forwards are
    cancelled. TooLate when a forward is due, claimed or sent, or someone else decided it."""
    now = now or datetime.now(UTC)
    case = get_case_for_update(session=session, case_id=case_id, expected_version=None)
    if case.state != "approved" or case.decided_by != actor:
        raise TooLate(f"case {case_id} is {case.state} (by {case.decided_by or '-'})")
    forwards = session.scalars(select(Forward).where(Forward.case_id == case.id)).all()
    cancelled = session.execute(
        update(Forward)
        .where(
            Forward.case_id == case.id,
            Forward.state == "pending",
            Forward.next_attempt_at > now,
        )
        .values(state="cancelled")
        .execution_options(synchronize_session=False)
    ).rowcount
    if cancelled != len(forwards):
        raise TooLate(f"case {case_id} is already on its way to LAPOR!")
    before = case_snapshot(case)
    _drop_labels_of(session, case, actor)
    session.add(
        Review(
            case_id=case.id,
            reviewer=actor,
            action="undo",
            agency_before=case.agency,
            topic_before=case.topic,
        )
    )
    case.state, case.decided_by, case.decided_at = "open", None, None
    session.flush()
    for forward in forwards:
        session.refresh(forward)
    record_audit(
        session=session,
        actor=actor,
        action="case.undo",
        object_type="case",
        object_id=case.id,
        before=before,
        after=case_snapshot(case),
    )
    return case


def _drop_labels_of(session: Session, case: Case, actor: str) -> None:
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
