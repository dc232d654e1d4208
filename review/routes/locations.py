"""Setting or correcting where a case is: the facilitator picks a kecamatan, then a kelurahan of
it, from the profile's areas (or "Lokasi tidak diketahui"); audited like every decision."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from cases.location import set_case_location
from review.deps import Actor, DbId, FormVersion, SessionDep, safe_next
from review.routes import redirect
from review.routes.cases import decide
from store.areas import Gazetteer, get_gazetteer
from store.tables import Case

router = APIRouter(prefix="/cases")
Picked = Annotated[str, Form()]


def _gazetteer(request: Request) -> Gazetteer | None:
    folder = request.app.state.profile.folder
    return get_gazetteer(folder) if folder else None


def pick_area(
    gazetteer: Gazetteer | None, kecamatan: str, kelurahan: str
) -> tuple[str | None, str | None]:
    """(area key or None for "not known", a problem in Indonesian or None) from the two selects.
    An area key the profile does not have is a 400: the form only offers the profile's."""
    kecamatan, kelurahan = kecamatan.strip(), kelurahan.strip()
    areas = gazetteer.areas if gazetteer is not None else {}
    for key, level in ((kecamatan, "kecamatan"), (kelurahan, "kelurahan")):
        if key and (key not in areas or areas[key].level != level):
            raise HTTPException(status_code=400, detail=f"Wilayah tidak dikenal: {key!r}")
    if not kelurahan:
        return (kecamatan or None), None
    area = areas[kelurahan]
    if kecamatan and area.parent != kecamatan:
        return None, (
            f"Kelurahan {area.name} tidak ada di Kecamatan {areas[kecamatan].name}. Pilih "
            f"kelurahan di Kec. {areas[kecamatan].name}, atau kosongkan kelurahan."
        )
    return kelurahan, None


def _done(request: Request, gazetteer: Gazetteer | None, case: Case | None, key: str | None):
    """What the flash says: the new location and, for a local-office case, its office now."""
    if key is None or gazetteer is None:
        return f"Kasus #{case.id if case else '?'}: lokasi ditandai tidak diketahui."
    text = f"Lokasi kasus #{case.id if case else '?'}: {gazetteer.label(key)}."
    agency = request.app.state.profile.agency(case.agency) if case and case.agency else None
    if agency is not None and agency.local_level:
        office = gazetteer.routed_office(key, agency.local_level)
        if office is not None:
            text += f" Diteruskan ke {office.office or office.name}."
    return text


@router.post("/{case_id}/location")
def set_location(
    case_id: DbId,
    request: Request,
    user: Actor,
    session: SessionDep,
    version: FormVersion = None,
    next: Annotated[str, Form()] = "/",
    kecamatan: Picked = "",
    kelurahan: Picked = "",
) -> Response:
    gazetteer = _gazetteer(request)
    key, problem = pick_area(gazetteer, kecamatan, kelurahan)
    if problem:
        return redirect(request, safe_next(next), f"Kasus #{case_id}: {problem}", "error")
    done = _done(request, gazetteer, session.get(Case, case_id), key)
    return decide(
        request,
        session,
        user,
        case_id,
        next,
        lambda: set_case_location(
            session=session,
            case_id=case_id,
            actor=user.name,
            location=key,
            gazetteer=gazetteer,
            expected_version=version,
        ),
        done,
    )
