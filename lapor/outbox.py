"""The sender: claims due outbox rows, sends them, records each outcome (a plain function; the
Prefect flow wraps it).

Decision per outcome (see store.forwards for the states):
    created, with an id                    -> sent (+ complaint_id)
    composing failed (missing mapping)     -> stays pending, ``blocked: ...``, due again later
    validation error / other 4xx answer    -> failed with the target's messages
    throttled, 503, connection refused     -> pending again with backoff; failed after the limit
    timeout / dropped connection / 5xx     -> unknown: never resent without a human decision
    auth rejected / wrong base URL         -> row given back uncounted, the whole run stops
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from lapor.client import LaporClient
from lapor.compose import compose_complaint
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
from store.forwards import (
    Blocked,
    Claimed,
    ForwardContext,
    claim_next,
    mark_failed,
    mark_retry,
    mark_sent,
    mark_unknown,
    recover_stale,
    release,
)
from store.profile import Profile

log = logging.getLogger(__name__)

LEASE_GRACE_S = 5.0
MAX_THROTTLE_PAUSE_S = 5.0
STOPPING = (AuthRejected, NotFound, LaporConfigError)


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
        return compose_complaint(context.case, context.posts, profile)

    def submit(self, payload: dict[str, Any]) -> str:
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
    """At most ``limit`` sends in a run, shared by the worker threads."""

    def __init__(self, limit: int | None) -> None:
        self.left = limit
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left is None:
                return True
            if self.left <= 0:
                return False
            self.left -= 1
            return True

    def give_back(self) -> None:
        with self.lock:
            if self.left is not None:
                self.left += 1


def utcnow() -> datetime:
    return datetime.now(UTC)


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
    stop: threading.Event = field(default_factory=threading.Event)
    fatal: list[Exception] = field(default_factory=list)

    def worker(self) -> None:
        lease_s = 2 * max(t.timeout for t in self.targets.values()) + LEASE_GRACE_S
        while not self.stop.is_set() and self.budget.take():
            now = self.clock()
            got = claim_next(
                factory=self.factory,
                now=now,
                lease_until=now + timedelta(seconds=lease_s),
                blocked_until=now + timedelta(seconds=self.policy.blocked_delay_s),
                prepare=lambda ctx: self.targets[ctx.target].compose(ctx, self.profile),
                targets=list(self.targets),
            )
            if got is None:
                self.budget.give_back()
                return
            if isinstance(got, Blocked):
                self.budget.give_back()
                self._count(
                    "blocked", f"forward {got.forward_id} (case {got.case_id}): {got.reason}"
                )
                continue
            self.send(got)

    def send(self, row: Claimed) -> None:
        ids = {"factory": self.factory, "forward_id": row.forward_id, "attempt": row.attempt}
        where = f"forward {row.forward_id} (case {row.case_id}, {row.target})"
        try:
            complaint_id = self.targets[row.target].submit(row.payload)
        except STOPPING as exc:
            retry_at = self.clock() + timedelta(seconds=self.policy.base_s)
            release(**ids, error=str(exc), next_attempt_at=retry_at)
            self.fatal.append(exc)
            self.stop.set()
            return
        except ValidationFailed as exc:
            self._count("failed", f"{where}: {exc}", mark_failed(**ids, error=str(exc)))
        except (Throttled, ServerError) as exc:
            delay = self.policy.delay(row.attempt)
            if isinstance(exc, Throttled) and exc.retry_after:
                delay = max(delay, exc.retry_after)
                self.stop.wait(min(exc.retry_after, MAX_THROTTLE_PAUSE_S))
            state = mark_retry(
                **ids,
                error=str(exc),
                next_attempt_at=self.clock() + timedelta(seconds=delay),
                max_attempts=self.policy.max_attempts,
            )
            kind = {"pending": "retried", "failed": "failed"}.get(state or "", "conflicts")
            self._count(kind, f"{where}: {exc}" if kind == "failed" else None)
        except AmbiguousOutcome as exc:
            self._count("unknown", f"{where}: {exc}", mark_unknown(**ids, error=str(exc)))
        except LaporApiError as exc:  # another definite refusal (4xx)
            self._count("failed", f"{where}: {exc}", mark_failed(**ids, error=str(exc)))
        except Exception as exc:  # we cannot tell whether the request went out: a human decides
            log.exception("unexpected error while sending %s", where)
            error = f"unexpected {type(exc).__name__} while sending: {exc}"
            self._count("unknown", f"{where}: {error}", mark_unknown(**ids, error=error))
        else:
            done = mark_sent(**ids, complaint_id=complaint_id, now=self.clock())
            self._count("sent", None, done)
            log.debug("%s sent as %s", where, complaint_id)

    def _count(self, what: str, problem: str | None, recorded: bool = True) -> None:
        if not recorded:
            log.warning("an outcome was not recorded: the row was decided meanwhile (%s)", what)
            what = "conflicts"
        self.stats.add(what, problem)
        if self.progress is not None:
            self.progress(what)


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
    )
    if concurrency <= 1:
        run.worker()
    else:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="forward") as pool:
            for future in [pool.submit(run.worker) for _ in range(concurrency)]:
                future.result()
    if run.fatal:
        exc = run.fatal[0]
        exc.stats = stats  # type: ignore[attr-defined]
        raise exc
    return stats
