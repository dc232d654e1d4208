"""Store-wide locks that make a step safe to run twice at once, on one machine or many."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import false, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from store.tables import PostRow

log = logging.getLogger(__name__)

# In-memory SQLite databases live in one process: a process-wide lock stands in for the flock.
_memory_runs: dict[str, threading.Lock] = {}


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name`` (the same on every machine)."""
    digest = hashlib.sha256(f"aduan:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


#     hold_step(session=, name=)        this transaction is the only one doing step ``name`` now;
#                                       others wait for its commit or rollback (then see its rows)
#     exclusive_run(factory=, name=)    this run is the only one doing ``name`` now (non-blocking:
#                                       yields False when another run holds it)
#
# PostgreSQL: advisory locks (``pg_advisory_xact_lock`` / ``pg_try_advisory_lock``); they end with
# the transaction or connection, so a killed worker never leaves one behind. SQLite (one machine):
# ``hold_step`` takes the database's write lock with its first statement (a write that matches no
# row, like ``BEGIN IMMEDIATE``), so the transaction's reads already see every committed write;
# ``exclusive_run`` takes an ``flock`` on a file beside the database, released when the process
# ends.
def hold_step(*, session: Session, name: str) -> None:
    """Make the caller's transaction the only one doing step ``name`` until it ends.

    Call it first in the transaction, before any read the step decides on.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(lock_key(name))))
        return
    # SQLite: the first write of a transaction takes the database's write lock (waiting up to
    # the busy timeout); pysqlite starts the transaction at this statement, so every read after
    # it sees the latest committed rows.
    session.execute(
        update(PostRow).where(false()).values(state=PostRow.state),
        execution_options={"synchronize_session": False},
    )


@contextmanager
def exclusive_run(*, factory: sessionmaker[Session], name: str) -> Iterator[bool]:
    """Hold the run lock ``name`` for the ``with`` block if no other run holds it.

    Yields True when this run holds it, False when another run does (the caller skips).
    """
    engine = factory.kw["bind"]
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            key = lock_key(name)
            held = bool(conn.execute(select(func.pg_try_advisory_lock(key))).scalar())
            conn.commit()
            try:
                yield held
            finally:
                if held:
                    conn.execute(select(func.pg_advisory_unlock(key)))
                    conn.commit()
        return
    database = engine.url.database
    if database in (None, "", ":memory:"):
        lock = _memory_runs.setdefault(name, threading.Lock())
        held = lock.acquire(blocking=False)
        try:
            yield held
        finally:
            if held:
                lock.release()
        return
    path = Path(f"{database}.{name}.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held = True
        except BlockingIOError:
            held = False
        try:
            yield held
        finally:
            if held:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
