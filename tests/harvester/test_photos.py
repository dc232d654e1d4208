"""``Post.photo_urls``: validated on the Post, filled by each source from its platform's shapes
(tests/fixtures/<platform>/), stored by the store on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from harvester.exceptions import InvalidPost
from harvester.models import MAX_PHOTOS
from harvester.sources import facebook, html, instagram, x
from harvester.sources.html import HtmlSelectors
from store.repository import upsert_posts
from store.tables import PostRow
from tests.conftest import fixture_path
from tests.factories import make_post
from tests.fakes.instagram import FakeInstagram
from tests.fakes.x_api import FakeX
from tests.harvester.test_sources import config, harvest, stored

KEY = b"test-key"
NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
COMMON = {"key": KEY, "fetched_at": NOW}
FB = "https://scontent.xx.fbcdn.net/v/t39.30808-6/"
IG = "https://scontent.cdninstagram.com/v/t51.29350-15/"


def load(*parts: str):
    return json.loads(fixture_path(*parts).read_text(encoding="utf-8"))


# --- Post ----------------------------------------------------------------------------------


def test_a_post_has_no_photos_by_default_and_a_list_becomes_a_tuple():
    assert make_post(1).photo_urls == ()
    post = make_post(2, photo_urls=["https://cdn.example/a.jpg", "http://cdn.example/b.png"])
    assert post.photo_urls == ("https://cdn.example/a.jpg", "http://cdn.example/b.png")


@pytest.mark.parametrize(
    "urls",
    [
        ("javascript:alert(1)",),
        ("/relatif/foto.jpg",),
        ("https://cdn.example/foto jalan.jpg",),
        ("https://cdn.example/a.jpg", "https://cdn.example/a.jpg"),
        tuple(f"https://cdn.example/{i}.jpg" for i in range(MAX_PHOTOS + 1)),
        (None,),
        "https://cdn.example/a.jpg",
    ],
)
def test_a_post_refuses_photo_links_that_are_not_a_few_distinct_http_links(urls):
    with pytest.raises(InvalidPost, match="photo_urls"):
        make_post(1, photo_urls=urls)


# --- Facebook ------------------------------------------------------------------------------


def test_facebook_photos_come_from_photo_and_album_attachments(caplog):
    caplog.set_level(logging.WARNING)
    posts = facebook.parse_feed(load("facebook", "feed_photos.json"), source="fb", **COMMON)
    photos = {p.external_id.rsplit("_", 1)[1]: p.photo_urls for p in posts}
    assert len(posts) == 5  # every post kept, whatever its media
    assert photos["900000000000061"] == (FB + "contoh_jalan_naikoten_n.jpg?stp=dst-jpg"
                                         "&_nc_cat=1&oh=00_contoh&oe=6751AAAA",)  # fmt: skip
    assert photos["900000000000060"] == (  # the album's photos, not its video's thumbnail
        FB + "contoh_tps_oesapa_1_n.jpg?oh=00_contoh1",
        FB + "contoh_tps_oesapa_2_n.jpg?oh=00_contoh2",
    )
    assert photos["900000000000059"] == ()  # a video: its thumbnail is no photo
    assert photos["900000000000058"] == ()  # a shared link's preview image is not the citizen's
    assert photos["900000000000057"] == ()  # no attachments at all
    assert posts.skipped == 1  # the album's photo without image.src
    assert "item 4 of 4 in the attachments of 104620001234567_900000000000060" in caplog.text


def test_facebook_a_comments_photo_attachment_and_not_its_sticker():
    post_id = "104620001234567_900000000000041"
    comments = facebook.parse_comments(
        load("facebook", "comments_photos.json"), post_id=post_id, source="fb", **COMMON
    )
    photo, sticker, bad_link = comments
    assert photo.photo_urls == (FB + "contoh_bak_kosong_n.jpg?oh=00_contoh3",)
    assert sticker.photo_urls == () and bad_link.photo_urls == ()
    assert bad_link.text.startswith("Kapan giliran Fatululi")  # the comment itself is kept
    assert comments.skipped == 1  # the javascript: link


def test_facebook_asks_for_attachments_not_full_picture():
    assert "attachments{media_type,media,subattachments{media_type,media}}" in (
        facebook.FEED_FIELDS
    )
    assert "full_picture" not in facebook.FEED_FIELDS
    assert "attachment{media_type,media}" in facebook.COMMENT_FIELDS


# --- Instagram -----------------------------------------------------------------------------


def test_instagram_photos_of_images_and_carousels_never_of_videos(caplog):
    caplog.set_level(logging.WARNING)
    posts = instagram.parse_media(
        load("instagram", "media_photos.json"), source="ig", owner="pemkot", **COMMON
    )
    photos = {p.external_id: p.photo_urls for p in posts}
    assert len(posts) == 4
    assert photos["18020000000000013"] == (
        IG + "contoh_kerja_bakti_oebufu_n.jpg?_nc_cat=1&oh=00_contoh13",
    )
    assert photos["18020000000000012"] == (  # IMAGE children; the VIDEO child and the bad one not
        IG + "contoh_jalan_1_n.jpg?oh=00_contoh12a",
        IG + "contoh_jalan_4_n.jpg?oh=00_contoh12d",
    )
    assert photos["18020000000000011"] == ()  # a VIDEO: its thumbnail_url is not taken
    assert photos["18020000000000010"] == ()  # media_url left out (copyright-flagged media)
    assert posts.skipped == 1  # the child whose media_url is a relative path
    assert "item 3 of 4 in the media of 18020000000000012 (children)" in caplog.text


def test_instagram_harvest_stores_the_photos_the_fake_serves(session_factory, http, monkeypatch):
    monkeypatch.setenv("TEST_IG_TOKEN", "ig-test-token")
    with FakeInstagram() as ig:
        result = harvest(config(**ig.source_entry()), session_factory, http)
        asked = ig.requests[1].query["fields"]
    assert result.ok and result.skipped == 0
    assert "media_url,children{media_type,media_url}" in asked
    rows = stored(session_factory, "ig-test")
    assert rows["18020000000000003"].photo_urls == [IG + "contoh_jadwal_sampah_n.jpg?oh=00_contoh3"]
    assert rows["18020000000000002"].photo_urls == [
        IG + "contoh_pipa_1_n.jpg?oh=00_contoh2a",
        IG + "contoh_pipa_2_n.jpg?oh=00_contoh2b",
    ]
    assert rows["17900000000000031"].photo_urls is None  # a comment has no media


# --- X -------------------------------------------------------------------------------------


def test_x_photos_are_the_photo_media_its_media_keys_name(caplog):
    caplog.set_level(logging.WARNING)
    posts, _ = x.parse_search(load("x", "search_media.json"), source="x", **COMMON)
    photos = {p.external_id: p.photo_urls for p in posts}
    assert len(posts) == 4
    assert photos["1862000000000009400"] == (
        "https://pbs.twimg.com/media/ContohGot1AAAA.jpg",
        "https://pbs.twimg.com/media/ContohGot2BBBB.jpg",
    )
    assert photos["1862000000000009300"] == ()  # a video
    assert photos["1862000000000009200"] == ()  # a photo entry without url, and a GIF
    assert photos["1862000000000009100"] == ()  # no attachments
    assert posts.skipped == 1
    assert "item 4 of 5 in search includes.media" in caplog.text


def test_x_harvest_asks_for_the_media_expansion_and_stores_the_photos(session_factory, http):
    with FakeX(fixture="search_media.json") as api:
        cfg = config(name="x-kupang", type="x_search", query="kupang",
                     base_url=f"{api.url}/2", token_env="TEST_X_TOKEN")  # fmt: skip
        result = harvest(cfg, session_factory, http)
        asked = api.requests[-1].query
    assert asked["expansions"] == "attachments.media_keys"
    assert asked["media.fields"] == "url,type" and "attachments" in asked["tweet.fields"]
    assert result.ok and result.skipped == 1
    rows = stored(session_factory, "x-kupang")
    assert rows["1862000000000009400"].photo_urls == [
        "https://pbs.twimg.com/media/ContohGot1AAAA.jpg",
        "https://pbs.twimg.com/media/ContohGot2BBBB.jpg",
    ]
    assert rows["1862000000000009100"].photo_urls is None


# --- HTML ----------------------------------------------------------------------------------

FORUM = HtmlSelectors(
    item="div.komentar", text="div.isi", author="span.nama", time="span.waktu",
    photo="div.lampiran img",
)  # fmt: skip


def parse_forum(selectors: HtmlSelectors = FORUM):
    content = fixture_path("html", "forum_foto.html").read_text("utf-8")
    return html.parse_page(
        content,
        page_url="https://forumwarga.example/diskusi/jalan-oepura?hal=1",
        selectors=selectors,
        source="forum",
        **COMMON,
    )


def test_html_photo_selector_gives_absolute_links_and_not_the_replies_photos():
    (top, reply, plain), _ = parse_forum()
    assert top.photo_urls == (
        "https://forumwarga.example/unggahan/2024/03/oepura-lubang-1.jpg",
        "https://cdn.forumwarga.example/unggahan/2024/03/oepura-lubang-2.jpg",
    )
    assert reply.photo_urls == ("https://forumwarga.example/unggahan/2024/03/oepura-genangan.jpg",)
    assert plain.photo_urls == ()


def test_html_an_image_that_is_not_a_link_is_skipped_and_counted():
    posts, _ = parse_forum()
    assert len(posts) == 3 and posts.skipped == 1  # the data: image
    without, _ = parse_forum(FORUM.model_copy(update={"photo": None}))
    assert [p.photo_urls for p in without] == [(), (), ()] and without.skipped == 0


# --- store ---------------------------------------------------------------------------------


def test_photo_links_round_trip_through_the_store(session_factory):
    urls = ("https://cdn.example/foto-1.jpg", "https://cdn.example/foto-2.jpg")
    with session_factory.begin() as session:
        new = upsert_posts(session=session, posts=[make_post(1, photo_urls=urls), make_post(2)])
    assert new == 2
    with session_factory() as session:
        rows = dict(session.execute(select(PostRow.external_id, PostRow.photo_urls)).all())
    assert rows == {"ext-1": list(urls), "ext-2": None}
