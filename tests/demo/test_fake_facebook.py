"""The real Facebook source parses what the demo's fake Graph API serves as the file says it.

The fake has its own ids, times and cursors (it imports nothing from harvester/), so a bug in
the harvester's id, time or paging handling shows here instead of being mirrored by the fake.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from demo.fake_facebook import FakeGraphAPI, synthetic_page
from harvester.sources.facebook import (
    COMMENT_FIELDS,
    FEED_FIELDS,
    parse_comments,
    parse_feed,
)

DEMO_PAGE = (
    Path(__file__).resolve().parents[2] / "profiles" / "kupang" / "demo" / "facebook_page.json"
)
FETCHED = datetime(2026, 12, 1, tzinfo=UTC)
AUTH = {"Authorization": "Bearer fake"}  # as the harvester sends it (never in the URL)


def file_time(value: str) -> datetime:
    """The file's Graph time read here, independently of both the fake and the harvester."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)


def walk(comments: list[dict], parent: str, out: dict[str, tuple[str, str]]) -> None:
    """Every comment of the file with an id: id -> (the id it answers, created_time)."""
    for comment in comments:
        if comment.get("id"):
            out[comment["id"]] = (parent, comment["created_time"])
        walk(comment.get("comments", []), comment.get("id") or parent, out)


@pytest.fixture(scope="module")
def data() -> dict:
    return json.loads(DEMO_PAGE.read_text(encoding="utf-8"))


@pytest.fixture
def graph(data):
    with FakeGraphAPI(json.loads(json.dumps(data))) as fake:
        yield fake


def get_all(url: str, params: dict) -> list[dict]:
    """Every page of an edge, following ``paging.next`` as Graph documents."""
    pages, next_url = [], None
    while True:
        body = requests.get(
            next_url or url, params=None if next_url else params, headers=AUTH, timeout=10
        )
        body.raise_for_status()
        page = body.json()
        pages.append(page)
        next_url = page.get("paging", {}).get("next")
        if not next_url:
            return pages


@pytest.mark.parametrize("style", ["cursor", "time", "offset"])
def test_feed_ids_and_times_are_the_files(graph, data, style):
    graph.paging_style = style
    url = f"{graph.api_url}/{graph.page['id']}/feed"
    pages = get_all(url, {"fields": FEED_FIELDS, "limit": 7})
    posts = [
        post
        for page in pages
        for post in parse_feed(page, source="fb", key=b"k", fetched_at=FETCHED)
    ]
    expected = {p["id"]: file_time(p["created_time"]) for p in data["posts"] if p.get("message")}
    assert {p.external_id: p.created_at for p in posts} == expected
    assert all(p.external_id.startswith(f"{graph.page['id']}_") for p in posts)


@pytest.mark.parametrize("withheld", [False, True])
def test_comment_ids_parents_and_times_are_the_files(graph, data, withheld):
    graph.withhold_comment_ids = withheld  # ids then come back from permalink_url
    expected: dict[str, tuple[str, str]] = {}
    got: dict[str, tuple[str | None, datetime]] = {}
    for post in data["posts"]:
        walk(post.get("comments", []), post["id"], expected)
        url = f"{graph.api_url}/{post['id']}/comments"
        params = {"fields": COMMENT_FIELDS, "filter": "stream", "limit": 4}
        for page in get_all(url, params):
            parsed = parse_comments(
                page, post_id=post["id"], source="fb", key=b"k", fetched_at=FETCHED
            )
            got |= {c.external_id: (c.parent_external_id, c.created_at) for c in parsed}
    named = {k: v for k, v in got.items() if not k.startswith("derived:")}
    assert named == {k: (parent, file_time(t)) for k, (parent, t) in expected.items()}
    assert set(named) == graph.served
    assert len(got) - len(named) == len(graph.served_without_id) == 8


def test_synthetic_times_are_graph_utc_times():
    page = synthetic_page(20, comments_per_post=4)
    times = [page["posts"][0]["created_time"], page["posts"][0]["comments"][0]["created_time"]]
    assert times == ["2026-01-01T00:00:00+0000", "2026-01-01T00:00:30+0000"]
    with FakeGraphAPI(page) as fake:
        url = f"{fake.api_url}/{fake.page['id']}/feed"
        feed = requests.get(url, params={"fields": FEED_FIELDS}, headers=AUTH, timeout=10).json()
    parsed = parse_feed(feed, source="fb", key=b"k", fetched_at=FETCHED)
    assert min(p.created_at for p in parsed) == datetime(2026, 1, 1, tzinfo=UTC)
