"""Log in and out."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from review.app import render
from review.auth import (
    SESSION_COOKIE,
    burn_password_check,
    csrf_ok,
    hash_fingerprint,
    name_key,
    verify_password,
)
from review.deps import CSRF_DETAIL, Principal, SessionDep, atomic, csrf_checked, safe_next
from review.proxy import client_address, is_https
from store.throttle import count_attempt, forget_key, forgive_attempt
from store.users import claim_login_attempt, record_login, record_logout

log = logging.getLogger(__name__)
router = APIRouter()


def set_session_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path="/",
    )


def _login_page(request: Request, message: str | None, status: int = 200) -> Response:
    sessions = request.app.state.sessions
    data, _ = sessions.load(request.cookies.get(SESSION_COOKIE))
    fresh = data is None
    if fresh:
        data = sessions.new()
    expired = request.query_params.get("expired") == "1"
    if expired and message is None:
        message = "Sesi Anda berakhir. Silakan masuk lagi."
    context = {
        "user": None,
        "csrf": data.csrf,
        "next": safe_next(request.query_params.get("next")),
        "message": message,
    }
    response = render(request, "login.html", context, status=status)
    if fresh:
        set_session_cookie(request, response, sessions.dump(data))
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request, None)


BAD_LOGIN = (
    "Nama pengguna atau kata sandi salah, atau akun sedang dikunci karena terlalu banyak "
    "percobaan. Coba lagi nanti atau hubungi admin."
)


def failed_login_message(failures: int, limits) -> str:
    """BAD_LOGIN, warned before the last tries and with the lock's duration after them.

    ``failures`` counts the failed logins typed for that user name (store.throttle, keyed by an
    HMAC of the name), whether or not such an account exists: the page says the same either way.
    """
    lock = f"{limits.lock_minutes:g} menit"
    left = limits.max_failures - failures
    if left <= 0:
        return (
            f"{BAD_LOGIN} Setelah {limits.max_failures} kali salah, akun dikunci {lock}; "
            f"coba lagi setelah {lock} atau minta admin membuka kuncinya."
        )
    if left <= 2:
        return f"{BAD_LOGIN} Sisa {left} percobaan lagi; setelah itu akun dikunci {lock}."
    return BAD_LOGIN


def _check_password(session, username: str, password: str, limits) -> tuple[int, str, int] | None:
    """(user id, fingerprint, generation) when ``password`` is right; None otherwise.

    The attempt is counted on the account before the password is checked (store.users); an
    unknown, inactive or locked account costs the same time and gives the same answer.
    """
    with atomic(session):
        claim = claim_login_attempt(
            session=session,
            name=username,
            max_failures=limits.max_failures,
            lock_minutes=limits.lock_minutes,
        )
    if claim is None:
        burn_password_check(password)
        return None
    if not verify_password(password, claim.password_hash):
        return None
    with atomic(session):
        record_login(session=session, user_id=claim.user_id, name=claim.name)
    return claim.user_id, hash_fingerprint(claim.password_hash), claim.generation


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    sessions = request.app.state.sessions
    data, _ = sessions.load(request.cookies.get(SESSION_COOKIE))
    if data is None or not csrf_ok(data.csrf, csrf_token):
        raise HTTPException(status_code=403, detail=CSRF_DETAIL)
    limits = request.app.state.throttle
    client = client_address(request)
    key = f"addr:{client}"
    # Counted first, atomically in the database: parallel attempts cannot all pass the check.
    with atomic(session):
        attempts = count_attempt(session=session, key=key, window_s=limits.window_s)
    if attempts > limits.limit:
        log.warning("login throttled for address %s", client)
        return _login_page(request, "Terlalu banyak percobaan. Coba lagi nanti.", status=429)
    found = _check_password(session, username.strip()[:100], password, limits)
    secret = request.app.state.settings.cookie_key()
    if found is None:
        log.warning("failed login from %s", client)  # never the name typed: it may be a password
        with atomic(session):
            failures = count_attempt(
                session=session,
                key=name_key(secret=secret, name=username),
                window_s=limits.lock_minutes * 60,
            )
        return _login_page(request, failed_login_message(failures, limits), status=401)
    user_id, fingerprint, generation = found
    with atomic(session):
        forgive_attempt(session=session, key=key)  # only this attempt: failures stay counted
        # the warnings start anew
        forget_key(session=session, key=name_key(secret=secret, name=username))
    response = RedirectResponse(safe_next(next), status_code=303)
    # A new session (new CSRF token) on login: a token seen before login is worth nothing after.
    new = sessions.new(user_id, fingerprint, generation)
    set_session_cookie(request, response, sessions.dump(new))
    return response


@router.post("/logout")
def logout(
    request: Request, session: SessionDep, user: Annotated[Principal, Depends(csrf_checked)]
) -> Response:
    with atomic(session):
        record_logout(session=session, user_id=user.id, name=user.name)
    log.info("user %r logged out", user.name)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=is_https(request), httponly=True)
    return response
