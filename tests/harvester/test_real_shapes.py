"""Parsers on responses in the shapes real platforms send (see each fixture folder's README)."""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from harvester.dates import parse_indonesian, parse_relative, to_english
from harvester.models import author_ref
from harvester.sources import facebook, feed, html, wordpress, x, youtube
from harvester.sources.html import HtmlSelectors
from tests.conftest import fixture_path

KEY = b"test-key"
NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # 12.00 WITA
COMMON = {"key": KEY, "fetched_at": NOW}
WITA = ZoneInfo("Asia/Makassar")
PAGE = "104620005550001"


def load(*parts: str):
    return json.loads(fixture_path(*parts).read_text(encoding="utf-8"))


# --- Facebook ------------------------------------------------------------------------------


def test_facebook_comment_ids_and_parents_come_from_permalink_url(caplog):
    caplog.set_level(logging.WARNING)
    post_id = f"{PAGE}_830000000000200"
    posts = facebook.parse_comments(
        load("facebook", "comments_2021_permalinks.json"), post_id=post_id, source="fb", **COMMON
    )
    top, reply, unlinked = posts
    assert top.external_id == "830000000000200_1300000000000021"  # Graph's own id shape
    assert reply.external_id == "830000000000200_1300000000000022"
    assert reply.parent_external_id == top.external_id  # the comment it answers, not the post
    assert top.parent_external_id == post_id
    assert unlinked.external_id.startswith("derived:")
    assert posts.skipped == 1  # the comment without created_time
    warning = next(r.getMessage() for r in caplog.records if "malformed" in r.getMessage())
    assert "fb: item 4 of 5" in warning and "created_time" in warning


def test_facebook_derived_ids_survive_an_edit_of_the_text():
    data = load("facebook", "comments_2021_permalinks.json")
    edited = copy.deepcopy(data)
    edited["data"][2]["message"] += " Sudah dua minggu begini!"
    first = facebook.parse_comments(data, post_id="P", source="fb", **COMMON)
    again = facebook.parse_comments(edited, post_id="P", source="fb", **COMMON)
    assert [p.external_id for p in first] == [p.external_id for p in again]
    assert first[2].text != again[2].text


def test_facebook_same_second_comments_without_links_get_distinct_ids():
    item = {"created_time": "2026-11-28T09:00:00+0000", "message": "Air mati"}
    data = {"data": [item, {**item, "message": "Listrik padam"}]}
    posts = facebook.parse_comments(data, post_id="P", source="fb", **COMMON)
    assert len({p.external_id for p in posts}) == 2


def test_facebook_time_paged_feed_page_parses_and_names_its_next_page():
    data = load("facebook", "feed_time_page1.json")
    posts = facebook.parse_feed(data, source="fb", **COMMON)
    assert len(posts) == 4 and "cursors" not in data["paging"]
    assert "__paging_token" in data["paging"]["next"] and "until=" in data["paging"]["next"]


def test_facebook_malformed_feed_item_is_skipped_and_counted():
    data = load("facebook", "feed_time_page2.json")
    del data["data"][1]["created_time"]
    data["data"][2] = "not an object"
    posts = facebook.parse_feed(data, source="fb", **COMMON)
    assert len(posts) == 2 and posts.skipped == 2


# --- X -------------------------------------------------------------------------------------


def test_x_unescapes_entities_uses_note_tweet_and_skips_items_without_a_date(caplog):
    caplog.set_level(logging.WARNING)
    posts, meta = x.parse_search(load("x", "search_recent_real_shapes.json"), source="x", **COMMON)
    by_id = {p.external_id: p for p in posts}
    assert set(by_id) == {"1863000000000000100", "1863000000000000200", "1863000000000000400"}
    first = by_id["1863000000000000100"].text
    assert "rusak & berlubang" in first and "Lubang > 30 cm <- bahaya!" in first
    assert "&amp;" not in first and "&gt;" not in first
    long = by_id["1863000000000000200"].text
    assert len(long) > 280 and long.endswith("jangan tunggu warga sakit dulu.")
    assert "<segera>" in long and "t.co" not in long
    assert "\r" not in by_id["1863000000000000400"].text
    assert posts.skipped == 1 and meta["result_count"] == 4
    assert any("item 3 of 4" in r.getMessage() for r in caplog.records)


# --- YouTube -------------------------------------------------------------------------------


def test_youtube_replies_from_comments_list_link_to_the_threads_video():
    data = load("youtube", "replies.json")
    assert all("videoId" not in r["snippet"] for r in data["UgzA2"])  # the real shape
    replies = youtube.parse_replies(
        {"items": data["UgzA2"]}, video="Kp9wLmQx2Ab", parent="UgzA2", source="yt", **COMMON
    )
    assert replies and all(
        r.url == f"https://www.youtube.com/watch?v=Kp9wLmQx2Ab&lc={r.external_id}" for r in replies
    )
    assert all(r.parent_external_id == "UgzA2" for r in replies)
    assert replies[0].text == "Sama di Bello juga.\nMohon segera ditindaklanjuti."


def test_youtube_malformed_thread_is_skipped_and_counted():
    data = load("youtube", "comment_threads.json")
    del data["items"][1]["snippet"]["topLevelComment"]["snippet"]["publishedAt"]
    posts, _ = youtube.parse_threads(data, source="yt", **COMMON)
    assert posts.skipped == 1 and len(posts) > 0


# --- Blogger -------------------------------------------------------------------------------


def blogger(name: str) -> bytes:
    text = fixture_path("blogger", name).read_text(encoding="utf-8")
    return text.replace("{base}", "https://kabartimor-contoh.blogspot.com").encode()


def test_blogger_removed_comments_are_skipped_and_urls_are_alternate_links():
    posts, _ = feed.parse_feed(blogger("comments_removed.atom.xml"), source="blog", **COMMON)
    by_id = {p.external_id.rsplit("-", 1)[1]: p for p in posts}
    assert set(by_id) == {"2203", "2201"}  # 2205 and 2204 removed, 2202 has no date
    assert posts.skipped == 1
    assert by_id["2203"].url is None  # no alternate link: no url, never the tag: id
    assert by_id["2201"].url.endswith("sampah-pasar-inpres.html?showComment=1#c2201")
    assert by_id["2201"].parent_external_id.endswith("post-2203")
    every, _ = feed.parse_feed(blogger("comments_default.atom.xml"), source="blog", **COMMON)
    assert all(p.url.startswith("https://") for p in every)


def test_blogger_removal_text_alone_is_recognised():
    data = blogger("comments_removed.atom.xml").replace(b"blogger.contentRemoved", b"blogger.x")
    posts, _ = feed.parse_feed(data, source="blog", **COMMON)
    assert {p.external_id.rsplit("-", 1)[1] for p in posts} == {"2203", "2201"}


# --- WordPress -----------------------------------------------------------------------------


def test_wordpress_malformed_comment_is_skipped_and_counted():
    items = json.loads(
        fixture_path("wordpress", "comments.json").read_text("utf-8").replace("{base}", "https://w")
    )
    del items[3]["date_gmt"]
    posts = wordpress.parse_comments(items, source="wp", **COMMON)
    assert len(posts) == 10 and posts.skipped == 1


# --- HTML: Indonesian dates, threads -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 Januari 2024", datetime(2024, 1, 12, tzinfo=WITA)),
        ("5 Mei 2024", datetime(2024, 5, 5, tzinfo=WITA)),
        ("12 Agu 2024", datetime(2024, 8, 12, tzinfo=WITA)),
        ("3 Okt 2024 09.15", datetime(2024, 10, 3, 9, 15, tzinfo=WITA)),
        ("25 Des 2023", datetime(2023, 12, 25, tzinfo=WITA)),
        ("Senin, 12 Februari 2024", datetime(2024, 2, 12, tzinfo=WITA)),
        ("Jum'at, 1 Des 2023 07.45", datetime(2023, 12, 1, 7, 45, tzinfo=WITA)),
        ("Senin, 12 Februari 2024 pukul 14.30 WIB", datetime(2024, 2, 12, 7, 30, tzinfo=UTC)),
        ("12/01/2024 09:15", datetime(2024, 1, 12, 9, 15, tzinfo=WITA)),
        ("2 jam yang lalu", datetime(2026, 11, 28, 2, 0, tzinfo=UTC)),
        ("5 menit lalu", datetime(2026, 11, 28, 3, 55, tzinfo=UTC)),
        ("kemarin", datetime(2026, 11, 27, tzinfo=WITA)),
        ("Kemarin pukul 19.05", datetime(2026, 11, 27, 19, 5, tzinfo=WITA)),
        ("baru saja", NOW),
    ],
)
def test_indonesian_dates(text, expected):
    assert parse_indonesian(text, now=NOW, zone=WITA) == expected


def test_not_a_date_and_impossible_dates_are_none():
    for text in ("sekitar waktu itu", "31 Februari 2024", "12 Foo 2024", ""):
        assert parse_indonesian(text, now=NOW, zone=WITA) is None
    assert parse_relative("12 Januari 2024", now=NOW, zone=WITA) is None


def test_strptime_formats_read_indonesian_names():
    value = to_english("Senin, 12 Februari 2024")
    assert datetime.strptime(value, "%A, %d %B %Y") == datetime(2024, 2, 12)
    assert datetime.strptime(to_english("12 Agu 2024"), "%d %b %Y") == datetime(2024, 8, 12)
    assert datetime.strptime(to_english("5 Mei 2024"), "%d %B %Y") == datetime(2024, 5, 5)


WP_THEME = HtmlSelectors(
    item="article.comment-body",
    text="div.comment-content",
    author=".comment-author .fn",
    time=".comment-metadata time",
    parent="li.comment",
)


def parse_html(name: str, selectors: HtmlSelectors):
    return html.parse_page(
        fixture_path("html", name).read_text("utf-8"),
        page_url="https://kabartimor.example/2024/02/air-macet",
        selectors=selectors,
        source="berita",
        zone=WITA,
        **COMMON,
    )


def test_html_indonesian_dates_and_a_parent_selector():
    posts, _ = parse_html("berita_komentar.html", WP_THEME)
    by_anchor = {p.external_id.rsplit("#", 1)[1]: p for p in posts}
    assert set(by_anchor) == {f"div-comment-{n}" for n in (501, 502, 503, 504, 505)}
    assert posts.skipped == 1  # "sekitar waktu itu" is not a date
    top, first_reply, second_reply = (by_anchor[f"div-comment-{n}"] for n in (501, 502, 503))
    assert top.created_at == datetime(2024, 2, 12, 6, 30, tzinfo=UTC)
    assert first_reply.created_at == datetime(2024, 2, 13, 0, 5, tzinfo=UTC)
    assert second_reply.created_at == datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    assert first_reply.parent_external_id == second_reply.parent_external_id == top.external_id
    assert (
        top.parent_external_id is None and by_anchor["div-comment-504"].parent_external_id is None
    )
    assert by_anchor["div-comment-504"].created_at == datetime(2024, 5, 4, 16, 0, tzinfo=UTC)
    assert by_anchor["div-comment-505"].created_at == datetime(2026, 11, 27, 11, 5, tzinfo=UTC)


def test_html_nested_replies_and_no_reply_author_in_the_parents_raw():
    selectors = HtmlSelectors(
        item="div.komentar", text="div.isi", author="span.nama", time="span.waktu"
    )
    posts, _ = parse_html("forum_bersarang.html", selectors)
    top, reply, other = posts
    assert reply.parent_external_id == top.external_id and other.parent_external_id is None
    assert top.text.startswith("Sampah di Pasar Kasih") and "pedagang ikan" not in top.text
    assert "Ibu Welmince" not in top.raw and "Om Daniel" not in top.raw
    assert "pedagang ikan" not in top.raw
    assert top.author_ref == author_ref(KEY, "Om Daniel")
    assert top.created_at == datetime(2023, 11, 30, 23, 45, tzinfo=UTC)
