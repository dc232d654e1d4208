import pytest
from sqlalchemy import select

from cases.states import approve_case, reject_case
from store.cases import create_case
from store.exceptions import StaleAction
from store.repository import upsert_posts
from store.tables import AuditEntry, Case, Forward, PostRow, Review
from tests.factories import make_post


def open_case(session_factory, i=1) -> int:
    with session_factory.begin() as session:
        upsert_posts(session=session, posts=[make_post(i)])
        post = session.scalars(select(PostRow).where(PostRow.external_id == f"ext-{i}")).one()
        case = create_case(
            session=session,
            post=post,
            agency="pupr",
            topic="jalan_rusak",
            agency_confidence=0.8,
            topic_confidence=0.7,
        )
        return case.id


def test_approving_writes_review_audit_and_one_outbox_row(session_factory):
    case_id = open_case(session_factory)
    with session_factory.begin() as session:
        approve_case(session=session, case_id=case_id, actor="nona", topic="drainase_banjir")
    with session_factory() as session:
        case = session.get(Case, case_id)
        assert (case.state, case.topic, case.decided_by) == ("approved", "drainase_banjir", "nona")
        forwards = session.scalars(select(Forward)).all()
        assert [(f.case_id, f.state, f.target) for f in forwards] == [(case_id, "pending", "lapor")]
        review = session.scalars(select(Review)).one()
        assert (review.action, review.topic_before, review.topic_after) == (
            "correct",
            "jalan_rusak",
            "drainase_banjir",
        )
        audit = session.scalars(select(AuditEntry)).one()
        assert audit.before["topic"] == "jalan_rusak" and audit.after["state"] == "approved"


def test_second_decision_is_stale_and_never_forwards_twice(session_factory):
    case_id = open_case(session_factory)
    with session_factory.begin() as session:
        approve_case(session=session, case_id=case_id, actor="a")
    with pytest.raises(StaleAction), session_factory.begin() as session:
        approve_case(session=session, case_id=case_id, actor="b")
    with session_factory() as session:
        assert len(session.scalars(select(Forward)).all()) == 1


def test_expected_version_detects_a_change_made_meanwhile(session_factory):
    case_id = open_case(session_factory)
    with session_factory() as session:
        seen_version = session.get(Case, case_id).version
    with session_factory.begin() as session:
        session.get(Case, case_id).urgency = 3  # someone else edits the case
    with pytest.raises(StaleAction), session_factory.begin() as session:
        approve_case(session=session, case_id=case_id, actor="a", expected_version=seen_version)


def test_reject_archives_the_posts(session_factory):
    case_id = open_case(session_factory)
    with session_factory.begin() as session:
        reject_case(session=session, case_id=case_id, actor="a")
    with session_factory() as session:
        assert session.get(Case, case_id).state == "rejected"
        assert {p.state for p in session.scalars(select(PostRow))} == {"archived"}
