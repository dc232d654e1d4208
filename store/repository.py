"""Repository functions for posts and harvest cursors: short, keyword-only, one SQL path.
Other areas keep their own modules beside this one (store/cases.py, store/forwards.py, ...)."""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Insert, Select, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from store.tables import HarvestCursor, PostRow

log = logging.getLogger(__name__)
BATCH = 500


class PostLike(Protocol):
    """What the store needs of a post (``harvester.models.Post`` satisfies it)."""

    source: str
    external_id: str
    url: str | None
    author_ref: str | None
    text: str
    created_at: datetime
    fetched_at: datetime
    parent_external_id: str | None
    raw: str | None
    by_publisher: bool
    photo_urls: tuple[str, ...]


class PageLike(Protocol):
    """A page of posts with the cursor to resume after it."""

    posts: Sequence[PostLike]
    cursor: dict[str, Any] | None


def content_hash(text: str) -> str:
    """SHA-256 of the text, case-folded with whitespace collapsed: equal for exact re-posts."""
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())  # = \s+ -> " "
    return hashlib.sha256(folded.encode()).hexdigest()


def insert_ignoring_duplicates(session: Session, table: Any) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING for the session's dialect (execute with a row list)."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()


def _post_values(post: PostLike) -> dict[str, Any]:
    return {
        "source": post.source,
        "external_id": post.external_id,
        "url": post.url,
        "author_ref": post.author_ref,
        "text": post.text,
        "content_hash": content_hash(post.text),
        "created_at": post.created_at,
        "parent_external_id": post.parent_external_id,
        "fetched_at": post.fetched_at,
        "raw": post.raw,
        "by_publisher": post.by_publisher,
        "photo_urls": list(post.photo_urls) or None,
        "state": "new",
    }


def upsert_posts(*, session: Session, posts: Iterable[PostLike]) -> int:
    """Store posts not yet stored (unique per source + external id); return how many were new.

    One INSERT ... ON CONFLICT DO NOTHING per batch of 500, on SQLite and PostgreSQL alike.
    """
    new = 0
    batch: list[dict[str, Any]] = []
    for post in posts:
        batch.append(_post_values(post))
        if len(batch) == BATCH:
            new += _insert_batch(session, batch)
            batch = []
    if batch:
        new += _insert_batch(session, batch)
    return new


def _insert_batch(session: Session, batch: list[dict[str, Any]]) -> int:
    # Executed with a list of rows, SQLAlchemy sends one multi-row INSERT per batch
    # ("insertmanyvalues"); RETURNING counts the rows really inserted on both backends.
    table = PostRow.__table__
    statement = insert_ignoring_duplicates(session, table).returning(table.c.id)
    return len(session.connection().execute(statement, batch).all())


def get_cursor(*, session: Session, source: str) -> dict[str, Any] | None:
    """The cursor a source resumes from, or None for a first harvest."""
    row = session.get(HarvestCursor, source)
    return row.cursor if row else None


def save_cursor(
    *, session: Session, source: str, cursor: dict[str, Any] | None, error: str | None = None
) -> None:
    """Record where ``source`` resumes (call in the same transaction as the page's posts)."""
    row = session.get(HarvestCursor, source)
    if row is None:
        session.add(HarvestCursor(source=source, cursor=cursor, pages=1, last_error=error))
    else:
        row.cursor = cursor
        row.pages += 1
        row.last_error = error


def record_source_error(*, session: Session, source: str, error: str) -> None:
    """Remember why a source stopped, without moving its cursor."""
    row = session.get(HarvestCursor, source)
    if row is None:
        session.add(HarvestCursor(source=source, cursor=None, pages=0, last_error=error))
    else:
        row.last_error = error


@dataclass
class IngestStats:
    """What storing a source's pages did; ``refused``: posts the database would not take."""

    pages: int = 0
    seen: int = 0
    new: int = 0
    refused: int = 0
    refused_ids: list[str] = field(default_factory=list)

    @property
    def note(self) -> str | None:
        """What the source's cursor row says about refused posts (None when there were none)."""
        if not self.refused:
            return None
        return f"{self.refused} post(s) refused by the database: {', '.join(self.refused_ids)}"

    @property
    def duplicates(self) -> int:
        return self.seen - self.new


def ingest_pages(
    *,
    factory: sessionmaker[Session],
    source: str,
    pages: Iterable[PageLike],
    on_page: Any = None,
) -> IngestStats:
    """Store each page's posts and its cursor in one transaction, page after page.

    A crash between pages loses nothing: the next run resumes from the last stored cursor, and
    posts already stored are ignored by the unique key.
    """
    stats = IngestStats()
    for page in pages:
        try:
            with factory() as session, session.begin():
                new = upsert_posts(session=session, posts=page.posts)
                save_cursor(session=session, source=source, cursor=page.cursor, error=stats.note)
        except StatementError as exc:
            if not _one_rows_fault(exc):
                raise
            new = _ingest_row_by_row(factory=factory, source=source, page=page, stats=stats)
        except ValueError:  # e.g. a character the driver cannot encode
            new = _ingest_row_by_row(factory=factory, source=source, page=page, stats=stats)
        stats.pages += 1
        stats.seen += len(page.posts)
        stats.new += new
        if on_page is not None:
            on_page(stats)
    return stats


REFUSED_IDS_KEPT = 20


def _one_rows_fault(exc: StatementError) -> bool:
    """A value the database refuses (not a connection, lock or schema problem)."""
    if isinstance(exc, DBAPIError):
        return isinstance(exc, (DataError, IntegrityError))
    return isinstance(exc.orig, ValueError)  # raised while binding a value


def _ingest_row_by_row(
    *, factory: sessionmaker[Session], source: str, page: PageLike, stats: IngestStats
) -> int:
    """A page the database refused as a whole: each post in its own transaction, the refused
    ones counted and named (by external id only: their text stays out of every log), then the
    cursor. A crash meanwhile loses nothing: the page is fetched again, stored posts ignored."""
    new, refused = 0, []
    for post in page.posts:
        try:
            with factory() as session, session.begin():
                new += upsert_posts(session=session, posts=[post])
        except (StatementError, ValueError) as exc:
            if isinstance(exc, StatementError) and not _one_rows_fault(exc):
                raise
            reason = type(getattr(exc, "orig", None) or exc).__name__
            refused.append(f"{str(post.external_id)[:80]} ({reason})")
            log.warning("%s: post %s refused by the database (%s)", source, refused[-1], reason)
    stats.refused += len(refused)
    stats.refused_ids = (stats.refused_ids + refused)[-REFUSED_IDS_KEPT:]
    with factory() as session, session.begin():
        save_cursor(session=session, source=source, cursor=page.cursor, error=stats.note)
    return new


def count_posts(*, session: Session, source: str | None = None) -> int:
    query = select(func.count()).select_from(PostRow)
    if source is not None:
        query = query.where(PostRow.source == source)
    return session.scalar(query) or 0


def posts_query(*, source: str | None = None, state: str | None = None) -> Select:
    query = select(PostRow).order_by(PostRow.id)
    if source is not None:
        query = query.where(PostRow.source == source)
    if state is not None:
        query = query.where(PostRow.state == state)
    return query


def stream_posts(
    *, session: Session, source: str | None = None, state: str | None = None, chunk: int = 1000
) -> Iterator[PostRow]:
    """Yield stored posts in id order, ``chunk`` rows at a time (never all rows in memory)."""
    last_id = 0
    while True:
        query = posts_query(source=source, state=state).where(PostRow.id > last_id).limit(chunk)
        rows = session.scalars(query).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        session.expunge_all()
