"""Pure parsers on recorded responses (tests/fixtures/<platform>/): bytes/JSON in, Posts out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from harvester.exceptions import BadResponse, LayoutChanged
from harvester.models import author_ref
from harvester.sources import facebook, feed, html, wordpress, x, youtube
from harvester.sources.base import parse_time
from harvester.sources.html import HtmlSelectors
from tests.conftest import fixture_path

KEY = b"test-key"
NOW = datetime(2026, 11, 28, tzinfo=UTC)
COMMON = {"key": KEY, "fetched_at": NOW}
FORUM = HtmlSelectors(
    item="div.post-list article.comment",
    text="div.comment-body",
    author="span.comment-author",
    time="time.comment-date",
    time_format="%d/%m/%Y %H:%M",
    permalink="a.comment-permalink",
    next="a.next-page",
)


def load(*parts: str):
    return json.loads(fixture_path(*parts).read_text(encoding="utf-8"))


def test_parse_time_accepts_the_api_shapes():
    expected = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    for value in ("2026-11-26T09:00:00+0800", "2026-11-26T09:00:00+08:00", "2026-11-26T01:00:00Z"):
        assert parse_time(value) == expected
    with pytest.raises(ValueError):
        parse_time("2026-11-26T09:00:00")


def test_facebook_feed_skips_posts_without_text_and_hides_the_author():
    posts = facebook.parse_feed(load("facebook", "feed.json"), source="fb", **COMMON)
    assert [p.external_id for p in posts] == [
        "104620001234567_900000000000041",
        "104620001234567_900000000000039",
    ]
    assert posts[0].created_at == datetime(2026, 11, 26, 22, 30, tzinfo=UTC)
    assert posts[0].author_ref == author_ref(KEY, "104620001234567")
    assert "Pemerintah Kota Kupang" not in posts[0].raw


def test_facebook_comments_link_replies_to_their_parent():
    posts = facebook.parse_comments(
        load("facebook", "comments.json"),
        post_id="104620001234567_900000000000039",
        source="fb",
        **COMMON,
    )
    assert len(posts) == 2  # the empty sticker comment is skipped
    top, reply = posts
    assert top.parent_external_id == "104620001234567_900000000000039"
    assert reply.parent_external_id == top.external_id


def test_facebook_comments_without_ids_get_stable_derived_ids():
    data = load("facebook", "comments_without_ids.json")
    first = facebook.parse_comments(data, post_id="P1", source="fb", **COMMON)
    again = facebook.parse_comments(data, post_id="P1", source="fb", key=KEY, fetched_at=NOW)
    other_post = facebook.parse_comments(data, post_id="P2", source="fb", **COMMON)
    ids = [p.external_id for p in first]
    assert ids == [p.external_id for p in again]
    assert len(set(ids)) == 2 and all(i.startswith("derived:") for i in ids)
    assert not set(ids) & {p.external_id for p in other_post}
    assert all(p.author_ref is None for p in first)


def test_facebook_throttle_and_usage_are_recognised():
    from harvester.http import HttpResponse

    def response(status, body, headers=None):
        return HttpResponse("u", status, headers or {}, json.dumps(body).encode())

    assert facebook.throttle_wait(response(403, load("facebook", "error_4.json"))) == 0.0
    assert facebook.throttle_wait(response(400, load("facebook", "error_190.json"))) is None
    assert facebook.throttle_wait(response(200, {"data": []})) is None
    usage = {"X-App-Usage": json.dumps({"call_count": 95, "total_time": 20})}
    assert facebook.usage_percent(usage) == 95
    business = {"X-Business-Use-Case-Usage": json.dumps({"1": [{"call_count": 12, "type": "x"}]})}
    assert facebook.usage_percent(business) == 12
    assert facebook.usage_percent({"X-App-Usage": "not json"}) == 0


def blogger_bytes() -> bytes:
    text = fixture_path("blogger", "comments_default.atom.xml").read_text(encoding="utf-8")
    return text.replace("{base}", "https://kabarkupang-contoh.blogspot.com").encode()


def test_blogger_comment_feed():
    posts, next_url = feed.parse_feed(blogger_bytes(), source="blog", **COMMON)
    assert next_url is None and len(posts) == 12
    by_id = {p.external_id.rsplit("-", 1)[1]: p for p in posts}
    assert by_id["1102"].parent_external_id.endswith("post-1101")  # reply to a comment
    assert by_id["1101"].parent_external_id.endswith("post-5566")  # comment on the article
    assert "<script>" not in by_id["1109"].text and "alert" not in by_id["1109"].text
    assert "Balas" not in by_id["1106"].text
    assert "Warga Naikoten Keluhkan" not in by_id["1104"].text  # quoted text dropped
    assert by_id["1110"].text.endswith("cepat tanggap & turun tangan.")
    assert by_id["1103"].author_ref == author_ref(KEY, "Anonim")
    assert by_id["1101"].created_at == datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


def test_truncated_or_badly_encoded_feed_is_refused():
    data = blogger_bytes()
    with pytest.raises(BadResponse, match="malformed"):
        feed.parse_feed(data[: len(data) // 2], source="blog", **COMMON)
    with pytest.raises(BadResponse):
        feed.parse_feed(data.replace(b"Oesapa", b"Oes\xff\xfepa"), source="blog", **COMMON)


def test_wordpress_comments():
    items = json.loads(
        fixture_path("wordpress", "comments.json").read_text("utf-8").replace("{base}", "https://w")
    )
    posts = wordpress.parse_comments(items, source="wp", **COMMON)
    assert len(posts) == 11
    reply = next(p for p in posts if p.text.startswith("Terima kasih informasinya"))
    assert reply.parent_external_id == "3002"
    assert posts[0].parent_external_id == "post:201"
    quoted = next(p for p in posts if p.text.startswith("Anak saya"))
    assert "antrean panjang" not in quoted.text
    assert "–" in next(p for p in posts if p.text.startswith("Mantap")).text
    with pytest.raises(BadResponse, match="list"):
        wordpress.parse_comments({"code": "rest_no_route"}, source="wp", **COMMON)


def test_x_search():
    posts, meta = x.parse_search(load("x", "search_recent.json"), source="x", **COMMON)
    assert len(posts) == 8 and meta["result_count"] == 8
    reply = next(p for p in posts if p.text.startswith("@warga_kupang"))
    assert reply.parent_external_id == "1862000000000002000"
    assert posts[0].url == f"https://x.com/i/web/status/{posts[0].external_id}"
    assert "author_id" not in posts[0].raw


def test_youtube_threads_and_missing_replies():
    posts, incomplete = youtube.parse_threads(
        load("youtube", "comment_threads.json"), source="yt", **COMMON
    )
    assert incomplete == ["UgzA2"]  # 6 replies, the API embedded 5
    assert len(posts) == 4 + 1 + 5
    reply = next(p for p in posts if p.external_id == "UgzA1.8Zr0")
    assert reply.parent_external_id == "UgzA1"
    top = next(p for p in posts if p.external_id == "UgzA1")
    assert top.parent_external_id == "video:Kp9wLmQx2Ab"
    assert "lc=UgzA1" in top.url


def test_html_forum_page():
    content = fixture_path("html", "forum_page1.html").read_text("utf-8")
    posts, next_url = html.parse_page(
        content,
        page_url="https://forum.example/forum/keluhan-warga",
        selectors=FORUM,
        source="forum",
        zone=ZoneInfo("Asia/Makassar"),
        **COMMON,
    )
    assert next_url == "https://forum.example/forum/keluhan-warga?page=2"
    assert [p.external_id.rsplit("/", 1)[1] for p in posts] == ["9312", "9311", "9305", "9301"]
    assert posts[0].text.startswith("Sudah tiga hari sampah") and "Balas" not in posts[0].text
    assert "\n" in posts[0].text  # two paragraphs
    assert posts[1].text == "Di Oetete juga begitu, truk sampah terakhir datang minggu lalu."
    assert posts[0].created_at == datetime(2026, 11, 27, 11, 5, tzinfo=UTC)
    assert posts[3].text.endswith("harus bayar penuh.")
    assert posts[0].author_ref == author_ref(KEY, "Oma Ester")
    assert "Oma Ester" not in posts[0].raw and "Sudah tiga hari" in posts[0].raw


def test_html_layout_change_is_loud_and_stores_nothing():
    content = fixture_path("html", "forum_layout_changed.html").read_text("utf-8")
    with pytest.raises(LayoutChanged, match="matches nothing"):
        html.parse_page(content, page_url="https://f/", selectors=FORUM, source="f", **COMMON)
    broken = FORUM.model_copy(update={"text": "div.not-there"})
    page = fixture_path("html", "forum_page1.html").read_text("utf-8")
    with pytest.raises(LayoutChanged, match="text="):
        html.parse_page(page, page_url="https://f/", selectors=broken, source="f", **COMMON)
    bad_time = FORUM.model_copy(update={"time_format": "%Y-%m-%d"})
    with pytest.raises(LayoutChanged, match="time="):
        html.parse_page(page, page_url="https://f/", selectors=bad_time, source="f", **COMMON)
