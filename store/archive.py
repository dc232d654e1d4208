"""The archive as a safety net: posts triage judged "not a complaint", highest relevance first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from store.exceptions import StaleAction, StoreError
from store.tables import Classification, PostRow

ARCHIVED = "archived"


@dataclass
class ArchivedItem:
    """An archived post with its latest classification and the post it answers (if stored)."""

    post: PostRow
    classification: Classification | None
    parent: PostRow | None = None

    @property
    def relevance(self) -> float | None:
        return self.classification.relevance if self.classification else None


def _archived(agencies: list[str] | None) -> Select:
    """Archived posts joined to their latest classification, in a facilitator's scope."""
    latest = (
        select(Classification.post_id, func.max(Classification.id).label("cid"))
        .join(PostRow, PostRow.id == Classification.post_id)
        .where(PostRow.state == ARCHIVED, PostRow.case_id.is_(None))
        .group_by(Classification.post_id)
        .subquery()
    )
    query = (
        select(PostRow, Classification)
        .join(latest, latest.c.post_id == PostRow.id)
        .join(Classification, Classification.id == latest.c.cid)
        .where(PostRow.state == ARCHIVED, PostRow.case_id.is_(None))
    )
    if agencies is not None:
        query = query.where(Classification.agency.in_(agencies))
    return query


# "Mungkin aduan" in the review app lists them; a facilitator promotes one into a case
# (cases.states.promote_post).
#
# Only posts archived by triage are listed (``case_id`` is empty): the posts of a case a facilitator
# rejected were already judged, and the publisher's own words are never archived.
def list_archived(
    *, session: Session, agencies: list[str] | None, limit: int = 20, offset: int = 0
) -> tuple[list[ArchivedItem], int]:
    """A page of archived posts, highest relevance first (then newest), and how many there are."""
    query = _archived(agencies)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(
        Classification.relevance.desc(), PostRow.created_at.desc(), PostRow.id.desc()
    )
    rows = session.execute(ordered.limit(limit).offset(offset)).all()
    items = [ArchivedItem(post=post, classification=c) for post, c in rows]
    _fill_parents(session, items)
    return items, total


def count_archived(*, session: Session, agencies: list[str] | None) -> int:
    """How many archived posts a facilitator with ``agencies`` (None: all) may promote."""
    if agencies is None:
        query = select(func.count(PostRow.id)).where(
            PostRow.state == ARCHIVED, PostRow.case_id.is_(None)
        )
        return session.scalar(query) or 0
    return session.scalar(select(func.count()).select_from(_archived(agencies).subquery())) or 0


def _fill_parents(session: Session, items: list[ArchivedItem]) -> None:
    wanted = {(i.post.source, i.post.parent_external_id) for i in items}
    wanted = {w for w in wanted if w[1]}
    if not wanted:
        return
    rows = session.scalars(
        select(PostRow).where(PostRow.external_id.in_({ext for _, ext in wanted}))
    ).all()
    parents = {(p.source, p.external_id): p for p in rows}
    for item in items:
        item.parent = parents.get((item.post.source, item.post.parent_external_id))


def claim_archived(
    *, session: Session, post_id: int, agencies: list[str] | None
) -> tuple[PostRow, Classification]:
    """Take an archived post out of the archive for a new case (it is ``in_case`` after this) and
    return it with its classification. The claim is one conditional UPDATE, so of two
    facilitators promoting the same post the second gets StaleAction."""
    found = session.execute(_archived(agencies).where(PostRow.id == post_id)).first()
    if found is None:
        if session.get(PostRow, post_id) is None:
            raise StoreError(f"post {post_id} does not exist", pesan=f"posting {post_id} tidak ada")
        raise StaleAction(f"posting {post_id} sudah tidak di arsip (sudah dijadikan kasus?)")
    post, classification = found
    claimed = session.execute(
        update(PostRow)
        .where(PostRow.id == post_id, PostRow.state == ARCHIVED, PostRow.case_id.is_(None))
        .values(state="in_case")
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:
        raise StaleAction(f"posting {post_id} baru saja dijadikan kasus oleh orang lain")
    session.refresh(post)
    return post, classification
