"""``aduan run harvest`` on recorded-shape fixtures replayed from 127.0.0.1: every page style."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from harvester.run import harvest_source
from harvester.sources import build_source
from tests.fakes.replay import FixtureReplay, Route
from tests.fakes.x_api import FakeX
from tests.harvester.test_sources import KEY, config, stored

PAGE = "104620005550001"
POST0 = f"{PAGE}_830000000000100"
FEED = f"/v21.0/{PAGE}/feed"


def facebook_routes() -> list[Route]:
    return [
        Route(FEED, ("facebook", "feed_time_page1.json"), absent=("__paging_token",)),
        Route(FEED, ("facebook", "feed_time_page2.json"), {"__paging_token": "enc_AdFeedTwo"}),
        Route(FEED, ("facebook", "feed_time_page3.json"), {"__paging_token": "enc_AdFeedThree"}),
        Route(
            f"/v21.0/{POST0}/comments",
            ("facebook", "comments_time_page2.json"),
            {"__paging_token": "enc_AdCmtTwo", "filter": "stream"},
        ),
    ]


def test_facebook_time_paging_reads_all_ten_posts_not_four(session_factory, http):
    with FixtureReplay(facebook_routes(), auth_header="Authorization") as graph:
        cfg = config(
            name="fb",
            type="facebook_page",
            page_id=PAGE,
            base_url=f"{graph.url}/v21.0",
            token_env="TEST_FB_TOKEN",
        )
        result = harvest_source(
            build_source(cfg, http=http, author_key=KEY), factory=session_factory
        )
    rows = stored(session_factory)
    posts = [r for r in rows.values() if r.parent_external_id is None]
    assert result.ok, result.error
    assert len(posts) == 10 and result.new == 10 + 3 and result.skipped == 1
    reply = rows["830000000000100_1200000000000012"]
    assert reply.parent_external_id == "830000000000100_1200000000000011"
    assert len(graph.requests) == 4  # 3 feed pages + 1 comments page, each answered


@pytest.fixture
def app() -> typer.Typer:
    from cli.main import app

    return app


def test_aduan_run_harvest_on_the_fixtures(app, tmp_path, monkeypatch, session_factory):
    blog_routes = [
        Route(
            "/feeds/comments/default",
            ("blogger", "comments_removed.atom.xml"),
            content_type="application/atom+xml; charset=UTF-8",
        ),
        Route("/2024/02/air-macet", ("html", "berita_komentar.html"), content_type="text/html"),
    ]
    with (
        FixtureReplay(facebook_routes()) as graph,
        FixtureReplay(blog_routes) as site,
        FakeX(fixture="search_recent_real_shapes.json") as x,
    ):
        (tmp_path / "sources.yaml").write_text(
            f"""
sources:
  - {{name: fb, type: facebook_page, page_id: "{PAGE}", base_url: "{graph.url}/v21.0",
      token_env: CLI_FB_TOKEN, requests_per_second: 0}}
  - {{name: blog, type: feed, url: "{site.url}/feeds/comments/default", requests_per_second: 0}}
  - {{name: x, type: x_search, query: kupang, base_url: "{x.url}/2", token_env: CLI_X_TOKEN,
      requests_per_second: 0, max_results: 10}}
  - name: berita
    type: html
    url: "{site.url}/2024/02/air-macet"
    requests_per_second: 0
    selectors: {{item: article.comment-body, text: div.comment-content,
                 author: ".comment-author .fn", time: ".comment-metadata time",
                 parent: li.comment}}
""",
            encoding="utf-8",
        )
        monkeypatch.setenv("CLI_FB_TOKEN", "t")
        monkeypatch.setenv("CLI_X_TOKEN", x.token)
        # --profile sets ADUAN_PROFILE for the process: restored after the test (not leaked)
        monkeypatch.setenv("ADUAN_PROFILE", str(tmp_path))
        result = CliRunner().invoke(
            app, ["run", "harvest", "--profile", str(tmp_path)], env={"COLUMNS": "250"}
        )
    assert result.exit_code == 0, result.output
    # fb 10 posts + 3 comments, blog 2 (2 removed), x 3 (note_tweet asked for), berita 5
    assert "23 new posts from 4 sources; errors: 0" in result.output
    assert "skipped" in result.output
    for name in ("fb", "blog", "x", "berita"):
        assert f"{name}: 1 malformed items skipped" in result.output
    texts = [r.text for r in stored(session_factory).values()]
    assert not any("removed by the author" in t or "&amp;" in t for t in texts)
    assert any(len(t) > 280 for t in texts)
