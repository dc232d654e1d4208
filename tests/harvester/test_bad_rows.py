"""Issue 19 item 1: a NUL character (or another one PostgreSQL refuses) in one post never stops
harvesting, and no post text or raw JSON reaches a logged error. On SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import select

from harvester.run import harvest_all, harvest_source
from harvester.sources import Page
from store.db import make_engine
from store.repository import get_cursor
from store.tables import HarvestCursor, PostRow
from tests.factories import make_post

SECRET_TEXT = "rahasia-warga-0812"


def test_nul_and_lone_surrogates_are_stripped_when_a_post_is_built():
    post = make_post(
        1,
        text="air\x00 mati\ud800 di Oebobo",
        raw='{"message": "air\x00 mati"}',
        url="https://example.test/p/\x001",
        external_id="ext\x00-1",
        parent_external_id="ext\udfff-0",
        author_ref="a\x00b",
    )
    assert post.text == "air mati di Oebobo"
    assert post.raw == '{"message": "air mati"}'
    assert post.url == "https://example.test/p/1"
    assert (post.external_id, post.parent_external_id, post.author_ref) == ("ext-1", "ext-0", "ab")
    assert make_post(2, text="emoji \U0001f600 tetap").text == "emoji \U0001f600 tetap"
    paired = make_post(3, text="pair \ud83d\ude00 joined")  # a surrogate pair is one emoji
    assert paired.text == "pair \U0001f600 joined"


@dataclass
class RawPost:
    """A post as a careless source might hand it over: no cleaning (not a harvester Post)."""

    source: str
    external_id: str
    text: str
    url: str | None = None
    author_ref: str | None = None
    parent_external_id: str | None = None
    raw: str | None = None
    by_publisher: bool = False
    photo_urls: tuple[str, ...] = ()
    created_at: Any = None
    fetched_at: Any = None


def _raw(i: int, text: str, external_id: str | None = None) -> RawPost:
    post = make_post(i, source="fb")
    return RawPost(
        source="fb",
        external_id=external_id or post.external_id,
        text=text,
        raw=f'{{"message": "{text}"}}',
        created_at=post.created_at,
        fetched_at=post.fetched_at,
    )


class ListSource:
    def __init__(self, name: str, pages: list[Page]) -> None:
        self.name, self.pages = name, pages

    def fetch(self, cursor, *, since=None):
        start = (cursor or {}).get("page", 0)
        yield from self.pages[start:]

    def check(self) -> str:
        return "ok"


def _bad_posts(db_url: str) -> list[RawPost]:
    bad = [_raw(2, f"{SECRET_TEXT} lone surrogate \ud800")]
    if db_url.startswith("postgresql"):  # SQLite stores these; PostgreSQL refuses them
        bad += [_raw(3, f"{SECRET_TEXT} nul \x00"), _raw(4, SECRET_TEXT, "x" * 300)]
    return bad


def test_one_bad_row_never_stops_a_source(engine, session_factory, db_url, caplog):
    caplog.set_level(logging.DEBUG)
    bad = _bad_posts(db_url)
    pages = [
        Page(posts=(_raw(1, "jalan rusak"), *bad, _raw(5, "air mati")), cursor={"page": 1}),
        Page(posts=(_raw(6, "lampu mati"),), cursor={"page": 2}),
    ]
    result = harvest_source(ListSource("fb", pages), factory=session_factory)
    assert result.ok, result.error
    assert (result.pages, result.seen, result.new, result.refused) == (2, 3 + len(bad), 3, len(bad))
    with session_factory() as session:
        stored = set(session.scalars(select(PostRow.external_id)))
        assert stored == {"ext-1", "ext-5", "ext-6"}
        assert get_cursor(session=session, source="fb") == {"page": 2}
        note = session.get(HarvestCursor, "fb").last_error
    assert "refused" in note and "ext-2" in note  # recorded on the source, by id only
    assert SECRET_TEXT not in note
    assert SECRET_TEXT not in caplog.text
    again = harvest_source(ListSource("fb", pages), factory=session_factory)
    assert again.ok and again.new == 0  # nothing left behind, nothing stored twice


def test_a_bad_row_in_one_source_does_not_stop_the_next_source(engine, session_factory, db_url):
    first = ListSource("fb", [Page(posts=tuple(_bad_posts(db_url)), cursor={"page": 1})])
    second = ListSource("blog", [Page(posts=(replace(make_post(9), source="blog"),), cursor={})])
    built = {"fb": first, "blog": second}

    @dataclass
    class Config:
        name: str

    import harvester.run as run

    original = run.build_source
    run.build_source = lambda config, **_: built[config.name]
    try:
        results = harvest_all(
            [Config("fb"), Config("blog")], factory=session_factory, http=None, author_key=b"k"
        )
    finally:
        run.build_source = original
    assert [r.ok for r in results] == [True, True]
    assert results[1].new == 1


def test_engines_keep_bind_parameters_out_of_errors(db_url):
    from sqlalchemy import text

    engine = make_engine(db_url)
    try:
        with pytest.raises(Exception) as caught, engine.begin() as conn:
            conn.execute(text("SELECT CAST(:v AS INTEGER) + no_such_column"), {"v": SECRET_TEXT})
        assert SECRET_TEXT not in str(caught.value)
    finally:
        engine.dispose()
