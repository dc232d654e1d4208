"""Figures for the dashboard: complaints per agency/topic per week, funnel, speed, backlog, and
the sent complaints' LAPOR! statuses that lapor.service_levels measures."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.audit import SYSTEM
from store.forward_status import closed_undone, done_in_lapor
from store.tables import Case, Forward, LaporStatusChange, PostRow

COMPLAINT_STATES = ("open", "approved")


def week_start(moment: datetime, zone: ZoneInfo | None = None) -> date:
    """The Monday of ``moment``'s ISO week (in ``zone``, default UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    day = moment.astimezone(zone or UTC).date()
    return day - timedelta(days=day.weekday())


@dataclass
class Dashboard:
    weeks: list[date] = field(default_factory=list)
    per_agency_week: dict[str, list[int]] = field(default_factory=dict)
    per_topic_week: dict[str, list[int]] = field(default_factory=dict)
    funnel: list[tuple[str, int]] = field(default_factory=list)
    median_hours_to_forward: float | None = None
    backlog: list[tuple[str, int, float]] = field(default_factory=list)  # agency, open, oldest h

    @property
    def median_days_to_forward(self) -> float | None:
        hours = self.median_hours_to_forward
        return None if hours is None else hours / 24

    def trend(self, series: list[int]) -> int:
        """Change from the complete week before last to the last complete week."""
        return series[-1] - series[-2] if len(series) >= 2 else 0


def _scoped(query, agencies: list[str] | None):
    return query if agencies is None else query.where(Case.agency.in_(agencies))


# Weekly buckets are made in Python from a narrow query (a few columns per case), which works the
# same on SQLite and PostgreSQL; counts that do not need dates are grouped in SQL. Only complete
# weeks are bucketed (the week now under way would compare a few days with whole weeks); weeks
# start on Monday in the profile's timezone.
def build_dashboard(
    *,
    session: Session,
    agencies: list[str] | None,
    weeks: int = 8,
    now: datetime | None = None,
    timezone: str = "UTC",
) -> Dashboard:
    """All dashboard figures for the last ``weeks`` complete weeks, limited to ``agencies``
    (None: all); weeks and working days in ``timezone`` (the profile's)."""
    now = now or datetime.now(UTC)
    zone = ZoneInfo(timezone)
    first_week = week_start(now, zone) - timedelta(weeks=weeks)
    board = Dashboard(weeks=[first_week + timedelta(weeks=i) for i in range(weeks)])
    index = {w: i for i, w in enumerate(board.weeks)}
    since = datetime.combine(first_week, datetime.min.time(), tzinfo=zone)
    rows = session.execute(
        _scoped(
            select(Case.agency, Case.topic, Case.first_post_at).where(
                Case.state.in_(COMPLAINT_STATES), Case.first_post_at >= since
            ),
            agencies,
        )
    )
    per_agency: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    per_topic: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    for agency, topic, at in rows:
        slot = index.get(week_start(at, zone))
        if slot is None:
            continue
        per_agency[agency or "-"][slot] += 1
        per_topic[topic or "-"][slot] += 1
    board.per_agency_week = dict(sorted(per_agency.items(), key=lambda kv: -sum(kv[1])))
    board.per_topic_week = dict(sorted(per_topic.items(), key=lambda kv: -sum(kv[1])))
    board.funnel = _funnel(session, agencies)
    board.median_hours_to_forward = _median_hours(session, agencies)
    board.backlog = _backlog(session, agencies, now)
    return board


@dataclass(frozen=True)
class SentComplaint:
    """A forward LAPOR! has, with when it first reported each status (its own date if any)."""

    forward_id: int
    agency: str
    sent_at: datetime
    reached: dict[str, datetime]


def sent_complaints(*, session: Session, agencies: list[str] | None) -> list[SentComplaint]:
    """The sent forwards (of cases of ``agencies``; None: all) with their statuses' first times."""
    sent = session.execute(
        _scoped(
            select(Forward.id, Forward.sent_at, Case.agency)
            .join(Case, Case.id == Forward.case_id)
            .where(Forward.state == "sent", Forward.sent_at.is_not(None)),
            agencies,
        )
    ).all()
    reached = _reached_at(session, [f for f, _, _ in sent])
    return [
        SentComplaint(forward_id, agency or "-", sent_at, reached.get(forward_id, {}))
        for forward_id, sent_at, agency in sent
    ]


def _reached_at(session: Session, forward_ids: list[int]) -> dict[int, dict[str, datetime]]:
    """forward id -> LAPOR! status name -> when it was first reported (LAPOR!'s date if any)."""
    out: dict[int, dict[str, datetime]] = defaultdict(dict)
    for i in range(0, len(forward_ids), 500):
        rows = session.execute(
            select(
                LaporStatusChange.forward_id,
                LaporStatusChange.status_name,
                LaporStatusChange.changed_at,
                LaporStatusChange.observed_at,
            ).where(LaporStatusChange.forward_id.in_(forward_ids[i : i + 500]))
        )
        for forward_id, name, changed, observed in rows:
            at = changed or observed
            if name not in out[forward_id] or at < out[forward_id][name]:
                out[forward_id][name] = at
    return out


def _funnel(session: Session, agencies: list[str] | None) -> list[tuple[str, int]]:
    if agencies is None:
        harvested = session.scalar(select(func.count()).select_from(PostRow)) or 0
    else:  # a facilitator sees the posts that reached their agencies' cases
        harvested = (
            session.scalar(
                select(func.count())
                .select_from(PostRow)
                .join(Case, Case.id == PostRow.case_id)
                .where(Case.agency.in_(agencies))
            )
            or 0
        )
    states = Counter(
        dict(
            session.execute(
                _scoped(select(Case.state, func.count()).group_by(Case.state), agencies)
            ).all()
        )
    )
    forwards = Counter(
        dict(
            session.execute(
                _scoped(
                    select(Forward.state, func.count())
                    .join(Case, Case.id == Forward.case_id)
                    .group_by(Forward.state),
                    agencies,
                )
            ).all()
        )
    )
    lapor = {
        name: session.scalar(
            _scoped(
                select(func.count())
                .select_from(Forward)
                .join(Case, Case.id == Forward.case_id)
                .where(condition()),
                agencies,
            )
        )
        or 0
        for name, condition in (("done", done_in_lapor), ("undone", closed_undone))
    }
    auto = (
        session.scalar(
            _scoped(
                select(func.count()).where(Case.state == "approved", Case.decided_by == SYSTEM),
                agencies,
            )
        )
        or 0
    )
    return [
        ("harvested posts", harvested),
        ("complaint cases", states["open"] + states["approved"] + states["rejected"]),
        ("reviewed", states["approved"] + states["rejected"] - auto),  # by a person
        ("auto-approved", auto),
        ("forwarded", forwards["sent"]),
        ("LAPOR! finished", lapor["done"]),  # Selesai only
        ("LAPOR! closed undone", lapor["undone"]),  # Ditolak, Diarsipkan
    ]


def _median_hours(session: Session, agencies: list[str] | None) -> float | None:
    rows = session.execute(
        _scoped(
            select(Case.first_post_at, Forward.sent_at)
            .join(Case, Case.id == Forward.case_id)
            .where(Forward.sent_at.is_not(None), Case.first_post_at.is_not(None)),
            agencies,
        )
    ).all()
    hours = [(sent - posted).total_seconds() / 3600 for posted, sent in rows]
    return statistics.median(hours) if hours else None


def _backlog(
    session: Session, agencies: list[str] | None, now: datetime
) -> list[tuple[str, int, float]]:
    rows = session.execute(
        _scoped(
            select(Case.agency, func.count(), func.min(Case.first_post_at))
            .where(Case.state == "open")
            .group_by(Case.agency),
            agencies,
        )
    ).all()
    backlog = []
    for agency, count, oldest in rows:
        if isinstance(oldest, str):  # SQLite hands back an aggregate's raw ISO text
            oldest = datetime.fromisoformat(oldest).replace(tzinfo=UTC)
        elif oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        age = (now - oldest).total_seconds() / 3600 if oldest else 0.0
        backlog.append((agency or "-", count, age))
    return sorted(backlog, key=lambda row: -row[1])
