"""The reply sender: claims due replies, posts them, records each outcome (a plain function; the
Prefect flow and ``aduan replies send`` wrap it)."""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lapor.replies.errors import (
    ReplyConfigError,
    ReplyGone,
    ReplyNotPermitted,
    ReplyRefused,
    ReplyThrottled,
    ReplyUncertain,
)
from lapor.replies.plan import ReplySourceSetup
from lapor.replies.platforms import FacebookReplies, InstagramReplies, YouTubeReplies
from store.replies import (
    ClaimedReply,
    ReplyOutcome,
    claim_due_replies,
    record_reply_outcomes,
    recover_stale_replies,
)

log = logging.getLogger(__name__)

LEASE_GRACE_S = 5.0
MAX_THROTTLE_PAUSE_S = 5.0


@dataclass(frozen=True)
class ReplyRetry:
    """Back-off of replies that may be retried, and how long a blocked source waits."""

    base_s: float = 60.0
    factor: float = 2.0
    max_delay_s: float = 3600.0
    max_attempts: int = 8
    jitter: float = 0.1
    blocked_delay_s: float = 3600.0

    def delay(self, attempt: int) -> float:
        raw = min(self.max_delay_s, self.base_s * self.factor ** max(0, attempt - 1))
        return raw * (1 + random.uniform(-self.jitter, self.jitter))


@dataclass
class ReplyStats:
    """What one run did; ``problems`` keeps a few reasons to show."""

    planned: int = 0
    sent: int = 0
    reconciled: int = 0
    retried: int = 0
    unknown: int = 0
    failed: int = 0
    not_sendable: int = 0  # made failed while planned: the platform gave no id to reply under
    gone: int = 0
    blocked: int = 0
    recovered_unknown: int = 0
    conflicts: int = 0
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, what: str, problem: str | None = None) -> None:
        with self._lock:
            setattr(self, what, getattr(self, what) + 1)
            if problem and len(self.problems) < 50:
                self.problems.append(problem)


def utcnow() -> datetime:
    return datetime.now(UTC)


def build_clients(sources: dict[str, ReplySourceSetup], *, timeout: float = 10.0) -> dict:
    """A platform client per source (ReplyConfigError if a secret is not set)."""
    clients: dict[str, Any] = {}
    for name, setup in sources.items():
        token = os.environ.get(setup.token_env or "", "").strip()
        if not token:
            raise ReplyConfigError(
                f"replies for source {name!r}: environment variable {setup.token_env} is not set"
            )
        common = {
            "api_url": setup.config.api_url,
            "token": token,
            "rate": setup.rate,
            "timeout": timeout,
        }
        if setup.platform == "facebook":
            clients[name] = FacebookReplies(page_id=setup.config.page_id, **common)
        elif setup.platform == "instagram":
            clients[name] = InstagramReplies(ig_user_id=setup.config.ig_user_id, **common)
        else:
            clients[name] = YouTubeReplies(**common)
    return clients


@dataclass
class _Run:
    factory: sessionmaker[Session]
    clients: dict[str, Any]
    retry: ReplyRetry
    clock: Callable[[], datetime]
    stats: ReplyStats
    concurrency: int
    limit: int | None
    stopped: set[str] = field(default_factory=set)

    def loop(self, pool: ThreadPoolExecutor | None) -> None:
        timeout = max((c.timeout for c in self.clients.values()), default=10.0)
        lease_s = 2 * timeout + LEASE_GRACE_S
        left = self.limit
        while left is None or left > 0:
            sources = [s for s, c in self.clients.items() if s not in self.stopped and not c.paused]
            if not sources:
                return
            wanted = self.concurrency if left is None else min(self.concurrency, left)
            now = self.clock()
            claimed = claim_due_replies(
                factory=self.factory,
                now=now,
                lease_until=now + timedelta(seconds=lease_s),
                sources=sources,
                limit=wanted,
            )
            if not claimed:
                return
            if left is not None:
                left -= len(claimed)
            results = list(pool.map(self.attempt, claimed) if pool else map(self.attempt, claimed))
            done = record_reply_outcomes(
                factory=self.factory, outcomes=[r[0] for r in results], now=self.clock()
            )
            for (_, kind, problem), recorded in zip(results, done, strict=True):
                self.stats.add(kind if recorded else "conflicts", problem)

    def attempt(self, row: ClaimedReply) -> tuple[ReplyOutcome, str, str | None]:
        """Post one claimed reply (reading the thread first if it may be posted already)."""
        ids = (row.reply_id, row.attempt)
        where = f"reply {row.reply_id} ({row.source})"
        client = self.clients[row.source]
        if row.source in self.stopped:
            retry_at = self.clock() + timedelta(seconds=self.retry.base_s)
            return ReplyOutcome(*ids, "released", None, next_attempt_at=retry_at), "retried", None
        try:
            if row.verify:
                found = client.find(row.target_id, row.text, post_url=row.post_url)
                if found is not None:
                    outcome = ReplyOutcome(
                        *ids, "sent", reply_id=found.reply_id, reply_url=found.url
                    )
                    return outcome, "reconciled", None
            posted = client.post(row.target_id, row.text, post_url=row.post_url)
        except ReplyGone:
            error = "komentar asli sudah dihapus: tidak dibalas"
            return ReplyOutcome(*ids, "gone", error), "gone", f"{where}: {error}"
        except ReplyNotPermitted as exc:
            self.stopped.add(row.source)
            error = f"balasan tidak bisa dikirim: izin {exc.permission} tidak ada ({exc})"
            retry_at = self.clock() + timedelta(seconds=self.retry.blocked_delay_s)
            outcome = ReplyOutcome(*ids, "blocked", error, next_attempt_at=retry_at)
            return outcome, "blocked", f"{where}: {error}"
        except ReplyThrottled as exc:
            delay = max(self.retry.delay(row.attempt), exc.retry_after or 0.0)
            return self._again(row, "pending", str(exc), delay), "retried", None
        except ReplyUncertain as exc:
            delay = self.retry.delay(row.attempt)
            return self._again(row, "unknown", str(exc), delay), "unknown", f"{where}: {exc}"
        except ReplyRefused as exc:
            return ReplyOutcome(*ids, "failed", str(exc)), "failed", f"{where}: {exc}"
        except Exception as exc:  # we cannot tell whether it was posted: read the thread first
            log.exception("unexpected error while replying (%s)", where)
            error = f"unexpected {type(exc).__name__}: {exc}"
            delay = self.retry.delay(row.attempt)
            return self._again(row, "unknown", error, delay), "unknown", f"{where}: {error}"
        outcome = ReplyOutcome(*ids, "sent", reply_id=posted.reply_id, reply_url=posted.url)
        return outcome, "sent", None

    def _again(self, row: ClaimedReply, state: str, error: str, delay: float) -> ReplyOutcome:
        if row.attempt >= self.retry.max_attempts:
            note = " (mungkin sudah terpasang: cek thread)" if state == "unknown" else ""
            error = f"gave up after {row.attempt} attempts: {error}{note}"
            return ReplyOutcome(row.reply_id, row.attempt, "failed", error)
        retry_at = self.clock() + timedelta(seconds=delay)
        return ReplyOutcome(row.reply_id, row.attempt, state, error, next_attempt_at=retry_at)


# Decision per answer (store.replies has the states):
#     posted, with an id                         -> sent (+ reply_id, reply_url)
#     an earlier attempt may have posted it      -> the thread is read first: found -> sent
#     throttled (429, Graph 4/17/32/613, quota)  -> pending with back-off (Retry-After honoured)
#     timeout / dropped connection / 5xx         -> unknown: read the thread before any resend
#     the citizen's comment is gone              -> gone, never retried
#     permission missing / token invalid         -> blocked (due again later); the source stops
#     other refusal                              -> failed with the platform's message
# Usage headers at 90% or more stop the source for the rest of the run (rows stay due).
def send_replies(
    *,
    factory: sessionmaker[Session],
    clients: dict[str, Any],
    retry: ReplyRetry | None = None,
    clock: Callable[[], datetime] = utcnow,
    limit: int | None = None,
    concurrency: int = 4,
) -> ReplyStats:
    """Send the due replies of the sources in ``clients``; rows left in ``sending`` by a dead
    sender become ``unknown`` first (their thread is read before anything is posted)."""
    stats = ReplyStats()
    stats.recovered_unknown = recover_stale_replies(factory=factory, now=clock())
    if not clients:
        return stats
    run = _Run(factory, clients, retry or ReplyRetry(), clock, stats, max(1, concurrency), limit)
    if run.concurrency == 1:
        run.loop(None)
    else:
        with ThreadPoolExecutor(max_workers=run.concurrency, thread_name_prefix="reply") as pool:
            run.loop(pool)
    return stats
