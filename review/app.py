"""The facilitator review app: ``create_app()`` builds it; nothing is connected at import."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from functools import lru_cache
from http import HTTPStatus
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException

from config.profile import get_profile
from config.settings import load_settings
from review import labels
from review.auth import FLASH_COOKIE, LoginThrottle, Sessions
from review.deps import LoginRequired, login_redirect_url, take_flash
from store.db import get_engine, session_factory

log = logging.getLogger(__name__)
HERE = Path(__file__).parent

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers to every response."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                extra = [h for h in self.headers if h[0] not in present]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(
    *,
    factory: sessionmaker[Session] | None = None,
    settings: Any = None,
    profile: Any = None,
    session_max_age_s: int = 8 * 3600,
) -> FastAPI:
    """The app on ``factory`` (default: the settings' database), with ``profile``'s taxonomy;
    ``settings`` None: read from the environment now (each uvicorn worker process does)."""
    settings = settings or load_settings()
    if factory is None:
        factory = session_factory(get_engine(settings.sqlalchemy_url))
    if profile is None:
        profile = get_profile(settings.profile)

    app = FastAPI(title="Aduan review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.factory = factory
    app.state.settings = settings
    app.state.profile = profile
    app.state.sessions = Sessions(settings.cookie_key(), max_age_s=session_max_age_s)
    app.state.throttle = LoginThrottle()
    app.state.templates = _templates(profile)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    from review.routes import (
        admin,
        archive,
        auth,
        cases,
        dashboard,
        forwards,
        locations,
        queue,
        replies,
        reroutes,
        undo,
    )

    modules = (
        auth,
        queue,
        archive,
        cases,
        locations,
        forwards,
        dashboard,
        admin,
        undo,
        replies,
        reroutes,
    )
    for module in modules:
        app.include_router(module.router)

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_redirect_url(exc), status_code=303)

    @app.exception_handler(HTTPException)
    async def _error_page(request: Request, exc: HTTPException) -> Response:
        return _error_response(request, exc.status_code, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _bad_form(request: Request, exc: RequestValidationError) -> Response:
        if any(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
            return _error_response(request, 404, "Halaman tidak ditemukan.")  # /cases/99999…
        return _error_response(request, 400, "Isian formulir tidak lengkap atau tidak valid.")

    app.add_middleware(SecurityHeaders)

    return app


ERROR_TITLES = {
    400: "Permintaan tidak valid",
    401: "Perlu masuk",
    403: "Tidak diizinkan",
    404: "Tidak ditemukan",
    405: "Cara akses tidak didukung",
    429: "Terlalu banyak permintaan",
    500: "Terjadi kesalahan",
}


def _error_response(request: Request, status: int, detail: Any) -> Response:
    """The error page in Indonesian; Starlette's English default phrases are replaced."""
    title = ERROR_TITLES.get(status, "Terjadi kesalahan")
    if not isinstance(detail, str) or detail == HTTPStatus(status).phrase:
        detail = title + "."
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "title": title, "detail": detail, "user": None},
        status_code=status,
    )


def _templates(profile: Any) -> Jinja2Templates:
    from classifier import chances
    from review.label_origin import label_origin, model_suggestion
    from review.source_names import source_names

    templates = Jinja2Templates(directory=HERE / "templates")
    zone = ZoneInfo(profile.timezone)
    agencies = {a.key: (a.short or a.name) for a in profile.agencies}
    topics = {t.key: t.name for t in profile.topics}

    def local_time(moment: datetime | None) -> str:
        return format_local(moment, zone)

    def percent(value: float | None) -> str:
        return "-" if value is None else f"{value * 100:.0f}%"

    def safe_url(url: str | None) -> str:
        # Only web links become hrefs: a "javascript:" URL in a harvested post stays inert.
        if url and url.lower().startswith(("https://", "http://")):
            return url
        return ""

    choices = {
        "agency": [(a.key, a.short or a.name) for a in profile.agencies],
        "topic": [(t.key, t.name) for t in profile.topics],
    }

    @lru_cache(maxsize=256)
    def options(kind: str, selected: str | None) -> Markup:
        # Every queue card has both choice lists: built once per selected key, not per card.
        return Markup("").join(
            Markup('<option value="{}"{}>{}</option>').format(
                key, Markup(" selected") if key == selected else "", name
            )
            for key, name in choices[kind]
        )

    env = templates.env
    sources = source_names(profile.folder)
    env.filters["source_name"] = lambda key: sources.get(key, key or "-")
    _label_filters(env, profile, agencies, topics)
    env.globals["options"] = options
    env.filters["safe_url"] = safe_url
    env.filters["local_time"] = local_time
    env.filters["percent"] = percent
    env.filters["agency_name"] = lambda key: agencies.get(key, key or "-")
    env.filters["topic_name"] = lambda key: topics.get(key, key or "-")
    env.globals["profile"] = profile
    _location_filters(env, profile)
    env.globals["archive_count"] = _archive_count
    env.globals["label_chances"] = chances.shown
    env.globals["label_origin"] = label_origin
    env.globals["model_suggestion"] = model_suggestion
    env.globals["CHANCE_LEGEND"] = chances.LEGEND
    env.globals["take_flash"] = take_flash
    return templates


UNKNOWN_PLACE = "lokasi tidak diketahui"


def _location_filters(env, profile) -> None:
    """``area_name`` (a gazetteer key as "Kel. X, Kec. Y") and ``local_office`` (the office a
    local-office case goes to, or None) for the location partial."""
    from store.areas import get_gazetteer

    gazetteer = get_gazetteer(profile.folder) if profile.folder else None

    def local_office(case) -> str | None:
        agency = profile.agency(case.agency) if case.agency else None
        if agency is None or agency.local_level is None or gazetteer is None:
            return None
        office = gazetteer.routed_office(case.location, agency.local_level)
        return (office.office or office.name) if office else None

    def kecamatan_of(key: str | None) -> str | None:
        area = gazetteer.areas.get(key or "") if gazetteer else None
        if area is None:
            return None
        return area.key if area.level == "kecamatan" else area.parent

    def location_note(note: str | None) -> str:
        """``location kel_a -> -`` (cases.location) as "lokasi: Kel. A, Kec. B → ..."."""
        found = re.match(r"^location (\S+) -> (\S+)$", note or "")
        if not found:
            return note or ""
        names = [UNKNOWN_PLACE if k == "-" else area_name(k) for k in found.groups()]
        return f"lokasi: {names[0]} → {names[1]}"

    def area_name(key: str | None) -> str:
        return gazetteer.label(key) if gazetteer else (key or "-")

    env.filters["area_name"] = area_name
    env.filters["local_office"] = local_office
    env.filters["kecamatan_of"] = kecamatan_of
    env.filters["location_note"] = location_note
    env.globals["areas_of"] = lambda level: gazetteer.of_level(level) if gazetteer else []
    env.globals["children_of"] = lambda key: (
        [a for a in gazetteer.of_level("kelurahan") if a.parent == key] if gazetteer else []
    )


def _archive_count(request: Request, agencies: list[str] | None) -> int:
    from review.routes.archive import archive_count

    return archive_count(request, agencies)


def format_local(moment: datetime | None, zone: ZoneInfo, seconds: bool = False) -> str:
    """``dd/mm/yyyy HH:MM WITA``: the profile's local time (a naive value is UTC)."""
    if moment is None:
        return "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(zone)
    return local.strftime("%d/%m/%Y %H:%M" + (":%S" if seconds else "")) + f" {local.tzname()}"


def days(value: float | None, unit: str = "hari") -> str:
    """A duration in days, Indonesian decimal comma: ``1,5 hari``."""
    return "-" if value is None else f"{labels.number(value, 1)} {unit}"


def _label_filters(env: Any, profile: Any, agencies: dict, topics: dict) -> None:
    from store.forward_status import lapor_outcome

    names = {
        "agency": lambda k: agencies.get(k, k),
        "agencies": lambda k: agencies.get(k, k),
        "topic": lambda k: topics.get(k, k),
        "state": labels.case_state,
        "role": labels.role_name,
    }
    env.filters["case_state"] = labels.case_state
    env.filters["forward_state"] = labels.forward_state
    env.filters["lapor_error"] = labels.lapor_error
    env.filters["lapor_outcome"] = lapor_outcome
    env.filters["action_name"] = labels.action_name
    env.filters["actor_name"] = labels.actor_name
    env.filters["target_name"] = labels.target_name
    env.filters["role_name"] = labels.role_name
    env.filters["audit_action"] = labels.audit_action
    env.filters["review_note"] = labels.review_note
    env.filters["urgency_name"] = labels.urgency_name
    env.filters["days"] = days
    env.filters["number"] = labels.number
    env.filters["audit_object"] = labels.audit_object
    env.globals["audit_changes"] = lambda b, a, kind=None: labels.audit_changes(b, a, names, kind)
    env.globals["URGENCY_HELP"] = labels.urgency_help(profile.topics)
    env.globals["URGENCY_LEVELS"] = labels.urgency_levels(profile.topics)
    env.globals["REPLY_STATES"] = labels.REPLY_STATES


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """A template rendered with the flash message (if any) and the current request."""
    from review.routes.undo import take_undo

    templates = request.app.state.templates
    context.setdefault("flash", take_flash(request))
    context.setdefault("undo", take_undo(request) if context.get("user") else None)
    response = templates.TemplateResponse(request, name, context, status_code=status)
    if context["flash"] is not None:  # shown once
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


__all__ = ["create_app", "render", "HTMLResponse"]
