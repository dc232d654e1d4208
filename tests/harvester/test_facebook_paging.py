"""Facebook paging in every shape Graph answers with: cursors, time-based, offset; resuming."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from demo.fake_facebook import FakeGraphAPI
from harvester.sources.facebook import without_token
from store.repository import get_cursor
from tests.harvester.test_sources import (
    DEMO_PAGE,
    assert_stored_as_served,
    fb_config,
    harvest,
    stored,
)


@pytest.fixture
def graph():
    with FakeGraphAPI.from_file(DEMO_PAGE) as fake:
        yield fake


@pytest.mark.parametrize("style", ["cursor", "time", "offset"])
def test_every_paging_style_reads_every_page(graph, session_factory, http, style):
    graph.paging_style = style
    result = harvest(fb_config(graph, limit=4, comment_limit=3), session_factory, http)
    assert result.ok and result.new == graph.item_count == 233
    assert_stored_as_served(stored(session_factory), graph)
    feed = [r for r in graph.requests if r.path.endswith("/feed")]
    assert len(feed) == 11  # 41 posts, 4 a page
    comments = [r for r in graph.requests if r.path.endswith("/comments")]
    assert comments, "posts with more than 3 comments are read on through paging.next"
    if style == "time":
        assert all("__paging_token" in r.query and "until" in r.query for r in feed[1:])
        assert all("after" not in r.query for r in feed)


def test_time_paging_without_cursors_reads_past_the_first_page(graph, session_factory, http):
    graph.paging_style = "time"
    result = harvest(fb_config(graph, limit=10, embed_comments=False), session_factory, http)
    posts = [r for r in stored(session_factory).values() if r.parent_external_id is None]
    assert result.ok and len(posts) == 41


def test_a_crash_resumes_from_the_stored_next_url(graph, session_factory, http):
    graph.paging_style = "time"
    first = harvest(fb_config(graph, limit=5), session_factory, http, max_pages=2)
    with session_factory() as session:
        cursor = get_cursor(session=session, source="pemkot-fb")
    next_url = cursor["run"]["next"]
    assert "__paging_token" in next_url and "access_token" not in json.dumps(cursor)
    before = len(graph.requests)
    harvest(fb_config(graph, limit=5), session_factory, http)
    resumed = next(r for r in graph.requests[before:] if r.path.endswith("/feed"))
    assert resumed.query == {
        k: v[0] for k, v in parse_qs(urlsplit(next_url).query, keep_blank_values=True).items()
    }
    assert first.pages == 2
    assert_stored_as_served(stored(session_factory), graph)


def test_a_stored_cursor_of_the_old_shape_still_resumes(graph, session_factory, http):
    from store.repository import save_cursor

    with session_factory() as session, session.begin():
        save_cursor(
            session=session,
            source="pemkot-fb",
            cursor={"newest": None, "run": {"since": None, "after": "ZmFrZToxMA"}},  # offset 10
        )
    harvest(fb_config(graph, limit=10), session_factory, http)
    first = next(r for r in graph.requests if r.path.endswith("/feed"))
    assert first.query["after"] == "ZmFrZToxMA"


def test_a_stored_next_url_of_another_host_is_not_followed(graph, session_factory, http):
    from store.repository import save_cursor

    with session_factory() as session, session.begin():
        save_cursor(
            session=session,
            source="pemkot-fb",
            cursor={"newest": None, "run": {"since": None, "next": "http://elsewhere.invalid/x"}},
        )
    result = harvest(fb_config(graph), session_factory, http)
    assert result.ok and result.new == 233


def test_the_token_never_travels_in_a_followed_or_stored_url():
    url = "https://graph.facebook.com/v21.0/1/feed?limit=25&access_token=SECRET&until=1700000000"
    assert without_token(url) == "https://graph.facebook.com/v21.0/1/feed?limit=25&until=1700000000"
    plain = "https://graph.facebook.com/v21.0/1/feed?limit=25&after=QVFI"
    assert without_token(plain) == plain
