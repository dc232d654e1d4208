"""The CSV exports as a facilitator reads them: Indonesian headers, names instead of keys,
rounded numbers, dates dd/mm/yyyy in the profile's timezone (named in the header)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from review import labels


class Exporter:
    """Turns store rows into the CSV rows of one profile (its names and its timezone)."""

    def __init__(self, profile: Any) -> None:
        self.zone = ZoneInfo(profile.timezone)
        self.zone_name = datetime.now(self.zone).tzname() or profile.timezone
        self.agencies = {a.key: a.short or a.name for a in profile.agencies}
        self.topics = {t.key: t.name for t in profile.topics}
        from store.areas import get_gazetteer

        folder = getattr(profile, "folder", None)
        self.gazetteer = get_gazetteer(folder) if folder else None

    def when(self, value: datetime | str | None) -> str:
        if not value:
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(self.zone).strftime("%d/%m/%Y %H:%M")

    @staticmethod
    def day(value: date) -> str:
        return value.strftime("%d/%m/%Y")

    @staticmethod
    def percent(value: float | None) -> str:
        return "" if value is None else f"{value * 100:.0f}"

    def agency(self, key: str | None) -> str:
        return self.agencies.get(key or "", key or "")

    def topic(self, key: str | None) -> str:
        return self.topics.get(key or "", key or "")

    def area(self, key: str | None) -> str:
        if not key:
            return ""
        return self.gazetteer.label(key) if self.gazetteer else key

    def queue(self, rows: Iterable[dict]) -> Iterator[dict]:
        t = f"waktu posting pertama ({self.zone_name})"
        for r in rows:
            yield {
                "no. kasus": r["case_id"],
                "status": labels.case_state(r["state"]),
                "instansi": self.agency(r["agency"]),
                "keyakinan instansi (%)": self.percent(r["agency_confidence"]),
                "topik": self.topic(r["topic"]),
                "keyakinan topik (%)": self.percent(r["topic_confidence"]),
                "urgensi (1-3)": r["urgency"],
                "lokasi": self.area(r.get("location")),
                "kode lokasi": r.get("location") or "",
                "kemungkinan lokasi": "; ".join(
                    self.area(k) for k in (r.get("location_candidates") or "").split()
                ),
                "lokasi tak dikenal": r.get("location_unknown") or "",
                t: self.when(r["first_post_at"]),
                "sumber": r["source"],
                "tautan": r["url"],
                "teks": r["text"],
                "diputuskan oleh": r["decided_by"],
            }

    def forwards(self, views: Iterable[Any]) -> Iterator[dict]:
        t = f"terkirim ({self.zone_name})"
        for v in views:
            f = v.forward
            yield {
                "no. kiriman": f.id,
                "no. kasus": v.case.id,
                "instansi": self.agency(v.case.agency),
                "topik": self.topic(v.case.topic),
                "status kirim": labels.forward_state(f.state),
                "no. LAPOR!": f.complaint_id or "",
                "status LAPOR!": f.status_name or "",
                t: self.when(f.sent_at),
                "kesalahan terakhir": f.last_error or "",
            }

    def audit(self, entries: Iterable[Any]) -> Iterator[dict]:
        names = {
            "agency": self.agency,
            "agencies": self.agency,
            "topic": self.topic,
            "state": labels.case_state,
            "role": labels.role_name,
        }
        t = f"waktu ({self.zone_name})"
        for e in entries:
            yield {
                "no.": e.id,
                t: self.when(e.at),
                "oleh": e.actor,
                "tindakan": labels.audit_action(e.action),
                "objek": f"{labels.audit_object(e.object_type)} {e.object_id or ''}".strip(),
                "perubahan": "; ".join(
                    labels.audit_changes(e.before, e.after, names, e.object_type)
                ),
            }
