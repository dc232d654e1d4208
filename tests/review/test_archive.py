"""The "Mungkin aduan" view: archived posts by relevance, promoted to cases, labels to retrain."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from cases.states import promote_post
from store.archive import count_archived, list_archived
from store.exceptions import StaleAction
from store.tables import AuditEntry, Case, PostRow, Review, TrainingLabel
from tests.review.archive_seed import ARCHIVED, seed_archive
from tests.review.conftest import add_user, csrf_of, login, seed_case
from training.dataset import assemble_sets


def texts_in_order(html: str) -> list[str]:
    return re.findall(r'<p class="text">([^<]*)</p>', html)


def test_the_archive_lists_highest_relevance_first_with_its_count(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    seed_archive(session_factory)
    seed_case(session_factory, 1)  # an open case is not in the archive
    login(client, "ana")
    page = client.get("/mungkin-aduan")
    assert page.status_code == 200
    by_relevance = sorted(ARCHIVED, key=lambda r: -r[2])
    assert texts_in_order(page.text) == [t for _, t, *_ in by_relevance]
    assert re.findall(r"skor (0,\d\d)", page.text) == ["0,41", "0,33", "0,12", "0,05"]
    assert re.search(r"di bawah 0,\d\d\)", page.text)
    assert not re.search(r"\b0\.\d", page.text)  # the decimal comma, never the dot
    assert 'id="archive-total">4<' in page.text
    summary = re.search(r'<p class="summary">(.*?)</p>', page.text, re.S)[1]
    assert "Tombol:" not in summary and '<p class="keys">Tombol:' in page.text  # own line
    queue = client.get("/")
    assert re.search(r'id="archive-count">4<', queue.text)  # the count in the navigation


def test_promoting_makes_an_open_case_in_the_queue_and_a_complaint_label(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    ids = seed_archive(session_factory)
    login(client, "ana")
    token = csrf_of(client.get("/mungkin-aduan").text)
    done = client.post(f"/mungkin-aduan/{ids[102]}/promote", data={"csrf_token": token})
    assert "dijadikan kasus" in done.text
    assert texts_in_order(done.text) == [ARCHIVED[3][1], ARCHIVED[2][1], ARCHIVED[0][1]]
    assert 'id="archive-count">3<' in done.text
    with session_factory() as session:
        post = session.get(PostRow, ids[102])
        case = session.get(Case, post.case_id)
        assert (post.state, case.state, case.agency) == ("in_case", "open", "pdam")
        review = session.scalars(select(Review).where(Review.case_id == case.id)).one()
        assert (review.action, review.reviewer) == ("promote", "ana")
        label = session.scalars(select(TrainingLabel)).one()
        assert (label.is_complaint, label.origin, label.post_id) == (True, "review", post.id)
        audit = session.scalars(select(AuditEntry.action)).all()
        assert audit[-1] == "case.promote"
    assert ARCHIVED[1][1] in client.get("/").text  # now waiting in the queue
    again = client.post(f"/mungkin-aduan/{ids[102]}/promote", data={"csrf_token": token})
    assert "tidak diubah" in again.text


def test_a_viewer_cannot_promote_and_a_bad_token_is_refused(session_factory, client):
    add_user(session_factory, "vic", "viewer")
    ids = seed_archive(session_factory)
    login(client, "vic")
    page = client.get("/mungkin-aduan")
    assert "Jadikan kasus" not in page.text
    refused = client.post(f"/mungkin-aduan/{ids[102]}/promote", data={"csrf_token": "x"})
    assert refused.status_code == 403
    with session_factory() as session:
        assert session.get(PostRow, ids[102]).state == "archived"


def test_a_facilitator_sees_only_the_archive_of_their_agencies(session_factory):
    ids = seed_archive(session_factory)
    with session_factory() as session:
        items, total = list_archived(session=session, agencies=["pupr"])
        assert total == count_archived(session=session, agencies=["pupr"]) == 2
        assert [i.post.id for i in items] == [ids[104], ids[103]]
        assert count_archived(session=session, agencies=None) == 4
    with session_factory.begin() as session, pytest.raises(StaleAction):
        promote_post(session=session, post_id=ids[102], actor="ana", agencies=["pupr"])


def test_promotions_and_bukan_aduan_reach_the_training_set(session_factory, client, tmp_path):
    add_user(session_factory, "ana", "facilitator")
    ids = seed_archive(session_factory)
    chatter = "Ayo ramaikan lomba 17an di Oebobo"
    rejected = seed_case(session_factory, 7, text=chatter, confidence=0.6)
    login(client, "ana")
    token = csrf_of(client.get("/mungkin-aduan").text)
    client.post(f"/mungkin-aduan/{ids[104]}/promote", data={"csrf_token": token})
    client.post(f"/cases/{rejected}/reject", data={"csrf_token": token, "version": 1})
    data = tmp_path / "labelled.csv"
    data.write_text(
        "text,agency,topic,created_at\n"
        "Sampah di TPS Oesapa belum diangkut,dlhk,sampah,2026-12-01T08:00:00+08:00\n"
        "Jalan di Alak berlubang,pupr,jalan_rusak,2026-11-30T08:00:00+08:00\n",
        encoding="utf-8",
    )
    sets = assemble_sets(session_factory, [data], ["agency", "topic"], "text", 0.25)
    trained = {row["text"] for row in sets.train_rows}
    assert ARCHIVED[3][1] in trained  # the promotion: a complaint for the relevance head
    assert chatter in sets.review_negatives  # "Bukan aduan": a non-complaint
    assert ARCHIVED[0][1] not in trained | set(sets.review_negatives)  # still only archived
