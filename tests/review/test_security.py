"""The issue's security and bad-input cases, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging

import itsdangerous
from sqlalchemy import func, select

from review.auth import SESSION_COOKIE
from store.tables import Case, Forward, User
from tests.review.conftest import PASSWORD, add_user, csrf_of, login, seed_case

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_script_payloads_in_text_author_and_url_render_inert(session_factory, client):
    add_user(session_factory, "ana", "admin")
    seed_case(session_factory, 1, text=f"jalan rusak {PAYLOAD}", author_ref=f"a{PAYLOAD}"[:64])
    seed_case(session_factory, 2, url="javascript:alert(document.cookie)")
    assert login(client, "ana").status_code == 303
    for path in ("/", "/cases/1"):
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert 'href="javascript:' not in client.get("/").text
    assert "script-src 'self'" in client.get("/").headers["content-security-policy"]


def test_form_without_valid_csrf_token_is_403_and_changes_nothing(session_factory, client):
    add_user(session_factory, "ana", "admin")
    case_id = seed_case(session_factory, 1)
    login(client, "ana")
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post(f"/cases/{case_id}/accept", data=data, follow_redirects=False)
        assert response.status_code == 403
    with session_factory() as session:
        assert session.get(Case, case_id).state == "open"
        assert session.scalar(select(func.count()).select_from(Forward)) == 0


def test_login_form_needs_its_csrf_token(session_factory, client):
    add_user(session_factory, "ana", "admin")
    client.get("/login")
    response = client.post("/login", data={"username": "ana", "password": PASSWORD})
    assert response.status_code == 403


def test_facilitator_opening_another_agencys_case_gets_404(session_factory, client):
    add_user(session_factory, "fasil", "facilitator", ["dlhk"])
    own = seed_case(session_factory, 1, agency="dlhk", topic="sampah")
    other = seed_case(session_factory, 2, agency="pln", topic="listrik")
    login(client, "fasil")
    assert client.get(f"/cases/{own}").status_code == 200
    assert client.get(f"/cases/{other}").status_code == 404
    csrf = csrf_of(client.get("/").text)
    response = client.post(f"/cases/{other}/accept", data={"csrf_token": csrf})
    assert response.status_code == 404
    assert f"#{other}" not in client.get("/").text and f"#{own}" in client.get("/").text
    with session_factory() as session:
        assert session.get(Case, other).state == "open"


def test_expired_session_goes_to_login(session_factory, client, monkeypatch):
    add_user(session_factory, "ana", "admin")
    nine_hours_ago = itsdangerous.timed.TimestampSigner.get_timestamp(None) - 9 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda s: nine_hours_ago)
        assert login(client, "ana").status_code == 303
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2F&expired=1")
    assert "Sesi Anda berakhir" in client.get(response.headers["location"]).text


def test_no_session_and_forged_cookie_go_to_login(session_factory, client):
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    client.cookies.set(SESSION_COOKIE, "eyJ1IjoxfQ.forged.signature")
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_stale_action_gives_a_clear_message_and_no_double_forward(
    session_factory, client, make_client
):
    add_user(session_factory, "ana", "facilitator")
    add_user(session_factory, "budi", "facilitator")
    case_id = seed_case(session_factory, 1)
    other = make_client()
    login(client, "ana")
    login(other, "budi")
    page_ana = client.get("/").text  # Ana sees the case ...
    csrf_budi = csrf_of(other.get("/").text)
    other.post(f"/cases/{case_id}/accept", data={"csrf_token": csrf_budi, "version": 1})
    # ... and acts on it after Budi accepted it.
    response = client.post(
        f"/cases/{case_id}/reject", data={"csrf_token": csrf_of(page_ana), "version": 1}
    )
    assert response.status_code == 200
    assert f"Kasus #{case_id} tidak diubah" in response.text
    assert "budi" in response.text
    response = client.post(f"/cases/{case_id}/accept", data={"csrf_token": csrf_of(page_ana)})
    assert "Tidak dikirim dua kali" in response.text
    with session_factory() as session:
        case = session.get(Case, case_id)
        assert (case.state, case.decided_by) == ("approved", "budi")
        assert session.scalar(select(func.count()).select_from(Forward)) == 1


def test_viewer_reads_but_cannot_act(session_factory, client):
    add_user(session_factory, "vivi", "viewer")
    case_id = seed_case(session_factory, 1)
    login(client, "vivi")
    html = client.get("/").text
    assert f"#{case_id}" in html and "/accept" not in html
    response = client.post(f"/cases/{case_id}/accept", data={"csrf_token": csrf_of(html)})
    assert response.status_code == 403
    assert client.get("/users").status_code == 403


def test_failed_logins_lock_the_account(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    for _ in range(5):
        assert login(client, "ana", "salah-salah").status_code == 401
    response = login(client, "ana")  # the right password, but locked now
    # the same answer as a wrong password or an unknown name (no hint that the account exists)
    assert response.status_code == 401 and "dikunci" in response.text
    with session_factory() as session:
        user = session.scalars(select(User).where(User.name == "ana")).one()
        assert user.locked_until is not None


def test_one_address_is_throttled_across_user_names(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    for i in range(20):
        login(client, f"nobody{i}", "x")
    response = login(client, "ana")
    assert response.status_code == 429 and "Terlalu banyak" in response.text


def test_passwords_and_secrets_never_in_logs(session_factory, client, caplog):
    caplog.set_level(logging.DEBUG)
    add_user(session_factory, "ana", "admin")
    login(client, "ana", "kata-sandi-salah-9")
    assert login(client, "ana").status_code == 303
    cookie = client.cookies.get(SESSION_COOKIE)
    html = client.get("/users").text
    client.post(
        "/users",
        data={
            "csrf_token": csrf_of(html),
            "name": "baru",
            "role": "viewer",
            "password": "pw-baru-12345",
        },
    )
    secret = client.app.state.settings.cookie_key()
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "failed login" in text  # the logs do say what happened ...
    for leaked in (PASSWORD, "kata-sandi-salah-9", "pw-baru-12345", secret, cookie):
        assert leaked not in text  # ... but never a password, the secret or a session
    with session_factory() as session:
        stored = session.scalars(select(User.password_hash)).all()
        assert all(h.startswith("scrypt$") and PASSWORD not in h for h in stored)


def test_session_cookie_is_httponly_and_samesite(session_factory, client):
    add_user(session_factory, "ana", "admin")
    response = login(client, "ana")
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header
    assert response.headers["x-frame-options"] == "DENY"


def test_open_redirect_after_login_is_refused(session_factory, client):
    add_user(session_factory, "ana", "admin")
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": "ana",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_unknown_page_is_an_html_404(session_factory, client):
    response = client.get("/no/such/page")
    assert (
        response.status_code == 404
        and "<h1>Tidak ditemukan <small>(404)</small></h1>" in response.text
    )
    assert "Not Found" not in response.text
