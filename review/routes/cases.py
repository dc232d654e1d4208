"""One case: its page and the decisions on it (accept, correct, reject, skip, merge, split,
reopen). Every decision is one transaction; a stale one answers with a clear message."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from cases import states as decisions
from config.exceptions import facilitator_message
from review.app import render
from review.deps import (
    Actor,
    CurrentUser,
    DbId,
    FormId,
    FormVersion,
    Principal,
    SessionDep,
    atomic,
    parse_id,
    safe_next,
)
from review.labels import case_state
from review.routes import redirect
from review.routes.undo import UNDO_COOKIE, UNDO_SECONDS, offer_undo
from store.exceptions import StaleAction, StoreError
from store.queue import author_post_counts, get_case_view, in_scope
from store.replies import replies_for_case
from store.reroutes import reroutes_for_case
from store.tables import Case

log = logging.getLogger(__name__)
router = APIRouter(prefix="/cases")

UNDO_WINDOW = timedelta(seconds=UNDO_SECONDS - 0.5)  # the offer ends just before the forward is due
Version = FormVersion
Next = Annotated[str, Form()]


def parse_case_version(item: str) -> tuple[int, int | None] | None:
    """``"12:3"`` (case 12 seen at version 3) or ``"12"`` -> (12, 3) / (12, None)."""
    head, _, tail = item.partition(":")
    case_id, version = parse_id(head), (parse_id(tail) if tail else None)
    if case_id is None or (tail and version is None):
        return None
    return case_id, version


def load_case_for_action(session: Session, case_id: int, user: Principal) -> Case:
    """The case if it exists and ``user`` may act on it; 404 otherwise (no hint it exists)."""
    case = session.get(Case, case_id)
    if case is None or not in_scope(case, user.agencies):
        raise HTTPException(status_code=404, detail="Kasus tidak ditemukan")
    return case


@router.get("/{case_id}")
def case_page(case_id: DbId, request: Request, user: CurrentUser, session: SessionDep) -> Response:
    view = get_case_view(session=session, case_id=case_id, agencies=user.agencies)
    if view is None:
        raise HTTPException(status_code=404, detail="Kasus tidak ditemukan")
    profile = request.app.state.profile
    context = {
        "user": user,
        "view": view,
        "agencies": profile.agencies,
        "topics": profile.topics,
        "here": request.url.path,
        "reopenable": decisions.can_reopen(view.case, view.forwards),  # the server's own rule
        "next": safe_next(request.query_params.get("next"), "/"),
        "authors": author_post_counts(session=session, views=[view]),
        "replies": replies_for_case(session=session, case_id=case_id),
        "reroutes": reroutes_for_case(session=session, case_id=case_id),
        "reroute_agencies": [  # where a case LAPOR! has can be passed on (review.routes.reroutes)
            a
            for a in profile.agencies
            if a.lapor_disposition_id is not None
            and a.local_level is None  # one id per area: not a single institution to pass to
            and a.key != view.case.agency
        ],
    }
    return render(request, "case.html", context)


def decide(
    request: Request,
    session: SessionDep,
    user: Principal,
    case_id: DbId,
    next_url: str,
    action: Callable[[], object],
    done: str,
    undo: bool = False,
) -> Response:
    """Run one decision in a transaction and go back with a message saying what happened
    (after an approval, with the "Batalkan" offer while its forward is held back)."""
    next_url = safe_next(next_url)
    try:
        with atomic(session):
            load_case_for_action(session, case_id, user)
            action()
    except (StaleAction, StaleDataError, IntegrityError):
        log.info("stale action on case %s by %r", case_id, user.name)
        return redirect(request, next_url, stale_message(session, case_id), "warning")
    except OperationalError:
        log.warning("database busy while deciding case %s", case_id, exc_info=True)
        return redirect(request, next_url, f"Kasus #{case_id}: database sibuk, coba lagi.", "error")
    except StoreError as exc:
        return redirect(request, next_url, f"Kasus #{case_id}: {facilitator_message(exc)}", "error")
    response = redirect(request, next_url, done, "success")
    if undo:
        offer_undo(request, response, [case_id], datetime.now(UTC) + UNDO_WINDOW)
    else:  # another decision: the earlier "Batalkan" is no longer the last thing done
        response.delete_cookie(UNDO_COOKIE, path="/")
    return response


def stale_message(session: Session, case_id: int) -> str:
    """Why a decision was not made, in Indonesian (who decided the case meanwhile)."""
    session.expire_all()
    case = session.get(Case, case_id)
    if case is not None and case.state != "open":
        who = f" oleh {case.decided_by}" if case.decided_by else ""
        state = f"sudah {case_state(case.state)}{who}"
    else:
        state = "diubah orang lain sementara itu"
    return f"Kasus #{case_id} tidak diubah: {state}. Tidak dikirim dua kali; muat ulang halaman."


def _choice(request: Request, agency: str, topic: str) -> tuple[str | None, str | None]:
    profile = request.app.state.profile
    if agency and profile.agency(agency) is None:
        raise HTTPException(status_code=400, detail=f"Instansi tidak dikenal: {agency!r}")
    if topic and profile.topic(topic) is None:
        raise HTTPException(status_code=400, detail=f"Topik tidak dikenal: {topic!r}")
    return agency or None, topic or None


@router.post("/{case_id}/accept")
def accept(
    case_id: DbId,
    request: Request,
    user: Actor,
    session: SessionDep,
    version: Version = None,
    next: Next = "/",
) -> Response:
    return decide(
        request,
        session,
        user,
        case_id,
        next,
        lambda: decisions.approve_case(
            session=session,
            case_id=case_id,
            actor=user.name,
            expected_version=version,
            action="accept",
            hold_s=UNDO_SECONDS,
        ),
        f"Kasus #{case_id} diterima; dikirim ke LAPOR! dalam {UNDO_SECONDS:.0f} detik.",
        undo=True,
    )


@router.post("/{case_id}/correct")
def correct(
    case_id: DbId,
    request: Request,
    user: Actor,
    session: SessionDep,
    version: Version = None,
    next: Next = "/",
    agency: Annotated[str, Form()] = "",
    topic: Annotated[str, Form()] = "",
) -> Response:
    agency_key, topic_key = _choice(request, agency, topic)
    if user.agencies is not None and agency_key and agency_key not in user.agencies:
        # Moving a case to an agency one does not serve is allowed: it is how misrouted cases
        # reach the right facilitators. The audit log records it.
        log.info("case %s moved outside %r's agencies", case_id, user.name)
    return decide(
        request,
        session,
        user,
        case_id,
        next,
        lambda: decisions.approve_case(
            session=session,
            case_id=case_id,
            actor=user.name,
            agency=agency_key,
            topic=topic_key,
            expected_version=version,
            hold_s=UNDO_SECONDS,
        ),
        f"Kasus #{case_id} dikoreksi; dikirim ke LAPOR! dalam {UNDO_SECONDS:.0f} detik.",
        undo=True,
    )


@router.post("/{case_id}/reject")
def reject(
    case_id: DbId,
    request: Request,
    user: Actor,
    session: SessionDep,
    version: Version = None,
    next: Next = "/",
) -> Response:
    return decide(
        request,
        session,
        user,
        case_id,
        next,
        lambda: decisions.reject_case(
            session=session, case_id=case_id, actor=user.name, expected_version=version
        ),
        f"Kasus #{case_id} ditandai bukan aduan.",
        undo=True,
    )


@router.post("/{case_id}/skip")
def skip(
    case_id: DbId,
    request: Request,
    user: Actor,
    session: SessionDep,
    version: Version = None,
    next: Next = "/",
) -> Response:
    return decide(
        request,
        session,
        user,
        case_id,
        next,
        lambda: decisions.skip_case(
            session=session, case_id=case_id, actor=user.name, expected_version=version
        ),
        f"Kasus #{case_id} dilewati.",
    )


@router.post("/{case_id}/reopen")
def reopen(
    case_id: DbId,
    request: Request,
    user: Actor,
    session: SessionDep,
    version: Version = None,
    next: Next = "/",
) -> Response:
    return decide(
        request,
        session,
        user,
        case_id,
        next,
        lambda: decisions.reopen_case(
            session=session, case_id=case_id, actor=user.name, expected_version=version
        ),
        f"Kasus #{case_id} dibuka lagi; kiriman yang belum terkirim dibatalkan.",
    )


@router.post("/{case_id}/merge")
def merge(
    case_id: DbId,
    request: Request,
    user: Actor,
    session: SessionDep,
    into: Annotated[str, Form()] = "",
    version: Version = None,
    next: Next = "/",
) -> Response:
    into_id = parse_id(into.strip().lstrip("#"))
    if into_id is None:
        return redirect(request, safe_next(next), "Isi nomor kasus tujuan.", "error")

    def action() -> None:
        load_case_for_action(session, into_id, user)
        decisions.merge_cases(
            session=session,
            case_id=case_id,
            into_case_id=into_id,
            actor=user.name,
            expected_version=version,
        )

    return decide(
        request,
        session,
        user,
        case_id,
        f"/cases/{into_id}",
        action,
        f"Kasus #{case_id} digabung ke kasus #{into_id}.",
    )


@router.post("/{case_id}/split")
def split(
    case_id: DbId,
    request: Request,
    user: Actor,
    session: SessionDep,
    post_id: FormId,
    version: Version = None,
    next: Next = "/",
) -> Response:
    created: list[int] = []

    def action() -> None:
        new = decisions.split_post(
            session=session,
            case_id=case_id,
            post_id=post_id,
            actor=user.name,
            expected_version=version,
        )
        created.append(new.id)

    response = decide(request, session, user, case_id, next, action, f"Posting {post_id} dipisah.")
    if created:
        return redirect(
            request,
            f"/cases/{case_id}",
            f"Posting {post_id} dipisah menjadi kasus baru #{created[0]}.",
            "success",
        )
    return response
