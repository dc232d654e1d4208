"""Issue 19 item 11: a huge integer id or page number is a 404 or 400, never a 500 (every route
that reads a number from the URL or a form). On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.review.conftest import add_user, csrf_of, login, seed_case

HUGE = ["9223372036854775808", "99999999999999999999999999", "-9223372036854775809", "1e400"]


@pytest.fixture
def admin(session_factory, app):
    add_user(session_factory, "ana", "admin")
    seed_case(session_factory, 1)
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        login(client, "ana")
        yield client


@pytest.mark.parametrize("number", HUGE)
def test_huge_numbers_in_paths_are_404(admin, number):
    csrf = csrf_of(admin.get("/").text)
    form = {"csrf_token": csrf, "version": "1", "change": "unlock", "outcome": "sent"}
    assert admin.get(f"/cases/{number}").status_code == 404
    for path in (
        f"/cases/{number}/accept",
        f"/cases/{number}/skip",
        f"/users/{number}",
        f"/forwards/{number}/reconcile",
    ):
        assert admin.post(path, data=form).status_code in (400, 404), path


@pytest.mark.parametrize("number", HUGE)
def test_huge_numbers_in_forms_and_pages_are_not_500(admin, number):
    csrf = csrf_of(admin.get("/").text)
    for path in (
        f"/?page={number}",
        f"/forwards?page={number}",
        f"/audit?page={number}",
        f"/dashboard?weeks={number}",
    ):
        assert admin.get(path).status_code in (200, 400), path
    posts = {
        "/cases/1/merge": {"into": number},
        "/cases/1/split": {"post_id": number},
        "/bulk/accept": {"case": f"{number}:1"},
        "/cases/1/accept": {"version": number},
    }
    for path, data in posts.items():
        response = admin.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)
        assert response.status_code in (303, 400, 404), (path, response.status_code)
