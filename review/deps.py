"""Dependencies of the routes: the database session, the signed-in user, the CSRF check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, HTTPException, Path, Request
from sqlalchemy.orm import Session

from review.auth import FLASH_COOKIE, SESSION_COOKIE, csrf_ok, hash_fingerprint
from store.tables import User

CSRF_DETAIL = "Token formulir tidak cocok atau kedaluwarsa; muat ulang halaman lalu coba lagi."
READ_ONLY_DETAIL = "Akun ini hanya bisa membaca; keputusan dibuat oleh fasilitator atau admin."


# Ids are BIGINT on PostgreSQL and INTEGER on SQLite: both end at 2**63 - 1. A bigger number from
# a URL or a form is refused before it reaches the database (which would answer with a 500).
MAX_ID = 2**63 - 1
MAX_PAGE = 1_000_000
DbId = Annotated[int, Path(ge=1, le=MAX_ID)]
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]
FormVersion = Annotated[int | None, Form(ge=0, le=MAX_ID)]


def parse_id(text: str | None) -> int | None:
    """``text`` as a database id, or None when it is not a number from 1 to MAX_ID."""
    try:
        value = int(str(text).strip())
    except (TypeError, ValueError):
        return None
    return value if 1 <= value <= MAX_ID else None


def query_int(request: Request, key: str, default: int, low: int, high: int) -> int:
    """An integer query parameter clamped to low..high (``default`` when absent or not one)."""
    raw = request.query_params.get(key, "")
    if not raw.strip().lstrip("-").isdigit() or len(raw) > 30:
        return default
    return min(high, max(low, int(raw)))


class LoginRequired(Exception):
    """No valid session: the app answers with a redirect to the login page."""

    def __init__(self, next_url: str, expired: bool) -> None:
        self.next_url, self.expired = next_url, expired


@dataclass
class Principal:
    """The signed-in user as the routes need them."""

    id: int
    name: str
    role: str
    agencies: list[str] | None  # None: every agency
    csrf: str

    @property
    def can_act(self) -> bool:
        return self.role in ("admin", "facilitator")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]


def safe_next(url: str | None, default: str = "/") -> str:
    """A local path to go back to (never another site).

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so
    ``/%09/evil.example/`` (a tab once decoded) would become ``//evil.example/``: any control
    or invisible character, space or backslash makes the whole value refused.
    """
    if not url or not url.startswith("/") or url.startswith("//") or len(url) > 2000:
        return default
    if any(ch <= " " or ch == "\x7f" or ch == "\\" or not ch.isprintable() for ch in url):
        return default
    return url


def current_user(request: Request, session: SessionDep) -> Principal:
    """The user of a valid, unexpired session; otherwise LoginRequired."""
    sessions = request.app.state.sessions
    data, expired = sessions.load(request.cookies.get(SESSION_COOKIE))
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if data is None or data.user_id is None:
        raise LoginRequired(here, expired)
    user = session.get(User, data.user_id)
    if (
        user is None
        or not user.active
        or user.session_generation != data.generation
        or hash_fingerprint(user.password_hash) != data.fingerprint
    ):
        raise LoginRequired(here, False)
    agencies = list(user.agencies or [])
    return Principal(
        id=user.id,
        name=user.name,
        role=user.role,
        agencies=None if user.role == "admin" or not agencies else agencies,
        csrf=data.csrf,
    )


CurrentUser = Annotated[Principal, Depends(current_user)]


async def csrf_checked(request: Request, user: CurrentUser) -> Principal:
    """The user, after checking the form's CSRF token against the session's (403 otherwise)."""
    form = await request.form()
    if not csrf_ok(user.csrf, form.get("csrf_token")):
        raise HTTPException(
            status_code=403,
            detail=CSRF_DETAIL,
        )
    return user


async def actor(user: Annotated[Principal, Depends(csrf_checked)]) -> Principal:
    """A user allowed to change cases (facilitators and admins), after the CSRF check."""
    if not user.can_act:
        raise HTTPException(
            status_code=403,
            detail=READ_ONLY_DETAIL,
        )
    return user


async def admin(user: Annotated[Principal, Depends(csrf_checked)]) -> Principal:
    if not user.is_admin:
        raise HTTPException(status_code=403, detail="Hanya admin yang bisa mengelola akun.")
    return user


def admin_reader(user: CurrentUser) -> Principal:
    if not user.is_admin:
        raise HTTPException(status_code=403, detail="Halaman ini hanya untuk admin.")
    return user


Actor = Annotated[Principal, Depends(actor)]
Admin = Annotated[Principal, Depends(admin)]
AdminReader = Annotated[Principal, Depends(admin_reader)]


def login_redirect_url(exc: LoginRequired) -> str:
    return "/login?next=" + quote(exc.next_url, safe="") + ("&expired=1" if exc.expired else "")


def take_flash(request: Request) -> tuple[str, str] | None:
    return request.app.state.sessions.load_flash(request.cookies.get(FLASH_COOKIE))


@contextmanager
def atomic(session: Session) -> Iterator[Session]:
    """Commit the session's work on success, roll it all back on any error."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
