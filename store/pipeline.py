"""The pipeline's SQL: posts to classify, classifications, posts to triage, summary counts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from store.repository import insert_ignoring_duplicates
from store.tables import Case, Classification, Forward, PostRow

CANDIDATE_CASE_STATES = ("open", "approved")


# The steps (cases/scoring.py, cases/triage.py) call these; each takes the caller's session and does
# not commit, except the streaming readers which take a sessionmaker and use short read sessions.
def unclassified_id_batches(
    *, factory: sessionmaker[Session], batch: int = 500, limit: int | None = None
) -> Iterator[list[int]]:
    """Ids of posts in state ``new``, ascending, ``batch`` at a time (keyset paging)."""
    last_id, given = 0, 0
    while limit is None or given < limit:
        size = batch if limit is None else min(batch, limit - given)
        with factory() as session:
            ids = list(
                session.scalars(
                    select(PostRow.id)
                    .where(PostRow.state == "new", PostRow.id > last_id)
                    .order_by(PostRow.id)
                    .limit(size)
                )
            )
        if not ids:
            return
        yield ids
        given += len(ids)
        last_id = ids[-1]


def texts_of(
    *, session: Session, post_ids: Sequence[int], claim: bool = False
) -> list[tuple[int, str]]:
    """(id, text) of the given posts that are still ``new``, in id order.

    ``claim``: on PostgreSQL, lock them for the caller's transaction and leave out the ones
    another transaction holds (``FOR UPDATE SKIP LOCKED``), so concurrent classification runs
    share the work instead of each doing all of it. (On SQLite both runs classify; the unique
    classification key and the ``new`` guard of ``save_classifications`` keep one result.)
    """
    query = (
        select(PostRow.id, PostRow.text)
        .where(PostRow.id.in_(list(post_ids)), PostRow.state == "new")
        .order_by(PostRow.id)
    )
    if claim and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [(row.id, row.text) for row in session.execute(query)]


def save_classifications(
    *, session: Session, model_version: str, rows: Sequence[dict[str, Any]]
) -> int:
    """Store one classification per post (ignoring a repeat for the same model) and mark the
    posts ``classified``; returns the number of posts moved to ``classified``.

    Each row: post_id, relevance, agency, agency_confidence, topic, topic_confidence,
    alternatives. Safe to repeat after a crash: the unique key (post, model version) holds.
    """
    if not rows:
        return 0
    values = [{**row, "model_version": model_version} for row in rows]
    session.execute(insert_ignoring_duplicates(session, Classification.__table__), values)
    result = session.execute(
        update(PostRow)
        .where(PostRow.id.in_([row["post_id"] for row in rows]), PostRow.state == "new")
        .values(state="classified")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


@dataclass(frozen=True)
class TriageItem:
    """A classified post with its latest classification: what triage decides on."""

    post_id: int
    text: str
    created_at: datetime
    relevance: float
    agency: str | None
    agency_confidence: float | None
    topic: str | None
    topic_confidence: float | None
    by_publisher: bool = False
    alternatives: dict[str, Any] | None = None


def posts_awaiting_triage(*, session: Session, limit: int = 1000) -> list[TriageItem]:
    """Posts in state ``classified`` (oldest first) with their latest classification."""
    latest = (
        select(func.max(Classification.id).label("cid")).group_by(Classification.post_id).subquery()
    )
    query = (
        select(PostRow.id, PostRow.text, PostRow.created_at, PostRow.by_publisher, Classification)
        .join(Classification, Classification.post_id == PostRow.id)
        .join(latest, latest.c.cid == Classification.id)
        .where(PostRow.state == "classified")
        .order_by(PostRow.created_at, PostRow.id)
        .limit(limit)
    )
    out = []
    for post_id, text, created_at, by_publisher, c in session.execute(query):
        out.append(
            TriageItem(
                post_id=post_id,
                text=text,
                created_at=created_at,
                relevance=c.relevance,
                agency=c.agency,
                agency_confidence=c.agency_confidence,
                topic=c.topic,
                topic_confidence=c.topic_confidence,
                by_publisher=bool(by_publisher),
                alternatives=c.alternatives,
            )
        )
    return out


@dataclass(frozen=True)
class CasePost:
    """A post already in an open or approved case: a candidate for near-duplicate search."""

    case_id: int
    post_id: int
    text: str
    created_at: datetime


def recent_case_posts(
    *, session: Session, since: datetime, until: datetime | None = None
) -> list[CasePost]:
    """Posts of open/approved cases created in [since, until]."""
    query = (
        select(PostRow.case_id, PostRow.id, PostRow.text, PostRow.created_at)
        .join(Case, Case.id == PostRow.case_id)
        .where(Case.state.in_(CANDIDATE_CASE_STATES), PostRow.created_at >= since)
        .order_by(PostRow.created_at, PostRow.id)
    )
    if until is not None:
        query = query.where(PostRow.created_at <= until)
    return [CasePost(r.case_id, r.id, r.text, r.created_at) for r in session.execute(query)]


def archive_posts(*, session: Session, post_ids: Sequence[int]) -> int:
    """Mark classified posts as ``archived`` (not a complaint); returns how many changed."""
    if not post_ids:
        return 0
    result = session.execute(
        update(PostRow)
        .where(PostRow.id.in_(list(post_ids)), PostRow.state == "classified")
        .values(state="archived")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def keep_as_context(*, session: Session, post_ids: Sequence[int]) -> int:
    """Mark classified posts as ``publisher``: the publisher's own words, kept as the context of
    the comments that answer them, never a case, never archived (so never a training negative
    nor a "Mungkin aduan"); returns how many changed."""
    if not post_ids:
        return 0
    result = session.execute(
        update(PostRow)
        .where(PostRow.id.in_(list(post_ids)), PostRow.state == "classified")
        .values(state="publisher")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def posts_by_id(*, session: Session, post_ids: Sequence[int]) -> dict[int, PostRow]:
    """Post rows by id (for attaching them to cases)."""
    rows = session.scalars(select(PostRow).where(PostRow.id.in_(list(post_ids))))
    return {row.id: row for row in rows}


def get_case(*, session: Session, case_id: int) -> Case | None:
    return session.get(Case, case_id)


def pipeline_counts(*, session: Session) -> dict[str, dict[str, int]]:
    """How many posts, cases and forwards are in each state (for flow summaries and tests)."""
    out: dict[str, dict[str, int]] = {}
    for name, table in (("posts", PostRow), ("cases", Case), ("forwards", Forward)):
        rows = session.execute(select(table.state, func.count()).group_by(table.state))
        out[name] = {state: count for state, count in rows}
    out["classifications"] = {"total": session.scalar(select(func.count(Classification.id))) or 0}
    return out
