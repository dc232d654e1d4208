"""What the review app reads: the queue of open cases, one case with its posts, the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from store.tables import (
    AuditEntry,
    Case,
    Classification,
    Forward,
    PostRow,
    Review,
)

BANDS = {"high": (0.8, None), "medium": (0.5, 0.8), "low": (None, 0.5)}


# Reads are scoped: ``agencies`` None means every agency, a list means only cases tagged with one of
# them (a facilitator's agencies). Nothing here changes a case; see cases/states.py for decisions.
@dataclass(frozen=True)
class QueueFilter:
    """The queue's filters (all optional); dates are aware datetimes, ``date_to`` exclusive."""

    agency: str | None = None
    topic: str | None = None
    source: str | None = None
    band: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    state: str = "open"
    include_skipped: bool = False


@dataclass
class CaseView:
    """A case with what a reviewer needs to decide it."""

    case: Case
    post: PostRow | None
    parent: PostRow | None = None
    classification: Classification | None = None
    duplicates: list[PostRow] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    forwards: list[Forward] = field(default_factory=list)

    def alternatives(self, head: str, n: int = 3) -> list[tuple[str, float]]:
        """The classifier's top ``n`` labels for ``head`` (agency, topic) with probabilities."""
        if self.classification is None:
            return []
        pairs = (self.classification.alternatives or {}).get(head) or []
        return [(str(label), float(p)) for label, p in pairs[:n]]


def in_scope(case: Case, agencies: list[str] | None) -> bool:
    """True when a user limited to ``agencies`` (None: all) may see ``case``."""
    return agencies is None or case.agency in agencies


def skipped_case_ids(*, session: Session, reviewer: str) -> list[int]:
    """Open cases ``reviewer`` passed over (they leave that reviewer's queue)."""
    query = (
        select(Review.case_id)
        .join(Case, Case.id == Review.case_id)
        .where(Review.reviewer == reviewer, Review.action == "skip", Case.state == "open")
    )
    return sorted(set(session.scalars(query)))


def queue_query(
    *, filters: QueueFilter, agencies: list[str] | None, skipped: list[int] | None = None
) -> Select:
    """Cases matching ``filters``, sorted by urgency then lowest confidence first.

    Only the cases table is sorted (its narrow rows); posts are fetched for the page afterwards.
    """
    query = select(Case).where(Case.state == filters.state)
    if agencies is not None:
        query = query.where(Case.agency.in_(agencies))
    if filters.agency:
        query = query.where(Case.agency == filters.agency)
    if filters.topic:
        query = query.where(Case.topic == filters.topic)
    if filters.source:
        from_source = select(PostRow.id).where(PostRow.source == filters.source)
        query = query.where(Case.representative_post_id.in_(from_source))
    if filters.band in BANDS:
        low, high = BANDS[filters.band]
        confidence = func.coalesce(Case.agency_confidence, 0.0)
        if low is not None:
            query = query.where(confidence >= low)
        if high is not None:
            query = query.where(confidence < high)
    if filters.date_from:
        query = query.where(Case.first_post_at >= filters.date_from)
    if filters.date_to:
        query = query.where(Case.first_post_at < filters.date_to)
    if skipped:
        query = query.where(Case.id.not_in(skipped))
    # No confidence counts as the lowest; this order can be served by an index on
    # cases (state, urgency DESC, agency_confidence NULLS FIRST, id) without a sort.
    return query.order_by(
        Case.urgency.desc(), Case.agency_confidence.asc().nulls_first(), Case.id.asc()
    )


def list_queue(
    *,
    session: Session,
    filters: QueueFilter,
    agencies: list[str] | None,
    reviewer: str | None = None,
    limit: int = 25,
    offset: int = 0,
) -> tuple[list[CaseView], int]:
    """One page of the queue with each case's details, and the number of matching cases."""
    skipped = None
    if reviewer and not filters.include_skipped and filters.state == "open":
        skipped = skipped_case_ids(session=session, reviewer=reviewer)
    query = queue_query(filters=filters, agencies=agencies, skipped=skipped)
    total = session.scalar(query.with_only_columns(func.count()).order_by(None))
    # Sort narrow rows (ids only; top-N heapsort), then load the page's cases.
    ids = list(session.scalars(query.with_only_columns(Case.id).limit(limit).offset(offset)))
    loaded = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)))} if ids else {}
    cases = [loaded[i] for i in ids if i in loaded]
    rep_ids = [c.representative_post_id for c in cases if c.representative_post_id]
    posts = {}
    if rep_ids:
        posts = {p.id: p for p in session.scalars(select(PostRow).where(PostRow.id.in_(rep_ids)))}
    views = [CaseView(case=c, post=posts.get(c.representative_post_id)) for c in cases]
    _fill_details(session, views)
    return views, total or 0


def _fill_details(session: Session, views: list[CaseView]) -> None:
    """Parents, latest classifications and near-duplicates of the cases, in three queries."""
    if not views:
        return
    case_ids = [v.case.id for v in views]
    posts = [v.post for v in views if v.post is not None]
    members = session.scalars(
        select(PostRow).where(PostRow.case_id.in_(case_ids)).order_by(PostRow.created_at)
    ).all()
    by_case: dict[int, list[PostRow]] = {}
    for member in members:
        by_case.setdefault(member.case_id, []).append(member)
    wanted = {(p.source, p.parent_external_id) for p in posts if p.parent_external_id}
    parents: dict[tuple[str, str], PostRow] = {}
    if wanted:
        rows = session.scalars(
            select(PostRow).where(PostRow.external_id.in_({ext for _, ext in wanted}))
        ).all()
        parents = {
            (p.source, p.external_id): p for p in rows if (p.source, p.external_id) in wanted
        }
    latest: dict[int, Classification] = {}
    if posts:
        for row in session.scalars(
            select(Classification)
            .where(Classification.post_id.in_([p.id for p in posts]))
            .order_by(Classification.id)
        ):
            latest[row.post_id] = row
    for view in views:
        rep = view.post
        view.duplicates = [
            m for m in by_case.get(view.case.id, []) if rep is None or m.id != rep.id
        ]
        if rep is not None:
            view.classification = latest.get(rep.id)
            if rep.parent_external_id:
                view.parent = parents.get((rep.source, rep.parent_external_id))


def get_case_view(*, session: Session, case_id: int, agencies: list[str] | None) -> CaseView | None:
    """One case with its posts, reviews and forwards; None if missing or out of scope."""
    case = session.get(Case, case_id)
    if case is None or not in_scope(case, agencies):
        return None
    post = (
        session.get(PostRow, case.representative_post_id) if case.representative_post_id else None
    )
    view = CaseView(case=case, post=post)
    _fill_details(session, [view])
    view.reviews = list(
        session.scalars(select(Review).where(Review.case_id == case.id).order_by(Review.id))
    )
    view.forwards = list(session.scalars(select(Forward).where(Forward.case_id == case.id)))
    return view


def author_post_counts(*, session: Session, views: list[CaseView]) -> dict[str, int]:
    """How many stored posts each author of these cases' posts wrote ("penulis yang sama")."""
    refs = {
        p.author_ref
        for v in views
        for p in ([v.post] if v.post else []) + v.duplicates
        if p.author_ref
    }
    if not refs:
        return {}
    query = (
        select(PostRow.author_ref, func.count())
        .where(PostRow.author_ref.in_(refs))
        .group_by(PostRow.author_ref)
    )
    return {ref: n for ref, n in session.execute(query).all()}


def queue_sources(*, session: Session) -> list[str]:
    """The sources posts came from (for the queue's filter)."""
    return list(session.scalars(select(PostRow.source).distinct().order_by(PostRow.source)))


def iter_queue_rows(
    *, session: Session, filters: QueueFilter, agencies: list[str] | None
) -> Iterator[dict]:
    """Every matching case as a flat dict for CSV export, streamed."""
    post = aliased(PostRow)
    query = (
        queue_query(filters=filters, agencies=agencies)
        .add_columns(post)
        .outerjoin(post, post.id == Case.representative_post_id)
        .execution_options(yield_per=500)
    )
    for case, post in session.execute(query):
        yield {
            "case_id": case.id,
            "state": case.state,
            "agency": case.agency,
            "agency_confidence": case.agency_confidence,
            "topic": case.topic,
            "topic_confidence": case.topic_confidence,
            "urgency": case.urgency,
            "location": case.location or "",
            "location_origin": case.location_origin or "",
            "location_candidates": " ".join(case.location_candidates or []),
            "location_unknown": case.location_unknown or "",
            "first_post_at": case.first_post_at.isoformat() if case.first_post_at else "",
            "source": post.source if post else "",
            "url": post.url if post else "",
            "text": post.text if post else "",
            "decided_by": case.decided_by or "",
        }


def list_audit(
    *, session: Session, limit: int = 100, offset: int = 0, actor: str | None = None
) -> tuple[list[AuditEntry], int]:
    """The audit log, newest first."""
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset))
    return list(rows), total
