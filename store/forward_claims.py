"""The sender's claim on due outbox rows: ``pending`` -> ``sending``, committed before a request."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from store.outbox_claims import claim_rows
from store.tables import Case, Forward, PostRow

__all__ = ["Blocked", "Claimed", "ForwardContext", "claim_due", "claim_next"]

# The sender's hot path uses Core statements on the tables (no ORM unit of work): it runs once
# per forward, thousands of times per run.
F, C, P = Forward.__table__, Case.__table__, PostRow.__table__


@dataclass(frozen=True)
class ForwardContext:
    """What a sender needs to compose one forward: the row's ids, its case and the case's posts
    (rows with the columns of ``cases`` and id/case_id/text/url/created_at/source/raw/photo_urls
    of ``posts``, the representative post first)."""

    forward_id: int
    target: str
    attempt: int
    case: Any
    posts: Sequence[Any]


@dataclass(frozen=True)
class Claimed:
    """A row now in ``sending`` (committed) with the payload to send."""

    forward_id: int
    case_id: int
    target: str
    attempt: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class Blocked:
    """A due row that could not be composed (e.g. missing mapping): left pending, not sent."""

    forward_id: int
    case_id: int
    reason: str


# The claim commits ``sending`` (with a lease in ``next_attempt_at``) BEFORE the request is made, so
# a crash after the request may have reached the target leaves ``sending`` (store.forward_outcomes
# turns it into ``unknown`` once the lease has passed). A row whose payload cannot be composed is
# left ``pending`` and reported as ``Blocked``.
#
# Claims are safe with several senders (store.outbox_claims: ``FOR UPDATE SKIP LOCKED`` on
# PostgreSQL, a state-guarded ``UPDATE ... RETURNING`` on SQLite).
def claim_next(
    *,
    factory: sessionmaker[Session],
    now: datetime,
    lease_until: datetime,
    blocked_until: datetime,
    prepare: Callable[[ForwardContext], dict[str, Any]],
    targets: Sequence[str] = ("lapor",),
) -> Claimed | Blocked | None:
    """Claim the next due row (see ``claim_due``); None when nothing is due."""
    got = claim_due(
        factory=factory,
        now=now,
        lease_until=lease_until,
        blocked_until=blocked_until,
        prepare=prepare,
        targets=targets,
        limit=1,
    )
    return got[0] if got else None


def claim_due(
    *,
    factory: sessionmaker[Session],
    now: datetime,
    lease_until: datetime,
    blocked_until: datetime,
    prepare: Callable[[ForwardContext], dict[str, Any]],
    targets: Sequence[str] = ("lapor",),
    limit: int = 1,
) -> list[Claimed | Blocked]:
    """Claim up to ``limit`` due rows of ``targets``, compose each with ``prepare`` and commit them
    as ``sending`` (one transaction). The caller sends all of them at once.

    If ``prepare`` raises, that row stays ``pending`` with ``last_error = "blocked: ..."`` and is
    not due again before ``blocked_until`` (no attempt is counted). Empty when nothing is due.
    """
    due = (F.c.state == "pending") & (F.c.next_attempt_at <= now) & F.c.target.in_(list(targets))
    claim = {"state": "sending", "attempts": F.c.attempts + 1, "next_attempt_at": lease_until}
    with factory.begin() as session:
        conn = session.connection()
        rows = claim_rows(
            conn,
            F,
            due=due,
            states=("pending",),
            values=claim,
            returning=(F.c.id, F.c.case_id, F.c.target, F.c.attempts),
            limit=limit,
        )
        if not rows:
            return []
        case_ids = {row.case_id for row in rows}
        cases = {c.id: c for c in conn.execute(select(C).where(C.c.id.in_(case_ids)))}
        posts: dict[int, list[Any]] = {case_id: [] for case_id in case_ids}
        for post in conn.execute(
            select(
                P.c.id,
                P.c.case_id,
                P.c.text,
                P.c.url,
                P.c.created_at,
                P.c.source,
                P.c.raw,
                P.c.photo_urls,
            )
            .where(P.c.case_id.in_(case_ids))
            .order_by(P.c.created_at, P.c.id)
        ):
            posts[post.case_id].append(post)
        out: list[Claimed | Blocked] = []
        for row in sorted(rows, key=lambda r: r.id):
            case_row = cases[row.case_id]
            first_post = case_row.representative_post_id
            ordered = sorted(posts[row.case_id], key=lambda p, f=first_post: p.id != f)
            context = ForwardContext(row.id, row.target, row.attempts, case_row, ordered)
            try:
                payload = prepare(context)
            except Exception as exc:  # anything that stops composing blocks the row visibly
                reason = f"blocked: {exc}"
                conn.execute(
                    update(F)
                    .where(F.c.id == row.id)
                    .values(
                        state="pending",
                        attempts=F.c.attempts - 1,
                        next_attempt_at=blocked_until,
                        last_error=reason,
                    )
                )
                out.append(Blocked(forward_id=row.id, case_id=row.case_id, reason=reason))
                continue
            out.append(Claimed(row.id, row.case_id, row.target, row.attempts, payload))
        payloads = [{"fid": c.forward_id, "body": c.payload} for c in out if isinstance(c, Claimed)]
        if payloads:  # one executemany: the payload as it will be sent
            conn.execute(
                update(F).where(F.c.id == bindparam("fid")).values(payload=bindparam("body")),
                payloads,
            )
        return out
