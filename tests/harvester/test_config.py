"""sources.yaml: every type validated; a bad entry is named with its field, others still load."""

from pathlib import Path

import pytest

from harvester.config import load_sources
from harvester.exceptions import MissingSecret, SourceConfigError
from harvester.sources.facebook import FacebookPageConfig

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "sources.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_the_kupang_profile_is_valid():
    configs, problems = load_sources(REPO / "profiles" / "kupang")
    assert problems == []
    assert {c.type for c in configs} == {
        "facebook_page",
        "feed",
        "wordpress_comments",
        "x_search",
        "youtube_comments",
        "instagram_account",
        "html",
    }
    facebook = next(c for c in configs if c.type == "facebook_page")
    assert facebook.api_url == "https://graph.facebook.com/v21.0"


def test_bad_entry_is_reported_with_name_and_field_and_others_load(tmp_path):
    folder = write(
        tmp_path,
        """
sources:
  - {name: good-feed, type: feed, url: "https://a.example/feeds/comments/default"}
  - {name: fb-no-page, type: facebook_page, token_env: FB_TOKEN}
  - {name: fb-bad-limit, type: facebook_page, page_id: "1", token_env: FB_TOKEN, limit: 1000}
  - {name: strange, type: myspace}
  - {name: yt-both, type: youtube_comments, token_env: YT, channel_id: UCx, video_ids: [a]}
  - {name: good-feed, type: feed, url: "https://b.example/feed"}
  - {name: typo, type: feed, url: "https://c.example/feed", enabeld: false}
""",
    )
    configs, problems = load_sources(folder)
    assert [c.name for c in configs] == ["good-feed"]
    found = {(p.name, p.field) for p in problems}
    assert ("fb-no-page", "page_id") in found
    assert ("fb-bad-limit", "limit") in found
    assert ("strange", "type") in found
    assert ("good-feed", "name") in found
    assert ("typo", "enabeld") in found
    assert any(
        p.name == "yt-both" and "either channel_id or video_ids" in p.message for p in problems
    )


def test_token_env_is_required_for_api_sources(tmp_path):
    folder = write(tmp_path, "sources:\n  - {name: x, type: x_search, query: kupang}\n")
    _, problems = load_sources(folder)
    assert "token_env is required" in problems[0].message


def test_missing_secret_names_the_variable(monkeypatch):
    monkeypatch.delenv("ADUAN_FB_TOKEN", raising=False)
    config = FacebookPageConfig(
        name="fb", type="facebook_page", page_id="1", token_env="ADUAN_FB_TOKEN"
    )
    with pytest.raises(MissingSecret, match="ADUAN_FB_TOKEN is not set"):
        config.token()
    monkeypatch.setenv("ADUAN_FB_TOKEN", "secret-value")
    assert config.token() == "secret-value"
    assert "secret-value" not in repr(config)


def test_base_url_must_be_http_and_loses_its_trailing_slash():
    config = FacebookPageConfig(
        name="fb",
        type="facebook_page",
        page_id="1",
        token_env="T",
        base_url="http://127.0.0.1:8000/v21.0/",
    )
    assert config.api_url == "http://127.0.0.1:8000/v21.0"
    with pytest.raises(ValueError, match="http"):
        FacebookPageConfig(
            name="fb", type="facebook_page", page_id="1", token_env="T", base_url="ftp://x"
        )


def test_unreadable_file_is_one_clear_error(tmp_path):
    with pytest.raises(SourceConfigError, match="no sources.yaml"):
        load_sources(tmp_path)
    with pytest.raises(SourceConfigError, match="sources:"):
        load_sources(write(tmp_path, "- just a list\n"))
