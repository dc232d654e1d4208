"""Issue 19 items 2, 3, 4, 8 and 12: login throttling, server-side session revocation, the Secure
cookie, the open redirect, the lock message. On SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from config.profile import get_profile
from review.auth import SESSION_COOKIE, hash_password
from store.tables import AuditEntry, LoginAttempt, User
from store.users import lockout_state, set_password, unlock_user, update_user
from tests.review.conftest import PASSWORD, add_user, csrf_of, login, seed_case
from tests.review.test_browser import free_port


@pytest.fixture
def live(session_factory):
    """The app served by uvicorn in a thread (real parallel requests), on both backends."""
    import uvicorn

    from review.app import create_app

    app = create_app(factory=session_factory, profile=get_profile())
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        threading.Event().wait(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join()


def _login_over_http(base: str, name: str, password: str) -> int:
    with requests.Session() as browser:
        page = browser.get(f"{base}/login", timeout=30)
        answer = browser.post(
            f"{base}/login",
            data={"username": name, "password": password, "csrf_token": csrf_of(page.text)},
            allow_redirects=False,
            timeout=60,
        )
        return answer.status_code


def test_parallel_wrong_passwords_lock_the_account_and_are_all_counted(session_factory, live):
    add_user(session_factory, "ana", "facilitator")
    with ThreadPoolExecutor(max_workers=15) as pool:
        codes = list(pool.map(lambda _: _login_over_http(live, "ana", "salah-salah"), range(30)))
    assert set(codes) <= {401, 429}
    with session_factory() as session:
        user = session.scalars(select(User).where(User.name == "ana")).one()
        assert lockout_state(user).locked
        locks = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.locked")).all()
        assert len(locks) == 1  # exactly one attempt used the last try
        assert session.get(LoginAttempt, "addr:127.0.0.1").attempts == 30
    assert _login_over_http(live, "ana", PASSWORD) in (401, 429)  # locked: even the right one


def test_parallel_attempts_never_pass_the_address_limit(session_factory, live):
    add_user(session_factory, "ana", "facilitator")
    with ThreadPoolExecutor(max_workers=15) as pool:
        codes = list(pool.map(lambda i: _login_over_http(live, f"nobody{i}", "x"), range(30)))
    assert codes.count(401) == 20 and codes.count(429) == 10


def test_a_success_does_not_reset_the_address_count(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    for i in range(19):
        assert login(client, f"nobody{i}", "x").status_code == 401
    assert login(client, "ana").status_code == 303  # the attacker's own account
    assert login(client, "nobody-19", "x").status_code == 401  # the 20th failure
    response = login(client, "nobody-20", "x")
    assert response.status_code == 429 and "Terlalu banyak" in response.text


def test_the_lock_message_is_the_unknown_user_message(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    for _ in range(5):
        login(client, "ana", "salah-salah")
        login(client, "tidak-ada", "salah-salah")  # the same number of tries for both names
    locked = login(client, "ana")
    unknown = login(client, "tidak-ada", "salah-salah")
    assert locked.status_code == unknown.status_code == 401
    assert "dikunci" in locked.text
    assert locked.text.replace(csrf_of(locked.text), "") == unknown.text.replace(
        csrf_of(unknown.text), ""
    )


def test_attempted_user_names_are_not_logged_at_warning(session_factory, client, caplog):
    caplog.set_level(logging.INFO)
    login(client, "maybe-my-Password-1", "x")
    assert "failed login" in caplog.text
    assert "maybe-my-Password-1" not in caplog.text


@pytest.fixture
def proxied(session_factory, monkeypatch):
    """A client whose TCP peer is a trusted reverse proxy (the test client's 'testclient')."""
    from fastapi.testclient import TestClient

    from review.app import create_app

    def build(trusted: str, **env: str) -> TestClient:
        monkeypatch.setenv("ADUAN_TRUSTED_PROXIES", trusted)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        app = create_app(factory=session_factory, profile=get_profile())
        return TestClient(app, base_url="http://testserver", client=("10.0.0.5", 4000))

    return build


def _login_as(client, name: str, password: str, forwarded: str | None = None, **headers: str):
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    page = client.get("/login", headers=headers)
    # The cookie may be Secure, which the test client keeps to itself over http://: pass it on
    # by hand, as a browser talking HTTPS to the proxy would.
    cookie = page.headers.get("set-cookie", "").split(";")[0]
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": csrf_of(page.text)},
        headers=headers | ({"Cookie": cookie} if cookie else {}),
        follow_redirects=False,
    )


def test_users_behind_a_trusted_proxy_get_their_own_bucket(session_factory, proxied):
    add_user(session_factory, "ana", "facilitator")
    client = proxied("10.0.0.0/24")
    for i in range(20):
        assert _login_as(client, f"nobody{i}", "x", "203.0.113.7").status_code == 401
    assert _login_as(client, "nobody", "x", "203.0.113.7").status_code == 429
    # another citizen behind the same proxy; a spoofed left-most entry changes nothing
    assert _login_as(client, "ana", PASSWORD, "198.51.100.9").status_code == 303
    assert _login_as(client, "x", "x", "198.51.100.9, 203.0.113.7").status_code == 429
    with session_factory() as session:
        assert session.get(LoginAttempt, "addr:203.0.113.7").attempts == 22


def test_forwarded_headers_of_an_untrusted_peer_are_ignored(session_factory, proxied):
    client = proxied("192.168.0.1")  # the peer 10.0.0.5 is not this proxy
    for i in range(20):
        _login_as(client, f"nobody{i}", "x", f"203.0.113.{i}")
    assert _login_as(client, "nobody", "x", "198.51.100.1").status_code == 429
    with session_factory() as session:
        assert session.get(LoginAttempt, "addr:10.0.0.5").attempts == 21


def test_a_bad_trusted_proxy_setting_is_one_clear_line(session_factory, proxied):
    from config.exceptions import ConfigError

    client = proxied("10.0.0.0/33")
    with pytest.raises(ConfigError, match="ADUAN_TRUSTED_PROXIES"):
        client.get("/login")


def _secure(response) -> bool:
    assert response.status_code == 303
    parts = response.headers["set-cookie"].split(";")
    return any(part.strip().lower() == "secure" for part in parts)


def test_secure_cookie_behind_an_https_proxy(session_factory, proxied):
    add_user(session_factory, "ana", "facilitator")
    https = {"X-Forwarded-Proto": "https"}
    assert _secure(_login_as(proxied("10.0.0.5"), "ana", PASSWORD, **https))
    assert not _secure(_login_as(proxied("192.168.0.1"), "ana", PASSWORD, **https))
    assert not _secure(_login_as(proxied(""), "ana", PASSWORD))
    forced = proxied("", ADUAN_COOKIE_SECURE="1")
    assert _secure(_login_as(forced, "ana", PASSWORD))


def _saved_cookie_works(client, cookie: str) -> bool:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, cookie)
    return client.get("/", follow_redirects=False).status_code == 200


def test_a_saved_cookie_is_refused_after_logout(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    assert login(client, "ana").status_code == 303
    cookie = client.cookies.get(SESSION_COOKIE)
    assert _saved_cookie_works(client, cookie)
    csrf = csrf_of(client.get("/").text)
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).is_redirect
    assert not _saved_cookie_works(client, cookie)
    assert login(client, "ana").status_code == 303  # a new login works again
    assert client.get("/", follow_redirects=False).status_code == 200


@pytest.mark.parametrize("change", ["password", "deactivate", "unlock"])
def test_password_change_deactivation_and_unlock_end_sessions(session_factory, client, change):
    user_id = add_user(session_factory, "ana", "facilitator")
    login(client, "ana")
    cookie = client.cookies.get(SESSION_COOKIE)
    assert _saved_cookie_works(client, cookie)
    with session_factory.begin() as session:
        if change == "password":
            set_password(
                session=session,
                user_id=user_id,
                password_hash=hash_password(PASSWORD, n=2**10),
                actor="admin",
            )
        elif change == "deactivate":
            update_user(session=session, user_id=user_id, actor="admin", active=False)
        else:
            unlock_user(session=session, user_id=user_id, actor="admin")
    assert not _saved_cookie_works(client, cookie)


def test_an_admin_unlocking_in_the_app_ends_the_accounts_sessions(session_factory, make_client):
    add_user(session_factory, "admin", "admin")
    ana_id = add_user(session_factory, "ana", "facilitator")
    ana, admin = make_client(), make_client()
    login(ana, "ana")
    cookie = ana.cookies.get(SESSION_COOKIE)
    login(admin, "admin")
    csrf = csrf_of(admin.get("/users").text)
    admin.post(f"/users/{ana_id}", data={"csrf_token": csrf, "change": "unlock"})
    assert not _saved_cookie_works(ana, cookie)
    assert _saved_cookie_works(admin, admin.cookies.get(SESSION_COOKIE))


@pytest.mark.parametrize(
    "next_url",
    [
        "/%09/evil.example/",
        "/%0a/evil.example/",
        "/%0d%0a/evil.example/",
        "/%5c/evil.example/",
        "/%20/evil.example/",
        "/%e2%80%8b/evil.example/",
    ],
)
def test_next_with_control_characters_is_refused(session_factory, client, next_url):
    add_user(session_factory, "ana", "facilitator")
    case_id = seed_case(session_factory, 1)
    login(client, "ana")
    page = client.get(f"/cases/{case_id}?next={next_url}").text
    assert "evil.example" not in page
    csrf = csrf_of(page)
    for raw in (next_url,):
        from urllib.parse import unquote

        response = client.post(
            f"/cases/{case_id}/skip",
            data={"csrf_token": csrf, "next": unquote(raw)},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"
