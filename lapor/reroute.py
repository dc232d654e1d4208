"""Pass a case LAPOR! already has to another agency ("bukan wewenang"), as the public v3 clients
do: ``POST /complaints/process/{id}/reject`` with ``not_authority``, ``reason`` (the new
institution's id) and ``reason_description``.

The intent is audited before the request, the new agency recorded after LAPOR!'s answer.
"""

from __future__ import annotations

import logging
from typing import Any

from lapor.exceptions import MappingMissing
from store.profile import Profile

log = logging.getLogger(__name__)


def reroute_sent_case(
    *,
    factory: Any,
    client: Any,
    profile: Profile,
    case_id: int,
    agency: str,
    actor: str,
    reason: str,
) -> str:
    """Pass case ``case_id`` to ``agency`` in LAPOR!; returns the complaint id."""
    from store.reroutes import begin_reroute, finish_reroute

    target = profile.agency(agency)
    if target is None:
        raise MappingMissing([f"agency {agency!r} is not in the profile"])
    if target.lapor_disposition_id is None:
        raise MappingMissing([f"agency {target.key} has no lapor_disposition_id"])
    with factory.begin() as session:
        sent = begin_reroute(session=session, case_id=case_id, actor=actor, agency=agency)
    client.pass_on(
        sent.complaint_id, institution_id=target.lapor_disposition_id, reason=reason.strip()
    )
    with factory.begin() as session:
        finish_reroute(session=session, case_id=case_id, actor=actor, agency=agency, reason=reason)
    log.info("case %s (LAPOR! %s) passed to %s", case_id, sent.complaint_id, agency)
    return sent.complaint_id
