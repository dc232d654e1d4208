"""The sender: claims due outbox rows, sends them, records each outcome (a plain function; the
Prefect flow wraps it)."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from config.profile import Profile
from config.settings import Settings
from lapor.client import MAX_RETRY_AFTER_S, LaporClient
from lapor.compose import attachments_field, compose_complaint, photo_urls
from lapor.exceptions import (
    AmbiguousOutcome,
    AuthRejected,
    LaporApiError,
    LaporConfigError,
    NotFound,
    ServerError,
    Throttled,
    ValidationFailed,
)
from lapor.open311 import Open311Client, Open311Target, load_open311_config
from lapor.photos import upload_photos
from store.forward_claims import Blocked, Claimed, ForwardContext, claim_due
from store.forward_outcomes import Outcome, record_outcomes, recover_stale

log = logging.getLogger(__name__)

LEASE_GRACE_S = 5.0
MAX_THROTTLE_PAUSE_S = 5.0
STOPPING = (AuthRejected, NotFound, LaporConfigError)
PHOTOS = "_photo_urls"


class Target(Protocol):
    """Where forwards of one ``Forward.target`` go (LAPOR!, an Open311 endpoint, ...)."""

    name: str
    timeout: float

    def compose(self, context: ForwardContext, profile: Profile) -> dict[str, Any]: ...

    def submit(self, payload: dict[str, Any]) -> str: ...


class LaporTarget:
    """SP4N-LAPOR! as an outbox target."""

    name = "lapor"

    def __init__(self, client: LaporClient) -> None:
        self.client = client
        self.timeout = client.timeout

    def compose(self, context: ForwardContext, profile: Profile) -> dict[str, Any]:
        from store.areas import get_gazetteer

        gazetteer = get_gazetteer(profile.folder) if profile.folder else None
        payload = compose_complaint(context.case, context.posts, profile, gazetteer)
        photos = photo_urls(context.posts, profile.lapor.max_attachments)
        if photos:
            payload[PHOTOS] = photos  # uploaded by submit(); never sent as a field
        return payload

    def submit(self, payload: dict[str, Any]) -> str:
        payload = dict(payload)
        photos = payload.pop(PHOTOS, None)
        if photos:
            ids = upload_photos(self.client, photos)
            if ids:
                payload["attachments"] = attachments_field(ids)
        return self.client.create_complaint(payload)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for definite failures, and how long a blocked row waits."""

    base_s: float = 60.0
    factor: float = 2.0
    max_delay_s: float = 3600.0
    max_attempts: int = 6
    jitter: float = 0.1
    blocked_delay_s: float = 900.0

    def delay(self, attempt: int) -> float:
        raw = min(self.max_delay_s, self.base_s * self.factor ** max(0, attempt - 1))
        return raw * (1 + random.uniform(-self.jitter, self.jitter))

    def after_failure(
        self, *, forward_id: int, attempt: int, error: str, next_attempt_at: datetime
    ) -> Outcome:
        """A definite failure of ``attempt``: ``pending`` again at ``next_attempt_at``, or
        ``failed`` with the reason after the last attempt (``max_attempts``)."""
        if attempt >= self.max_attempts:
            error = f"gave up after {attempt} attempts: {error}"
            return Outcome(forward_id, attempt, "failed", error)
        return Outcome(forward_id, attempt, "pending", error, next_attempt_at=next_attempt_at)


@dataclass
class SendStats:
    """What one run did. ``problems`` keeps a few reasons (blocked/failed/unknown) to show."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    blocked: int = 0
    recovered_unknown: int = 0
    conflicts: int = 0
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()  # not a field: asdict() must be able to copy the stats

    def add(self, what: str, problem: str | None = None) -> None:
        with self._lock:
            setattr(self, what, getattr(self, what) + 1)
            if problem and len(self.problems) < 50:
                self.problems.append(problem)

    @property
    def attempts(self) -> int:
        return self.sent + self.retried + self.failed + self.unknown


class _Budget:
    """At most ``limit`` sends in a run."""

    def __init__(self, limit: int | None) -> None:
        self.left = limit

    def take(self, wanted: int) -> int:
        if self.left is None:
            return wanted
        taken = min(wanted, self.left)
        self.left -= taken
        return taken

    def give_back(self, count: int) -> None:
        if self.left is not None:
            self.left += count


def utcnow() -> datetime:
    return datetime.now(UTC)


# Decision per outcome (see store.forwards for the states):
#     created, with an id                    -> sent (+ complaint_id)
#     composing failed (missing mapping)     -> stays pending, ``blocked: ...``, due again later
#     validation error / other 4xx answer    -> failed with the target's messages
#     throttled, 503, connection refused     -> pending again with backoff; failed after the limit
#     timeout / dropped connection / 5xx     -> unknown: never resent without a human decision
#     auth rejected / wrong base URL         -> row given back uncounted, the whole run stops
@dataclass
class _Run:
    factory: sessionmaker[Session]
    targets: dict[str, Target]
    profile: Profile
    policy: RetryPolicy
    clock: Callable[[], datetime]
    stats: SendStats
    budget: _Budget
    progress: Callable[[str], None] | None
    concurrency: int
    stop: threading.Event = field(default_factory=threading.Event)
    fatal: list[Exception] = field(default_factory=list)

    def loop(self, pool: ThreadPoolExecutor | None) -> None:
        """Claim as many rows as there are workers, send them all at once, record the outcomes
        together; again until nothing is due, the limit is reached, or a stopping error."""
        lease_s = 2 * max(t.timeout for t in self.targets.values()) + LEASE_GRACE_S
        while not self.stop.is_set():
            wanted = self.budget.take(self.concurrency)
            if wanted == 0:
                return
            now = self.clock()
            got = claim_due(
                factory=self.factory,
                now=now,
                lease_until=now + timedelta(seconds=lease_s),
                blocked_until=now + timedelta(seconds=self.policy.blocked_delay_s),
                prepare=lambda ctx: self.targets[ctx.target].compose(ctx, self.profile),
                targets=list(self.targets),
                limit=wanted,
            )
            claimed = [g for g in got if isinstance(g, Claimed)]
            self.budget.give_back(wanted - len(claimed))
            for blocked in (g for g in got if isinstance(g, Blocked)):
                where = f"forward {blocked.forward_id} (case {blocked.case_id})"
                self._count("blocked", f"{where}: {blocked.reason}")
            if not got:
                return
            results = list(pool.map(self.attempt, claimed) if pool else map(self.attempt, claimed))
            recorded = record_outcomes(
                factory=self.factory, outcomes=[r[0] for r in results], now=self.clock()
            )
            for (_, kind, problem), done in zip(results, recorded, strict=True):
                if kind is not None:
                    self._count(kind, problem, done)

    def attempt(self, row: Claimed) -> tuple[Outcome, str | None, str | None]:
        """Send one claimed row: (its outcome, what to count it as, a problem to report)."""
        where = f"forward {row.forward_id} (case {row.case_id}, {row.target})"
        ids = (row.forward_id, row.attempt)
        try:
            complaint_id = self.targets[row.target].submit(row.payload)
        except STOPPING as exc:
            self.fatal.append(exc)
            self.stop.set()
            retry_at = self.clock() + timedelta(seconds=self.policy.base_s)
            return Outcome(*ids, "released", str(exc), next_attempt_at=retry_at), None, None
        except ValidationFailed as exc:
            return Outcome(*ids, "failed", str(exc)), "failed", f"{where}: {exc}"
        except (Throttled, ServerError) as exc:
            delay = self.policy.delay(row.attempt)
            if isinstance(exc, Throttled) and exc.retry_after:
                # the client clamps it; a Target of another kind might not
                delay = max(delay, min(exc.retry_after, MAX_RETRY_AFTER_S))
                self.stop.wait(min(exc.retry_after, MAX_THROTTLE_PAUSE_S))
            outcome = self.policy.after_failure(
                forward_id=row.forward_id,
                attempt=row.attempt,
                error=str(exc),
                next_attempt_at=self.clock() + timedelta(seconds=delay),
            )
            if outcome.state == "failed":
                return outcome, "failed", f"{where}: {outcome.error}"
            return outcome, "retried", None
        except AmbiguousOutcome as exc:
            return Outcome(*ids, "unknown", str(exc)), "unknown", f"{where}: {exc}"
        except LaporApiError as exc:  # another definite refusal (4xx)
            return Outcome(*ids, "failed", str(exc)), "failed", f"{where}: {exc}"
        except Exception as exc:  # we cannot tell whether the request went out: a human decides
            log.exception("unexpected error while sending %s", where)
            error = f"unexpected {type(exc).__name__} while sending: {exc}"
            return Outcome(*ids, "unknown", error), "unknown", f"{where}: {error}"
        log.debug("%s sent as %s", where, complaint_id)
        return Outcome(*ids, "sent", complaint_id=complaint_id), "sent", None

    def _count(self, what: str, problem: str | None, recorded: bool = True) -> None:
        if not recorded:
            log.warning("an outcome was not recorded: the row was decided meanwhile (%s)", what)
            what = "conflicts"
        self.stats.add(what, problem)
        if self.progress is not None:
            self.progress(what)


def configured_targets(settings: Settings) -> tuple[LaporClient | None, list[Target]]:
    """(the LAPOR! client, [the Open311 target]) as ``settings`` and its profile configure them.

    Without LAPOR! secrets but with ``<profile>/open311.yaml`` only Open311 is used; with neither,
    LaporConfigError says which ADUAN_* variables to set.
    """
    config = load_open311_config(Path(settings.profile))
    extra: list[Target] = []
    if config is not None:
        extra.append(Open311Target(Open311Client(config, timeout=settings.lapor_timeout_s)))
    try:
        return LaporClient.from_settings(settings), extra
    except LaporConfigError:
        if not extra:
            raise
        log.warning("LAPOR! secrets not set: forwarding to Open311 only")
        return None, extra


def send_due(
    *,
    factory: sessionmaker[Session],
    client: LaporClient | Target | None,
    profile: Profile,
    limit: int | None = None,
    concurrency: int = 1,
    extra_targets: Sequence[Target] = (),
    policy: RetryPolicy | None = None,
    clock: Callable[[], datetime] = utcnow,
    progress: Callable[[str], None] | None = None,
) -> SendStats:
    """Send what is due in the outbox; ``concurrency`` threads share the rows (each claim is
    exclusive). Rows left in ``sending`` by a dead sender become ``unknown`` first.

    Raises AuthRejected / NotFound / LaporConfigError (with ``.stats``) after stopping the run when
    the target refuses our credentials or address: no row is retried in a storm.
    """
    targets: dict[str, Target] = {}
    if client is not None:
        target = LaporTarget(client) if isinstance(client, LaporClient) else client
        targets[target.name] = target
    for extra in extra_targets:
        targets[extra.name] = extra
    if not targets:
        raise LaporConfigError("no forwarding target configured")
    stats = SendStats()
    stats.recovered_unknown = len(recover_stale(factory=factory, now=clock()))
    run = _Run(
        factory=factory,
        targets=targets,
        profile=profile,
        policy=policy or RetryPolicy(),
        clock=clock,
        stats=stats,
        budget=_Budget(limit),
        progress=progress,
        concurrency=max(1, concurrency),
    )
    if concurrency <= 1:
        run.loop(None)
    else:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="forward") as pool:
            run.loop(pool)
    if run.fatal:
        exc = run.fatal[0]
        exc.stats = stats  # type: ignore[attr-defined]
        raise exc
    return stats
