"""Login counters in the database, changed atomically (the limits and keys are review.auth's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, literal, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.tables import LoginAttempt

KEY_MAX = 200


def _insert(session: Session):
    name = session.get_bind().dialect.name
    return (postgresql if name == "postgresql" else sqlite).insert(LoginAttempt)


# One row per key (``addr:<client address>``, or a user name's) counts the attempts of the window.
# ``count_attempt`` adds one and returns the new count in a single ``INSERT ... ON CONFLICT DO
# UPDATE ... RETURNING`` statement, so parallel requests — in one process or many — are all counted
# before any of them is let through. A successful login gives back only its own attempt
# (``forgive_attempt``); it never resets the failures counted for the address.
def count_attempt(
    *, session: Session, key: str, window_s: float, now: datetime | None = None
) -> int:
    """Count one attempt for ``key``; the attempts in its window, this one included."""
    now = now or datetime.now(UTC)
    key = key[:KEY_MAX]
    time_type = LoginAttempt.__table__.c.window_start.type
    stale = LoginAttempt.window_start <= literal(now - timedelta(seconds=window_s), time_type)
    insert = _insert(session).values(key=key, attempts=1, window_start=now)
    statement = insert.on_conflict_do_update(
        index_elements=[LoginAttempt.key],
        set_={
            "attempts": case((stale, 1), else_=LoginAttempt.attempts + 1),
            "window_start": case((stale, literal(now, time_type)), else_=LoginAttempt.window_start),
        },
    ).returning(LoginAttempt.attempts)
    return int(session.execute(statement).scalar_one())


def forgive_attempt(*, session: Session, key: str) -> None:
    """Give back the one attempt a successful login counted (never below zero)."""
    session.execute(
        update(LoginAttempt)
        .where(LoginAttempt.key == key[:KEY_MAX], LoginAttempt.attempts > 0)
        .values(attempts=LoginAttempt.attempts - 1)
        .execution_options(synchronize_session=False)
    )


def forget_key(*, session: Session, key: str) -> None:
    """Drop the counter of ``key`` (a user name's, after a good login or an admin's unlock)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == key[:KEY_MAX]))


def forget_stale(*, session: Session, window_s: float, now: datetime | None = None) -> int:
    """Delete the counters whose window ended (housekeeping); how many went."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(seconds=window_s)
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.window_start <= cutoff))
    return result.rowcount or 0
