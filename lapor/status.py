"""Status sync: poll complaints that are not final, store each status change with its time.
``sync_due`` is the pipeline's status step (the configured targets, counts only)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings, load_settings
from lapor.client import ComplaintStatus, LaporClient
from lapor.exceptions import AuthRejected, LaporApiError, LaporConfigError
from lapor.outbox import configured_targets
from store.db import get_engine, session_factory
from store.forward_status import (
    StatusChange,
    claim_status_poll,
    due_for_status,
    record_status,
    touch_status_checked,
)

log = logging.getLogger(__name__)


@dataclass
class StatusStats:
    polled: int = 0
    changes: int = 0
    became_final: int = 0
    errors: int = 0
    skipped: int = 0


class StatusSource:
    """Something that can tell a complaint's status: LAPOR! or an Open311 endpoint."""

    name = "lapor"

    def __init__(self, client: LaporClient) -> None:
        self.client = client

    def status(self, complaint_id: str) -> tuple[StatusChange, bool, list[StatusChange]]:
        """(current status, is it final, the dated changes LAPOR! logged, oldest first)."""
        return lapor_changes(self.client.get_complaint(complaint_id))


def lapor_changes(status: ComplaintStatus) -> tuple[StatusChange, bool, list[StatusChange]]:
    logs = sorted((log for log in status.logs if log.at is not None), key=lambda entry: entry.at)
    changes = [
        StatusChange(
            status_name=entry.status_name,
            status_code=entry.status_code,
            changed_at=entry.at,
            raw=entry.raw,
        )
        for entry in logs
    ]
    current_at = next(
        (c.changed_at for c in reversed(changes) if c.status_name == status.status_name), None
    )
    current = StatusChange(
        status_name=status.status_name,
        status_code=status.status_code,
        changed_at=current_at,
        raw={"disposition_name": status.disposition_name},
    )
    return current, status.final, changes


def sync_status(
    *,
    factory: sessionmaker[Session],
    client: LaporClient | StatusSource | None,
    limit: int | None = None,
    extra_sources: Sequence[StatusSource] = (),
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> StatusStats:
    """Poll every sent, non-final forward (least recently checked first) once.

    Final statuses (Selesai, Ditolak, Diarsipkan) stop the polling of that forward. An auth error
    stops the run (raised); any other error is counted and the forward is polled again later.
    Each forward is claimed before it is polled: a concurrent run skips it (``skipped``).
    """
    sources: dict[str, StatusSource] = {}
    if client is not None:
        source = StatusSource(client) if isinstance(client, LaporClient) else client
        sources[source.name] = source
    for extra in extra_sources:
        sources[extra.name] = extra
    if not sources:
        raise LaporConfigError("no status source configured")
    stats = StatusStats()
    with factory() as session:
        due = due_for_status(session=session, limit=limit, targets=list(sources))
    for row in due:
        with factory.begin() as session:
            if not claim_status_poll(session=session, due=row, now=clock()):
                stats.skipped += 1  # another status run has it
                continue
        try:
            current, final, changes = sources[row.target].status(row.complaint_id)
        except AuthRejected:
            raise
        except LaporApiError as exc:
            log.warning("status of forward %s not available: %s", row.forward_id, exc)
            stats.errors += 1
            with factory.begin() as session:
                touch_status_checked(session=session, forward_id=row.forward_id, now=clock())
            continue
        with factory.begin() as session:
            added = record_status(
                session=session,
                forward_id=row.forward_id,
                current=current,
                final=final,
                changes=changes,
                now=clock(),
            )
        stats.polled += 1
        stats.changes += added
        stats.became_final += int(final)
    return stats


def sync_due(
    *,
    factory: sessionmaker[Session] | None = None,
    limit: int | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Poll LAPOR! (and Open311) for the status of forwarded complaints that are not final.
    ``settings`` None: read from the environment now."""
    settings = settings or load_settings()
    client, extra = configured_targets(settings)
    factory = factory or session_factory(get_engine(settings.sqlalchemy_url))
    stats = sync_status(factory=factory, client=client, limit=limit, extra_sources=extra)
    return asdict(stats)
