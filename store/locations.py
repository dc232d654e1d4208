"""Open cases per area (``cases.location``): the dashboard's per-kelurahan view."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.tables import Case

__all__ = ["AreaBacklog", "open_cases_by_area"]


@dataclass(frozen=True)
class AreaBacklog:
    """Open cases of one area (None: no known area) and their age in hours."""

    location: str | None
    open: int
    median_hours: float
    oldest_hours: float


def open_cases_by_area(
    *, session: Session, agencies: list[str] | None, now: datetime | None = None
) -> list[AreaBacklog]:
    """Open cases grouped by area, most first (the unknown area last), limited to `agencies`."""
    now = now or datetime.now(UTC)
    query = select(Case.location, Case.first_post_at, Case.created_at).where(Case.state == "open")
    if agencies is not None:
        query = query.where(Case.agency.in_(agencies))
    ages: dict[str | None, list[float]] = defaultdict(list)
    for location, first_post_at, created_at in session.execute(query):
        since = first_post_at or created_at
        ages[location].append(max(0.0, (now - since).total_seconds() / 3600))
    rows = [
        AreaBacklog(key, len(h), float(statistics.median(h)), max(h)) for key, h in ages.items()
    ]
    return sorted(rows, key=lambda r: (r.location is None, -r.open, -r.oldest_hours, r.location))
