"""Claiming due rows of an outbox table (forwards, replies, reroutes) and guarded outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Table, select, update

__all__ = ["claim_rows", "record_guarded"]


# A claim commits the new state (``sending`` with a lease in ``next_attempt_at``) before the caller
# sends anything. Safe with several senders: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite one
# ``UPDATE ... WHERE id IN (first due rows) AND state IN (due states) RETURNING`` (SQLite has one
# writer at a time, and the state guard makes a second claim of the same row match nothing). An
# outcome lands only if the row is still in the attempt that produced it.
def claim_rows(
    conn: Connection,
    table: Table,
    *,
    due: ColumnElement[bool],
    states: Sequence[str],
    values: dict[str, Any],
    returning: Sequence[Any],
    limit: int,
) -> list[Row[Any]]:
    """Set ``values`` on up to ``limit`` rows matching ``due`` (oldest ``next_attempt_at``
    first) whose state is still one of ``states``; the ``returning`` columns of those rows."""
    first = select(table.c.id).where(due).order_by(table.c.next_attempt_at, table.c.id)
    first = first.limit(limit)
    if conn.dialect.name == "postgresql":
        ids = conn.execute(first.with_for_update(skip_locked=True)).scalars().all()
        if not ids:
            return []
        guard = table.c.id.in_(ids)
    else:  # one statement: SQLite takes the write lock first, the state guard does the rest
        guard = table.c.id.in_(first.scalar_subquery())
    statement = update(table).where(guard, table.c.state.in_(list(states))).values(**values)
    return list(conn.execute(statement.returning(*returning)).all())


def record_guarded(
    conn: Connection,
    table: Table,
    *,
    row_id: int,
    attempt: int,
    states: Sequence[str],
    values: dict[str, Any],
) -> bool:
    """Write an outcome of attempt ``attempt``; False if the row moved on meanwhile."""
    result = conn.execute(
        update(table)
        .where(table.c.id == row_id, table.c.attempts == attempt, table.c.state.in_(list(states)))
        .values(**values)
    )
    return result.rowcount == 1
