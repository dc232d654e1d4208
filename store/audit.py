"""The audit log: who did what, when, with the state before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from store.tables import AuditEntry, Case

SYSTEM = "system"  # the actor of what no person did (auto-approval, the outbox's own steps)

# Every action the audit log may hold. Writing another one raises (``audit_action``), and the
# review app's tests require an Indonesian name for each (review.labels.AUDIT_ACTIONS).
ACTIONS = frozenset(
    {
        # decisions on a case (cases.states, cases.location, store.reroutes)
        "case.accept",
        "case.correct",
        "case.auto_approve",
        "case.reject",
        "case.skip",
        "case.reopen",
        "case.undo",
        "case.merge",
        "case.split",
        "case.promote",
        "case.locate",
        "case.reroute_requested",
        "case.reroute",
        # accounts (store.users)
        "user.create",
        "user.update",
        "user.login",
        "user.logout",
        "user.locked",
        # the outbox to LAPOR! (store.forward_outcomes) and a person's decision (lapor.reconcile)
        "forward.sent",
        "forward.failed",
        "forward.unknown",
        "forward.reconcile_sent",
        "forward.reconcile_resend",
        "forward.cancel",
        # replies to citizens (store.replies)
        "reply.sent",
        "reply.failed",
        "reply.gone",
        "reply.unknown",
        "reply.approve",
        "reply.decline",
        # passing a sent case to another agency in LAPOR! (store.reroutes)
        "reroute.failed",
    }
)


def audit_action(action: str) -> str:
    """``action`` if the audit log knows it (ACTIONS); ValueError otherwise."""
    if action not in ACTIONS:
        raise ValueError(f"audit action {action!r} is not in store.audit.ACTIONS")
    return action


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
            action=audit_action(action),
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
