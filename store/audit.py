"""The audit log: who did what, when, with the state before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from store.tables import AuditEntry, Case

SYSTEM = "system"  # the actor of what no person did (auto-approval, the outbox's own steps)


def record_audit(
    *,
    session: Session,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add one audit entry to the caller's transaction (never a password or secret in it)."""
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            before=before,
            after=after,
        )
    )


def case_snapshot(case: Case) -> dict[str, Any]:
    """The fields of a case that the audit log keeps before and after a change."""
    return {
        "state": case.state,
        "agency": case.agency,
        "topic": case.topic,
        "decided_by": case.decided_by,
    }
