"""A facilitator sets or corrects where an open case is (its ``location`` area), audited; a
local-office case goes to the office of that area wherever it is read (card, LAPOR! body)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cases.states import audit_case, require_open
from store.cases import add_review, get_case_for_update
from store.exceptions import StoreError
from store.tables import Case

__all__ = ["REVIEWED", "location_note", "set_case_location"]

REVIEWED = "review"  # location_origin of a facilitator's pick


def _snapshot(case: Case) -> dict[str, Any]:
    return {
        "location": case.location,
        "location_origin": case.location_origin,
        "location_candidates": list(case.location_candidates or []),
    }


def location_note(before: str | None, after: str | None) -> str:
    """The review note of a location change (area keys; ``-`` for unknown)."""
    return f"location {before or '-'} -> {after or '-'}"


def set_case_location(
    *,
    session: Session,
    case_id: int,
    actor: str,
    location: str | None,
    gazetteer,
    expected_version: int | None = None,
) -> Case:
    """Set an open case's area to `location` (a key of `gazetteer`, ``store.areas.Gazetteer``;
    None: the location is not known). StoreError for a key the gazetteer does not have."""
    if location is not None and (gazetteer is None or location not in gazetteer.areas):
        raise StoreError(
            f"unknown area {location!r}: not in the profile's areas.yaml",
            pesan=f"wilayah {location!r} tidak dikenal (tidak ada di areas.yaml profil).",
        )
    case = get_case_for_update(session=session, case_id=case_id, expected_version=expected_version)
    require_open(case)
    before = _snapshot(case)
    case.location = location
    case.location_origin = REVIEWED
    case.location_candidates = []
    add_review(
        session=session,
        case_id=case.id,
        reviewer=actor,
        action="locate",
        agency_before=case.agency,
        agency_after=case.agency,
        topic_before=case.topic,
        topic_after=case.topic,
        note=location_note(before["location"], location),
    )
    session.flush()
    audit_case(session, actor, "case.locate", case.id, before, _snapshot(case))
    return case
