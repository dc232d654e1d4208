"""LAPOR! reference data (institutions, categories, locations) as last synced, with their ids."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.tables import LaporReference

KINDS = ("institution", "category", "location")


def replace_reference(
    *, session: Session, kind: str, items: Iterable[tuple[str, str, str | None]], now: datetime
) -> int:
    """Replace the stored list of ``kind`` by ``items`` (ref_id, name, parent_id); returns count."""
    if kind not in KINDS:
        raise ValueError(f"unknown reference kind {kind!r}; expected one of {KINDS}")
    rows = {
        ref_id: LaporReference(
            kind=kind, ref_id=ref_id, name=name, parent_id=parent_id, synced_at=now
        )
        for ref_id, name, parent_id in items
    }
    session.execute(delete(LaporReference).where(LaporReference.kind == kind))
    session.add_all(rows.values())
    session.flush()
    return len(rows)


def list_reference(*, session: Session, kind: str) -> list[LaporReference]:
    """The stored items of ``kind`` ordered by name."""
    return list(
        session.scalars(
            select(LaporReference)
            .where(LaporReference.kind == kind)
            .order_by(LaporReference.name, LaporReference.ref_id)
        )
    )


def ids_by_name(*, session: Session, kind: str) -> dict[str, list[str]]:
    """Case-folded, whitespace-collapsed name -> ids of ``kind`` (several if names repeat)."""
    found: dict[str, list[str]] = {}
    for row in list_reference(session=session, kind=kind):
        found.setdefault(" ".join(row.name.casefold().split()), []).append(row.ref_id)
    return found
