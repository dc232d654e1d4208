"""The case page shows each reply to the citizens (state, preview, link, why it cannot be sent)
and approves one with a single form (the key ``b``)."""

from __future__ import annotations

from sqlalchemy import select

from cases.states import approve_case
from store.replies import add_replies
from store.tables import AuditEntry, Forward, PostRow, Reply
from tests.review.conftest import add_user, csrf_of, login, seed_case

TEXT = "Terima kasih, aduan Anda sudah kami teruskan ke SP4N-LAPOR! dengan nomor 7000001."


def sent_case_with_replies(factory, *states: str) -> tuple[int, list[int]]:
    case_id = seed_case(factory, 1, duplicates=len(states) - 1)
    with factory.begin() as session:
        approve_case(session=session, case_id=case_id, actor="ana", action="accept")
        forward = session.scalars(select(Forward)).one()
        forward.state, forward.complaint_id = "sent", "7000001"
        posts = session.scalars(select(PostRow).where(PostRow.case_id == case_id)).all()
        rows = []
        for post, state in zip(posts, states, strict=True):
            row = {"case_id": case_id, "post_id": post.id, "forward_id": forward.id}
            row |= {"source": post.source, "platform": "facebook", "target_id": post.external_id}
            row |= {"kind": "sent", "text": TEXT, "state": state}
            rows.append(row)
        add_replies(session=session, rows=rows)
        ids = [r.id for r in session.scalars(select(Reply).order_by(Reply.id))]
    return case_id, ids


def test_the_case_page_shows_reply_states_links_and_the_permission_problem(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    case_id, (sent, blocked) = sent_case_with_replies(session_factory, "sent", "blocked")
    with session_factory.begin() as session:
        row = session.get(Reply, sent)
        row.reply_id, row.reply_url = (
            "900_3000000000000001",
            "https://www.facebook.com/x?comment_id=1",
        )
        other = session.get(Reply, blocked)
        other.last_error = "balasan tidak bisa dikirim: izin pages_manage_engagement tidak ada"
    login(client, "ana")
    page = client.get(f"/cases/{case_id}").text
    assert "Balasan ke warga" in page and "terkirim" in page and "tertahan" in page
    assert 'class="reply-link" href="https://www.facebook.com/x?comment_id=1"' in page
    assert "balasan tidak bisa dikirim: izin pages_manage_engagement" in page
    assert TEXT in page


def test_one_form_approves_the_reply_shown_in_preview(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    case_id, [reply] = sent_case_with_replies(session_factory, "approval")
    login(client, "ana")
    page = client.get(f"/cases/{case_id}").text
    assert "menunggu persetujuan" in page and "Kirim balasan ini <kbd>b</kbd>" in page
    response = client.post(
        f"/cases/{case_id}/replies/{reply}/approve",
        data={"csrf_token": csrf_of(page), "next": f"/cases/{case_id}"},
    )
    assert "disetujui" in response.text
    with session_factory() as session:
        row = session.get(Reply, reply)
        assert (row.state, row.approved_by) == ("pending", "ana")
        assert session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "reply")
        ).all() == ["reply.approve"]
    again = client.post(
        f"/cases/{case_id}/replies/{reply}/approve",
        data={"csrf_token": csrf_of(page), "next": f"/cases/{case_id}"},
    )
    assert "tidak diubah" in again.text  # approved once only


def test_a_reply_of_another_case_is_not_found(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    case_id, [reply] = sent_case_with_replies(session_factory, "approval")
    other = seed_case(session_factory, 50)
    login(client, "ana")
    page = client.get(f"/cases/{case_id}").text
    response = client.post(
        f"/cases/{other}/replies/{reply}/approve",
        data={"csrf_token": csrf_of(page), "next": "/"},
    )
    assert response.status_code == 404
    with session_factory() as session:
        assert session.get(Reply, reply).state == "approval"
