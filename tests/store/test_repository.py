from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from store.repository import (
    content_hash,
    count_posts,
    get_cursor,
    ingest_pages,
    save_cursor,
    stream_posts,
    upsert_posts,
)
from store.tables import PostRow
from tests.factories import make_post


def test_upsert_counts_only_new_rows_and_ignores_duplicates(session_factory):
    posts = [make_post(i) for i in range(1200)]
    with session_factory.begin() as session:
        assert upsert_posts(session=session, posts=posts[:700]) == 700
    with session_factory.begin() as session:
        # 500 already stored, 500 new, and a duplicate inside the same batch
        assert upsert_posts(session=session, posts=posts[200:1200] + posts[:1]) == 500
    with session_factory() as session:
        assert count_posts(session=session) == 1200


def test_same_external_id_in_two_sources_are_two_posts(session_factory):
    with session_factory.begin() as session:
        new = upsert_posts(
            session=session, posts=[make_post(1, source="a"), make_post(1, source="b")]
        )
    assert new == 2


def test_stored_post_round_trips_with_aware_datetimes(session_factory):
    wita = timezone(timedelta(hours=8))
    post = make_post(
        7,
        created_at=datetime(2026, 10, 1, 9, 30, tzinfo=wita),
        text="Air  mati\n3 hari",
        parent_external_id="ext-1",
        raw='{"id": "x"}',
    )
    with session_factory.begin() as session:
        upsert_posts(session=session, posts=[post])
    with session_factory() as session:
        row = session.scalars(select(PostRow)).one()
    assert row.created_at == datetime(2026, 10, 1, 1, 30, tzinfo=UTC)
    assert row.created_at.tzinfo is not None
    assert row.parent_external_id == "ext-1"
    assert row.state == "new"
    assert row.content_hash == content_hash("air mati 3 HARI")


def test_the_publisher_mark_is_stored_and_defaults_to_false(session_factory):
    posts = [make_post(1, by_publisher=True), make_post(2)]
    with session_factory.begin() as session:
        upsert_posts(session=session, posts=posts)
    with session_factory() as session:
        rows = session.scalars(select(PostRow).order_by(PostRow.external_id)).all()
    assert [(row.external_id, row.by_publisher) for row in rows] == [
        (posts[0].external_id, True),
        (posts[1].external_id, False),
    ]


def test_content_hash_ignores_case_and_spacing_but_not_words():
    assert content_hash("Sampah  di Oebobo") == content_hash("sampah di oebobo ")
    assert content_hash("sampah di oebobo") != content_hash("sampah di oesapa")


def test_cursor_is_saved_and_updated(session_factory):
    with session_factory.begin() as session:
        assert get_cursor(session=session, source="fb") is None
        save_cursor(session=session, source="fb", cursor={"since": 1})
    with session_factory.begin() as session:
        save_cursor(session=session, source="fb", cursor={"since": 2})
    with session_factory() as session:
        assert get_cursor(session=session, source="fb") == {"since": 2}


@dataclass
class Page:
    posts: list
    cursor: dict | None


def test_ingest_stores_each_page_with_its_cursor_and_survives_a_crash(session_factory):
    def pages(fail_at: int | None):
        for n in range(5):
            if n == fail_at:
                raise RuntimeError("connection lost")
            yield Page([make_post(n * 10 + i) for i in range(10)], {"page": n})

    with pytest.raises(RuntimeError):
        ingest_pages(factory=session_factory, source="test-source", pages=pages(fail_at=3))
    with session_factory() as session:
        assert count_posts(session=session) == 30
        assert get_cursor(session=session, source="test-source") == {"page": 2}
    stats = ingest_pages(factory=session_factory, source="test-source", pages=pages(None))
    assert (stats.pages, stats.seen, stats.new, stats.duplicates) == (5, 50, 20, 30)
    with session_factory() as session:
        assert count_posts(session=session) == 50


def test_stream_posts_yields_all_rows_in_id_order_in_chunks(session_factory):
    with session_factory.begin() as session:
        upsert_posts(session=session, posts=[make_post(i) for i in range(25)])
    with session_factory() as session:
        ids = [row.external_id for row in stream_posts(session=session, chunk=7)]
    assert ids == [f"ext-{i}" for i in range(25)]


def test_store_refuses_naive_datetimes(session_factory):
    with session_factory() as session:
        session.add(
            PostRow(
                source="s",
                external_id="x",
                text="t",
                content_hash="h",
                created_at=datetime(2026, 1, 1),
                fetched_at=datetime.now(UTC),
            )
        )
        with pytest.raises(Exception, match="naive datetime"):
            session.flush()
