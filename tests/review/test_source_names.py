"""A card names the source a facilitator knows (the platform, or the entry's display name), not
its sources.yaml key; the key stays in the tooltip and the filter."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from config.profile import get_profile, load_profile
from review.source_names import source_names
from tests.review.conftest import add_user, login, seed_case

SOURCES = """sources:
  - name: pemkot-kupang-fb-demo
    type: facebook_page
    page_id: "1"
  - name: kabar-blog
    type: feed
    url: https://kabar.example/feeds/comments/default
"""


def test_names_come_from_the_type_or_the_display_name(tmp_path):
    (tmp_path / "sources.yaml").write_text(
        SOURCES + "  - name: pos\n    type: html\n    display_name: Pos Kupang\n"
    )
    assert source_names(tmp_path) == {
        "pemkot-kupang-fb-demo": "Facebook",
        "kabar-blog": "RSS/Atom",
        "pos": "Pos Kupang",
    }
    assert source_names(tmp_path / "none") == {}
    (tmp_path / "sources.yaml").write_text("sources: [\n")
    assert source_names(tmp_path) == {}  # unreadable: the keys are shown


@pytest.fixture
def client(session_factory, tmp_path):
    from review.app import create_app

    folder = tmp_path / "profile"
    shutil.copytree(get_profile().folder, folder)
    (folder / "sources.yaml").write_text(SOURCES)
    app = create_app(factory=session_factory, profile=load_profile(folder))
    with TestClient(app) as test_client:
        yield test_client


def test_the_card_shows_the_platform_not_the_key(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    case_id = seed_case(session_factory, 1, source="pemkot-kupang-fb-demo")
    login(client, "ana")
    for page in (client.get("/").text, client.get(f"/cases/{case_id}").text):
        assert '<span class="source" title="sumber: pemkot-kupang-fb-demo">Facebook</span>' in page
        assert ">pemkot-kupang-fb-demo<" not in page
