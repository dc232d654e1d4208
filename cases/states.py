"""The case state machine: which decision each state allows (open -> approved, rejected or merged;
approved or rejected -> open again; archived post -> open case), what it teaches, what it audits."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from store.archive import ARCHIVED, claim_archived
from store.audit import SYSTEM, case_snapshot, record_audit
from store.cases import (
    add_review,
    add_training_labels,
    attach_post,
    case_forwards,
    case_posts,
    create_case,
    get_case_for_update,
    has_review_labels,
    set_posts_state,
    write_forwards,
)
from store.exceptions import StaleAction, StoreError
from store.tables import Case, Forward
from store.undo import cancel_held_forwards, drop_decision_labels, last_approval

# Every function takes the caller's session and does not commit: the caller's transaction makes
# the decision, its review row, its audit entry and (on approval) its outbox rows one change.
DECIDED = ("approved", "rejected", "merged")
REOPENABLE = ("approved", "rejected")
IN_LAPOR = ("sending", "sent", "unknown")  # forward states LAPOR! may already have


class TooLate(StaleAction):
    """The forward is due or already claimed: the approval stands."""


def require_open(case: Case) -> None:
    """StaleAction unless the case is open (someone decided it meanwhile)."""
    if case.state != "open":
        raise StaleAction(
            f"case {case.id} is already {case.state} (by {case.decided_by or 'someone else'})"
        )


def _require_undecided(case: Case) -> None:
    if case.state in DECIDED:
        raise StaleAction(f"case {case.id} is already {case.state} (by {case.decided_by})")


def audit_case(session: Session, actor: str, action: str, case_id: int, before, after) -> None:
    """One audit-log entry of a decision on case ``case_id`` (its snapshots before and after)."""
    record_audit(
        session=session,
        actor=actor,
        action=action,
        object_type="case",
        object_id=case_id,
        before=before,
        after=after,
    )


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
    undo_approval).
    """
    case = get_case_for_update(session=session, case_id=case_id, expected_version=expected_version)
    _require_undecided(case)
    before = case_snapshot(case)
    new_agency = agency or case.agency
    new_topic = topic or case.topic
    changed = (new_agency, new_topic) != (case.agency, case.topic)
    if action is None:
        action = "auto_approve" if actor == SYSTEM else ("correct" if changed else "accept")
    add_review(
        session=session,
        case_id=case.id,
        reviewer=actor,
        action=action,
        agency_before=case.agency,
        agency_after=new_agency,
        topic_before=case.topic,
        topic_after=new_topic,
    )
    # A correction teaches the model; so does an accept that overrides an earlier (reopened)
    # review label of these posts, since the latest review label wins when training.
    if actor != SYSTEM and (changed or has_review_labels(session=session, case_id=case.id)):
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
    write_forwards(session=session, case_id=case.id, targets=targets, due=due)
    session.flush()
    audit_case(session, actor, f"case.{action}", case.id, before, case_snapshot(case))
    return case


def reject_case(
    *, session: Session, case_id: int, actor: str, expected_version: int | None = None
) -> Case:
    """Mark a case as not a complaint (its posts are archived)."""
    case = get_case_for_update(session=session, case_id=case_id, expected_version=expected_version)
    _require_undecided(case)
    before = case_snapshot(case)
    add_review(
        session=session,
        case_id=case.id,
        reviewer=actor,
        action="reject",
        agency_before=case.agency,
        topic_before=case.topic,
    )
    if actor != SYSTEM:  # a facilitator's "not a complaint" teaches the relevance head
        add_training_labels(
            session=session, case=case, reviewer=actor, is_complaint=False, agency=None, topic=None
        )
    case.state = "rejected"
    case.decided_by = actor
    case.decided_at = datetime.now(UTC)
    set_posts_state(session=session, case_id=case.id, state="archived")
    session.flush()
    audit_case(session, actor, "case.reject", case.id, before, case_snapshot(case))
    return case


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
        raise StoreError(
            "a case cannot be merged into itself",
            pesan="kasus tidak bisa digabung ke dirinya sendiri.",
        )
    case = get_case_for_update(session=session, case_id=case_id, expected_version=expected_version)
    target = get_case_for_update(session=session, case_id=into_case_id, expected_version=None)
    require_open(case)
    require_open(target)
    before, target_before = case_snapshot(case), case_snapshot(target)
    posts = case_posts(session=session, case_id=case.id)
    for post in posts:
        attach_post(session=session, case=target, post=post)
    target.urgency = max(target.urgency, case.urgency)
    case.state = "merged"
    case.merged_into_id = target.id
    case.decided_by = actor
    case.decided_at = datetime.now(UTC)
    note = f"merged into case {target.id}"
    add_review(session=session, case_id=case.id, reviewer=actor, action="merge", note=note)
    note = f"case {case.id} merged in"
    add_review(session=session, case_id=target.id, reviewer=actor, action="merge", note=note)
    session.flush()
    after = case_snapshot(case) | {"merged_into": target.id, "posts": [p.id for p in posts]}
    audit_case(
        session, actor, "case.merge", case.id, before | {"into_before": target_before}, after
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
    require_open(case)
    posts = case_posts(session=session, case_id=case.id)
    post = next((p for p in posts if p.id == post_id), None)
    if post is None:
        raise StoreError(
            f"post {post_id} is not in case {case_id}",
            pesan=f"posting {post_id} tidak ada di kasus ini.",
        )
    others = sorted((p for p in posts if p.id != post.id), key=lambda p: (p.created_at, p.id))
    if not others:
        raise StoreError(
            f"post {post_id} is the only post of case {case_id}; nothing to split",
            pesan="posting ini satu-satunya di kasus; tidak ada yang dipisah.",
        )
    new_case = create_case(
        session=session,
        post=post,
        agency=case.agency,
        topic=case.topic,
        agency_confidence=case.agency_confidence,
        topic_confidence=case.topic_confidence,
        urgency=case.urgency,
    )
    case.first_post_at = others[0].created_at
    if case.representative_post_id == post.id:
        case.representative_post_id = others[0].id
    case.updated_at = datetime.now(UTC)  # a new version: forms of the old grouping go stale
    note = f"post {post.id} -> case {new_case.id}"
    add_review(session=session, case_id=case.id, reviewer=actor, action="split", note=note)
    session.flush()
    before, after = {"post": post.id, "case": case.id}, {"post": post.id, "case": new_case.id}
    audit_case(session, actor, "case.split", case.id, before, after)
    return new_case


def skip_case(
    *, session: Session, case_id: int, actor: str, expected_version: int | None = None
) -> Case:
    """Record that ``actor`` passed over an open case (it leaves their queue, not others')."""
    case = get_case_for_update(session=session, case_id=case_id, expected_version=expected_version)
    require_open(case)
    add_review(session=session, case_id=case.id, reviewer=actor, action="skip")
    audit_case(session, actor, "case.skip", case.id, case_snapshot(case), case_snapshot(case))
    return case


def in_lapor(forwards: Iterable[Forward]) -> list[Forward]:
    """The forwards LAPOR! has or may have (being sent, sent, unknown): no reopening then."""
    return [f for f in forwards if f.state in IN_LAPOR]


def can_reopen(case: Case, forwards: Iterable[Forward]) -> bool:
    """Whether reopen_case would open ``case`` (with its ``forwards``) again: for the pages."""
    return case.state in REOPENABLE and not in_lapor(forwards)


def reopen_case(
    *, session: Session, case_id: int, actor: str, expected_version: int | None = None
) -> Case:
    """Undo an approval (e.g. an auto-approval) or a rejection: the case is open again, and the
    training labels that decision wrote are dropped (the next decision writes its own).

    Pending forwards are cancelled. A forward that is being sent or was sent (or may have been:
    ``unknown``) cannot be undone, because LAPOR! already has the complaint: StoreError says so.
    """
    case = get_case_for_update(session=session, case_id=case_id, expected_version=expected_version)
    if case.state not in REOPENABLE:
        raise StaleAction(f"case {case_id} is {case.state}; only approved or rejected reopen")
    forwards = case_forwards(session=session, case_id=case.id)
    gone = in_lapor(forwards)
    if gone:
        ids = ", ".join(f.complaint_id or f"forward {f.id} ({f.state})" for f in gone)
        raise StoreError(
            f"case {case_id} was already sent to LAPOR! ({ids}); it cannot be undone here, "
            "withdraw it in LAPOR! itself",
            pesan=f"sudah terkirim ke LAPOR! ({ids}), tidak bisa dibatalkan di sini; "
            "tarik aduannya di LAPOR! sendiri.",
        )
    before = case_snapshot(case)
    for forward in forwards:
        if forward.state in ("pending", "failed"):
            forward.state = "cancelled"
    if case.decided_by:  # a withdrawn decision teaches nothing: the labels it wrote go
        drop_decision_labels(session=session, case=case, actor=case.decided_by)
    if case.state == "rejected":
        set_posts_state(session=session, case_id=case.id, state="in_case")
    add_review(
        session=session,
        case_id=case.id,
        reviewer=actor,
        action="reopen",
        agency_before=case.agency,
        topic_before=case.topic,
        note=f"was {case.state} by {case.decided_by}",
    )
    case.state = "open"
    case.decided_by = None
    case.decided_at = None
    session.flush()
    audit_case(session, actor, "case.reopen", case.id, before, case_snapshot(case))
    return case


def undo_approval(
    *, session: Session, case_id: int, actor: str, now: datetime | None = None
) -> Case:
    """Take back ``actor``'s approval of ``case_id`` ("Batalkan") while its forwards are held back
    (``hold_s`` of approve_case): the case is open again, its forwards are cancelled and the labels
    it wrote are dropped. TooLate when a forward is due, claimed or sent, or someone else decided
    it: a forwarder that claimed the row meanwhile wins, so nothing is sent and then undone."""
    now = now or datetime.now(UTC)
    case = get_case_for_update(session=session, case_id=case_id, expected_version=None)
    if case.state != "approved" or case.decided_by != actor:
        raise TooLate(f"case {case_id} is {case.state} (by {case.decided_by or '-'})")
    if not cancel_held_forwards(session=session, case_id=case.id, now=now):
        raise TooLate(f"case {case_id} is already on its way to LAPOR!")
    before = case_snapshot(case)
    drop_decision_labels(session=session, case=case, actor=actor)
    approval = last_approval(session=session, case_id=case.id, actor=actor)
    agency, topic = case.agency, case.topic
    if approval is not None:  # a correction is undone too: the tags it replaced come back
        agency, topic = approval.agency_before or agency, approval.topic_before or topic
    return _open_again(session, case, actor, before, agency=agency, topic=topic)


def undo_rejection(
    *, session: Session, case_id: int, actor: str, window_s: float, now: datetime | None = None
) -> Case:
    """Take back ``actor``'s "Bukan aduan" of ``case_id`` ("Batalkan") within ``window_s`` of it:
    the case is open again, its posts are back in it and the relevance label it wrote is dropped.
    TooLate once the window is over or when someone else decided the case meanwhile."""
    now = now or datetime.now(UTC)
    case = get_case_for_update(session=session, case_id=case_id, expected_version=None)
    if case.state != "rejected" or case.decided_by != actor:
        raise TooLate(f"case {case_id} is {case.state} (by {case.decided_by or '-'})")
    if now - case.decided_at > timedelta(seconds=window_s):
        raise TooLate(f"case {case_id} was marked not a complaint more than {window_s:.0f}s ago")
    before = case_snapshot(case)
    drop_decision_labels(session=session, case=case, actor=actor)
    set_posts_state(session=session, case_id=case.id, state="in_case")
    return _open_again(session, case, actor, before)


def _open_again(
    session: Session,
    case: Case,
    actor: str,
    before: dict,
    *,
    agency: str | None = None,
    topic: str | None = None,
) -> Case:
    """The end of every "Batalkan": an ``undo`` review (with the tags it brings back, if any),
    the case open again with them, audited."""
    add_review(
        session=session,
        case_id=case.id,
        reviewer=actor,
        action="undo",
        agency_before=case.agency,
        agency_after=agency,
        topic_before=case.topic,
        topic_after=topic,
    )
    case.agency, case.topic = agency or case.agency, topic or case.topic
    case.state, case.decided_by, case.decided_at = "open", None, None
    session.flush()
    audit_case(session, actor, "case.undo", case.id, before, case_snapshot(case))
    return case


def undo_decision(
    *, session: Session, case_id: int, actor: str, window_s: float, now: datetime | None = None
) -> str:
    """ "Batalkan" of ``actor``'s last decision on the case: an approval whose forwards are still
    held back (undo_approval) or a fresh "Bukan aduan" (undo_rejection). Which one it undid:
    ``approve`` or ``reject``."""
    case = get_case_for_update(session=session, case_id=case_id, expected_version=None)
    if case.state == "rejected":
        undo_rejection(session=session, case_id=case_id, actor=actor, window_s=window_s, now=now)
        return "reject"
    undo_approval(session=session, case_id=case_id, actor=actor, now=now)
    return "approve"


def promote_post(
    *,
    session: Session,
    post_id: int,
    actor: str,
    agencies: list[str] | None,
    urgency_of: Callable[[str | None], int] = lambda _topic: 1,
) -> Case:
    """Turn an archived post into an open case (the review queue decides its tags and LAPOR!).

    Of two facilitators promoting the same post the second gets StaleAction. Writes the review
    row, a training label (a complaint, the tags left to the facilitator who accepts the case; as
    reject_case writes one that is not: both reach ``aduan run retrain`` as relevance labels) and
    the audit entry.
    """
    post, classification = claim_archived(session=session, post_id=post_id, agencies=agencies)
    case = create_case(
        session=session,
        post=post,
        agency=classification.agency,
        topic=classification.topic,
        agency_confidence=classification.agency_confidence,
        topic_confidence=classification.topic_confidence,
        urgency=urgency_of(classification.topic) if classification.topic else 1,
    )
    add_review(
        session=session,
        case_id=case.id,
        reviewer=actor,
        action="promote",
        agency_after=case.agency,
        topic_after=case.topic,
        note=f"dari arsip, relevansi {classification.relevance:.3f}",
    )
    add_training_labels(
        session=session, case=case, reviewer=actor, is_complaint=True, agency=None, topic=None
    )
    session.flush()
    before = {"post_id": post_id, "state": ARCHIVED}
    after = {"state": case.state, "agency": case.agency, "topic": case.topic}
    audit_case(session, actor, "case.promote", case.id, before, after)
    return case
