"""The reroute outbox (store.reroutes) on SQLite and PostgreSQL: one open request per case,
claims, guarded outcomes, a dead sender's row, the agency changed only once LAPOR! accepted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cases.states import approve_case
from store.cases import create_case
from store.exceptions import StoreError
from store.repository import upsert_posts
from store.reroutes import (
    RerouteOutcome,
    claim_due_reroutes,
    record_reroute_outcome,
    recover_stale_reroutes,
    request_reroute,
    reroutes_for_case,
)
from store.tables import AuditEntry, Case, Forward, PostRow, Reroute, Review
from tests.factories import make_post

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)
LEASE = NOW + timedelta(seconds=30)


def a_case(factory, i: int = 1, *, sent: bool = True) -> int:
    """An approved case of one post; its LAPOR! forward ``sent`` as complaint 70000<i>."""
    with factory.begin() as session:
        upsert_posts(session=session, posts=[make_post(i)])
        post = session.scalars(select(PostRow).where(PostRow.external_id == f"ext-{i}")).one()
        case = create_case(
            session=session,
            post=post,
            agency="pupr",
            topic="jalan_rusak",
            agency_confidence=0.9,
            topic_confidence=0.9,
        )
        approve_case(session=session, case_id=case.id, actor="ana")
        if sent:
            forward = session.scalars(select(Forward).where(Forward.case_id == case.id)).one()
            forward.state, forward.complaint_id = "sent", f"70000{i}"
        return case.id


def ask(factory, case_id: int, agency: str = "dinkes", reason: str = "bukan wewenang PUPR"):
    with factory.begin() as session:
        return request_reroute(
            session=session,
            case_id=case_id,
            actor="ana",
            agency=agency,
            institution_id=102,
            reason=reason,
            now=NOW,
        ).id


def test_a_request_is_recorded_and_audited_once_per_case(session_factory):
    case_id = a_case(session_factory)
    reroute_id = ask(session_factory, case_id)
    with session_factory() as session:
        [row] = reroutes_for_case(session=session, case_id=case_id)
        assert (row.id, row.state, row.agency_before, row.agency) == (
            reroute_id,
            "pending",
            "pupr",
            "dinkes",
        )
        assert (row.complaint_id, row.institution_id, row.requested_by) == ("700001", "102", "ana")
        audit = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (audit.action, audit.actor, audit.after["agency"]) == (
            "case.reroute_requested",
            "ana",
            "dinkes",
        )
        assert session.get(Case, case_id).agency == "pupr"  # changed only once LAPOR! accepts
    with pytest.raises(StoreError, match="already has a reroute request waiting"):
        ask(session_factory, case_id, agency="dlhk")


def test_the_open_request_is_unique_in_the_database_too(session_factory):
    case_id = a_case(session_factory)
    ask(session_factory, case_id)
    second = Reroute(
        case_id=case_id,
        complaint_id="700001",
        agency="dlhk",
        institution_id="101",
        reason="lagi",
        requested_by="budi",
        state="unknown",
    )
    with pytest.raises(IntegrityError), session_factory.begin() as session:
        session.add(second)
    with session_factory.begin() as session:  # a closed request does not count
        session.execute(select(Reroute)).scalar_one().state = "failed"
    assert ask(session_factory, case_id, agency="dlhk")


@pytest.mark.parametrize(
    ("sent", "agency", "reason", "message"),
    [
        (False, "dinkes", "salah instansi", "not in LAPOR! yet"),
        (True, "pupr", "salah instansi", "already with pupr"),
        (True, "dinkes", "   ", "needs a reason"),
    ],
)
def test_what_cannot_be_requested(session_factory, sent, agency, reason, message):
    case_id = a_case(session_factory, sent=sent)
    with pytest.raises(StoreError, match=message):
        ask(session_factory, case_id, agency=agency, reason=reason)
    with session_factory() as session:
        assert session.scalars(select(Reroute)).all() == []


def test_claim_send_and_the_agency_changes_with_a_review(session_factory):
    case_id = a_case(session_factory)
    reroute_id = ask(session_factory, case_id)
    [claimed] = claim_due_reroutes(factory=session_factory, now=NOW, lease_until=LEASE)
    assert (claimed.reroute_id, claimed.attempt, claimed.verify) == (reroute_id, 1, False)
    assert (claimed.complaint_id, claimed.institution_id) == ("700001", "102")
    assert claim_due_reroutes(factory=session_factory, now=NOW, lease_until=LEASE) == []
    sent = RerouteOutcome(reroute_id, 1, "sent")
    assert record_reroute_outcome(factory=session_factory, outcome=sent, now=NOW)
    assert not record_reroute_outcome(factory=session_factory, outcome=sent, now=NOW)
    with session_factory() as session:
        assert session.get(Reroute, reroute_id).state == "sent"
        assert session.get(Case, case_id).agency == "dinkes"
        review = session.scalars(select(Review).where(Review.action == "reroute")).one()
        assert (review.reviewer, review.agency_before, review.agency_after) == (
            "ana",
            "pupr",
            "dinkes",
        )
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["case.reroute_requested", "case.reroute"]


def test_a_refusal_is_final_and_audited(session_factory):
    case_id = a_case(session_factory)
    reroute_id = ask(session_factory, case_id)
    [claimed] = claim_due_reroutes(factory=session_factory, now=NOW, lease_until=LEASE)
    refused = RerouteOutcome(reroute_id, claimed.attempt, "failed", "HTTP 422: reason invalid")
    assert record_reroute_outcome(factory=session_factory, outcome=refused, now=NOW)
    later = NOW + timedelta(days=1)
    assert claim_due_reroutes(factory=session_factory, now=later, lease_until=later) == []
    with session_factory() as session:
        row = session.get(Reroute, reroute_id)
        assert (row.state, row.last_error) == ("failed", "HTTP 422: reason invalid")
        assert session.get(Case, case_id).agency == "pupr"
        audit = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (audit.action, audit.object_id) == ("reroute.failed", str(reroute_id))


def test_a_retry_waits_and_a_dead_senders_row_is_read_in_lapor_first(session_factory):
    reroute_id = ask(session_factory, a_case(session_factory))
    [first] = claim_due_reroutes(factory=session_factory, now=NOW, lease_until=LEASE)
    retry_at = NOW + timedelta(minutes=1)
    again = RerouteOutcome(reroute_id, 1, "pending", "HTTP 503", next_attempt_at=retry_at)
    assert record_reroute_outcome(factory=session_factory, outcome=again, now=NOW)
    assert claim_due_reroutes(factory=session_factory, now=NOW, lease_until=LEASE) == []
    [second] = claim_due_reroutes(factory=session_factory, now=retry_at, lease_until=retry_at)
    assert (second.attempt, second.verify) == (2, True)
    # the sender dies: the lease passes, the row becomes unknown and due at once
    assert recover_stale_reroutes(factory=session_factory, now=retry_at + timedelta(hours=1)) == 1
    with session_factory() as session:
        assert session.get(Reroute, reroute_id).state == "unknown"
    late = retry_at + timedelta(hours=1)
    [third] = claim_due_reroutes(factory=session_factory, now=late, lease_until=late)
    assert (third.attempt, third.verify) == (3, True)
    stale = RerouteOutcome(reroute_id, 2, "sent")  # the dead attempt's answer lands nowhere
    assert not record_reroute_outcome(factory=session_factory, outcome=stale, now=late)
