"""Triage never makes the publisher's own words a case, an archived post or a training negative."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from cases.states import reject_case
from cases.triage import triage_pending
from store.pipeline import save_classifications
from store.queue import get_case_view
from store.repository import upsert_posts
from store.tables import Case, PostRow, TrainingLabel
from tests.cases.test_triage import profile
from tests.factories import T0, make_post

ANNOUNCEMENT = "Pemadaman air di Kelurahan Oebobo hari Sabtu karena perbaikan pipa, mohon maaf"
PAGE_REPLY = "Mohon maaf ibu, laporan air mati sudah kami teruskan ke Perumda Air Minum"
COMPLAINT = "Sudah 2 minggu air di RT 07 Oebobo sonde jalan, bukan cuma Sabtu. Tolong!"


def _store(factory):
    posts = [
        make_post(1, text=ANNOUNCEMENT, by_publisher=True),
        make_post(2, text=COMPLAINT, parent_external_id="ext-1", created_at=T0 + timedelta(1)),
        make_post(3, text=PAGE_REPLY, parent_external_id="ext-2", by_publisher=True),
        make_post(4, text="Info jadwal posyandu bulan ini", by_publisher=True),
    ]
    # The model finds the Page's words complaint-like (they talk about water cuts): 0.9 and 0.8.
    relevance = {"ext-1": 0.9, "ext-2": 0.95, "ext-3": 0.8, "ext-4": 0.1}
    with factory() as session, session.begin():
        upsert_posts(session=session, posts=posts)
        ids = dict(session.execute(select(PostRow.external_id, PostRow.id)).all())
        rows = [
            {
                "post_id": ids[ext],
                "relevance": rel,
                "agency": "dlhk",
                "agency_confidence": 0.5,
                "topic": "sampah",
                "topic_confidence": 0.5,
                "alternatives": {},
            }
            for ext, rel in relevance.items()
        ]
        save_classifications(session=session, model_version="m1", rows=rows)
    return ids


def test_triage_keeps_publisher_posts_as_context_never_a_case_nor_archived(session_factory):
    ids = _store(session_factory)
    stats = triage_pending(factory=session_factory, profile=profile())
    assert (stats.examined, stats.publisher, stats.archived, stats.cases_created) == (4, 3, 0, 1)
    with session_factory() as session:
        states = {ext: session.get(PostRow, i).state for ext, i in ids.items()}
        assert states == {
            "ext-1": "publisher",
            "ext-2": "in_case",
            "ext-3": "publisher",
            "ext-4": "publisher",  # low relevance, yet not archived: not a "Mungkin aduan"
        }
        assert session.scalar(select(func.count(Case.id))) == 1
        case_id = session.get(PostRow, ids["ext-2"]).case_id
        view = get_case_view(session=session, case_id=case_id, agencies=None)
    # The card shows what the citizen answers ("Membalas: ..."): the Page's own post.
    assert view.post.text == COMPLAINT and view.parent.text == ANNOUNCEMENT
    assert triage_pending(factory=session_factory, profile=profile()).examined == 0


def test_rejecting_the_citizens_case_teaches_nothing_about_the_publishers_words(session_factory):
    ids = _store(session_factory)
    triage_pending(factory=session_factory, profile=profile())
    with session_factory() as session, session.begin():
        case_id = session.get(PostRow, ids["ext-2"]).case_id
        reject_case(session=session, case_id=case_id, actor="fasilitator")
    with session_factory() as session:
        labels = session.scalars(select(TrainingLabel.text)).all()
    assert labels == [COMPLAINT]
