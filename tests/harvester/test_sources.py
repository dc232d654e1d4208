"""Each source type against its local fake server, stored through ``harvest_source``."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.fake_facebook import FakeGraphAPI
from harvester.config import parse_source
from harvester.http import PoliteSession
from harvester.run import harvest_all, harvest_source
from harvester.sources import build_source
from store.repository import get_cursor, stream_posts
from tests.fakes.blogger import FakeBlogger
from tests.fakes.fault_server import FaultyGraphAPI
from tests.fakes.forum import FORUM_PATH, FakeForum
from tests.fakes.wordpress import FakeWordPress
from tests.fakes.x_api import FakeX
from tests.fakes.youtube import FakeYouTube

REPO = Path(__file__).resolve().parents[2]
DEMO_PAGE = REPO / "profiles" / "kupang" / "demo" / "facebook_page.json"
KEY = b"test-key"


class Sleeps(list):
    """Fake time: sleeping records the wait and moves the fake clock, nothing really waits."""

    now = 1000.0

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def http(sleeps):
    with PoliteSession(min_interval=0, sleep=sleeps, clock=sleeps.clock, max_retries=3) as session:
        yield session


def config(**entry):
    entry.setdefault("requests_per_second", 0)
    parsed, problem = parse_source(entry, 0)
    assert problem is None, problem
    return parsed


def stored(factory, source: str | None = None) -> dict[str, object]:
    with factory() as session:
        return {row.external_id: row for row in stream_posts(session=session, source=source)}


def assert_stored_as_served(ids, graph) -> None:
    """What the fake served with text is stored once each: under Graph's own id (recovered from
    the comment's link when Graph withholds it), or a derived id when Graph has none at all."""
    derived = {i for i in ids if i.startswith("derived:")}
    assert set(ids) - derived == graph.served
    assert len(derived) == len(graph.served_without_id)


def harvest(cfg, factory, http, **kw):
    return harvest_source(build_source(cfg, http=http, author_key=KEY), factory=factory, **kw)


@pytest.fixture
def graph():
    with FakeGraphAPI.from_file(DEMO_PAGE) as fake:
        yield fake


def fb_config(fake, **kw):
    return config(**{**fake.source_entry("pemkot-fb", token_env="TEST_FB_TOKEN"), **kw})


@pytest.fixture(autouse=True)
def tokens(monkeypatch):
    monkeypatch.setenv("TEST_FB_TOKEN", "fb-token")
    monkeypatch.setenv("TEST_X_TOKEN", "x-test-token")
    monkeypatch.setenv("TEST_YT_KEY", "yt-test-key")


def test_facebook_page_all_posts_and_nested_comments(graph, session_factory, http):
    result = harvest(fb_config(graph, limit=10), session_factory, http)
    assert result.ok and result.new == graph.item_count == 233
    rows = stored(session_factory)
    assert_stored_as_served(rows, graph)
    reply = rows["900000000000037_1000000000000168"]  # a reply nested under a comment
    assert reply.parent_external_id == "900000000000037_1000000000000167"
    assert result.pages >= 5  # 41 posts in feed pages of 10
    again = harvest(fb_config(graph, limit=10), session_factory, http)
    assert again.ok and again.new == 0
    assert all(r.raw and "name" not in r.raw for r in rows.values())


def test_facebook_is_incremental_by_since(graph, session_factory, http):
    cfg = fb_config(graph, lookback_hours=0)
    harvest(cfg, session_factory, http)
    with session_factory() as session:
        cursor = get_cursor(session=session, source="pemkot-fb")
    assert cursor["run"] is None and cursor["newest"] > 0
    before = len(graph.requests)
    harvest(cfg, session_factory, http)
    feed_requests = [r for r in graph.requests[before:] if r.path.endswith("/feed")]
    assert feed_requests[0].query["since"] == str(cursor["newest"])


def test_facebook_throttling_backs_off_and_resumes(graph, session_factory, http, sleeps):
    graph.throttle(2, code=613)
    graph.usage(95, times=1)
    result = harvest(fb_config(graph, limit=10), session_factory, http)
    assert result.ok and result.new == 233
    assert len(sleeps) == 3 and max(sleeps) > 50  # two backoffs and one usage pause


def test_facebook_token_expiry_stops_the_source_and_others_carry_on(graph, session_factory, http):
    with FakeWordPress() as wp:
        graph.expire_token()
        configs = [fb_config(graph), config(name="wp", type="wordpress_comments", base_url=wp.url)]
        results = harvest_all(configs, factory=session_factory, http=http, author_key=KEY)
    fb, wp_result = results
    assert "190" in fb.error and "TEST_FB_TOKEN" in fb.error and "renew" in fb.error
    assert wp_result.ok and wp_result.new == 11
    with session_factory() as session:
        from store.tables import HarvestCursor

        assert "190" in session.get(HarvestCursor, "pemkot-fb").last_error


def test_facebook_comments_without_ids_are_stored_once(graph, session_factory, http):
    with FakeGraphAPI.from_file(DEMO_PAGE) as full:  # the same page, ids not withheld
        harvest(fb_config(full, name="full"), session_factory, http)
    with_ids = stored(session_factory, "full")
    graph.withhold_comment_ids = True
    harvest(fb_config(graph), session_factory, http)
    second = harvest(fb_config(graph, lookback_hours=10_000), session_factory, http)
    rows = stored(session_factory, "pemkot-fb")
    # permalink_url names each comment: the ids are Graph's own, replies hang under their comment
    assert set(rows) == set(with_ids)
    assert_stored_as_served(rows, graph)
    assert {k: r.parent_external_id for k, r in rows.items()} == {
        k: r.parent_external_id for k, r in with_ids.items()
    }
    derived = [r for r in rows.values() if r.external_id.startswith("derived:")]
    assert len(derived) == 8  # the demo file's comments that have no id at all
    assert second.new == 0 and second.duplicates == 233


def test_facebook_comments_without_ids_or_links_survive_an_edit(graph, session_factory, http):
    graph.withhold_comment_ids = graph.withhold_permalinks = True
    first = harvest(fb_config(graph), session_factory, http)
    comment = graph._stream[graph._posts[0]["id"]][0]
    comment["message"] = comment["message"] + " (diedit)"
    again = harvest(fb_config(graph, lookback_hours=10_000), session_factory, http)
    rows = stored(session_factory)
    assert first.new == 233 and again.new == 0  # the edited comment is not a second post
    assert len([r for r in rows.values() if r.external_id.startswith("derived:")]) == 233 - 41


def test_facebook_truncated_json_and_500s_are_retried(session_factory, http):
    with FaultyGraphAPI.from_file(DEMO_PAGE) as graph:
        graph.faults.truncate(1)
        graph.faults.status_burst(2, status=500)
        result = harvest(fb_config(graph), session_factory, http)
    assert result.ok and result.new == 233


def test_facebook_missing_token_is_a_clear_error(graph, session_factory, http, monkeypatch):
    monkeypatch.delenv("TEST_FB_TOKEN")
    results = harvest_all([fb_config(graph)], factory=session_factory, http=http, author_key=KEY)
    assert "TEST_FB_TOKEN is not set" in results[0].error


def test_max_pages_stops_early_and_the_next_run_resumes(graph, session_factory, http):
    first = harvest(fb_config(graph, limit=5), session_factory, http, max_pages=2)
    assert first.pages == 2
    with session_factory() as session:
        assert "after=" in get_cursor(session=session, source="pemkot-fb")["run"]["next"]
    harvest(fb_config(graph, limit=5), session_factory, http)
    assert_stored_as_served(stored(session_factory), graph)


def test_blogger_feed_pages_and_conditional_get(session_factory, http):
    with FakeBlogger(page_size=5) as blog:
        cfg = config(name="blog", type="feed", url=blog.feed_url)
        first = harvest(cfg, session_factory, http)
        assert first.ok and first.new == 12 and first.pages == 3
        second = harvest(cfg, session_factory, http)
        assert second.new == 0 and blog.not_modified == 1
        entry = (
            blog.entries[0]
            .replace("post-1112<", "post-1113<")
            .replace("Di Jl. W.J. Lalamentik", "Baru: di Jl. Piet Tallo")
            .replace("2026-11-20T16:40", "2026-11-20T17:40")
        )
        blog.publish(entry)
        third = harvest(cfg, session_factory, http)
    assert third.new == 1
    assert any(
        r.text.startswith("Baru: di Jl. Piet Tallo") for r in stored(session_factory).values()
    )


def test_feed_with_duplicate_ids_stores_each_once(session_factory, http):
    with FakeBlogger(page_size=20) as blog:
        blog.duplicate_ids = True
        result = harvest(config(name="blog", type="feed", url=blog.feed_url), session_factory, http)
    assert result.ok and result.new == 12 and result.seen == 12


def test_truncated_feed_stops_the_source_and_stores_nothing(session_factory, http):
    with FakeBlogger(page_size=20) as blog:
        blog.faults.truncate(10)
        result = harvest(config(name="blog", type="feed", url=blog.feed_url), session_factory, http)
    assert "malformed" in result.error
    assert stored(session_factory) == {}


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (lambda f: f.faults.invalid_utf8(10), "malformed"),
        (lambda f: f.faults.huge_body(1, size=50 * 1024 * 1024), "exceeds"),
        (lambda f: f.faults.huge_body(1, size=50 * 1024 * 1024, declare=False), "exceeds"),
        (lambda f: f.faults.redirect_loop(50), "redirects"),
        (lambda f: f.faults.status_burst(10, status=502), "HTTP 502"),
    ],
    ids=["invalid-utf8", "50MB-declared", "50MB-streamed", "redirect-loop", "502-forever"],
)
def test_bad_responses_stop_the_source_cleanly(session_factory, http, fault, message):
    with FakeBlogger(page_size=20) as blog:
        fault(blog)
        result = harvest(config(name="blog", type="feed", url=blog.feed_url), session_factory, http)
    assert message in result.error
    assert stored(session_factory) == {}


@pytest.mark.parametrize(
    "fault",
    [
        lambda f: f.faults.status_burst(2, status=429, retry_after=30),
        lambda f: f.faults.status_burst(3, status=500),
        lambda f: f.faults.hang(1, seconds=1.0),
    ],
    ids=["429-retry-after", "500-burst", "timeout"],
)
def test_transient_faults_are_survived(session_factory, sleeps, fault):
    with (
        FakeBlogger(page_size=20) as blog,
        PoliteSession(min_interval=0, sleep=sleeps, clock=sleeps.clock, read_timeout=0.3) as http,
    ):
        fault(blog)
        result = harvest(config(name="blog", type="feed", url=blog.feed_url), session_factory, http)
    assert result.ok and result.new == 12
    assert sleeps


def test_an_unexpected_response_shape_stops_only_that_source(session_factory, http, monkeypatch):
    from harvester.sources import feed

    def broken(*args, **kwargs):
        raise KeyError("created_time")

    monkeypatch.setattr(feed, "parse_feed", broken)
    with FakeBlogger() as blog, FakeWordPress() as wp:
        configs = [
            config(name="blog", type="feed", url=blog.feed_url),
            config(name="wp", type="wordpress_comments", base_url=wp.url),
        ]
        results = harvest_all(configs, factory=session_factory, http=http, author_key=KEY)
    assert "unexpected KeyError" in results[0].error
    assert results[1].ok and results[1].new == 11


def test_wordpress_paging_and_new_comments(session_factory, http):
    with FakeWordPress() as wp:
        cfg = config(name="wp", type="wordpress_comments", base_url=wp.url, per_page=4)
        first = harvest(cfg, session_factory, http)
        assert first.ok and first.new == 11 and first.pages == 3
        wp.add_comment("Got di depan Pasar Kasih tersumbat, air meluap ke jalan.")
        second = harvest(cfg, session_factory, http)
        pages_read = [r.query["page"] for r in wp.requests[-second.pages :]]
    assert second.new == 1 and pages_read == ["1"]


def test_x_search_since_id_and_429(session_factory, http, sleeps):
    with FakeX() as api:
        cfg = config(
            name="x",
            type="x_search",
            query="kupang",
            base_url=f"{api.url}/2",
            token_env="TEST_X_TOKEN",
            max_results=10,
        )
        api.rate_limited = 1
        first = harvest(cfg, session_factory, http)
        assert first.ok and first.new == 8
        assert sleeps and 1.0 <= sleeps[0] <= 3.0  # waited until x-rate-limit-reset
        api.post(
            {
                "id": "1862000000000099000",
                "text": "Jalan di Alak rusak parah",
                "created_at": "2026-11-28T01:00:00.000Z",
                "author_id": "99",
            }
        )
        second = harvest(cfg, session_factory, http)
        assert second.new == 1
        assert api.requests[-1].query["since_id"] == "1862000000000007000"


def test_x_bad_token(session_factory, http, monkeypatch):
    monkeypatch.setenv("TEST_X_TOKEN", "wrong")
    with FakeX() as api:
        cfg = config(
            name="x",
            type="x_search",
            query="kupang",
            base_url=f"{api.url}/2",
            token_env="TEST_X_TOKEN",
        )
        result = harvest(cfg, session_factory, http)
    assert "401" in result.error and stored(session_factory) == {}


def test_youtube_channel_threads_and_all_replies(session_factory, http):
    with FakeYouTube(page_size=2) as yt:
        cfg = config(
            name="yt",
            type="youtube_comments",
            base_url=f"{yt.url}/youtube/v3",
            channel_id="UCpemkotkupangcontoh0001",
            token_env="TEST_YT_KEY",
        )
        result = harvest(cfg, session_factory, http)
        assert result.ok and result.new == 4 + 7
        yt.quota_exceeded = True
        stopped = harvest(cfg, session_factory, http)
    assert "throttled" in stopped.error


def test_html_forum_follows_next_and_obeys_robots(session_factory, http):
    selectors = {
        "item": "div.post-list article.comment",
        "text": "div.comment-body",
        "author": "span.comment-author",
        "time": "time.comment-date",
        "time_format": "%d/%m/%Y %H:%M",
        "permalink": "a.comment-permalink",
        "next": "a.next-page",
    }
    with FakeForum() as forum:
        cfg = config(name="forum", type="html", url=forum.forum_url, selectors=selectors)
        result = harvest(cfg, session_factory, http)
        assert result.ok and result.new == 6
        assert forum.requests[0].path == "/robots.txt"
        private = config(
            name="private", type="html", url=f"{forum.url}/forum/privat/1", selectors=selectors
        )
        refused = harvest(private, session_factory, http)
        assert "robots.txt" in refused.error
        forum.layout_changed = True
        changed = harvest(cfg, session_factory, http, since=None)
    assert "layout changed" in changed.error
    assert len(stored(session_factory)) == 6
    assert FORUM_PATH in next(iter(stored(session_factory)))
