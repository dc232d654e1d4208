"""Every source marks the publisher's own words (``Post.by_publisher``), on recorded shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from demo.fake_facebook import FakeGraphAPI
from harvester.http import PoliteSession
from harvester.sources import facebook, feed, html, wordpress, x, youtube
from harvester.sources.base import publisher_set
from harvester.sources.html import HtmlSelectors
from tests.conftest import fixture_path
from tests.fakes.wordpress import FakeWordPress
from tests.fakes.x_api import FakeX
from tests.harvester.test_sources import config, harvest, stored

KEY = b"test-key"
NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
PAGE = "104620001234567"


@pytest.fixture
def http():
    with PoliteSession(min_interval=0, sleep=lambda _: None, max_retries=1) as session:
        yield session


@pytest.fixture(autouse=True)
def tokens(monkeypatch):
    monkeypatch.setenv("TEST_FB_TOKEN", "fb-token")
    monkeypatch.setenv("TEST_X_TOKEN", "x-test-token")


def load(*parts: str):
    return json.loads(fixture_path(*parts).read_text("utf-8"))


def marks(posts) -> dict[str, bool]:
    return {post.external_id: post.by_publisher for post in posts}


def test_facebook_page_posts_and_replies_are_the_pages_own_visitors_are_not():
    data = load("facebook", "publisher_feed.json")
    # No configured id at all: the Page is known from its posts' ids ({page-id}_{post-id}).
    posts = facebook.parse_feed(data, source="fb", key=KEY, fetched_at=NOW)
    assert marks(posts) == {f"{PAGE}_900000000000052": True, f"{PAGE}_900000000000051": False}
    item = data["data"][0]
    comments = facebook.parse_comments(
        item["comments"], post_id=item["id"], source="fb", key=KEY, fetched_at=NOW
    )
    assert marks(comments) == {
        "900000000000052_1000000000000301": False,
        "900000000000052_1000000000000302": True,  # the Page answering the citizen
        "900000000000052_1000000000000303": False,
    }


def test_facebook_harvest_stores_the_pages_reply_as_by_publisher(session_factory, http):
    page = {"id": PAGE, "name": "Pemerintah Kota Kupang"}
    reply = {
        "id": "900000000000052_1000000000000302",
        "message": "Mohon maaf ibu, laporan sudah kami teruskan.",
        "created_time": "2026-11-28T08:05:00+0800",
        "from": page,
    }
    citizen = {
        "id": "900000000000052_1000000000000301",
        "message": "Sudah 2 minggu air di RT 07 Oebobo sonde jalan",
        "created_time": "2026-11-28T07:20:00+0800",
        "from": {"id": "5000000321654", "name": "Yuliana Messakh"},
        "comments": [reply],
    }
    post = {
        "id": f"{PAGE}_900000000000052",
        "message": "Pemadaman air terjadwal di Kelurahan Oebobo hari Sabtu.",
        "created_time": "2026-11-28T07:00:00+0800",
        "from": page,
        "comments": [citizen],
    }
    with FakeGraphAPI({"page": page, "posts": [post]}) as graph:
        cfg = config(**graph.source_entry("fb", token_env="TEST_FB_TOKEN"))
        assert harvest(cfg, session_factory, http).ok
    rows = stored(session_factory)
    assert {k: r.by_publisher for k, r in rows.items()} == {
        post["id"]: True,
        citizen["id"]: False,
        reply["id"]: True,
    }


def test_youtube_the_channels_own_comments_and_replies_are_marked():
    data = load("youtube", "publisher_threads.json")
    posts, _ = youtube.parse_threads(data, source="yt", key=KEY, fetched_at=NOW)
    assert marks(posts) == {"UgyP1": True, "UgyP2": False, "UgyP2.9Ab1": True}


def test_youtube_a_reply_fetched_alone_is_marked_by_the_configured_channel():
    item = load("youtube", "publisher_threads.json")["items"][1]["replies"]["comments"][0]
    item = {**item, "snippet": {k: v for k, v in item["snippet"].items() if k != "channelId"}}
    kw = {"source": "yt", "key": KEY, "fetched_at": NOW, "parent": "UgyP2"}
    assert youtube._comment(item, **kw).by_publisher is False
    own = publisher_set("UCpemkotkupangcontoh0001")
    assert youtube._comment(item, publisher=own, **kw).by_publisher is True


def test_blogger_the_blogs_author_by_profile_not_a_commenter_typing_the_same_name():
    content = fixture_path("blogger", "publisher_comments.atom.xml").read_bytes()
    posts, _ = feed.parse_feed(content, source="blog", key=KEY, fetched_at=NOW)
    prefix = "tag:blogger.com,1999:blog-7345021987654321.post-"
    assert marks(posts) == {f"{prefix}2203": False, f"{prefix}2202": True, f"{prefix}2201": False}


def test_feed_accounts_from_the_config_are_the_publishers():
    content = fixture_path("blogger", "publisher_comments.atom.xml").read_bytes()
    own = publisher_set("https://www.blogger.com/profile/08881234099")
    posts, _ = feed.parse_feed(content, source="blog", key=KEY, fetched_at=NOW, publisher=own)
    assert [p.by_publisher for p in posts] == [False, True, True]


def test_wordpress_the_sites_authors_are_the_publishers_guests_never(session_factory, http):
    with FakeWordPress() as wp:
        cfg = config(name="wp", type="wordpress_comments", base_url=wp.url, per_page=100)
        assert harvest(cfg, session_factory, http).ok
    rows = stored(session_factory)
    assert [k for k, r in rows.items() if r.by_publisher] == ["3003"]
    assert len(rows) == 11


def test_wordpress_a_guest_typing_a_configured_name_is_not_the_publisher():
    data = load("wordpress", "comments.json")
    own = publisher_set("Redaksi Berita NTT", "Dani Laka")
    posts = wordpress.parse_comments(data, source="wp", key=KEY, fetched_at=NOW, publisher=own)
    assert [p.external_id for p in posts if p.by_publisher] == ["3003"]  # 3001 is a guest


def test_wordpress_a_site_hiding_its_users_falls_back_to_the_config(session_factory, http):
    with FakeWordPress() as wp:
        wp.users = None  # the users route answers 404 rest_no_route, as security plugins make it
        cfg = config(name="wp", type="wordpress_comments", base_url=wp.url, per_page=100)
        assert harvest(cfg, session_factory, http).ok
    assert not any(r.by_publisher for r in stored(session_factory).values())


def test_x_accounts_listed_in_the_config_by_user_name_or_id():
    data = load("x", "search_publisher.json")
    own = publisher_set("@pemkotkupang", "1500000009")
    posts, _ = x.parse_search(data, source="x", key=KEY, fetched_at=NOW, publisher=own)
    assert marks(posts) == {
        "1862400000000003000": True,
        "1862400000000002000": False,
        "1862400000000001000": True,
    }
    unlisted, _ = x.parse_search(data, source="x", key=KEY, fetched_at=NOW)
    assert not any(p.by_publisher for p in unlisted)


def test_x_harvest_marks_a_configured_account_and_asks_for_user_names(session_factory, http):
    with FakeX() as api:
        cfg = config(
            name="x",
            type="x_search",
            query="kupang",
            base_url=f"{api.url}/2",
            token_env="TEST_X_TOKEN",
            publisher_accounts=["1400000049"],
        )
        assert harvest(cfg, session_factory, http).ok
        asked = api.requests[-1].query
    assert asked["expansions"] == "attachments.media_keys,author_id"
    assert asked["user.fields"] == "username"
    marked = [k for k, r in stored(session_factory).items() if r.by_publisher]
    assert marked == ["1862000000000007000"]


def test_html_the_publisher_selector_and_configured_authors():
    content = fixture_path("html", "comments_publisher.html").read_text("utf-8")
    selectors = HtmlSelectors(
        item="ol.comment-list > li.comment",
        text="div.comment-content",
        author="b.fn",
        time="time",
        time_attribute="datetime",
        permalink="a.comment-permalink",
        publisher=".bypostauthor",
    )
    kw = {"page_url": "https://berita.example/2026/11/got-oebufu/", "source": "web", "key": KEY}
    posts, _ = html.parse_page(content, selectors=selectors, fetched_at=NOW, **kw)
    assert [p.by_publisher for p in posts] == [False, True, False]
    own = publisher_set("humas pemkot kupang")
    posts, _ = html.parse_page(content, selectors=selectors, fetched_at=NOW, publisher=own, **kw)
    assert [p.by_publisher for p in posts] == [False, True, True]
