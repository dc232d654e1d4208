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
    verify_password,
)
from review.deps import CSRF_DETAIL, Principal, SessionDep, atomic, csrf_checked, safe_next
from store.users import get_user_by_name, is_locked, record_failed_login, record_login

log = logging.getLogger(__name__)
router = APIRouter()


def set_session_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
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
        raise HTTPException(
            status_code=403,
            detail=CSRF_DETAIL,
        )
    throttle = request.app.state.throttle
    client = request.client.host if request.client else "?"
    if throttle.blocked(client):
        log.warning("login throttled for address %s", client)
        return _login_page(request, "Terlalu banyak percobaan. Coba lagi nanti.", status=429)
    with atomic(session):
        user = get_user_by_name(session=session, name=username.strip())
        if user is None or not user.active:
            burn_password_check(password)
            ok = False
        elif is_locked(user):
            throttle.failed(client)
            log.warning("login refused for locked account %r", user.name)
            return _login_page(request, "Akun dikunci sementara. Coba lagi nanti.", status=429)
        else:
            ok = verify_password(password, user.password_hash)
            if ok:
                record_login(session=session, user=user)
            else:
                record_failed_login(session=session, user=user)
        fingerprint = hash_fingerprint(user.password_hash) if ok else ""
        user_id = user.id if ok else None
    if not ok:
        throttle.failed(client)
        log.warning("failed login for user name %r from %s", username[:100], client)
        return _login_page(request, "Nama pengguna atau kata sandi salah.", status=401)
    throttle.succeeded(client)
    response = RedirectResponse(safe_next(next), status_code=303)
    # A new session (new CSRF token) on login: a token seen before login is worth nothing after.
    set_session_cookie(request, response, sessions.dump(sessions.new(user_id, fingerprint)))
    return response


@router.post("/logout")
def logout(request: Request, user: Annotated[Principal, Depends(csrf_checked)]) -> Response:
    log.info("user %r logged out", user.name)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
