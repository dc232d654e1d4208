"""SQLAlchemy 2.0 tables for the whole design: one item's way from post to LAPOR! status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# BigInteger ids on PostgreSQL, INTEGER PRIMARY KEY (rowid) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored in UTC, given back aware on both backends.

    On SQLite it is ISO-8601 text of fixed width (``2026-10-01T08:15:00.000000``), which sorts
    chronologically and converts in C (``isoformat``/``fromisoformat``); bulk inserts of posts
    spend most of their time converting datetimes otherwise.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; attach a timezone")
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None).isoformat(timespec="microseconds")
        return value

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# post ──< classification            (one per post and model version)
# post >── case ──< review           (near-duplicate posts grouped into one case)
# case ──< forward ──< lapor_status_history   (the outbox and what LAPOR! said afterwards)
# case ──< reply >── post                      (replies to citizens under their own comments)
# case ──< reroute                             (passing a case LAPOR! has to another agency)
class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class HarvestCursor(Base):
    """Where a source resumes: written in the same transaction as the page's posts."""

    __tablename__ = "harvest_cursors"
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)


class PostRow(Base):
    """A harvested post or comment (``harvester.models.Post`` plus pipeline state)."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_posts_source_external_id"),
        Index("ix_posts_state_id", "state", "id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(Text)
    author_ref: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    parent_external_id: Mapped[str | None] = mapped_column(String(255))
    fetched_at: Mapped[datetime]
    raw: Mapped[str | None] = mapped_column(Text)
    # The publisher's own words (Page, channel, blog author): context, never a case or a negative.
    by_publisher: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Links of the photos posted with it (a JSON list), NULL when none or stored before 0009.
    photo_urls: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))
    # new -> classified -> archived (not a complaint) | in_case | publisher (context only)
    state: Mapped[str] = mapped_column(String(20), default="new")
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    stored_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())


class Classification(Base):
    """What one model version said about one post."""

    __tablename__ = "classifications"
    __table_args__ = (UniqueConstraint("post_id", "model_version", name="uq_classifications_post"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    model_version: Mapped[str] = mapped_column(String(64))
    relevance: Mapped[float] = mapped_column(Float)
    agency: Mapped[str | None] = mapped_column(String(200))
    agency_confidence: Mapped[float | None] = mapped_column(Float)
    topic: Mapped[str | None] = mapped_column(String(200))
    topic_confidence: Mapped[float | None] = mapped_column(Float)
    # {"agency": [["dlhk", 0.91], ...top 3], "topic": [...], any other head: [...]}
    alternatives: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Case(Base):
    """One complaint, possibly posted several times: what facilitators review and forward."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_state_agency", "state", "agency"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    # open (awaiting review) -> approved (in outbox) | rejected (not a complaint) | merged
    state: Mapped[str] = mapped_column(String(20), default="open")
    agency: Mapped[str | None] = mapped_column(String(200))
    topic: Mapped[str | None] = mapped_column(String(200))
    agency_confidence: Mapped[float | None] = mapped_column(Float)
    topic_confidence: Mapped[float | None] = mapped_column(Float)
    urgency: Mapped[int] = mapped_column(Integer, default=1)
    representative_post_id: Mapped[int | None] = mapped_column(Id)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    first_post_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(100))  # user name or "system"
    decided_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency
    # Where the complaint is (store.areas): the gazetteer key of its kelurahan (else kecamatan),
    # how it was found (source | text | none | review: a facilitator's pick), every candidate when
    # the text names several, and place names the source gave that the gazetteer does not know.
    location: Mapped[str | None] = mapped_column(String(60))
    location_origin: Mapped[str | None] = mapped_column(String(10))
    location_candidates: Mapped[list[Any] | None] = mapped_column(JSON, default=list)
    location_unknown: Mapped[str | None] = mapped_column(Text)

    __mapper_args__ = {"version_id_col": version}


class Review(Base):
    """A facilitator's (or the system's) decision on a case."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reviewer: Mapped[str] = mapped_column(String(100))
    # accept | correct | reject | merge | split | skip | auto_approve | reopen | promote | locate
    action: Mapped[str] = mapped_column(String(20))
    agency_before: Mapped[str | None] = mapped_column(String(200))
    agency_after: Mapped[str | None] = mapped_column(String(200))
    topic_before: Mapped[str | None] = mapped_column(String(200))
    topic_after: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingLabel(Base):
    """A labelled text for training: imported, or from a facilitator's correction."""

    __tablename__ = "training_labels"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64), index=True)
    is_complaint: Mapped[bool] = mapped_column(Boolean, default=True)
    agency: Mapped[str | None] = mapped_column(String(200))
    topic: Mapped[str | None] = mapped_column(String(200))
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)  # other label columns
    origin: Mapped[str] = mapped_column(String(20))  # review | import
    reviewer: Mapped[str | None] = mapped_column(String(100))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    provenance: Mapped[dict[str, Any]] = mapped_column(default=dict)  # file, sha256, row
    text_created_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Forward(Base):
    """The outbox: one row per case and target, recorded before anything is sent."""

    __tablename__ = "forwards"
    __table_args__ = (
        UniqueConstraint("case_id", "target", name="uq_forwards_case_target"),
        Index("ix_forwards_state_due", "state", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(20), default="lapor")  # lapor | open311
    # pending -> sending -> sent | failed | unknown ; cancelled when the approval is undone
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    complaint_id: Mapped[str | None] = mapped_column(String(100), index=True)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status_code: Mapped[str | None] = mapped_column(String(40))
    status_name: Mapped[str | None] = mapped_column(String(100))
    status_final: Mapped[bool] = mapped_column(Boolean, default=False)
    status_checked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None]


class LaporStatusChange(Base):
    """A status LAPOR! reported for a forwarded complaint, when we first saw it."""

    __tablename__ = "lapor_status_history"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    forward_id: Mapped[int] = mapped_column(
        ForeignKey("forwards.id", ondelete="CASCADE"), index=True
    )
    status_code: Mapped[str | None] = mapped_column(String(40))
    status_name: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime | None]  # as LAPOR! dates it, when it does
    observed_at: Mapped[datetime] = mapped_column(default=utcnow)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class LaporReference(Base):
    """LAPOR! reference data (institutions, categories, locations) with their numeric ids."""

    __tablename__ = "lapor_reference"
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    ref_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[str | None] = mapped_column(String(40))
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A review-app account."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # admin | facilitator | viewer
    agencies: Mapped[list[Any]] = mapped_column(default=list)  # empty = all
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Sessions carry the generation they were made in; logout, a password change, deactivation
    # and unlock add one, so every older cookie of this account is refused (store.users).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginAttempt(Base):
    """Login attempts of one client address in the current window (store.throttle)."""

    __tablename__ = "login_attempts"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime]


class AuditEntry(Base):
    """Who did what, when, with the state before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Reply(Base):
    """The reply outbox: a reply to a citizen under their own comment, recorded before it is sent.

    One row per post and kind (``sent``: the case reached LAPOR! with a tracking number;
    ``status:<name>``: a later LAPOR! status such as Selesai). ``text`` is rendered from the
    profile's template when the row is made, so the facilitator approves exactly what is posted.
    """

    __tablename__ = "replies"
    __table_args__ = (
        UniqueConstraint("post_id", "kind", name="uq_replies_post_kind"),
        Index("ix_replies_state_due", "state", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    forward_id: Mapped[int | None] = mapped_column(ForeignKey("forwards.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(20))  # facebook | instagram | youtube
    target_id: Mapped[str] = mapped_column(String(255))  # the comment replied under
    kind: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    # approval -> pending -> sending -> sent | pending (retry) | unknown (read the thread first)
    #   | failed | gone (original deleted) | blocked (permission/token; due again later)
    #   | cancelled (declined, or the case reopened)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    reply_id: Mapped[str | None] = mapped_column(String(255))
    reply_url: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None]


REROUTE_OPEN_STATES = "state IN ('pending', 'sending', 'unknown')"


class Reroute(Base):
    """The reroute outbox: a facilitator's request to pass a case LAPOR! already has to another
    agency ("bukan wewenang"), recorded before lapor.reroute sends it; one open request per case.
    """

    __tablename__ = "reroutes"
    __table_args__ = (
        Index("ix_reroutes_state_due", "state", "next_attempt_at"),
        Index(
            "uq_reroutes_open_case",
            "case_id",
            unique=True,
            sqlite_where=text(REROUTE_OPEN_STATES),
            postgresql_where=text(REROUTE_OPEN_STATES),
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    complaint_id: Mapped[str] = mapped_column(String(100))
    agency_before: Mapped[str | None] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(200))
    institution_id: Mapped[str] = mapped_column(String(100))  # LAPOR!'s id of the new agency
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(100))
    # pending -> sending -> sent | pending (retry) | unknown (LAPOR! is read before any resend)
    #   | failed (refused, or attempts used up)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None]


class DeploymentKey(Base):
    """The fingerprint of a key every machine on this store must share (store.deployment_keys):
    workers with another key are refused, so an author has one pseudonym in the whole store."""

    __tablename__ = "deployment_keys"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)  # author_key
    fingerprint: Mapped[str] = mapped_column(String(64))  # HMAC of a fixed text, not the key
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
