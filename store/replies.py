"""The reply outbox (``replies``): which posts get a reply, claims, outcomes, human decisions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, exists, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased, sessionmaker

from store.audit import audit_action, record_audit
from store.exceptions import StaleAction, StoreError
from store.outbox_claims import claim_rows, record_guarded
from store.tables import AuditEntry, Case, Forward, PostRow, Reply

__all__ = [
    "ClaimedReply",
    "ReplyCandidate",
    "ReplyOutcome",
    "add_replies",
    "approve_reply",
    "claim_due_replies",
    "count_replies_by_state",
    "decline_reply",
    "list_replies",
    "record_reply_outcomes",
    "recover_stale_replies",
    "replies_for_case",
    "reply_candidates",
    "reply_targets",
]

R, F, P, A = Reply.__table__, Forward.__table__, PostRow.__table__, AuditEntry.__table__
DUE_STATES = ("pending", "unknown", "blocked")
FINAL_STATES = ("sent", "failed", "gone", "cancelled")
STALE_NOTE = (
    "the sender stopped while this reply was being sent; it may be posted: the thread is read "
    "before any resend"
)


@dataclass(frozen=True)
class ReplyCandidate:
    """A citizen's post of a case whose forward reached LAPOR!, not yet answered with ``kind``."""

    case_id: int
    forward_id: int
    complaint_id: str
    status_name: str | None
    agency: str | None
    kind: str
    post_id: int
    source: str
    external_id: str
    parent_external_id: str | None
    parent_is_comment: bool


@dataclass(frozen=True)
class ClaimedReply:
    """A reply now in ``sending`` (committed). ``verify``: an earlier attempt may have posted it."""

    reply_id: int
    attempt: int
    source: str
    platform: str
    target_id: str
    text: str
    post_url: str | None
    verify: bool


@dataclass(frozen=True)
class ReplyOutcome:
    """What attempt ``attempt`` of a reply came to (states as in the module docstring, plus
    ``released``: given back uncounted)."""

    reply_row: int
    attempt: int
    state: str
    error: str | None = None
    reply_id: str | None = None
    reply_url: str | None = None
    next_attempt_at: datetime | None = None


def reply_candidates(
    *,
    session: Session,
    sources: Sequence[str],
    status_names: Sequence[str] = (),
    sent_since: datetime | None = None,
    limit: int = 1000,
) -> list[ReplyCandidate]:
    """Posts of cases sent to LAPOR! (tracking id known) from ``sources``, never the publisher's,
    without a reply of the kind due: ``sent`` always, ``status:<name>`` for ``status_names``.
    ``sent_since``: only forwards sent (or, for a status, last checked) since then."""
    if not sources:
        return []
    parent = aliased(PostRow)
    status_kind = literal("status:") + Forward.status_name
    kinds = [("sent", literal("sent"))]
    if status_names:
        kinds.append(("status", status_kind))
    out: list[ReplyCandidate] = []
    for label, kind in kinds:
        query = (
            select(
                Forward.case_id,
                Forward.id.label("forward_id"),
                Forward.complaint_id,
                Forward.status_name,
                Case.agency,
                kind.label("kind"),
                PostRow.id.label("post_id"),
                PostRow.source,
                PostRow.external_id,
                PostRow.parent_external_id,
                parent.parent_external_id.is_not(None).label("parent_is_comment"),
            )
            .join(Case, Case.id == Forward.case_id)
            .join(PostRow, PostRow.case_id == Forward.case_id)
            .outerjoin(
                parent,
                and_(
                    parent.source == PostRow.source,
                    parent.external_id == PostRow.parent_external_id,
                ),
            )
            .where(
                Forward.target == "lapor",
                Forward.state == "sent",
                Forward.complaint_id.is_not(None),
                PostRow.source.in_(list(sources)),
                PostRow.by_publisher.is_(False),
                ~exists().where(Reply.post_id == PostRow.id, Reply.kind == kind),
            )
            .order_by(Forward.id, PostRow.id)
            .limit(limit)
        )
        if label == "status":
            query = query.where(Forward.status_name.in_(list(status_names)))
        if sent_since is not None:  # a status reply: the status was seen recently
            when = Forward.status_checked_at if label == "status" else Forward.sent_at
            query = query.where(when >= sent_since)
        for row in session.execute(query):
            out.append(ReplyCandidate(**row._asdict()))
    return out


def reply_targets(*, session: Session, case_ids: Sequence[int]) -> set[tuple[int, str, str]]:
    """(case id, target comment, kind) of the replies already made for these cases."""
    if not case_ids:
        return set()
    rows = session.execute(
        select(Reply.case_id, Reply.target_id, Reply.kind).where(Reply.case_id.in_(list(case_ids)))
    )
    return {tuple(row) for row in rows}


def add_replies(*, session: Session, rows: Sequence[dict[str, Any]]) -> Counter[str]:
    """Insert reply rows; one that exists already (same post and kind) is left as it is.
    Returns how many were inserted, by state (``sum(...values())`` for the total)."""
    if not rows:
        return Counter()
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = datetime.now(UTC)
    values = [
        {"attempts": 0, "next_attempt_at": now, "created_at": now, "updated_at": now, **row}
        for row in rows
    ]
    statement = (
        make(Reply).values(values).on_conflict_do_nothing(index_elements=["post_id", "kind"])
    )
    return Counter(
        state for _, state in session.execute(statement.returning(Reply.id, Reply.state))
    )


# A row's way (lapor.replies.sender sends them):
#
#     approval --facilitator approves--> pending --claim (commit ``sending`` + lease)--> sending
#     sending --> sent       posted (reply_id, reply_url)
#             --> pending    throttled / 429: nothing was posted; retried with back-off
#             --> unknown    timeout, dropped connection, 5xx: it MAY be posted; the thread is
#                            read before any resend (every attempt after the first reads it)
#             --> gone       the citizen's comment was deleted: never retried
#             --> blocked    permission missing / token invalid: due again later, shown on the case
#             --> failed     refused (4xx) or attempts used up
#
# Claims are safe with several senders (store.outbox_claims: ``FOR UPDATE SKIP LOCKED`` on
# PostgreSQL; on SQLite the ``UPDATE ... WHERE state IN (due states)`` guard claims a row once).
# Outcomes land only if the row is still in the attempt that produced them.
def claim_due_replies(
    *,
    factory: sessionmaker[Session],
    now: datetime,
    lease_until: datetime,
    sources: Sequence[str],
    limit: int = 1,
) -> list[ClaimedReply]:
    """Claim up to ``limit`` due replies of ``sources``: ``sending`` with a lease, committed
    before the caller sends anything."""
    due = R.c.state.in_(DUE_STATES) & (R.c.next_attempt_at <= now) & R.c.source.in_(list(sources))
    with factory.begin() as session:
        conn = session.connection()
        rows = claim_rows(
            conn,
            R,
            due=due,
            states=DUE_STATES,
            values={
                "state": "sending",
                "attempts": R.c.attempts + 1,
                "next_attempt_at": lease_until,
            },
            returning=(
                R.c.id,
                R.c.attempts,
                R.c.source,
                R.c.platform,
                R.c.target_id,
                R.c.text,
                R.c.post_id,
            ),
            limit=limit,
        )
        if not rows:
            return []
        wanted = select(P.c.id, P.c.url).where(P.c.id.in_([r.post_id for r in rows]))
        urls = dict(conn.execute(wanted).tuples().all())
    return [
        ClaimedReply(
            reply_id=r.id,
            attempt=r.attempts,
            source=r.source,
            platform=r.platform,
            target_id=r.target_id,
            text=r.text,
            post_url=urls.get(r.post_id),
            verify=r.attempts > 1,
        )
        for r in sorted(rows, key=lambda r: r.id)
    ]


def _values(outcome: ReplyOutcome, now: datetime) -> tuple[dict[str, Any], tuple[str, ...]]:
    either = ("sending", "unknown")
    if outcome.state == "sent":
        values = {"reply_id": outcome.reply_id, "reply_url": outcome.reply_url, "sent_at": now}
        return {"state": "sent", "last_error": None, **values}, either
    if outcome.state in ("pending", "blocked"):
        values = {"last_error": outcome.error, "next_attempt_at": outcome.next_attempt_at}
        return {"state": outcome.state, **values}, either
    if outcome.state == "unknown":
        values = {"last_error": outcome.error, "next_attempt_at": outcome.next_attempt_at or now}
        return {"state": "unknown", **values}, ("sending",)
    if outcome.state in ("failed", "gone"):
        return {"state": outcome.state, "last_error": outcome.error}, either
    if outcome.state == "released":
        values = {
            "attempts": R.c.attempts - 1,
            "last_error": outcome.error,
            "next_attempt_at": outcome.next_attempt_at or now,
        }
        return {"state": "pending", **values}, ("sending",)
    raise ValueError(f"unknown reply outcome {outcome.state!r}")


def record_reply_outcomes(
    *, factory: sessionmaker[Session], outcomes: Sequence[ReplyOutcome], now: datetime
) -> list[bool]:
    """Write outcomes in one transaction, each guarded by (id, attempt, state); False where the
    row was decided meanwhile. Sent, failed and gone get an audit entry."""
    done: list[bool] = []
    with factory.begin() as session:
        conn = session.connection()
        audits = []
        for outcome in outcomes:
            values, states = _values(outcome, now)
            done.append(
                record_guarded(
                    conn,
                    R,
                    row_id=outcome.reply_row,
                    attempt=outcome.attempt,
                    states=states,
                    values={"updated_at": now, **values},
                )
            )
            if done[-1] and outcome.state in ("sent", "failed", "gone"):
                after = {"reply_id": outcome.reply_id} if outcome.reply_id else {}
                if outcome.error:
                    after["last_error"] = outcome.error
                audits.append(_audit(outcome.reply_row, f"reply.{outcome.state}", after, now))
        if audits:
            conn.execute(insert(A), audits)
    return done


def _audit(reply_row: int, action: str, after: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "actor": "system",
        "action": audit_action(action),
        "object_type": "reply",
        "object_id": str(reply_row),
        "before": None,
        "after": after,
        "at": now,
    }


def recover_stale_replies(*, factory: sessionmaker[Session], now: datetime) -> int:
    """Replies left in ``sending`` past their lease (the sender died): ``unknown``, due now; the
    next attempt reads the thread before it posts anything."""
    with factory.begin() as session:
        rows = session.execute(
            update(R)
            .where(R.c.state == "sending", R.c.next_attempt_at < now)
            .values(state="unknown", last_error=STALE_NOTE, next_attempt_at=now, updated_at=now)
            .returning(R.c.id)
        ).all()
        if rows:
            stale = {"reason": "stale lease"}
            audits = [_audit(r.id, "reply.unknown", stale, now) for r in rows]
            session.connection().execute(insert(A), audits)
    return len(rows)


def _decide(
    session: Session, reply_id: int, actor: str, allowed: tuple[str, ...], action: str
) -> Reply:
    query = select(Reply).where(Reply.id == reply_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        raise StoreError(f"reply {reply_id} does not exist", pesan=f"balasan {reply_id} tidak ada.")
    if row.state not in allowed:
        raise StaleAction(f"balasan {reply_id} sudah {row.state}")
    before = {"state": row.state}
    if action == "reply.approve":
        row.state, row.approved_by, row.next_attempt_at = "pending", actor, datetime.now(UTC)
    else:
        row.state, row.last_error = "cancelled", f"tidak dibalas: diputuskan oleh {actor}"
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action=action,
        object_type="reply",
        object_id=reply_id,
        before=before,
        after={"state": row.state},
    )
    return row


def approve_reply(*, session: Session, reply_id: int, actor: str) -> Reply:
    """A facilitator approves a reply waiting for approval: it is sent on the next run."""
    return _decide(session, reply_id, actor, ("approval",), "reply.approve")


def decline_reply(*, session: Session, reply_id: int, actor: str) -> Reply:
    """A facilitator decides a reply is not sent (waiting, blocked or failed ones)."""
    return _decide(session, reply_id, actor, ("approval", "blocked", "failed"), "reply.decline")


def replies_for_case(*, session: Session, case_id: int) -> list[Reply]:
    return list(session.scalars(select(Reply).where(Reply.case_id == case_id).order_by(Reply.id)))


def list_replies(
    *, session: Session, states: Sequence[str] | None = None, limit: int = 50
) -> list[Reply]:
    query = select(Reply).order_by(Reply.updated_at.desc(), Reply.id.desc()).limit(limit)
    if states:
        query = query.where(Reply.state.in_(list(states)))
    return list(session.scalars(query))


def count_replies_by_state(*, session: Session) -> dict[str, int]:
    rows = session.execute(select(Reply.state, func.count()).group_by(Reply.state))
    return {state: count for state, count in rows}
