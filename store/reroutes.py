"""The reroute outbox (``reroutes``): passing a case LAPOR! already has to another agency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from store.audit import audit_action, case_snapshot, record_audit
from store.exceptions import StoreError
from store.outbox_claims import claim_rows, record_guarded
from store.tables import AuditEntry, Case, Forward, Reroute, Review

__all__ = [
    "OPEN_STATES",
    "ClaimedReroute",
    "RerouteOutcome",
    "SentCase",
    "claim_due_reroutes",
    "finish_reroute",
    "record_reroute_outcome",
    "recover_stale_reroutes",
    "request_reroute",
    "reroutes_for_case",
    "sent_case",
]

T, A = Reroute.__table__, AuditEntry.__table__
OPEN_STATES = ("pending", "sending", "unknown")
DUE_STATES = ("pending", "unknown")
STALE_NOTE = (
    "the sender stopped while this request was being sent; it may have reached LAPOR!: the "
    "complaint is read there before any resend"
)


@dataclass(frozen=True)
class SentCase:
    """A case with the id LAPOR! gave its complaint."""

    case_id: int
    agency: str | None
    complaint_id: str
    status_name: str | None = None
    status_final: bool = False


@dataclass(frozen=True)
class ClaimedReroute:
    """A request now in ``sending`` (committed). ``verify``: an earlier attempt may have
    reached LAPOR!, so the complaint is read first."""

    reroute_id: int
    attempt: int
    case_id: int
    complaint_id: str
    agency: str
    institution_id: str
    reason: str
    verify: bool


@dataclass(frozen=True)
class RerouteOutcome:
    """What attempt ``attempt`` of a request came to: ``sent`` | ``pending`` (retry at
    ``next_attempt_at``) | ``unknown`` (read LAPOR! first, at ``next_attempt_at``) | ``failed``
    | ``released`` (given back uncounted: our credentials were rejected)."""

    reroute_id: int
    attempt: int
    state: str
    error: str | None = None
    next_attempt_at: datetime | None = None


def sent_case(*, session: Session, case_id: int) -> SentCase:
    """The case's LAPOR! complaint; StoreError if the case does not exist or was not sent to
    LAPOR! (then its agency is corrected in the review queue instead)."""
    case = session.get(Case, case_id)
    if case is None:
        raise StoreError(f"no case {case_id}", pesan="tidak ditemukan.")
    forward = session.scalars(
        select(Forward).where(Forward.case_id == case_id, Forward.target == "lapor")
    ).one_or_none()
    if forward is None or forward.state != "sent" or not forward.complaint_id:
        state = forward.state if forward is not None else "not in the outbox"
        raise StoreError(
            f"case {case_id} is not in LAPOR! yet ({state}); change its agency in the review "
            "queue instead",
            pesan="belum ada di LAPOR!; koreksi instansinya di antrean tinjauan.",
        )
    return SentCase(
        case_id=case_id,
        agency=case.agency,
        complaint_id=forward.complaint_id,
        status_name=forward.status_name,
        status_final=bool(forward.status_final),
    )


def request_reroute(
    *,
    session: Session,
    case_id: int,
    actor: str,
    agency: str,
    institution_id: str | int,
    reason: str,
    local_level: str | None = None,
    now: datetime | None = None,
) -> Reroute:
    """Queue passing case ``case_id`` to ``agency`` (LAPOR! id ``institution_id``), audited.

    StoreError if ``agency`` is routed to local offices (its profile ``local_level``: one id per
    area, no single institution to pass it to), the case is not in LAPOR!, LAPOR! has closed it
    (a final status such as Selesai or Ditolak), it is already with ``agency``, has a request
    still waiting, or ``reason`` is blank."""
    if local_level is not None:
        raise StoreError(
            f"agency {agency} is routed to local offices ({local_level}); it cannot be a reroute "
            "target",
            pesan="instansi itu diteruskan lewat kantor setempat, bukan satu id LAPOR!; "
            "pilih yang lain.",
        )
    sent = sent_case(session=session, case_id=case_id)
    if sent.status_final:
        raise StoreError(
            f"case {case_id} is closed in LAPOR! ({sent.status_name}); it cannot be passed on",
            pesan=f"sudah ditutup di LAPOR! (status {sent.status_name}); aduan yang sudah selesai "
            "atau ditolak tidak bisa diteruskan ke instansi lain.",
        )
    if sent.agency == agency:
        raise StoreError(f"case {case_id} is already with {agency}", pesan="sudah di instansi itu.")
    if not reason.strip():
        raise StoreError(
            "a reroute needs a reason (sent to LAPOR! as reason_description)",
            pesan="tulis alasannya (dikirim ke LAPOR! sebagai alasan penerusan).",
        )
    waiting = session.scalars(
        select(Reroute).where(Reroute.case_id == case_id, Reroute.state.in_(OPEN_STATES))
    ).first()
    if waiting is not None:
        raise StoreError(
            f"case {case_id} already has a reroute request waiting (to {waiting.agency})",
            pesan="sudah ada permintaan penerusan yang menunggu dikirim ke LAPOR!.",
        )
    now = now or datetime.now(UTC)
    row = Reroute(
        case_id=case_id,
        complaint_id=sent.complaint_id,
        agency_before=sent.agency,
        agency=agency,
        institution_id=str(institution_id),
        reason=reason.strip(),
        requested_by=actor,
        state="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="case.reroute_requested",
        object_type="case",
        object_id=case_id,
        before={"agency": sent.agency},
        after={"agency": agency, "complaint_id": sent.complaint_id, "reroute": row.id},
    )
    return row


# A row's way (lapor.reroute sends them with ``POST /complaints/process/{id}/reject``):
#
#     request_reroute (review app or CLI; audited ``case.reroute_requested``) --> pending
#     pending --claim (commit ``sending`` + lease)--> sending
#     sending --> sent       LAPOR! accepted: the case's agency changes (finish_reroute, audited)
#             --> pending    throttled / 503 / no connection: nothing happened; retried (back-off)
#             --> unknown    timeout, dropped connection, other 5xx: it MAY have happened; the next
#                            attempt reads the complaint in LAPOR! before anything is resent
#             --> failed     LAPOR! refused it (4xx), or the attempts are used up: final, shown
#
# At most one open (pending, sending, unknown) request per case (a partial unique index). Claims
# and guarded outcomes as in the other outboxes (store.outbox_claims).
def claim_due_reroutes(
    *, factory: sessionmaker[Session], now: datetime, lease_until: datetime, limit: int = 1
) -> list[ClaimedReroute]:
    """Claim up to ``limit`` due requests: ``sending`` with a lease, committed before the caller
    sends anything."""
    due = T.c.state.in_(DUE_STATES) & (T.c.next_attempt_at <= now)
    claim = {"state": "sending", "attempts": T.c.attempts + 1, "next_attempt_at": lease_until}
    with factory.begin() as session:
        rows = claim_rows(
            session.connection(),
            T,
            due=due,
            states=DUE_STATES,
            values={**claim, "updated_at": now},
            returning=(
                T.c.id,
                T.c.attempts,
                T.c.case_id,
                T.c.complaint_id,
                T.c.agency,
                T.c.institution_id,
                T.c.reason,
            ),
            limit=limit,
        )
    return [
        ClaimedReroute(
            reroute_id=r.id,
            attempt=r.attempts,
            case_id=r.case_id,
            complaint_id=r.complaint_id,
            agency=r.agency,
            institution_id=r.institution_id,
            reason=r.reason,
            verify=r.attempts > 1,
        )
        for r in sorted(rows, key=lambda r: r.id)
    ]


def _values(outcome: RerouteOutcome, now: datetime) -> tuple[dict[str, Any], tuple[str, ...]]:
    either = ("sending", "unknown")
    if outcome.state == "sent":
        return {"state": "sent", "last_error": None, "sent_at": now}, either
    if outcome.state in ("pending", "unknown"):
        values = {"last_error": outcome.error, "next_attempt_at": outcome.next_attempt_at or now}
        states = either if outcome.state == "pending" else ("sending",)
        return {"state": outcome.state, **values}, states
    if outcome.state == "failed":
        return {"state": "failed", "last_error": outcome.error}, either
    if outcome.state == "released":
        values = {
            "attempts": T.c.attempts - 1,
            "last_error": outcome.error,
            "next_attempt_at": outcome.next_attempt_at or now,
        }
        return {"state": "pending", **values}, ("sending",)
    raise ValueError(f"unknown reroute outcome {outcome.state!r}")


def record_reroute_outcome(
    *, factory: sessionmaker[Session], outcome: RerouteOutcome, now: datetime
) -> bool:
    """Write an outcome, guarded by (id, attempt, state); False if the row moved on meanwhile.
    ``sent`` changes the case's agency in the same transaction (LAPOR! is the source of truth);
    ``failed`` gets an audit entry."""
    values, states = _values(outcome, now)
    with factory.begin() as session:
        done = record_guarded(
            session.connection(),
            T,
            row_id=outcome.reroute_id,
            attempt=outcome.attempt,
            states=states,
            values={"updated_at": now, **values},
        )
        if not done:
            return False
        if outcome.state == "sent":
            row = session.get(Reroute, outcome.reroute_id)
            finish_reroute(
                session=session,
                case_id=row.case_id,
                actor=row.requested_by,
                agency=row.agency,
                reason=row.reason,
            )
        elif outcome.state == "failed":
            after = {"last_error": outcome.error}
            session.connection().execute(insert(A).values(_audit(outcome.reroute_id, after, now)))
    return True


def _audit(reroute_id: int, after: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "actor": "system",
        "action": audit_action("reroute.failed"),
        "object_type": "reroute",
        "object_id": str(reroute_id),
        "before": None,
        "after": after,
        "at": now,
    }


def recover_stale_reroutes(*, factory: sessionmaker[Session], now: datetime) -> int:
    """Requests left in ``sending`` past their lease (the sender died): ``unknown``, due now; the
    next attempt reads the complaint in LAPOR! before it resends anything."""
    with factory.begin() as session:
        rows = session.execute(
            update(T)
            .where(T.c.state == "sending", T.c.next_attempt_at < now)
            .values(state="unknown", last_error=STALE_NOTE, next_attempt_at=now, updated_at=now)
            .returning(T.c.id)
        ).all()
    return len(rows)


def finish_reroute(*, session: Session, case_id: int, actor: str, agency: str, reason: str) -> Case:
    """Record that LAPOR! accepted passing the case on: new agency, review, audit entry."""
    case = session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise StoreError(f"no case {case_id}", pesan="tidak ditemukan.")
    before = case_snapshot(case)
    session.add(
        Review(
            case_id=case_id,
            reviewer=actor,
            action="reroute",
            agency_before=case.agency,
            agency_after=agency,
            topic_before=case.topic,
            topic_after=case.topic,
            note=reason,
        )
    )
    case.agency = agency
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="case.reroute",
        object_type="case",
        object_id=case_id,
        before=before,
        after=case_snapshot(case),
    )
    return case


def reroutes_for_case(*, session: Session, case_id: int) -> list[Reroute]:
    """The case's reroute requests, oldest first."""
    query = select(Reroute).where(Reroute.case_id == case_id).order_by(Reroute.id)
    return list(session.scalars(query))
