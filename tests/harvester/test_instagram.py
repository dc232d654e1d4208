"""``instagram_account``: recorded shapes (tests/fixtures/instagram/) and the fake Instagram."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from harvester.config import parse_source
from harvester.http import PoliteSession
from harvester.models import author_ref
from harvester.run import harvest_all, harvest_source
from harvester.sources import build_source, instagram
from store.repository import get_cursor, stream_posts
from tests.conftest import fixture_path
from tests.fakes.instagram import FakeInstagram
from tests.harvester.test_sources import Sleeps

KEY = b"test-key"
NOW = datetime(2026, 11, 28, tzinfo=UTC)
ACCOUNT = "pemkotkupang.contoh"
# account.json: 3 captions (one video has none), 7 comments and 3 replies
ITEMS = 3 + 7 + 3


def load(name: str):
    return json.loads(fixture_path("instagram", name).read_text(encoding="utf-8"))


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def http(sleeps):
    with PoliteSession(min_interval=0, sleep=sleeps, clock=sleeps.clock, max_retries=3) as session:
        yield session


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv("TEST_IG_TOKEN", "ig-test-token")


@pytest.fixture
def ig():
    with FakeInstagram() as fake:
        yield fake


def ig_config(fake, **kw):
    parsed, problem = parse_source({**fake.source_entry(), **kw}, 0)
    assert problem is None, problem
    return parsed


def harvest(cfg, factory, http, **kw):
    return harvest_source(build_source(cfg, http=http, author_key=KEY), factory=factory, **kw)


def stored(factory):
    with factory() as session:
        return {row.external_id: row for row in stream_posts(session=session)}


# -- pure parsers on recorded shapes -------------------------------------------------------------
def test_media_are_the_publishers_captions_and_media_without_caption_are_skipped():
    posts = instagram.parse_media(
        load("media.json"), source="ig", key=KEY, fetched_at=NOW, owner=ACCOUNT
    )
    assert [p.external_id for p in posts] == ["18020000000000003"]
    assert posts[0].by_publisher and posts[0].url == "https://www.instagram.com/p/CONTOH0003/"
    assert posts[0].created_at == datetime(2026, 11, 27, 8, tzinfo=UTC)


def test_comments_hide_the_username_and_skip_empty_text():
    posts = instagram.parse_comments(
        load("comments.json"),
        parent_id="18020000000000003",
        url=None,
        source="ig",
        key=KEY,
        fetched_at=NOW,
        account=ACCOUNT,
    )
    assert [p.external_id for p in posts] == ["17900000000000031", "17900000000000034"]
    assert posts[0].author_ref == author_ref(KEY, "warga.oebobo1")
    assert all("warga.oebobo1" not in p.raw and "username" not in p.raw for p in posts)
    assert {p.parent_external_id for p in posts} == {"18020000000000003"}
    assert not any(p.by_publisher for p in posts)


def test_the_accounts_own_reply_is_marked_as_the_publishers():
    posts = instagram.parse_comments(
        load("replies.json"),
        parent_id="17900000000000031",
        url=None,
        source="ig",
        key=KEY,
        fetched_at=NOW,
        account=ACCOUNT,
    )
    assert [p.by_publisher for p in posts] == [False, True]


def test_paging_next_loses_its_access_token_before_it_is_kept():
    url = load("media.json")["paging"]["next"]
    kept = instagram.without_token(url)
    assert "access_token" not in kept and "EAAcontoh" not in kept
    assert "after=QVFIUmNvbnRvaDIZD" in kept and kept.startswith("https://graph.facebook.com/")


def test_config_needs_a_numeric_account_id_and_a_token_env():
    _, problem = parse_source({"name": "ig", "type": "instagram_account", "ig_user_id": "1"}, 0)
    assert problem is not None and "token_env" in problem.message
    entry = {"name": "ig", "type": "instagram_account", "ig_user_id": "kupang", "token_env": "T"}
    _, problem = parse_source(entry, 0)
    assert problem is not None and problem.field == "ig_user_id"


# -- against the fake Instagram ------------------------------------------------------------------
def test_all_media_comments_and_replies_paging_followed(ig, session_factory, http):
    result = harvest(ig_config(ig, limit=1, comment_limit=2), session_factory, http)
    assert result.ok and result.new == ITEMS
    rows = stored(session_factory)
    assert set(rows) == ig.item_ids
    assert rows["17900000000000032"].parent_external_id == "17900000000000031"
    assert rows["17900000000000031"].parent_external_id == "18020000000000003"
    assert rows["17900000000000033"].by_publisher and rows["18020000000000003"].by_publisher
    assert not rows["17900000000000035"].by_publisher
    assert all("username" not in (r.raw or "") for r in rows.values())
    assert any("after=" in r.query.get("after", "") or r.query.get("after") for r in ig.requests)
    again = harvest(ig_config(ig), session_factory, http)
    assert again.ok and again.new == 0


def test_incremental_runs_stop_at_the_lookback_floor(ig, session_factory, http):
    cfg = ig_config(ig, limit=1, lookback_hours=24)
    harvest(cfg, session_factory, http)
    with session_factory() as session:
        cursor = get_cursor(session=session, source="ig-test")
    assert cursor["run"] is None
    assert cursor["newest"] == int(datetime(2026, 11, 27, 8, tzinfo=UTC).timestamp())
    before = len(ig.requests)
    harvest(cfg, session_factory, http)
    media_pages = [r for r in ig.requests[before:] if r.path.endswith("/media")]
    assert len(media_pages) == 2  # the newest media, then one older than the floor: stop


def test_max_pages_stops_early_and_the_next_run_resumes_from_the_kept_url(
    ig, session_factory, http
):
    first = harvest(ig_config(ig, limit=1), session_factory, http, max_pages=1)
    assert first.pages == 1
    with session_factory() as session:
        run = get_cursor(session=session, source="ig-test")["run"]
    assert run["url"] and "access_token" not in run["url"]
    harvest(ig_config(ig, limit=1), session_factory, http)
    assert set(stored(session_factory)) == ig.item_ids


def test_throttling_500s_and_usage_headers_are_survived(ig, session_factory, http, sleeps):
    ig.throttles.append(613)
    ig.faults.status_burst(1, status=500)
    ig.usage.append(95)
    result = harvest(ig_config(ig), session_factory, http)
    assert result.ok and result.new == ITEMS
    assert len(sleeps) == 3 and max(sleeps) > 50  # two backoffs and the usage pause


def test_bad_token_stops_the_source_with_the_variable_named(ig, session_factory, http, monkeypatch):
    monkeypatch.setenv("TEST_IG_TOKEN", "wrong")
    [result] = harvest_all([ig_config(ig)], factory=session_factory, http=http, author_key=KEY)
    assert "190" in result.error and "TEST_IG_TOKEN" in result.error
    assert stored(session_factory) == {}


def test_missing_permission_explains_which_permissions(ig, session_factory, http):
    ig.permissions.discard("instagram_basic")
    [result] = harvest_all([ig_config(ig)], factory=session_factory, http=http, author_key=KEY)
    assert "instagram_basic" in result.error and "instagram_manage_comments" in result.error
    assert "instagram_business_manage_comments" in result.error


def test_check_names_the_account(ig, http):
    answer = build_source(ig_config(ig), http=http, author_key=KEY).check()
    assert f"@{ACCOUNT}" in answer
