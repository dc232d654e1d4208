"""What became of each claimed outbox row: sent, retry later, failed, unknown, or released."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session, sessionmaker

from store.audit import SYSTEM, audit_action
from store.outbox_claims import record_guarded
from store.tables import AuditEntry, Forward

__all__ = ["Outcome", "record_outcomes", "recover_stale"]

# Core statements on the sender's hot path, as in store.forward_claims.
F, A = Forward.__table__, AuditEntry.__table__

_NO_SYNC = {"synchronize_session": False}


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


# Outcomes are written with a guard on (id, attempts, state): the outcome of attempt N only lands if
# the row is still in attempt N and nobody decided meanwhile. ``unknown`` is accepted as a "from"
# state because the lease may expire under a slow but live sender, whose answer is then the truth.
# ``recover_stale`` turns rows left in ``sending`` past their lease (the sender died) into
# ``unknown``, which only a person resolves (lapor.reconcile). The sender's rules: lapor.outbox.
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
            done.append(
                record_guarded(
                    conn,
                    F,
                    row_id=outcome.forward_id,
                    attempt=outcome.attempt,
                    states=from_states,
                    values=values,
                )
            )
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
        "action": audit_action(action),
        "object_type": "forward",
        "object_id": str(forward_id),
        "before": None,
        "after": after,
        "at": datetime.now(UTC),
    }


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


def _audit_once(session: Session, forward_id: int, action: str, after: dict[str, Any]) -> None:
    session.connection().execute(insert(A).values(**_audit_values(forward_id, action, after)))
