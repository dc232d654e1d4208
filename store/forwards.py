"""The outbox (``forwards``): claim due rows, record every outcome, reconcile, status history.

A row's way:  pending --claim--> sending --> sent | pending (retry) | failed | unknown
The claim commits ``sending`` (with a lease in ``next_attempt_at``) BEFORE the request is made, so a
crash after the request may have reached LAPOR! leaves ``sending``; once the lease has passed,
``recover_stale`` turns it into ``unknown``, which only a human resolves (``reconcile``).

Outcomes are written with a guard on (id, attempts, state): the outcome of attempt N only lands if
the row is still in attempt N and nobody decided meanwhile. ``unknown`` is accepted as a "from"
state because the lease may expire under a slow but live sender, whose answer is then the truth.

Claims are safe with several senders: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite one
``UPDATE ... WHERE id IN (first due rows) AND state = 'pending' RETURNING`` statement (SQLite has
one writer at a time, and the state guard makes a second claim of the same row match nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from store.audit import record_audit
from store.exceptions import StaleAction, StoreError
from store.tables import AuditEntry, Case, Forward, PostRow

# The sender's hot path uses Core statements on the tables (no ORM unit of work): it runs once
# per forward, thousands of times per run.
F, C, P, A = Forward.__table__, Case.__table__, PostRow.__table__, AuditEntry.__table__

SYSTEM = "system"
_NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class ForwardContext:
    """What a sender needs to compose one forward: the row's ids, its case and the case's posts
    (rows with the columns of ``cases`` and id/case_id/text/url/created_at/source of ``posts``,
    the representative post first)."""

    forward_id: int
    target: str
    attempt: int
    case: Any
    posts: Sequence[Any]


@dataclass(frozen=True)
class Claimed:
    """A row now in ``sending`` (committed) with the payload to send."""

    forward_id: int
    case_id: int
    target: str
    attempt: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class Blocked:
    """A due row that could not be composed (e.g. missing mapping): left pending, not sent."""

    forward_id: int
    case_id: int
    reason: str


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


def claim_next(
    *,
    factory: sessionmaker[Session],
    now: datetime,
    lease_until: datetime,
    blocked_until: datetime,
    prepare: Callable[[ForwardContext], dict[str, Any]],
    targets: Sequence[str] = ("lapor",),
) -> Claimed | Blocked | None:
    """Claim the next due row (see ``claim_due``); None when nothing is due."""
    got = claim_due(
        factory=factory,
        now=now,
        lease_until=lease_until,
        blocked_until=blocked_until,
        prepare=prepare,
        targets=targets,
        limit=1,
    )
    return got[0] if got else None


def claim_due(
    *,
    factory: sessionmaker[Session],
    now: datetime,
    lease_until: datetime,
    blocked_until: datetime,
    prepare: Callable[[ForwardContext], dict[str, Any]],
    targets: Sequence[str] = ("lapor",),
    limit: int = 1,
) -> list[Claimed | Blocked]:
    """Claim up to ``limit`` due rows of ``targets``, compose each with ``prepare`` and commit them
    as ``sending`` (one transaction). The caller sends all of them at once.

    If ``prepare`` raises, that row stays ``pending`` with ``last_error = "blocked: ..."`` and is
    not due again before ``blocked_until`` (no attempt is counted). Empty when nothing is due.
    """
    due = (F.c.state == "pending") & (F.c.next_attempt_at <= now) & F.c.target.in_(list(targets))
    claim = {"state": "sending", "attempts": F.c.attempts + 1, "next_attempt_at": lease_until}
    with factory.begin() as session:
        conn = session.connection()
        first = select(F.c.id).where(due).order_by(F.c.next_attempt_at, F.c.id).limit(limit)
        if conn.dialect.name == "postgresql":
            ids = conn.execute(first.with_for_update(skip_locked=True)).scalars().all()
            if not ids:
                return []
            guard = F.c.id.in_(ids)
        else:  # one statement: SQLite takes the write lock first, the state guard does the rest
            guard = F.c.id.in_(first.scalar_subquery())
        rows = conn.execute(
            update(F)
            .where(guard, F.c.state == "pending")
            .values(**claim)
            .returning(F.c.id, F.c.case_id, F.c.target, F.c.attempts)
        ).all()
        if not rows:
            return []
        case_ids = {row.case_id for row in rows}
        cases = {c.id: c for c in conn.execute(select(C).where(C.c.id.in_(case_ids)))}
        posts: dict[int, list[Any]] = {case_id: [] for case_id in case_ids}
        for post in conn.execute(
            select(P.c.id, P.c.case_id, P.c.text, P.c.url, P.c.created_at, P.c.source)
            .where(P.c.case_id.in_(case_ids))
            .order_by(P.c.created_at, P.c.id)
        ):
            posts[post.case_id].append(post)
        out: list[Claimed | Blocked] = []
        for row in sorted(rows, key=lambda r: r.id):
            case_row = cases[row.case_id]
            first_post = case_row.representative_post_id
            ordered = sorted(posts[row.case_id], key=lambda p, f=first_post: p.id != f)
            context = ForwardContext(row.id, row.target, row.attempts, case_row, ordered)
            try:
                payload = prepare(context)
            except Exception as exc:  # anything that stops composing blocks the row visibly
                reason = f"blocked: {exc}"
                conn.execute(
                    update(F)
                    .where(F.c.id == row.id)
                    .values(
                        state="pending",
                        attempts=F.c.attempts - 1,
                        next_attempt_at=blocked_until,
                        last_error=reason,
                    )
                )
                out.append(Blocked(forward_id=row.id, case_id=row.case_id, reason=reason))
                continue
            out.append(Claimed(row.id, row.case_id, row.target, row.attempts, payload))
        payloads = [{"fid": c.forward_id, "body": c.payload} for c in out if isinstance(c, Claimed)]
        if payloads:  # one executemany: the payload as it will be sent
            conn.execute(
                update(F).where(F.c.id == bindparam("fid")).values(payload=bindparam("body")),
                payloads,
            )
        return out


@dataclass(frozen=True)
class Outcome:
    """What attempt ``attempt`` of a forward came to.

    state: ``sent`` (with complaint_id) | ``pending`` (retry at next_attempt_at) | ``failed`` |
    ``unknown`` | ``released`` (given back uncounted, e.g. our credentials were rejected).
    """

    forward_id: int
    attempt: int
    state: str
    error: str | None = None
    complaint_id: str | None = None
    next_attempt_at: datetime | None = None


def _outcome_values(outcome: Outcome, now: datetime) -> tuple[dict[str, Any], tuple[str, ...]]:
    """(column values, states the row may be in) of an outcome."""
    either = ("sending", "unknown")
    if outcome.state == "sent":
        values = {"complaint_id": outcome.complaint_id, "sent_at": now, "last_error": None}
        return {"state": "sent", **values}, either
    if outcome.state == "pending":
        values = {"last_error": outcome.error, "next_attempt_at": outcome.next_attempt_at}
        return {"state": "pending", **values}, either
    if outcome.state == "failed":
        return {"state": "failed", "last_error": outcome.error}, either
    if outcome.state == "unknown":
        return {"state": "unknown", "last_error": outcome.error}, ("sending",)
    if outcome.state == "released":
        values = {
            "attempts": F.c.attempts - 1,
            "last_error": outcome.error,
            "next_attempt_at": outcome.next_attempt_at,
        }
        return {"state": "pending", **values}, ("sending",)
    raise ValueError(f"unknown outcome state {outcome.state!r}")


def record_outcomes(
    *, factory: sessionmaker[Session], outcomes: Sequence[Outcome], now: datetime
) -> list[bool]:
    """Write outcomes in one transaction, each guarded by (id, attempt, state): the outcome of
    attempt N only lands if the row is still in attempt N and nobody decided meanwhile (False).
    Sent, failed and unknown outcomes get an audit entry."""
    done: list[bool] = []
    with factory.begin() as session:
        conn = session.connection()
        audits = []
        for outcome in outcomes:
            values, from_states = _outcome_values(outcome, now)
            result = conn.execute(
                update(F)
                .where(
                    F.c.id == outcome.forward_id,
                    F.c.attempts == outcome.attempt,
                    F.c.state.in_(from_states),
                )
                .values(**values)
            )
            done.append(result.rowcount == 1)
            if done[-1] and outcome.state in ("sent", "failed", "unknown"):
                after = (
                    {"complaint_id": outcome.complaint_id}
                    if outcome.state == "sent"
                    else {"last_error": outcome.error}
                )
                audits.append(_audit_values(outcome.forward_id, f"forward.{outcome.state}", after))
        if audits:
            conn.execute(insert(A), audits)
    return done


def _audit_values(forward_id: int, action: str, after: dict[str, Any]) -> dict[str, Any]:
    """An audit entry of the sender (the row ``record_audit`` would write)."""
    return {
        "actor": SYSTEM,
        "action": action,
        "object_type": "forward",
        "object_id": str(forward_id),
        "before": None,
        "after": after,
        "at": datetime.now(UTC),
    }


def _one(factory: sessionmaker[Session], outcome: Outcome, now: datetime | None = None) -> bool:
    return record_outcomes(factory=factory, outcomes=[outcome], now=now or datetime.now(UTC))[0]


def mark_sent(
    *,
    factory: sessionmaker[Session],
    forward_id: int,
    attempt: int,
    complaint_id: str,
    now: datetime,
) -> bool:
    """Attempt ``attempt`` created ``complaint_id``; False if the row was decided meanwhile."""
    return _one(factory, Outcome(forward_id, attempt, "sent", complaint_id=complaint_id), now)


def retry_outcome(
    *, forward_id: int, attempt: int, error: str, next_attempt_at: datetime, max_attempts: int
) -> Outcome:
    """A definite failure: ``pending`` again at ``next_attempt_at``, or ``failed`` with the reason
    after the last attempt."""
    if attempt >= max_attempts:
        return Outcome(forward_id, attempt, "failed", f"gave up after {attempt} attempts: {error}")
    return Outcome(forward_id, attempt, "pending", error, next_attempt_at=next_attempt_at)


def mark_retry(
    *,
    factory: sessionmaker[Session],
    forward_id: int,
    attempt: int,
    error: str,
    next_attempt_at: datetime,
    max_attempts: int,
) -> str | None:
    """``retry_outcome`` recorded; returns the new state (None if decided meanwhile)."""
    outcome = retry_outcome(
        forward_id=forward_id,
        attempt=attempt,
        error=error,
        next_attempt_at=next_attempt_at,
        max_attempts=max_attempts,
    )
    return outcome.state if _one(factory, outcome) else None


def mark_failed(
    *, factory: sessionmaker[Session], forward_id: int, attempt: int, error: str
) -> bool:
    """A failure that retrying will not fix (e.g. LAPOR!'s validation messages)."""
    return _one(factory, Outcome(forward_id, attempt, "failed", error))


def mark_unknown(
    *, factory: sessionmaker[Session], forward_id: int, attempt: int, error: str
) -> bool:
    """The request may have reached the target: never resent until a human reconciles."""
    return _one(factory, Outcome(forward_id, attempt, "unknown", error))


def release(
    *,
    factory: sessionmaker[Session],
    forward_id: int,
    attempt: int,
    error: str,
    next_attempt_at: datetime,
) -> bool:
    """Give a claimed row back uncounted (the failure was not the row's: e.g. auth rejected)."""
    outcome = Outcome(forward_id, attempt, "released", error, next_attempt_at=next_attempt_at)
    return _one(factory, outcome)


def recover_stale(*, factory: sessionmaker[Session], now: datetime) -> list[int]:
    """Rows left in ``sending`` past their lease (the sender died): ``unknown``, never resent."""
    with factory.begin() as session:
        rows = session.execute(
            update(Forward)
            .where(Forward.state == "sending", Forward.next_attempt_at < now)
            .values(
                state="unknown",
                last_error="the sender stopped while this row was being sent; the request may "
                "have reached the target: check there, then `aduan lapor reconcile`",
            )
            .returning(Forward.id, Forward.attempts),
            execution_options=_NO_SYNC,
        ).all()
        for row in rows:
            _audit_once(
                session,
                row.id,
                "forward.unknown",
                {"reason": "stale lease", "attempt": row.attempts},
            )
        return [row.id for row in rows]


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


def _audit_once(session: Session, forward_id: int, action: str, after: dict[str, Any]) -> None:
    session.connection().execute(insert(A).values(**_audit_values(forward_id, action, after)))
