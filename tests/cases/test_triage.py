"""Triage on crafted cases: thresholds, near-duplicate grouping in a time window, auto-approval."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cases.grouping import Candidate, group_duplicates
from cases.triage import auto_forward_allowed, triage_pending
from config.profile import Agency, Profile, Topic, Triage
from store.pipeline import save_classifications
from store.repository import upsert_posts
from store.tables import Case, Forward, PostRow, Review
from tests.factories import T0, make_post

GARBAGE = "Sampah di depan pasar Oebobo sudah seminggu tidak diangkut, bau sekali mohon DLHK segera"
GARBAGE_REWORDED = (
    "sampah depan pasar oebobo su seminggu tidak diangkut, bau sekali! mohon dlhk segera ya"
)
ROAD = "Jalan di Kelurahan Oesapa berlubang besar dekat SD Inpres, sudah dua motor jatuh minggu ini"
LIGHT = "Lampu jalan di Jalan Timor Raya mati total sejak tiga hari, gelap dan rawan kejahatan"
NOT_COMPLAINT = "Selamat pagi Kota Kupang, semoga hari ini penuh berkat untuk kita semua"


def profile(**triage) -> Profile:
    return Profile(
        region="Test",
        triage=Triage(relevance_threshold=0.5, duplicate_similarity=0.6, **triage),
        agencies=[
            Agency(key="dlhk", name="DLHK", lapor_disposition_id=11, auto_forward_threshold=0.9),
            Agency(key="pupr", name="PUPR"),  # no LAPOR! mapping: never auto-approved
        ],
        topics=[
            Topic(key="sampah", name="Sampah", default_agency="dlhk", urgency=2),
            Topic(key="jalan", name="Jalan", default_agency="pupr"),
        ],
    )


def test_reworded_duplicates_are_grouped_and_distinct_texts_are_not():
    window = timedelta(hours=72)
    times = [T0, T0 + timedelta(hours=2), T0 + timedelta(hours=3), T0 + timedelta(hours=4)]
    groups = group_duplicates(
        [GARBAGE, GARBAGE_REWORDED, ROAD, LIGHT], times, threshold=0.6, window=window
    )
    assert sorted(g.members for g in groups) == [[0, 1], [2], [3]]


def test_duplicates_outside_the_window_start_a_new_group():
    times = [T0, T0 + timedelta(hours=100)]
    groups = group_duplicates(
        [GARBAGE, GARBAGE_REWORDED], times, threshold=0.6, window=timedelta(hours=72)
    )
    assert sorted(g.members for g in groups) == [[0], [1]]


def test_threshold_decides_what_counts_as_duplicate():
    times = [T0, T0 + timedelta(hours=1)]
    strict = group_duplicates(
        [GARBAGE, GARBAGE_REWORDED], times, threshold=0.99, window=timedelta(hours=72)
    )
    assert len(strict) == 2


def test_a_post_joins_a_similar_existing_case():
    candidates = [Candidate(GARBAGE, T0, case_id=42), Candidate(ROAD, T0, case_id=7)]
    groups = group_duplicates(
        [GARBAGE_REWORDED, LIGHT],
        [T0 + timedelta(hours=5)] * 2,
        threshold=0.6,
        window=timedelta(hours=72),
        candidates=candidates,
    )
    joined = [g for g in groups if g.case_id is not None]
    assert [(g.case_id, g.members) for g in joined] == [(42, [0])]
    assert [g.members for g in groups if g.case_id is None] == [[1]]


def test_texts_without_any_ngram_are_each_their_own_group():
    groups = group_duplicates(["🙏", "👍"], [T0, T0], threshold=0.5, window=timedelta(hours=1))
    assert sorted(g.members for g in groups) == [[0], [1]]


def test_auto_forward_needs_mapping_and_confidence():
    p = profile()
    assert auto_forward_allowed(p, "dlhk", 0.95)
    assert auto_forward_allowed(p, "dlhk", 0.9)
    assert not auto_forward_allowed(p, "dlhk", 0.89)
    assert not auto_forward_allowed(p, "pupr", 0.999)  # no lapor_disposition_id
    assert not auto_forward_allowed(p, "unknown", 0.999)
    assert not auto_forward_allowed(p, None, 0.999)


def _store(factory, posts_and_labels):
    """Store posts and a classification for each: (i, text, hours, relevance, agency, conf)."""
    with factory() as session, session.begin():
        posts = [
            make_post(i, text=t, created_at=T0 + timedelta(hours=h))
            for i, t, h, *_ in posts_and_labels
        ]
        upsert_posts(session=session, posts=posts)
        ids = dict(session.execute(select(PostRow.external_id, PostRow.id)).all())
        rows = [
            {
                "post_id": ids[f"ext-{i}"],
                "relevance": rel,
                "agency": agency,
                "agency_confidence": conf,
                "topic": {"dlhk": "sampah", "pupr": "jalan"}.get(agency),
                "topic_confidence": conf,
                "alternatives": {},
            }
            for i, _t, _h, rel, agency, conf in posts_and_labels
        ]
        save_classifications(session=session, model_version="m1", rows=rows)
    return ids


def _case_of(session, ids, i):
    return session.get(Case, session.get(PostRow, ids[f"ext-{i}"]).case_id)


def test_triage_of_crafted_posts(session_factory):
    ids = _store(
        session_factory,
        [
            (1, NOT_COMPLAINT, 0, 0.2, "dlhk", 0.99),
            (2, GARBAGE, 1, 0.9, "dlhk", 0.97),
            (3, GARBAGE_REWORDED, 3, 0.8, "dlhk", 0.93),
            (4, ROAD, 4, 0.9, "pupr", 0.99),
            (5, LIGHT, 5, 0.9, "dlhk", 0.85),
            (6, GARBAGE, 200, 0.9, "dlhk", 0.95),  # same words, 8 days later: a new case
        ],
    )
    stats = triage_pending(factory=session_factory, profile=profile())
    assert stats.examined == 6
    assert stats.archived == 1
    assert stats.cases_created == 4
    assert stats.grouped_duplicates == 1
    assert stats.auto_approved == 2
    assert stats.queued == 2
    with session_factory() as session:
        assert session.get(PostRow, ids["ext-1"]).state == "archived"
        garbage = _case_of(session, ids, 2)
        assert garbage.id == _case_of(session, ids, 3).id
        assert garbage.state == "approved" and garbage.decided_by == "system"
        assert garbage.urgency == 2
        assert session.scalar(select(func.count()).where(PostRow.case_id == garbage.id)) == 2
        forwards = session.scalars(select(Forward).where(Forward.case_id == garbage.id)).all()
        assert [f.state for f in forwards] == ["pending"]
        reviews = session.scalars(select(Review).where(Review.case_id == garbage.id)).all()
        assert [r.action for r in reviews] == ["auto_approve"]
        assert _case_of(session, ids, 4).state == "open"  # confident but no LAPOR! mapping
        assert _case_of(session, ids, 5).state == "open"  # mapped but below 0.9
        later = _case_of(session, ids, 6)
        assert later.id != garbage.id and later.state == "approved"
        assert session.scalar(select(func.count(Forward.id))) == 2
    again = triage_pending(factory=session_factory, profile=profile())
    assert again.examined == 0


def test_later_post_joins_the_open_case_of_an_earlier_run(session_factory):
    ids = _store(session_factory, [(1, ROAD, 0, 0.9, "pupr", 0.9)])
    triage_pending(factory=session_factory, profile=profile())
    more = _store(
        session_factory,
        [(2, ROAD.lower() + " tolong", 10, 0.9, "pupr", 0.8), (3, LIGHT, 11, 0.9, "dlhk", 0.5)],
    )
    stats = triage_pending(factory=session_factory, profile=profile())
    assert stats.joined_existing == 1 and stats.cases_created == 1
    with session_factory() as session:
        assert _case_of(session, ids, 1).id == _case_of(session, more, 2).id
        assert session.scalar(select(func.count(Case.id))) == 2


@pytest.mark.parametrize("threshold,archived", [(0.5, 1), (0.95, 2)])
def test_relevance_threshold_from_the_profile(session_factory, threshold, archived):
    _store(session_factory, [(1, ROAD, 0, 0.9, "pupr", 0.9), (2, LIGHT, 1, 0.3, "dlhk", 0.9)])
    p = profile().model_copy(
        update={"triage": Triage(relevance_threshold=threshold, duplicate_similarity=0.6)}
    )
    assert triage_pending(factory=session_factory, profile=p).archived == archived


KUPANG = Path(__file__).resolve().parents[2] / "profiles" / "kupang"
OFFICE = "Kantor kelurahan Oebufu tutup terus jam kerja, surat pengantar son bisa diurus"
OFFICE_NOWHERE = "Pak lurah son pernah ada di kantor, surat pengantar tertunda seminggu"
TWO_PLACES = "Air mati di Airnona dan juga di Oesapa sudah tiga hari"


def test_triage_stores_the_location_and_leaves_an_unknown_one_for_review(session_factory):
    local = Agency(
        key="kelurahan",
        name="Kantor Kelurahan",
        lapor_disposition_id=5,
        auto_forward_threshold=0.5,
        local_level="kelurahan",
    )
    base = profile()
    p = base.model_copy(update={"folder": KUPANG, "agencies": [*base.agencies, local]})
    ids = _store(
        session_factory,
        [
            (1, OFFICE, 0, 0.9, "kelurahan", 0.99),
            (2, OFFICE_NOWHERE, 10, 0.9, "kelurahan", 0.99),
            (3, TWO_PLACES, 20, 0.9, "pupr", 0.9),
        ],
    )
    stats = triage_pending(factory=session_factory, profile=p)
    assert stats.unknown_location == 1
    with session_factory() as session:
        known = _case_of(session, ids, 1)
        assert (known.location, known.location_origin, known.state) == (
            "kel_oebufu",
            "text",
            "approved",
        )
        nowhere = _case_of(session, ids, 2)
        assert nowhere.location is None and nowhere.state == "open"  # left for a facilitator
        two = _case_of(session, ids, 3)
        assert two.location is None
        assert two.location_candidates == ["kel_airnona", "kel_oesapa"]


def test_a_source_place_the_gazetteer_does_not_know_is_counted_and_never_guessed(
    session_factory,
):
    """A CSV row's own kecamatan/kelurahan columns that areas.yaml lacks: the case's location stays
    unknown (the text's Oebufu is not taken instead), the names are kept for the facilitator, the
    count is reported, and the local-office case is not auto-forwarded."""
    import json

    local = Agency(
        key="kelurahan",
        name="Kantor Kelurahan",
        lapor_disposition_id=5,
        auto_forward_threshold=0.5,
        local_level="kelurahan",
    )
    base = profile()
    p = base.model_copy(update={"folder": KUPANG, "agencies": [*base.agencies, local]})
    ids = _store(
        session_factory,
        [
            (1, OFFICE, 0, 0.9, "kelurahan", 0.99),
            (2, ROAD + " di kel. Oebufu", 10, 0.9, "pupr", 0.9),
        ],
    )
    with session_factory.begin() as session:
        for i in (1, 2):
            row = session.get(PostRow, ids[f"ext-{i}"])
            row.raw = json.dumps({"kecamatan": "Sukamaju", "kelurahan": f"Atlantis {i}"})
    stats = triage_pending(factory=session_factory, profile=p)
    assert stats.unknown_source_place == 2 and stats.unknown_location == 1
    with session_factory() as session:
        office = _case_of(session, ids, 1)
        assert (office.location, office.location_origin) == (None, "none")
        assert office.location_unknown == "Atlantis 1, Sukamaju"
        assert office.state == "open"  # left for a facilitator despite 0.99
        road = _case_of(session, ids, 2)
        assert road.location is None and road.location_unknown == "Atlantis 2, Sukamaju"
