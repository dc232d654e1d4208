"""Pass cases LAPOR! already has to another agency ("bukan wewenang"): the sending side of the
reroute outbox (store.reroutes), after the forwards."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from config.profile import Profile
from lapor.client import MAX_RETRY_AFTER_S, LaporClient
from lapor.exceptions import (
    AmbiguousOutcome,
    AuthRejected,
    LaporApiError,
    LaporConfigError,
    LaporError,
    MappingMissing,
    ServerError,
    Throttled,
)
from lapor.mapping import fold
from lapor.outbox import LEASE_GRACE_S, RetryPolicy
from store.reroutes import (
    ClaimedReroute,
    RerouteOutcome,
    claim_due_reroutes,
    record_reroute_outcome,
    recover_stale_reroutes,
    request_reroute,
)

log = logging.getLogger(__name__)

STOPPING = (AuthRejected, LaporConfigError)


@dataclass
class RerouteStats:
    """What one run did; ``problems`` keeps a few reasons (failed/unknown) to show."""

    sent: int = 0
    confirmed: int = 0  # an earlier attempt had reached LAPOR!: found there, not resent
    retried: int = 0
    unknown: int = 0
    failed: int = 0
    recovered_unknown: int = 0
    conflicts: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, what: str, problem: str | None = None) -> None:
        setattr(self, what, getattr(self, what) + 1)
        if problem and len(self.problems) < 50:
            self.problems.append(problem)

    @property
    def attempts(self) -> int:
        return self.sent + self.confirmed + self.retried + self.unknown + self.failed


def utcnow() -> datetime:
    return datetime.now(UTC)


def _institution_names(
    profile: Profile, row: ClaimedReroute, factory: sessionmaker[Session]
) -> set[str]:
    """Names LAPOR! may give the new institution: the profile's, and the synced reference's."""
    from store.lapor_reference import list_reference

    names = set()
    agency = profile.agency(row.agency)
    if agency is not None:
        names.add(fold(agency.name))
    with factory() as session:
        for item in list_reference(session=session, kind="institution"):
            if item.ref_id == row.institution_id:
                names.add(fold(item.name))
    return names


# As the public v3 clients do: ``POST /complaints/process/{id}/reject`` with ``not_authority``,
# ``reason`` (the new institution's id) and ``reason_description``. The review app (or ``aduan
# lapor reroute``) records a request; ``send_pending_reroutes`` sends the due ones.
#
# Decision per answer:
#   accepted                                  -> sent: the case's agency changes (LAPOR! decides)
#   an earlier attempt may have reached LAPOR!-> the complaint is read first: already with the
#                                                new institution -> sent, nothing is resent
#   throttled, 503, connection refused        -> pending again with back-off; failed after the limit
#   timeout / dropped connection / other 5xx  -> unknown: read LAPOR! before the next attempt
#   refused (400/404/422, other 4xx)          -> failed with LAPOR!'s message, final, shown
#   key or token rejected                     -> given back uncounted, the run stops (raised)
@dataclass
class _Run:
    factory: sessionmaker[Session]
    client: LaporClient
    profile: Profile
    policy: RetryPolicy
    clock: Callable[[], datetime]
    stats: RerouteStats

    def attempt(self, row: ClaimedReroute) -> tuple[RerouteOutcome, str, str | None]:
        """Send one claimed request: (its outcome, what to count it as, a problem to report)."""
        ids = (row.reroute_id, row.attempt)
        where = f"reroute {row.reroute_id} (case {row.case_id}, LAPOR! {row.complaint_id})"
        try:
            if row.verify and self._already_there(row):
                return RerouteOutcome(*ids, "sent"), "confirmed", None
            self.client.pass_on(
                row.complaint_id, institution_id=row.institution_id, reason=row.reason
            )
        except STOPPING:
            raise
        except (Throttled, ServerError) as exc:
            delay = self.policy.delay(row.attempt)
            if isinstance(exc, Throttled) and exc.retry_after:
                delay = max(delay, min(exc.retry_after, MAX_RETRY_AFTER_S))
            return self._again(row, "pending", str(exc), delay), "retried", None
        except AmbiguousOutcome as exc:
            outcome = self._again(row, "unknown", str(exc), self.policy.delay(row.attempt))
            return outcome, "unknown", f"{where}: {exc}"
        except LaporApiError as exc:  # a definite refusal (4xx): retrying will not change it
            return RerouteOutcome(*ids, "failed", str(exc)), "failed", f"{where}: {exc}"
        except Exception as exc:  # we cannot tell whether it reached LAPOR!: read it first
            log.exception("unexpected error while passing on %s", where)
            error = f"unexpected {type(exc).__name__}: {exc}"
            outcome = self._again(row, "unknown", error, self.policy.delay(row.attempt))
            return outcome, "unknown", f"{where}: {error}"
        log.info("case %s (LAPOR! %s) passed to %s", row.case_id, row.complaint_id, row.agency)
        return RerouteOutcome(*ids, "sent"), "sent", None

    def _already_there(self, row: ClaimedReroute) -> bool:
        status = self.client.get_complaint(row.complaint_id)
        names = _institution_names(self.profile, row, self.factory)
        return bool(status.disposition_name) and fold(status.disposition_name) in names

    def _again(self, row: ClaimedReroute, state: str, error: str, delay: float) -> RerouteOutcome:
        if row.attempt >= self.policy.max_attempts:
            note = " (may have reached LAPOR!: check there)" if state == "unknown" else ""
            error = f"gave up after {row.attempt} attempts: {error}{note}"
            return RerouteOutcome(row.reroute_id, row.attempt, "failed", error)
        retry_at = self.clock() + timedelta(seconds=delay)
        return RerouteOutcome(row.reroute_id, row.attempt, state, error, next_attempt_at=retry_at)


def send_pending_reroutes(
    *,
    factory: sessionmaker[Session],
    client: LaporClient,
    profile: Profile,
    policy: RetryPolicy | None = None,
    clock: Callable[[], datetime] = utcnow,
    limit: int | None = None,
) -> RerouteStats:
    """Send the due reroute requests one by one (they are few); requests left in ``sending`` by
    a dead sender become ``unknown`` first (LAPOR! is read before they are resent).

    Raises AuthRejected / LaporConfigError (with ``.stats``) after giving the request back
    uncounted when LAPOR! refuses our credentials."""
    policy = policy or RetryPolicy()
    stats = RerouteStats()
    stats.recovered_unknown = recover_stale_reroutes(factory=factory, now=clock())
    run = _Run(factory, client, profile, policy, clock, stats)
    lease_s = 4 * client.timeout + LEASE_GRACE_S  # a read of the complaint, then the request
    left = limit
    while left is None or left > 0:
        now = clock()
        claimed = claim_due_reroutes(
            factory=factory, now=now, lease_until=now + timedelta(seconds=lease_s)
        )
        if not claimed:
            break
        [row] = claimed
        try:
            outcome, kind, problem = run.attempt(row)
        except STOPPING as exc:
            retry_at = clock() + timedelta(seconds=policy.base_s)
            back = RerouteOutcome(row.reroute_id, row.attempt, "released", str(exc), retry_at)
            record_reroute_outcome(factory=factory, outcome=back, now=clock())
            exc.stats = stats  # type: ignore[attr-defined]
            raise
        recorded = record_reroute_outcome(factory=factory, outcome=outcome, now=clock())
        stats.add(kind if recorded else "conflicts", problem)
        if left is not None:
            left -= 1
    return stats


def reroute_sent_case(
    *,
    factory: sessionmaker[Session],
    client: LaporClient,
    profile: Profile,
    case_id: int,
    agency: str,
    actor: str,
    reason: str,
) -> str:
    """Queue passing case ``case_id`` to ``agency`` and send it now (``aduan lapor reroute``);
    returns the complaint id. LaporError when LAPOR! refused it or it is not sent yet (then the
    next forward run retries it)."""
    from store.tables import Reroute

    target = profile.agency(agency)
    if target is None:
        raise MappingMissing([f"agency {agency!r} is not in the profile"])
    if target.lapor_disposition_id is None:
        raise MappingMissing([f"agency {target.key} has no lapor_disposition_id"])
    with factory.begin() as session:
        row = request_reroute(
            session=session,
            case_id=case_id,
            actor=actor,
            agency=agency,
            institution_id=target.lapor_disposition_id,
            reason=reason,
            local_level=target.local_level,
        )
        reroute_id = row.id
    send_pending_reroutes(factory=factory, client=client, profile=profile)
    with factory() as session:
        row = session.get(Reroute, reroute_id)
    if row.state == "failed":
        raise LaporError(f"LAPOR! did not take case {case_id}: {row.last_error}")
    if row.state != "sent":
        raise LaporError(
            f"case {case_id} is not passed on yet ({row.state}: {row.last_error}); the next "
            "`aduan run forward` run retries it"
        )
    return row.complaint_id
