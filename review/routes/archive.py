"""The "Mungkin aduan" view: the archive as a safety net, by relevance; promote one to a case."""

from __future__ import annotations

import logging
from time import monotonic

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError, OperationalError

from cases.states import promote_post
from config.exceptions import facilitator_message
from review.app import render
from review.deps import Actor, CurrentUser, SessionDep, atomic
from review.routes import redirect
from store.archive import count_archived, list_archived
from store.exceptions import StaleAction, StoreError

log = logging.getLogger(__name__)
router = APIRouter()
PAGE = 20
PATH = "/mungkin-aduan"
COUNT_TTL_S = 30.0


def _counts(request: Request) -> dict:
    state = request.app.state
    if not hasattr(state, "archive_counts"):
        state.archive_counts = {}
    return state.archive_counts


def _scope(agencies: list[str] | None) -> tuple[str, ...] | None:
    return tuple(agencies) if agencies is not None else None


def archive_count(request: Request, agencies: list[str] | None) -> int:
    """The navigation's count, looked up at most every 30 s per scope (it runs on every page)."""
    cache = _counts(request)
    now = monotonic()
    hit = cache.get(_scope(agencies))
    if hit is None or now - hit[0] > COUNT_TTL_S:
        with request.app.state.factory() as session:
            hit = (now, count_archived(session=session, agencies=agencies))
        cache[_scope(agencies)] = hit
    return hit[1]


def _page(request: Request) -> int:
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        return 1


@router.get(PATH)
def archive(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    page = _page(request)
    items, total = list_archived(
        session=session, agencies=user.agencies, limit=PAGE, offset=(page - 1) * PAGE
    )
    _counts(request)[_scope(user.agencies)] = (monotonic(), total)
    context = {
        "user": user,
        "items": items,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE)),
        "threshold": request.app.state.profile.triage.relevance_threshold,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    return render(request, "archive.html", context)


@router.post(PATH + "/{post_id}/promote")
def promote(post_id: int, request: Request, user: Actor, session: SessionDep) -> Response:
    """Make an archived post a case: it goes to the review queue, where it is decided."""
    profile = request.app.state.profile
    try:
        with atomic(session):
            case = promote_post(
                session=session,
                post_id=post_id,
                actor=user.name,
                agencies=user.agencies,
                urgency_of=lambda key: profile.topic(key).urgency if profile.topic(key) else 1,
            )
            case_id = case.id
    except (StaleAction, IntegrityError) as exc:
        reason = str(exc) if isinstance(exc, StaleAction) else "orang lain baru saja mengubahnya"
        return redirect(request, PATH, f"Posting tidak diubah: {reason}.", "warning")
    except OperationalError:
        log.warning("database busy while promoting post %s", post_id, exc_info=True)
        return redirect(request, PATH, "Database sibuk, coba lagi.", "error")
    except StoreError as exc:
        message = f"Posting tidak diubah: {facilitator_message(exc)}."
        return redirect(request, PATH, message, "error")
    _counts(request).clear()
    message = f"Posting dijadikan kasus #{case_id}; kasus itu kini menunggu di Antrean."
    return redirect(request, PATH, message, "success")
