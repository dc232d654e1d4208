"""``aduan run harvest`` and ``aduan sources list|check`` against local fakes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from demo.fake_facebook import FakeGraphAPI
from harvester.exceptions import SourceConfigError
from tests.fakes.blogger import FakeBlogger
from tests.fakes.forum import FakeForum
from tests.fakes.wordpress import FakeWordPress
from tests.fakes.x_api import FakeX
from tests.fakes.youtube import FakeYouTube

REPO = Path(__file__).resolve().parents[2]
DEMO_PAGE = REPO / "profiles" / "kupang" / "demo" / "facebook_page.json"


def invoke(app, args):
    return CliRunner().invoke(app, args, env={"COLUMNS": "250"})


@pytest.fixture
def app() -> typer.Typer:
    from cli.main import app

    return app


@pytest.fixture
def fakes():
    with FakeGraphAPI.from_file(DEMO_PAGE) as graph, FakeBlogger() as blog, FakeWordPress() as wp:
        yield graph, blog, wp


def test_every_source_type_through_aduan_run_harvest(app, tmp_path, monkeypatch, session_factory):
    with (
        FakeGraphAPI.from_file(DEMO_PAGE) as graph,
        FakeBlogger() as blog,
        FakeWordPress() as wp,
        FakeX() as x,
        FakeYouTube() as yt,
        FakeForum() as forum,
    ):
        (tmp_path / "sources.yaml").write_text(
            f"""
sources:
  - {{name: fb, type: facebook_page, page_id: "{graph.page["id"]}", base_url: "{graph.api_url}",
      token_env: CLI_FB_TOKEN, requests_per_second: 0}}
  - {{name: blog, type: feed, url: "{blog.feed_url}", requests_per_second: 0}}
  - {{name: wp, type: wordpress_comments, base_url: "{wp.url}", requests_per_second: 0}}
  - {{name: x, type: x_search, query: kupang, base_url: "{x.url}/2", token_env: CLI_X_TOKEN,
      requests_per_second: 0}}
  - {{name: yt, type: youtube_comments, video_ids: [{yt.video}], base_url: "{yt.url}/youtube/v3",
      token_env: CLI_YT_KEY, requests_per_second: 0}}
  - name: forum
    type: html
    url: "{forum.forum_url}"
    requests_per_second: 0
    selectors: {{item: "div.post-list article.comment", text: div.comment-body,
                 author: span.comment-author, time: time.comment-date,
                 time_format: "%d/%m/%Y %H:%M", permalink: a.comment-permalink, next: a.next-page}}
""",
            encoding="utf-8",
        )
        monkeypatch.setenv("ADUAN_PROFILE", str(tmp_path))
        monkeypatch.setenv("CLI_FB_TOKEN", "t")
        monkeypatch.setenv("CLI_X_TOKEN", x.token)
        monkeypatch.setenv("CLI_YT_KEY", yt.key)
        result = invoke(app, ["run", "harvest", "--profile", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "281 new posts from 6 sources; errors: 0" in result.output  # 233+12+11+8+11+6


@pytest.fixture
def profile(tmp_path, fakes, monkeypatch):
    graph, blog, wp = fakes
    folder = tmp_path / "profile"
    folder.mkdir()
    (folder / "sources.yaml").write_text(
        f"""
sources:
  - name: fb
    type: facebook_page
    page_id: "{graph.page["id"]}"
    base_url: {graph.api_url}
    token_env: CLI_FB_TOKEN
    requests_per_second: 0
  - name: blog
    type: feed
    url: {blog.feed_url}
    requests_per_second: 0
  - name: wp-off
    type: wordpress_comments
    enabled: false
    base_url: {wp.url}
    requests_per_second: 0
  - name: broken
    type: html
    url: https://forum.example/
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("ADUAN_PROFILE", str(folder))  # restored after the test
    monkeypatch.setenv("CLI_FB_TOKEN", "token")
    return folder


def test_sources_list_shows_types_secrets_and_problems(app, profile, monkeypatch):
    monkeypatch.delenv("CLI_FB_TOKEN")
    result = invoke(app, ["sources", "list", "--profile", str(profile)])
    assert result.exit_code == 2, result.output  # an invalid entry is listed AND fails the command
    out = result.output
    assert "facebook_page" in out and "CLI_FB_TOKEN missing" in out
    assert "broken" in out and "selectors" in out
    assert "1 invalid entries" in out


def test_sources_list_of_valid_entries_exits_zero(app, tmp_path):
    folder = tmp_path / "ok-profile"
    folder.mkdir()
    (folder / "sources.yaml").write_text(
        "sources:\n  - {name: blog, type: feed, url: 'https://contoh.blogspot.com/feeds'}\n",
        encoding="utf-8",
    )
    result = invoke(app, ["sources", "list", "--profile", str(folder)])
    assert result.exit_code == 0, result.output


def test_sources_check_makes_one_request_per_enabled_source(app, profile, fakes):
    graph, blog, wp = fakes
    result = invoke(app, ["sources", "check", "--profile", str(profile)])
    assert "Pemerintah Kota Kupang" in result.output
    assert "entries on its first page" in result.output
    assert len(graph.requests) == 1 and len(blog.requests) == 1 and not wp.requests
    assert result.exit_code == 1  # the broken entry counts as a failure


def test_harvest_then_export(app, profile, session_factory, fakes):
    graph, blog, _ = fakes
    result = invoke(app, ["run", "harvest", "--profile", str(profile)])
    assert result.exit_code == 0, result.output
    assert "245 new posts from 2 sources; errors: 0" in result.output
    assert "sources.yaml: broken: selectors" in result.output  # warned, others ran
    again = invoke(app, ["run", "harvest", "--source", "fb", "--source", "wp-off"])
    assert again.exit_code == 0, again.output
    assert "11 new posts from 2 sources" in again.output  # wp-off runs because it is named


def test_harvest_reports_a_failed_source_and_exits_1(app, profile, fakes, session_factory):
    graph, _, _ = fakes
    graph.expire_token()
    result = invoke(app, ["run", "harvest", "--max-pages", "1"])
    assert result.exit_code == 1
    assert "5 new posts from 2 sources; errors: 1" in result.output


def test_unknown_source_is_a_user_error(app, profile):
    result = invoke(app, ["run", "harvest", "--source", "nope"])
    assert isinstance(result.exception, SourceConfigError)
    assert "no source named 'nope'" in str(result.exception)


def test_bad_since_is_one_error_line(profile):
    env = dict(os.environ)  # the date is checked before the store is opened
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from cli.main import main; main()",
            "run",
            "harvest",
            "--since",
            "kemarin",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: --since 'kemarin' is not a date (use 2026-11-01 or an ISO time)"
    )


def test_since_is_passed_to_the_source(app, profile, fakes, session_factory):
    graph, _, _ = fakes
    result = invoke(app, ["run", "harvest", "--source", "fb", "--since", "2026-11-20"])
    assert result.exit_code == 0, result.output
    feed = next(r for r in graph.requests if r.path.endswith("/feed"))
    assert feed.query["since"] == str(int(datetime(2026, 11, 20, tzinfo=UTC).timestamp()))
