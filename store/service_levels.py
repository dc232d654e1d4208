"""SP4N-LAPOR!'s service levels, counted in Indonesian working days.

LAPOR! gives an institution 3 working days to verify a complaint, 5 to respond (follow it up)
and 10 to close it. Working days skip Saturdays, Sundays, national holidays (libur nasional) and
cuti bersama, from the yearly SKB 3 Menteri as the ``lokal-id`` package ships them. For a year
it has no decree for, only weekends are skipped (``calendar_known`` says so on the dashboard).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import lokal


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
