"""Accounts (admins only) and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from config.exceptions import facilitator_message
from review.app import render
from review.auth import MIN_PASSWORD, hash_password, name_key
from review.deps import MAX_PAGE, Admin, AdminReader, DbId, SessionDep, atomic, query_int
from review.exports import Exporter
from review.routes import redirect
from review.routes.queue import csv_response
from store.exceptions import StoreError
from store.queue import list_audit
from store.throttle import forget_key
from store.users import ROLES, create_user, list_users, update_user

router = APIRouter()

# The new-account form lists the roles from least to most privileged, a facilitator chosen: an
# admin is made on purpose, never by leaving the default.
ROLE_CHOICES = tuple(sorted(ROLES, key=("viewer", "facilitator", "admin").index))
DEFAULT_ROLE = "facilitator"


@router.get("/users")
def users(request: Request, user: AdminReader, session: SessionDep) -> Response:
    context = {
        "user": user,
        "accounts": list_users(session=session),
        "roles": ROLE_CHOICES,
        "default_role": DEFAULT_ROLE,
        "agencies": request.app.state.profile.agencies,
    }
    return render(request, "users.html", context)


@router.post("/users")
def add_user(
    request: Request,
    user: Admin,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    agency: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI form default
) -> Response:
    if len(password) < MIN_PASSWORD:
        return redirect(request, "/users", f"Kata sandi minimal {MIN_PASSWORD} karakter.", "error")
    profile = request.app.state.profile
    chosen = [a for a in agency if profile.agency(a)]
    try:
        with atomic(session):
            create_user(
                session=session,
                name=name,
                role=role,
                agencies=chosen,
                password_hash=hash_password(password),
                actor=user.name,
            )
    except StoreError as exc:
        return redirect(request, "/users", facilitator_message(exc), "error")
    return redirect(request, "/users", f"Akun {name.strip()} dibuat.", "success")


@router.post("/users/{user_id}")
def change_user(
    user_id: DbId,
    request: Request,
    user: Admin,
    session: SessionDep,
    change: Annotated[str, Form()] = "",
) -> Response:
    changes = {
        "deactivate": {"active": False},
        "activate": {"active": True},
        "unlock": {"unlock": True},
    }
    if change not in changes:
        return redirect(request, "/users", "Perubahan tidak dikenal.", "error")
    if change == "deactivate" and user_id == user.id:
        return redirect(request, "/users", "Akun sendiri tidak bisa dinonaktifkan.", "error")
    try:
        with atomic(session):
            changed = update_user(
                session=session, user_id=user_id, actor=user.name, **changes[change]
            )
            if change == "unlock":  # the login page's warnings start anew too
                secret = request.app.state.settings.cookie_key()
                forget_key(session=session, key=name_key(secret=secret, name=changed.name))
    except StoreError as exc:
        return redirect(request, "/users", facilitator_message(exc), "error")
    return redirect(request, "/users", "Akun diperbarui.", "success")


@router.get("/audit")
def audit(request: Request, user: AdminReader, session: SessionDep) -> Response:
    page = query_int(request, "page", 1, 1, MAX_PAGE)
    actor = request.query_params.get("actor") or None
    entries, total = list_audit(session=session, limit=100, offset=(page - 1) * 100, actor=actor)
    context = {
        "user": user,
        "entries": entries,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // 100)),
        "actor": actor or "",
    }
    return render(request, "audit.html", context)


@router.get("/audit.csv")
def audit_csv(request: Request, user: AdminReader, session: SessionDep) -> Response:
    actor = request.query_params.get("actor") or None
    entries, _ = list_audit(session=session, limit=100_000, actor=actor)
    rows = Exporter(request.app.state.profile).audit(entries)
    return csv_response(rows, "aduan-audit.csv")
