"""The outbox on SQLite and PostgreSQL: exclusive claims, guarded outcomes, reconciliation."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lapor.exceptions import ReconcileError
from lapor.outbox import RetryPolicy
from lapor.reconcile import reconcile
from store.forward_claims import Blocked, Claimed, claim_next
from store.forward_outcomes import Outcome, record_outcomes, recover_stale
from store.forward_status import StatusChange, due_for_status, record_status, status_history
from store.forwards import count_by_state, list_forwards
from store.tables import AuditEntry, Forward
from tests.lapor.conftest import approved_cases

# Fixed "now" of these tests, later than any approval made while the suite runs (the module is
# imported at collection time, minutes before its tests run).
T = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


def claim(factory, now=T, prepare=lambda ctx: {"case": ctx.case.id}, lease_s=30):
    return claim_next(
        factory=factory,
        now=now,
        lease_until=now + timedelta(seconds=lease_s),
        blocked_until=now + timedelta(minutes=15),
        prepare=prepare,
    )


def record(factory, outcome: Outcome) -> bool:
    """Record one outcome as the sender does; False if the row was decided meanwhile."""
    return record_outcomes(factory=factory, outcomes=[outcome], now=T)[0]


def forward(factory, forward_id) -> Forward:
    with factory() as session:
        return session.get(Forward, forward_id)


def audit_actions(factory) -> list[str]:
    with factory() as session:
        return [a.action for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_concurrent_claims_take_each_row_once(session_factory):
    approved_cases(session_factory, 60)
    claimed: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def sender():
        try:
            while (got := claim(session_factory, now=datetime.now(UTC))) is not None:
                with lock:
                    claimed.append(got.forward_id)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 60
    with session_factory() as session:
        assert count_by_state(session=session) == {"sending": 60}


def test_claim_commits_sending_with_payload_and_lease(session_factory):
    (case_id,) = approved_cases(session_factory, 1)
    got = claim(session_factory)
    assert isinstance(got, Claimed) and got.attempt == 1 and got.payload == {"case": case_id}
    row = forward(session_factory, got.forward_id)
    assert (row.state, row.attempts, row.payload) == ("sending", 1, {"case": case_id})
    assert row.next_attempt_at == T + timedelta(seconds=30)
    assert claim(session_factory) is None


def test_a_row_that_cannot_be_composed_is_blocked_not_counted(session_factory):
    approved_cases(session_factory, 1)

    def refuse(ctx):
        raise ValueError("agency pupr has no lapor_disposition_id")

    got = claim(session_factory, prepare=refuse)
    assert isinstance(got, Blocked) and "pupr" in got.reason
    row = forward(session_factory, got.forward_id)
    assert (row.state, row.attempts) == ("pending", 0)
    assert row.last_error.startswith("blocked: ")
    assert claim(session_factory, now=T + timedelta(minutes=14)) is None
    assert isinstance(claim(session_factory, now=T + timedelta(minutes=16)), Claimed)


def test_a_dead_senders_row_becomes_unknown_and_a_late_answer_still_lands(session_factory):
    approved_cases(session_factory, 1)
    got = claim(session_factory)
    assert recover_stale(factory=session_factory, now=T + timedelta(seconds=10)) == []
    assert recover_stale(factory=session_factory, now=T + timedelta(seconds=31)) == [got.forward_id]
    assert forward(session_factory, got.forward_id).state == "unknown"
    # the unknown row is never claimed again ...
    assert claim(session_factory, now=T + timedelta(days=1)) is None
    # ... but if the slow sender was alive after all, its answer is the truth
    assert record(session_factory, Outcome(got.forward_id, 1, "sent", complaint_id="77"))
    assert forward(session_factory, got.forward_id).complaint_id == "77"
    assert audit_actions(session_factory)[-2:] == ["forward.unknown", "forward.sent"]


def test_an_outcome_after_a_human_decision_is_not_recorded(session_factory):
    approved_cases(session_factory, 1)
    got = claim(session_factory)
    assert record(session_factory, Outcome(got.forward_id, 1, "unknown", "x"))
    with session_factory.begin() as session:
        reconcile(
            session=session, forward_id=got.forward_id, actor="nona", resolution="retry", now=T
        )
    row = forward(session_factory, got.forward_id)
    assert (row.state, row.attempts) == ("pending", 0)
    assert not record(session_factory, Outcome(got.forward_id, 1, "sent", complaint_id="9"))
    assert forward(session_factory, got.forward_id).state == "pending"


def test_retry_with_backoff_then_failed_with_reason(session_factory):
    approved_cases(session_factory, 1)
    got = claim(session_factory)
    later = T + timedelta(minutes=2)
    policy = RetryPolicy(max_attempts=2)
    outcome = policy.after_failure(
        forward_id=got.forward_id, attempt=1, error="HTTP 503", next_attempt_at=later
    )
    assert outcome.state == "pending" and record(session_factory, outcome)
    assert claim(session_factory, now=T + timedelta(minutes=1)) is None
    again = claim(session_factory, now=later)
    outcome = policy.after_failure(
        forward_id=again.forward_id, attempt=2, error="HTTP 503", next_attempt_at=later
    )
    assert outcome.state == "failed" and record(session_factory, outcome)
    assert (
        forward(session_factory, got.forward_id).last_error == "gave up after 2 attempts: HTTP 503"
    )


def test_reconcile_confirms_with_an_id_and_is_audited(session_factory):
    approved_cases(session_factory, 1)
    got = claim(session_factory)
    record(session_factory, Outcome(got.forward_id, 1, "unknown", "timeout"))
    with session_factory.begin() as session:
        reconcile(
            session=session,
            forward_id=got.forward_id,
            actor="nona",
            resolution="sent",
            complaint_id="5",
            now=T,
        )
    row = forward(session_factory, got.forward_id)
    assert (row.state, row.complaint_id) == ("sent", "5")
    with session_factory() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.actor, entry.action) == ("nona", "forward.reconcile_sent")
        assert entry.before["state"] == "unknown" and entry.after["complaint_id"] == "5"
    with pytest.raises(ReconcileError), session_factory.begin() as session:
        reconcile(session=session, forward_id=got.forward_id, actor="x", resolution="retry", now=T)


def test_status_changes_are_stored_once_and_final_stops_polling(session_factory):
    approved_cases(session_factory, 1)
    got = claim(session_factory)
    record(session_factory, Outcome(got.forward_id, 1, "sent", complaint_id="1"))
    first = StatusChange("Belum Terverifikasi", "1", T)
    second = StatusChange("Terverifikasi", "2", T + timedelta(days=1))
    with session_factory.begin() as session:
        assert due_for_status(session=session)[0].complaint_id == "1"
        assert (
            record_status(
                session=session,
                forward_id=got.forward_id,
                current=first,
                final=False,
                changes=[first],
                now=T,
            )
            == 1
        )
        assert (
            record_status(
                session=session,
                forward_id=got.forward_id,
                current=second,
                final=False,
                changes=[first, second],
                now=T,
            )
            == 1
        )
        done = StatusChange("Selesai", "4", None)
        assert (
            record_status(
                session=session,
                forward_id=got.forward_id,
                current=done,
                final=True,
                changes=[first, second],
                now=T,
            )
            == 1
        )
    with session_factory() as session:
        names = [h.status_name for h in status_history(session=session, forward_id=got.forward_id)]
        assert names == ["Belum Terverifikasi", "Terverifikasi", "Selesai"]
        assert due_for_status(session=session) == []
        (view,), _ = list_forwards(session=session, states=["sent"])
        assert view.forward.status_final
