"""Status history of sent forwards: which to poll, and every status change with its time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from store.tables import Forward, LaporStatusChange

_NO_SYNC = {"synchronize_session": False}

# LAPOR!'s final statuses (lapor.client.FINAL_STATUSES), lower case: only Selesai means the
# complaint was dealt with; Ditolak (refused) and Diarsipkan (archived) close it undone.
DONE_STATUSES = frozenset({"selesai"})
CLOSED_UNDONE_STATUSES = frozenset({"ditolak", "diarsipkan"})


def lapor_outcome(status_name: str | None) -> str | None:
    """``done`` (Selesai), ``closed_undone`` (Ditolak, Diarsipkan) or None (not final yet)."""
    name = (status_name or "").strip().lower()
    if name in DONE_STATUSES:
        return "done"
    return "closed_undone" if name in CLOSED_UNDONE_STATUSES else None


def closed_undone():
    """SQL: a sent forward LAPOR! closed without dealing with it (Ditolak, Diarsipkan)."""
    return (Forward.state == "sent") & func.lower(func.trim(Forward.status_name)).in_(
        sorted(CLOSED_UNDONE_STATUSES)
    )


def done_in_lapor():
    """SQL: a sent forward LAPOR! reports Selesai."""
    return (Forward.state == "sent") & func.lower(func.trim(Forward.status_name)).in_(
        sorted(DONE_STATUSES)
    )


@dataclass(frozen=True)
class StatusDue:
    """A sent forward whose status is not final yet."""

    forward_id: int
    target: str
    complaint_id: str
    status_name: str | None
    checked_at: datetime | None = None  # when it was last polled, as read: the claim's guard


@dataclass(frozen=True)
class StatusChange:
    """A status the target reported, with its time when the target dates it."""

    status_name: str
    status_code: str | None = None
    changed_at: datetime | None = None
    raw: dict[str, Any] | None = None


def due_for_status(
    *, session: Session, limit: int | None = None, targets: Sequence[str] = ("lapor",)
) -> list[StatusDue]:
    """Sent, non-final forwards, least recently checked first (never-checked ones first)."""
    query = (
        select(
            Forward.id,
            Forward.target,
            Forward.complaint_id,
            Forward.status_name,
            Forward.status_checked_at,
        )
        .where(
            Forward.state == "sent",
            Forward.status_final.is_(False),
            Forward.complaint_id.is_not(None),
            Forward.target.in_(list(targets)),
        )
        .order_by(
            case((Forward.status_checked_at.is_(None), 0), else_=1),
            Forward.status_checked_at,
            Forward.id,
        )
        .limit(limit)
    )
    return [StatusDue(*row) for row in session.execute(query)]


# Safe with several status runs at once: a run claims each forward before polling it
# (``claim_status_poll``: a compare-and-set of ``status_checked_at`` against the value it read, so
# of two runs that read the same row only one polls it), and ``record_status`` locks the forward's
# row with its first statement before it reads the history it deduplicates against.
def claim_status_poll(*, session: Session, due: StatusDue, now: datetime) -> bool:
    """Take the next poll of ``due`` for this run (commit before polling): False when another run
    polled or claimed it since ``due`` was read."""
    checked = Forward.status_checked_at
    unchanged = checked.is_(None) if due.checked_at is None else checked == due.checked_at
    result = session.execute(
        update(Forward)
        .where(Forward.id == due.forward_id, unchanged)
        .values(status_checked_at=now),
        execution_options=_NO_SYNC,
    )
    return result.rowcount == 1


def record_status(
    *,
    session: Session,
    forward_id: int,
    current: StatusChange,
    final: bool,
    changes: Sequence[StatusChange],
    now: datetime,
) -> int:
    """Store the status changes not seen before (``changes`` oldest first, then ``current``) and the
    forward's current status; returns how many history rows were added."""
    # First the row's own update: it locks the forward (its write lock on SQLite) so a
    # concurrent record of the same forward waits and then sees this one's history.
    session.execute(
        update(Forward)
        .where(Forward.id == forward_id)
        .values(
            status_code=current.status_code,
            status_name=current.status_name,
            status_final=final,
            status_checked_at=now,
        ),
        execution_options=_NO_SYNC,
    )
    history = session.execute(
        select(LaporStatusChange.status_name, LaporStatusChange.changed_at)
        .where(LaporStatusChange.forward_id == forward_id)
        .order_by(LaporStatusChange.id)
    ).all()
    seen = {(name, at) for name, at in history}
    seen_names = {name for name, _ in history}
    last = history[-1][0] if history else None
    added = 0
    for change in [*changes, current]:
        key = (change.status_name, change.changed_at)
        if key in seen or (change.changed_at is None and change.status_name in (last, *seen_names)):
            continue
        session.add(
            LaporStatusChange(
                forward_id=forward_id,
                status_code=change.status_code,
                status_name=change.status_name,
                changed_at=change.changed_at,
                observed_at=now,
                raw=change.raw,
            )
        )
        seen.add(key)
        seen_names.add(change.status_name)
        last = change.status_name
        added += 1
    return added


def touch_status_checked(*, session: Session, forward_id: int, now: datetime) -> None:
    """Remember that a status poll of this forward failed now (so others are polled first)."""
    session.execute(
        update(Forward).where(Forward.id == forward_id).values(status_checked_at=now),
        execution_options=_NO_SYNC,
    )


def status_history(*, session: Session, forward_id: int) -> list[LaporStatusChange]:
    """The statuses a forward went through, in the order they were observed."""
    return list(
        session.scalars(
            select(LaporStatusChange)
            .where(LaporStatusChange.forward_id == forward_id)
            .order_by(LaporStatusChange.id)
        )
    )
