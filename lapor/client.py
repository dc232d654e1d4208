"""A typed client for SP4N-LAPOR! API v3; lapor/README.md says what is known of the API."""

from __future__ import annotations

import email.utils
import logging
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from lapor.exceptions import (
    AmbiguousOutcome,
    AuthRejected,
    LaporApiError,
    LaporConfigError,
    NotFound,
    ServerError,
    Throttled,
    ValidationFailed,
)

log = logging.getLogger(__name__)

FINAL_STATUSES = {"selesai", "ditolak", "diarsipkan"}
PAGE_SIZE = 1000
MAX_PAGES = 1000  # a listing that never ends is a broken server, not 10^6 institutions
# 503/429 mean "not processed, come back later"; other 5xx after a POST may follow a commit.
DEFINITE_RETRY = {429, 503}


@dataclass(frozen=True)
class ReferenceItem:
    """An institution, category or location with its LAPOR! id."""

    ref_id: str
    name: str
    parent_id: str | None = None


@dataclass(frozen=True)
class StatusLog:
    """One entry of a complaint's log (a status it reached, and when)."""

    status_name: str
    status_code: str | None
    at: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class ComplaintStatus:
    """Where a complaint stands in LAPOR!."""

    complaint_id: str
    status_code: str | None
    status_name: str
    disposition_name: str | None
    logs: tuple[StatusLog, ...] = ()

    @property
    def final(self) -> bool:
        return self.status_name.strip().lower() in FINAL_STATUSES


def parse_lapor_time(value: Any) -> datetime | None:
    """LAPOR! times: ``d-m-Y H:i:s`` (followups) or ISO 8601; naive ones are WIB (UTC+7)."""
    if not value or not isinstance(value, str):
        return None
    from zoneinfo import ZoneInfo

    for fmt in ("%d-%m-%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            naive = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=ZoneInfo("Asia/Jakarta")).astimezone(UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo("Asia/Jakarta"))
    return parsed.astimezone(UTC)


def field_errors(body: Any) -> dict[str, list[str]]:
    """Per-field messages of a validation answer (``errors`` of Laravel-style bodies)."""
    if not isinstance(body, dict):
        return {}
    errors = body.get("errors") or (body.get("results") or {}).get("errors") or {}
    if isinstance(errors, dict):
        return {
            str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in errors.items()
        }
    if isinstance(errors, list):
        return {"_": [str(e) for e in errors]}
    return {}


MAX_RETRY_AFTER_S = 86_400.0  # a day: a longer, infinite or absurd wait is read as a day


def retry_after(response: requests.Response) -> float | None:
    """The ``Retry-After`` header in seconds (delta or HTTP date), finite and clamped to
    0..MAX_RETRY_AFTER_S; None when absent or garbage (``inf`` and ``1e12`` give the maximum)."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value or len(value) > 100:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            seconds = when.timestamp() - time.time()
        except (TypeError, ValueError, OverflowError, IndexError):
            return None
    if math.isnan(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER_S)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def raise_for_answer(response: requests.Response, *, side_effect: bool) -> Any:
    """The JSON body of a successful answer; otherwise the matching LaporApiError."""
    status = response.status_code
    body = _json(response)
    message = body.get("message") if isinstance(body, dict) else None
    what = f"{response.request.method} {response.url.split('?')[0]}: HTTP {status}"
    kw = {"status_code": status, "response_text": response.text}
    if 200 <= status < 300:
        if body is None:
            cls = AmbiguousOutcome if side_effect else ServerError
            raise cls(f"{what} with a body that is not JSON", **kw)
        return body
    detail = f" ({message})" if message else ""
    if status in (401, 403):
        raise AuthRejected(
            f"{what}: key or token rejected{detail}; check ADUAN_LAPOR_API_KEY, "
            "ADUAN_LAPOR_TOKEN and ADUAN_LAPOR_AUTH_HEADER",
            **kw,
        )
    if status == 404:
        raise NotFound(f"{what}: not found{detail}; check ADUAN_LAPOR_BASE_URL", **kw)
    if status in (400, 422):
        errors = field_errors(body)
        listed = "; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items())
        raise ValidationFailed(
            f"{what}: rejected{detail}" + (f": {listed}" if listed else ""),
            field_errors=errors,
            **kw,
        )
    if status == 429:
        raise Throttled(f"{what}: throttled{detail}", retry_after=retry_after(response), **kw)
    if status >= 500 and (status in DEFINITE_RETRY or not side_effect):
        raise ServerError(f"{what}: server error{detail}", **kw)
    if status >= 500:
        raise AmbiguousOutcome(f"{what}: server error after the request was sent{detail}", **kw)
    raise LaporApiError(f"{what}: unexpected answer{detail}", **kw)


def transport_error(exc: requests.RequestException, what: str, *, side_effect: bool) -> Exception:
    """Did the request possibly reach the server? Only a failed connect says it did not."""
    if isinstance(exc, requests.ConnectTimeout) or (
        isinstance(exc, requests.ConnectionError) and "NewConnectionError" in repr(exc)
    ):
        return ServerError(f"{what}: cannot connect ({type(exc).__name__})")
    if side_effect:
        return AmbiguousOutcome(
            f"{what}: no complete answer ({type(exc).__name__}); the request may have been "
            "processed"
        )
    return ServerError(f"{what}: no complete answer ({type(exc).__name__})")


# Every call goes through ``_request``, which turns HTTP outcomes into the exception tree of
# ``lapor.exceptions``. Creating a complaint is the one call with a side effect: any outcome after
# which the complaint may exist (timeout, dropped connection, 5xx other than 503, 2xx without an id)
# raises ``AmbiguousOutcome`` so the outbox never resends it blindly. Secrets and complaint content
# are never logged.
class LaporClient:
    """SP4N-LAPOR! API v3: complaints, attachments, status, followups, reference lists."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        token: str | None,
        auth_header: str = "auth",
        timeout: float = 20.0,
    ) -> None:
        if not base_url:
            raise LaporConfigError("ADUAN_LAPOR_BASE_URL is empty")
        if not api_key or not token:
            raise LaporConfigError(
                "ADUAN_LAPOR_API_KEY and ADUAN_LAPOR_TOKEN must both be set (issued by the "
                "SPLP gateway and the LAPOR! team)"
            )
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        # The public v3 clients send the gateway key as `auth: Bearer <key>` beside `token`;
        # `both` also sends `Authorization` for a gateway that wants the standard header.
        names = (
            ("auth", "Authorization") if auth_header.strip().lower() == "both" else (auth_header,)
        )
        self._headers = {name: f"Bearer {api_key}" for name in names}
        self._headers.update({"token": token, "Accept": "application/json"})
        self._local = threading.local()

    @classmethod
    def from_settings(cls, settings: Any) -> LaporClient:
        """A client configured from ``config.settings.Settings`` (ADUAN_LAPOR_*)."""

        def secret(value: Any) -> str | None:
            return value.get_secret_value() if value is not None else None

        return cls(
            base_url=settings.lapor_base_url,
            api_key=secret(settings.lapor_api_key),
            token=secret(settings.lapor_token),
            auth_header=settings.lapor_auth_header,
            timeout=settings.lapor_timeout_s,
        )

    def __repr__(self) -> str:  # never the secrets
        return f"LaporClient({self.base_url!r})"

    @property
    def session(self) -> requests.Session:
        """One requests.Session per thread (sessions are not shared across threads)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update(self._headers)
            self._local.session = session
        return session

    def _request(self, method: str, path: str, *, side_effect: bool = False, **kw) -> Any:
        url = f"{self.base_url}/{path.lstrip('/')}"
        what = f"{method} {url.split('?')[0]}"
        timeout = (min(self.timeout, 10.0), self.timeout)
        try:
            response = self.session.request(method, url, timeout=timeout, **kw)
        except requests.RequestException as exc:
            raise transport_error(exc, what, side_effect=side_effect) from exc
        log.debug("%s -> %s", what, response.status_code)
        return raise_for_answer(response, side_effect=side_effect)

    # --- complaints -------------------------------------------------------------------------

    def create_complaint(self, payload: dict[str, Any]) -> str:
        """Submit a complaint; returns LAPOR!'s ``complaint_id``."""
        body = self._request("POST", "/complaints/complaint", json=payload, side_effect=True)
        complaint_id = _find_id(body, ("complaint_id", "id", "tracking_id"))
        if complaint_id is None:
            raise AmbiguousOutcome(
                "POST /complaints/complaint: success answer without a complaint_id; "
                "the complaint may exist",
                response_text=str(body),
            )
        return complaint_id

    def upload_attachment(self, files: list[Path]) -> list[str]:
        """Upload files (multipart ``attachments[]``); returns their ids for ``attachments``."""
        handles = [open(p, "rb") for p in files]  # noqa: SIM115 - closed below
        try:
            parts = [("attachments[]", (Path(h.name).name, h)) for h in handles]
            body = self._request(
                "POST", "/complaints/complaint/file", files=parts, side_effect=True
            )
        finally:
            for handle in handles:
                handle.close()
        results = body.get("results") or {}
        ids = [str(d["id"]) for d in results.get("docs") or [] if isinstance(d, dict)]
        for image in results.get("images") or []:
            ids.append(str(image["id"] if isinstance(image, dict) else image))
        return ids

    def get_complaint(self, complaint_id: str) -> ComplaintStatus:
        """Status, disposition and logs of one complaint."""
        body = self._request("GET", f"/complaints/{complaint_id}/complaint")
        results = body.get("results") or {}
        data = results.get("data") or {}
        logs = tuple(
            StatusLog(
                status_name=str(entry.get("status_name") or entry.get("status")),
                status_code=_str_or_none(entry.get("status_code")),
                at=parse_lapor_time(entry.get("created_at")),
                raw=entry,
            )
            for entry in results.get("data_logs") or []
            if isinstance(entry, dict) and (entry.get("status_name") or entry.get("status"))
        )
        if not data.get("status_name"):
            raise ServerError(
                f"GET /complaints/{complaint_id}/complaint: answer without status_name",
                response_text=str(body),
            )
        return ComplaintStatus(
            complaint_id=str(complaint_id),
            status_code=_str_or_none(data.get("status_code")),
            status_name=str(data["status_name"]),
            disposition_name=data.get("disposition_name"),
            logs=logs,
        )

    def get_followups(self, complaint_id: str) -> list[dict[str, Any]]:
        """The agency's followups, every page; ``created_at`` parsed into ``created_at_utc``."""
        return [
            {**item, "created_at_utc": parse_lapor_time(item.get("created_at"))}
            for item in self._pages(f"/complaints/{complaint_id}/followups")
            if isinstance(item, dict)
        ]

    def pass_on(self, complaint_id: str, *, institution_id: int | str, reason: str) -> None:
        """Pass a complaint to another institution ("bukan wewenang"), as the public v3 clients
        do right after creating one: ``POST /complaints/process/{id}/reject``."""
        payload = {
            "is_request": 1,
            "reason": _as_int(institution_id),
            "reason_description": reason,
            "not_authority": 1,
        }
        self._request(
            "POST", f"/complaints/process/{complaint_id}/reject", json=payload, side_effect=True
        )

    # --- reference lists --------------------------------------------------------------------

    def institutions(self) -> list[ReferenceItem]:
        return self._reference("/masters/institutions/external")

    def categories(self) -> list[ReferenceItem]:
        return self._reference("/masters/categories")

    def locations(self) -> list[ReferenceItem]:
        return self._reference("/masters/locations")

    def _reference(self, path: str) -> list[ReferenceItem]:
        return [
            ReferenceItem(
                ref_id=str(row["id"]),
                name=str(row.get("name") or row.get("nama") or ""),
                parent_id=_str_or_none(row.get("parent_id")),
            )
            for row in self._pages(path, page_size=PAGE_SIZE)
            if isinstance(row, dict)
        ]

    def _pages(self, path: str, *, page_size: int | None = None) -> Iterator[Any]:
        """Every row of a listing, page by page to the end. LAPOR! answers with Laravel
        paginators (``results`` = ``data``, ``current_page``, ``last_page``, ``next_page_url``):
        the public clients ask ``?page=N`` while ``next_page_url`` is set. A bare list (or a
        ``meta`` block) is read too; a page that repeats or returns nothing ends the listing."""
        page = 1
        while page <= MAX_PAGES:
            params: dict[str, Any] = {"page": page}
            if page_size:
                params["page_size"] = page_size
            body = self._request("GET", path, params=params)
            results = body.get("results") if isinstance(body, dict) else None
            rows = results.get("data") if isinstance(results, dict) else results
            if not isinstance(rows, list) or not rows:
                return
            yield from rows
            if not _has_next(results, page):
                return
            page += 1
        raise ServerError(f"GET {path}: more than {MAX_PAGES} pages; stopped")


def _has_next(results: Any, page: int) -> bool:
    if not isinstance(results, dict):
        return False
    if "next_page_url" in results:
        return bool(results["next_page_url"])
    last = results.get("last_page") or (results.get("meta") or {}).get("last_page")
    try:
        return last is not None and page < int(last)
    except (TypeError, ValueError):
        return False


def _as_int(value: int | str) -> int | str:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _find_id(body: Any, keys: tuple[str, ...]) -> str | None:
    """The first of ``keys`` found in ``body``, ``body.results`` or ``body.results.data``."""
    if not isinstance(body, dict):
        return None
    results = body.get("results")
    places = [body]
    if isinstance(results, dict):
        places += [results, results.get("data") or {}]
    for place in places:
        if isinstance(place, dict):
            for key in keys:
                if place.get(key) not in (None, ""):
                    return str(place[key])
    return None
